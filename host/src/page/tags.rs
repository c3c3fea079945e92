//! The `<object classid="X.py" codebase="..."><param name=... value=...>fallback</object>` tags of
//! a page: found in one pass, replaced in a second. Only top-level applet objects count: one
//! inside another's fallback content is part of that fallback.

use anyhow::{Result, anyhow};
use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, end_tag, rewrite_str};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The most applets one page may hold.
pub const MAX_APPLETS: usize = 32;

/// One applet's tag, with its attributes decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppletTag {
    /// `Clock.py` (module `Clock`, class `Clock`) or `module.Class`.
    pub classid: String,
    /// A directory below the page's root, or an `http://` URL; the page's own directory if absent.
    pub codebase: Option<String>,
    /// `data-sha256`: a digest for the classid's module, or `module=digest` pairs.
    pub sha256: Option<String>,
    /// The `<param>` children, in order.
    pub params: Vec<(String, String)>,
}

/// What goes into an applet's slot.
#[derive(Clone, Debug)]
pub enum SlotContent {
    /// Safe HTML the applet rendered through its `page` object.
    Rendered(String),
    /// The applet failed: the fallback content stays, with this note.
    Failed(String),
}

/// Walks the page's top-level applet objects, calling `on_object` with each one's index, and
/// `on_param` with the index of the object a direct `<param>` child belongs to.
fn walk<'h>(
    html: &str,
    mut on_object: impl FnMut(usize, &mut Element) -> Result<()> + 'h,
    mut on_param: impl FnMut(usize, &mut Element) -> Result<()> + 'h,
) -> Result<String> {
    let depth = Rc::new(Cell::new(0usize));
    let count = Rc::new(Cell::new(0usize));
    let (object_depth, param_depth) = (depth.clone(), depth.clone());
    let param_count = count.clone();
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("object[classid]", move |el| {
            let d = object_depth.get();
            if d == 0 {
                let index = count.get();
                if index == MAX_APPLETS {
                    return Err(format!("the page has more than {MAX_APPLETS} applets").into());
                }
                count.set(index + 1);
                on_object(index, el)?;
            }
            // `<object/>` has no content and no end tag to wait for.
            if el.can_have_content() {
                object_depth.set(d + 1);
                let at_end = object_depth.clone();
                el.on_end_tag(end_tag!(move |_| {
                    at_end.set(at_end.get().saturating_sub(1));
                    Ok(())
                }))?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("object[classid] > param", move |el| {
            // Depth 1 means a top-level applet object is open, so one has been counted.
            if let (1, Some(index)) = (param_depth.get(), param_count.get().checked_sub(1)) {
                on_param(index, el)?;
            }
            Ok(())
        }));
    rewrite_str(html, settings).map_err(|e| anyhow!("{e}"))
}

/// The page's applets, in document order.
pub fn find_applets(html: &str) -> Result<Vec<AppletTag>> {
    let tags = Rc::new(RefCell::new(Vec::<AppletTag>::new()));
    let (objects, params) = (tags.clone(), tags.clone());
    walk(
        html,
        move |_, el| {
            objects.borrow_mut().push(AppletTag {
                classid: attribute(el, "classid").unwrap_or_default(),
                codebase: attribute(el, "codebase"),
                sha256: attribute(el, "data-sha256"),
                params: Vec::new(),
            });
            Ok(())
        },
        move |index, el| {
            if let (Some(name), Some(tag)) = (attribute(el, "name"), params.borrow_mut().get_mut(index)) {
                tag.params.push((name, attribute(el, "value").unwrap_or_default()));
            }
            Ok(())
        },
    )?;
    Ok(tags.take())
}

/// The page with each applet object replaced by a `<div class="padcell-applet">` holding what
/// it rendered, or, where it failed, its fallback content and a note.
pub fn replace_applets(html: &str, tags: &[AppletTag], slots: &[SlotContent]) -> Result<String> {
    let failed = |index: usize| matches!(slots.get(index), Some(SlotContent::Failed(_)));
    walk(
        html,
        |index, el| {
            let (Some(tag), Some(slot)) = (tags.get(index), slots.get(index)) else {
                return Err(anyhow!("applet {index} has no result"));
            };
            let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
            for name in names {
                el.remove_attribute(&name);
            }
            el.set_tag_name("div").map_err(|e| anyhow!("{e}"))?;
            set(el, "data-applet", &tag.classid)?;
            match slot {
                SlotContent::Rendered(content) => {
                    set(el, "class", "padcell-applet")?;
                    el.set_inner_content(content, ContentType::Html);
                }
                SlotContent::Failed(note) => {
                    set(el, "class", "padcell-applet padcell-failed")?;
                    set(el, "data-padcell-error", note)?;
                    el.before(
                        &format!("<!-- padcell: applet {} failed: {} -->", comment(&tag.classid), comment(note)),
                        ContentType::Html,
                    );
                }
            }
            Ok(())
        },
        |index, el| {
            if failed(index) {
                el.remove();
            }
            Ok(())
        },
    )
}

/// An attribute's value with its character references decoded.
fn attribute(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name).map(|v| html_escape::decode_html_entities(&v).into_owned())
}

/// Sets an attribute; lol_html escapes only quotes, so `&` and `<` are escaped here.
fn set(el: &mut Element, name: &str, value: &str) -> Result<()> {
    el.set_attribute(name, &html_escape::encode_double_quoted_attribute(value)).map_err(|e| anyhow!("{e}"))
}

/// Text that cannot end or confuse an HTML comment.
fn comment(text: &str) -> String {
    text.chars().map(|c| if matches!(c, '-' | '<' | '>' | '!') { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<p>before</p>
<object classid="Clock.py" codebase="clock/"><param name="tz" value="UTC"><param name=label value="a &amp; b">Your browser has no clock.
  <object classid="Inner.py"><param name="x" value="1"></object></object>
<OBJECT CLASSID="chart.Bar"></OBJECT>"#;

    #[test]
    fn finds_top_level_applets_with_their_params() {
        let tags = find_applets(PAGE).unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].classid, "Clock.py");
        assert_eq!(tags[0].codebase.as_deref(), Some("clock/"));
        assert_eq!(tags[0].params, vec![("tz".into(), "UTC".into()), ("label".into(), "a & b".into())]);
        assert_eq!(tags[1].classid, "chart.Bar");
        assert!(tags[1].params.is_empty());
    }

    #[test]
    fn replaces_rendered_and_keeps_fallback_of_failed() {
        let tags = find_applets(PAGE).unwrap();
        let slots = [SlotContent::Failed("time limit <5s> & \"more\"".into()), SlotContent::Rendered("<b>bars</b>".into())];
        let out = replace_applets(PAGE, &tags, &slots).unwrap();
        assert!(out.contains("Your browser has no clock."), "{out}");
        assert!(!out.contains(r#"name="tz""#) && !out.contains("label"), "the failed applet's own params go: {out}");
        assert!(out.contains(r#"<object classid="Inner.py">"#), "nested objects stay fallback: {out}");
        assert!(out.contains(r#"data-padcell-error="time limit &lt;5s&gt; &amp; &quot;more&quot;""#), "{out}");
        assert!(out.contains(r#"<div data-applet="chart.Bar" class="padcell-applet"><b>bars</b></div>"#), "{out}");
        assert!(out.starts_with("<p>before</p>"));
    }
}
