//! The `page` host object an applet renders through: its slot in the page. Whatever the applet
//! gives is made safe by the host before it joins the page: text is escaped, HTML goes through
//! ammonia's sanitizer (no script, no event handlers, no `javascript:` URLs), and SVG is drawn
//! by the host from plain data (see `svg`). Before the sanitizer runs, the markup is bounded (see
//! `markup_bound`): no larger than the slot, and nested and tagged so that parsing it stays linear.

use super::{markup_bound, svg};
use crate::abi::Value;
use crate::policy::{HostObject, ObjectError};
use std::sync::{Arc, Mutex, PoisonError};

/// The name applets reach their slot by: `padcell.host("page")`.
pub const PAGE_OBJECT: &str = "page";

/// What one applet has rendered so far, shared by its `page` object and the renderer.
#[derive(Clone)]
pub(crate) struct Slot {
    html: Arc<Mutex<String>>,
    max_bytes: usize,
}

impl Slot {
    /// A slot for at most `max_bytes` of HTML, on a page requested with `query`.
    pub(crate) fn new(max_bytes: usize, query: &[(String, String)]) -> (Slot, HostObject) {
        let slot = Slot { html: Arc::default(), max_bytes };
        let object =
            slot.object(Value::Dict(query.iter().map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone()))).collect()));
        (slot, object)
    }

    /// The `page` object for the applet's cell: `text(s)`, `html(s)`, `svg(width, height, shapes)`,
    /// `clear()`, and `query()`, the fields of the page's request (a form's, say) as a dict.
    fn object(&self, query: Value) -> HostObject {
        let (text, html, picture, clear) = (self.clone(), self.clone(), self.clone(), self.clone());
        HostObject::new(PAGE_OBJECT)
            .method("text", move |args| text.append(&html_escape::encode_text(one_str(args, "text")?)))
            .method("html", move |args| {
                let markup = one_str(args, "html")?;
                html.bound(markup)?;
                html.append(&sanitize(markup))
            })
            .method("svg", move |args| match args {
                [width, height, shapes] => picture.append(&svg::picture(width, height, shapes)?),
                _ => Err(ObjectError::Type(format!("svg() takes width, height and a list of shapes ({} given)", args.len()))),
            })
            .method("clear", move |_| {
                clear.lock().clear();
                Ok(Value::None)
            })
            .method("query", move |_| Ok(query.clone()))
    }

    /// What the applet rendered.
    pub(crate) fn take(&self) -> String {
        std::mem::take(&mut *self.lock())
    }

    /// Refuses markup before the sanitizer sees it: more than the whole slot holds, or markup
    /// whose parsing would take more than linear time (see `markup_bound`).
    fn bound(&self, markup: &str) -> Result<(), ObjectError> {
        if markup.len() > self.max_bytes {
            return Err(ObjectError::Value(format!(
                "html() takes at most {} bytes of markup, what the slot holds",
                self.max_bytes
            )));
        }
        markup_bound::check(markup).map_err(|why| ObjectError::Value(format!("html() refused the markup: {why}")))
    }

    fn append(&self, safe: &str) -> Result<Value, ObjectError> {
        let mut html = self.lock();
        if html.len() + safe.len() > self.max_bytes {
            return Err(ObjectError::Value(format!("the applet's slot is full ({} bytes at most)", self.max_bytes)));
        }
        html.push_str(safe);
        Ok(Value::None)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, String> {
        self.html.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// ammonia's defaults (no script, style, event handlers or `javascript:` URLs), plus forms whose
/// fields post back to the page itself: no `action`, no `formaction`.
fn sanitize(html: &str) -> String {
    static CLEANER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    let cleaner = CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_tags(["form", "input", "label", "button", "select", "option", "textarea", "fieldset", "legend"])
            .add_tag_attributes("form", ["method"])
            .add_tag_attributes("input", ["name", "value", "type", "placeholder", "checked", "size", "maxlength"])
            .add_tag_attributes("button", ["name", "value", "type"])
            .add_tag_attributes("select", ["name", "multiple"])
            .add_tag_attributes("option", ["value", "selected"])
            .add_tag_attributes("textarea", ["name", "rows", "cols", "placeholder"])
            .add_tag_attributes("label", ["for"])
            .add_generic_attributes(["class", "id"]);
        builder
    });
    cleaner.clean(html).to_string()
}

fn one_str<'a>(args: &'a [Value], method: &str) -> Result<&'a str, ObjectError> {
    match args {
        [Value::Str(s)] => Ok(s),
        _ => Err(ObjectError::Type(format!("{method}() takes one str"))),
    }
}
