//! The limits a cell runs under, as values, and which limit stopped a cell.
//!
//! rexec had no limits: `while True: pass` owned the process. Here every limit is enforced by the
//! host (see `wasi::control` for how); this file only says what the limits are. The defaults are
//! constants the CLI's help reads, so they are written once.

use std::fmt;
use std::time::Duration;

/// The limits a cell runs under. The defaults are finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// wasmtime fuel per call (roughly one unit per wasm instruction); `None` is unmetered.
    pub fuel: Option<u64>,
    /// Wall-clock time per call.
    pub timeout: Duration,
    /// The cell's linear memory, in bytes.
    pub memory: u64,
    /// stdout and stderr together, in bytes, over the cell's life.
    pub output: u64,
    /// Files and directories the cell may hold open at once.
    pub open_files: u32,
    /// Bytes the cell may write to files in its read-write grants, over its life (a nested
    /// cell's writes count against every cell above it too).
    pub disk: u64,
    /// The size a file may reach through the cell's writes, in bytes: a write, positional
    /// write or resize past it fails with `EFBIG`.
    pub file_size: u64,
}

impl Limits {
    /// The defaults, finite for everything but fuel (the time limit bounds CPU either way).
    /// The CLI's help shows these.
    pub const DEFAULT: Limits = Limits {
        fuel: None,
        timeout: Duration::from_secs(30),
        memory: 256 << 20,
        output: 64 << 20,
        open_files: 256,
        disk: 1 << 30,
        file_size: 1 << 30,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which limit stopped a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// wasmtime fuel ran out.
    Fuel,
    /// The call's wall-clock time ran out.
    Time,
    /// The cell asked for more memory than its limit.
    Memory,
    /// stdout and stderr together passed the output limit.
    Output,
    /// Recursion exhausted the wasm stack.
    Stack,
    /// Someone cancelled the call.
    Cancelled,
}

impl LimitKind {
    /// The `padcell` CLI's exit status when this limit stops a cell.
    pub fn exit_code(self) -> i32 {
        match self {
            LimitKind::Cancelled => 120,
            LimitKind::Fuel => 121,
            LimitKind::Memory => 122,
            LimitKind::Output => 123,
            LimitKind::Time => 124,
            LimitKind::Stack => 125,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            LimitKind::Fuel => "fuel",
            LimitKind::Time => "time",
            LimitKind::Memory => "memory",
            LimitKind::Output => "output",
            LimitKind::Stack => "stack",
            LimitKind::Cancelled => "cancellation",
        }
    }
}

/// A cell was stopped by a limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LimitExceeded {
    /// Which limit.
    pub kind: LimitKind,
    /// The limit's value as the user gave it (`2s`, `64 MiB`, `1000000 units`).
    pub detail: String,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LimitKind::Cancelled => f.write_str("cell was cancelled"),
            LimitKind::Stack => f.write_str("cell exhausted its stack (recursion too deep)"),
            kind => write!(f, "cell exceeded its {} limit ({})", kind.noun(), self.detail),
        }
    }
}

impl Limits {
    /// The error for `kind`, naming this limit's value as the user gave it.
    pub(crate) fn exceeded(&self, kind: LimitKind) -> LimitExceeded {
        let detail = match kind {
            LimitKind::Fuel => format!("{} units", self.fuel.unwrap_or(u64::MAX)),
            LimitKind::Time => humantime::format_duration(self.timeout).to_string(),
            LimitKind::Memory => bytesize::ByteSize(self.memory).to_string(),
            LimitKind::Output => bytesize::ByteSize(self.output).to_string(),
            LimitKind::Stack | LimitKind::Cancelled => String::new(),
        };
        LimitExceeded { kind, detail }
    }
}

/// What a caller has left to give work done for it (a child cell's call, a compile for a
/// cell): its fuel (when metered with a limit), its time, and its memory (`None`: not bounded
/// by the caller).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Allowance {
    pub(crate) fuel: Option<u64>,
    pub(crate) time: Option<Duration>,
    pub(crate) memory: Option<u64>,
}
