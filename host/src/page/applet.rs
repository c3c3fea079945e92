//! One applet of a page, run in its own cell: Grail's instantiation of the class its tag names,
//! with the tag's params as keyword arguments, in a restricted environment.

use super::slot::{PAGE_OBJECT, Slot};
use super::{AppletTag, PageOptions, PageRequest};
use crate::abi::Value;
use crate::cell::CellError;
use crate::policy::Policy;
use crate::policy::modules::{ModulePolicy, is_identifier};
use crate::supervisor::Supervisor;

/// Runs in the applet's cell before the applet: instantiates `module.cls(page, **params)`, and
/// calls its `render()` if it has one. The applet's arguments cross by value, never as code.
const BOOTSTRAP: &str = r#"
def __padcell_applet__(module, cls, params, page):
    import padcell
    klass = getattr(__import__(module, fromlist=[cls]), cls)
    applet = klass(padcell.host(page), **params)
    render = getattr(applet, "render", None)
    if callable(render):
        render()
"#;

/// The module and class a classid names: `Clock.py` is class `Clock` of module `Clock`,
/// `charts.Bar` class `Bar` of module `charts`.
pub(crate) fn class_of(classid: &str) -> Result<(String, String), String> {
    let id = classid.trim();
    let (module, class) = match id.strip_suffix(".py") {
        Some(module) => (module, module.rsplit('.').next().unwrap_or(module)),
        None => match id.rsplit_once('.') {
            Some((module, class)) => (module, class),
            None => (id, id),
        },
    };
    if module.split('.').all(is_identifier) && is_identifier(class) {
        Ok((module.to_owned(), class.to_owned()))
    } else {
        Err(format!("classid {:?} names no Python module and class", id.chars().take(64).collect::<String>()))
    }
}

/// Why an applet failed: the note the page shows, which names no host path, and for a host-side
/// failure the host's own error, which is the operator's to read and may name host paths.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) note: String,
    pub(crate) host_detail: Option<String>,
}

/// The most chars of an exception's type name a note keeps: the applet names its classes, and
/// `type('E' * (1 << 20), (Exception,), {})` is a class too.
const MAX_TYPE_NAME: usize = 128;
/// The most chars a note has. It goes into the page twice (an attribute and a comment), into the
/// page's report and onto `padcell page`'s stderr.
const MAX_NOTE: usize = 1000;

impl From<String> for Failure {
    /// Every note the page shows is made here (or is a fixed text), so every note is bounded.
    fn from(note: String) -> Failure {
        Failure { note: cut(&note, MAX_NOTE), host_detail: None }
    }
}

/// `text` cut to at most `max_chars` chars, the last an ellipsis where it was cut.
fn cut(text: &str, max_chars: usize) -> String {
    if text.char_indices().nth(max_chars).is_none() {
        return text.to_owned();
    }
    let keep = text.char_indices().nth(max_chars.saturating_sub(1)).map_or(0, |(at, _)| at);
    format!("{}\u{2026}", text.get(..keep).unwrap_or_default())
}

/// Runs the applet `tag` names, on a page in `page_dir`, and returns the safe HTML it rendered.
pub(crate) fn run(
    supervisor: &Supervisor,
    options: &PageOptions,
    tag: &AppletTag,
    request: &PageRequest<'_>,
) -> Result<String, Failure> {
    let (module, class) = class_of(&tag.classid)?;
    let root = options.codebases.module_root(tag, request.dir, &module)?;
    let (slot, page) = Slot::new(options.max_slot_bytes, request.query);
    let modules = ModulePolicy { roots: vec![root], ..options.modules.clone() };
    let policy = Policy::new().with_modules(modules).with_limits(options.limits).object(page).map_err(|e| e.to_string())?;
    let mut cell =
        supervisor.cell().policy(policy).args([tag.classid.clone()]).build().map_err(|e| Failure {
            note: "the applet's cell could not be made".to_owned(),
            host_detail: Some(format!("{e:#}")),
        })?;
    let params = tag.params.iter().map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone()))).collect();
    cell.exec_source("<padcell page>", BOOTSTRAP).map_err(|e| failure(&e))?;
    cell.call(
        "__padcell_applet__",
        &[Value::Str(module), Value::Str(class), Value::Dict(params), Value::Str(PAGE_OBJECT.to_owned())],
    )
    .map_err(|e| failure(&e))?;
    Ok(slot.take())
}

/// A failure as the page notes it: the applet's own exception, or the limit that stopped it.
fn failure(err: &CellError) -> Failure {
    let note = match err {
        CellError::Exception(exc) => {
            let type_name = cut(&exc.type_name, MAX_TYPE_NAME);
            let message: String = exc.message.lines().next().unwrap_or("").chars().take(200).collect();
            if message.is_empty() { type_name } else { format!("{type_name}: {message}") }
        }
        CellError::Exit(code) => format!("the applet exited with status {code}"),
        CellError::Limit(limit) => format!("the applet's {limit}"),
        CellError::Trap(_) | CellError::Spent(_) => "the applet crashed inside its cell".to_owned(),
        CellError::Host(e) => {
            return Failure { note: "the host could not run the applet".to_owned(), host_detail: Some(format!("{e:#}")) };
        }
    };
    Failure::from(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_type_names_are_cut_at_a_char_boundary() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("exactly10!", 10), "exactly10!");
        assert_eq!(cut("ééééé", 3), "éé\u{2026}");
        let huge = "É".repeat(1 << 20);
        assert_eq!(Failure::from(huge.clone()).note.chars().count(), MAX_NOTE);
        let exc = crate::cell::PythonException { type_name: huge, message: "x".to_owned(), traceback: String::new() };
        let note = failure(&CellError::Exception(exc)).note;
        assert_eq!(note, format!("{}\u{2026}: x", "É".repeat(MAX_TYPE_NAME - 1)));
    }
}
