//! Structured records of refused operations, handed to the supervisor as they happen.

use serde::Serialize;
use std::sync::Arc;
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
