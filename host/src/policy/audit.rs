//! Structured records of refused operations, handed to the supervisor as they happen, and the
//! per-cell [`Auditor`] every part of a cell refuses through.

use super::Access;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// One refused operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// The cell's id within its supervisor.
    pub cell: u64,
    /// When it was refused, as RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The operation: `open`, `mkdir`, `rmdir`, `unlink`, `rename`, `link`, `symlink`,
    /// `readlink`, `stat`, `readdir`, `set-times`, `set-size`, `write`, `import`, `object`,
    /// `cell` (a nested cell asked for more than its parent has), `audit` (the one record, when a
    /// cell ends, that counts the refusals past the cell's cap of records).
    pub operation: &'static str,
    /// The path as the guest named it (never a host path); for `import`, the module name.
    pub path: String,
    /// What was asked for: `read` or `write`.
    pub access: &'static str,
    /// The rule that refused it, as the applet's exception states it.
    pub rule: String,
    /// For a nested cell's request, the cells from the outermost to the one that asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<u64>,
}

impl AuditEvent {
    pub(crate) fn now(cell: u64, operation: &'static str, path: String, access: &'static str, rule: String) -> Self {
        let time = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        AuditEvent { cell, time, operation, path, access, rule, chain: Vec::new() }
    }

    /// The event as one line of JSON (the CLI's `--audit-log` format).
    pub fn to_json_line(&self) -> String {
        // Serializing plain strings and integers cannot fail; fall back to a minimal record.
        serde_json::to_string(self).unwrap_or_else(|_| format!("{{\"cell\":{}}}", self.cell))
    }
}

/// Where a supervisor sends audit events.
pub type AuditSink = Arc<dyn Fn(&AuditEvent) + Send + Sync>;

/// How many refusals one cell may send the audit log; past it, one record counts the rest.
pub const MAX_AUDIT_EVENTS: u64 = 1000;

/// How much of a guest-chosen string goes into a message or an audit record.
pub(crate) const SHOWN: usize = 256;

/// `text`, cut to [`SHOWN`] bytes at a character boundary, marked when cut.
pub(crate) fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    cut(text, SHOWN)
}

/// `text`, cut to `max` bytes at a character boundary, marked with its length when cut.
pub(crate) fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", text.get(..end).unwrap_or_default(), text.len()).into()
}

/// One cell's reporter of refusals: the filesystem, the loader, host objects and child cells all
/// refuse through it. It stays silent while the interpreter starts (its probes for files no cell
/// has are not the applet's), cuts guest text to size, caps the records a cell may send, and
/// keeps the last refusal's rule for the guest's exception.
pub(crate) struct Auditor {
    cell: u64,
    sink: Option<AuditSink>,
    starting: AtomicBool,
    /// Records sent, and those dropped past [`MAX_AUDIT_EVENTS`].
    audited: AtomicU64,
    dropped: AtomicU64,
    /// The last refusal's rule, for the guest to turn into its exception.
    last_denial: Mutex<Option<String>>,
}

impl Auditor {
    /// The auditor of cell `cell`, sending to `sink` (none: refusals are only shown to the guest).
    pub(crate) fn new(cell: u64, sink: Option<AuditSink>) -> Arc<Auditor> {
        Arc::new(Auditor {
            cell,
            sink,
            starting: AtomicBool::new(true),
            audited: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            last_denial: Mutex::new(None),
        })
    }

    /// The interpreter has started: from now on every refusal is the applet's.
    pub(crate) fn started(&self) {
        self.starting.store(false, Ordering::Relaxed);
    }

    /// Whether the interpreter is still starting (refusals are then neither audited nor shown).
    pub(crate) fn is_starting(&self) -> bool {
        self.starting.load(Ordering::Relaxed)
    }

    /// Refuses an operation on `subject` (a guest path, a module or object name): audits it and
    /// keeps `rule` for the guest's exception.
    pub(crate) fn refuse(&self, operation: &'static str, subject: &str, access: Access, rule: String) {
        if self.is_starting() {
            return;
        }
        self.record(operation, subject, access, &rule, Vec::new());
        *self.last_denial.lock().unwrap_or_else(PoisonError::into_inner) = Some(rule);
    }

    /// Sends the supervisor an audit event, recording the chain of cells behind a nested
    /// cell's request (empty for the cell's own).
    pub(crate) fn record(&self, operation: &'static str, subject: &str, access: Access, rule: &str, chain: Vec<u64>) {
        if self.is_starting() {
            return;
        }
        let Some(sink) = &self.sink else { return };
        if self.audited.fetch_add(1, Ordering::Relaxed) >= MAX_AUDIT_EVENTS {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let access = match access {
            Access::ReadOnly => "read",
            Access::ReadWrite => "write",
        };
        let mut event =
            AuditEvent::now(self.cell, operation, shorten(subject).into_owned(), access, cut(rule, 4 * SHOWN).into_owned());
        event.chain = chain;
        sink(&event);
    }

    /// Takes the last refusal's rule (see `padcell.take_denial` in abi.rs).
    pub(crate) fn take_denial(&self) -> Option<String> {
        self.last_denial.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Drop for Auditor {
    /// A cell that hit its audit cap leaves one record that counts what was dropped.
    fn drop(&mut self) {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if let (Some(sink), true) = (&self.sink, dropped > 0) {
            let rule = format!("{dropped} more refusals were not recorded (a cell records at most {MAX_AUDIT_EVENTS})");
            sink(&AuditEvent::now(self.cell, "audit", String::new(), "read", rule));
        }
    }
}
