//! SVG drawn by the host from plain data. An applet never writes SVG markup: it gives shapes as
//! dicts (`{"shape": "rect", "x": 1, "fill": "red"}`), and the host writes each from a fixed set
//! of elements and presentation attributes, with every value escaped. No element or attribute
//! that can run script, load a resource or link anywhere can be expressed.

use crate::abi::Value;
use crate::policy::ObjectError;
use std::fmt::Write;

/// The elements an applet can draw.
const SHAPES: &[&str] = &["rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text"];

/// The attributes a shape may carry.
const ATTRIBUTES: &[&str] = &[
    "x",
    "y",
    "width",
    "height",
    "rx",
    "ry",
    "cx",
    "cy",
    "r",
    "x1",
    "y1",
    "x2",
    "y2",
    "points",
    "d",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "opacity",
    "transform",
    "font-size",
    "font-family",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "class",
];

/// The most shapes one picture may hold.
const MAX_SHAPES: usize = 10_000;

/// `<svg>` markup for a `width` x `height` picture of `shapes`.
pub(crate) fn picture(width: &Value, height: &Value, shapes: &Value) -> Result<String, ObjectError> {
    let (width, height) = (size(width, "width")?, size(height, "height")?);
    let Value::List(shapes) = shapes else {
        return Err(ObjectError::Type("svg() takes a list of shape dicts".to_owned()));
    };
    if shapes.len() > MAX_SHAPES {
        return Err(ObjectError::Value(format!("svg() takes at most {MAX_SHAPES} shapes")));
    }
    let mut out =
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#);
    for shape in shapes {
        write_shape(&mut out, shape)?;
    }
    out.push_str("</svg>");
    Ok(out)
}

fn write_shape(out: &mut String, shape: &Value) -> Result<(), ObjectError> {
    let Value::Dict(pairs) = shape else {
        return Err(ObjectError::Type("each shape is a dict with a 'shape' key".to_owned()));
    };
    let mut kind = None;
    let mut text = None;
    let mut attrs = String::new();
    for (key, value) in pairs {
        let Value::Str(key) = key else { return Err(ObjectError::Type("shape keys are str".to_owned())) };
        match key.as_str() {
            "shape" => kind = SHAPES.iter().find(|s| matches!(value, Value::Str(v) if v == *s)),
            "text" => text = Some(plain(value, "text")?),
            name if ATTRIBUTES.contains(&name) => {
                let _ = write!(attrs, r#" {name}="{}""#, html_escape::encode_double_quoted_attribute(&plain(value, name)?));
            }
            other => {
                return Err(ObjectError::Value(format!("shape attribute {:?} is not allowed", truncate(other))));
            }
        }
    }
    let Some(kind) = kind else {
        return Err(ObjectError::Value(format!("each shape needs 'shape': one of {}", SHAPES.join(", "))));
    };
    match (kind, text) {
        (&"text", text) => {
            let body = html_escape::encode_text(text.as_deref().unwrap_or(""));
            let _ = write!(out, "<text{attrs}>{body}</text>");
        }
        (_, Some(_)) => return Err(ObjectError::Value(format!("a {kind} has no 'text'"))),
        (_, None) => {
            let _ = write!(out, "<{kind}{attrs}/>");
        }
    }
    Ok(())
}

/// A size in pixels: a number from 1 to 10,000.
fn size(value: &Value, what: &str) -> Result<f64, ObjectError> {
    let n = match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return Err(ObjectError::Type(format!("svg() {what} is a number"))),
    };
    if !(1.0..=10_000.0).contains(&n) {
        return Err(ObjectError::Value(format!("svg() {what} must be from 1 to 10000")));
    }
    Ok(n)
}

/// An attribute value: a number or a string.
fn plain(value: &Value, what: &str) -> Result<String, ObjectError> {
    match value {
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(f) if f.is_finite() => Ok(f.to_string()),
        Value::Str(s) => Ok(s.clone()),
        _ => Err(ObjectError::Type(format!("shape {:?} is a number or a str", truncate(what)))),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(pairs: &[(&str, Value)]) -> Value {
        Value::Dict(pairs.iter().map(|(k, v)| (Value::Str(k.to_string()), v.clone())).collect())
    }

    #[test]
    fn draws_shapes_with_escaped_values() {
        let shapes = Value::List(vec![
            shape(&[("shape", Value::Str("rect".into())), ("x", Value::Int(1)), ("fill", Value::Str("\"><script>".into()))]),
            shape(&[("shape", Value::Str("text".into())), ("text", Value::Str("<b>&".into()))]),
        ]);
        let svg = picture(&Value::Int(10), &Value::Float(20.0), &shapes).unwrap();
        assert!(svg.contains(r#"<rect x="1" fill="&quot;&gt;&lt;script&gt;"/>"#), "{svg}");
        assert!(svg.contains("<text>&lt;b&gt;&amp;</text>"), "{svg}");
    }

    #[test]
    fn refuses_what_could_run_or_link() {
        for (key, value) in [("onload", "alert(1)"), ("href", "javascript:alert(1)"), ("style", "x"), ("xlink:href", "#a")] {
            let shapes = Value::List(vec![shape(&[("shape", Value::Str("rect".into())), (key, Value::Str(value.into()))])]);
            assert!(matches!(picture(&Value::Int(1), &Value::Int(1), &shapes), Err(ObjectError::Value(_))), "{key}");
        }
        let script = Value::List(vec![shape(&[("shape", Value::Str("script".into()))])]);
        assert!(picture(&Value::Int(1), &Value::Int(1), &script).is_err());
    }
}
