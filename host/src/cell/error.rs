//! How running code in a cell can fail. Typed, because callers match on it: an applet's own
//! exception is not a host failure, and `sys.exit(3)` is not a crash.

pub use crate::abi::Exception as PythonException;
use crate::policy::{LimitExceeded, LimitKind, Limits};
use crate::wasi::control::{CellControl, LimitTrap};
use wasi_common::I32Exit;

/// CLI exit status for an uncaught Python exception.
pub const EXIT_EXCEPTION: i32 = 1;
/// CLI exit status for a usage error or a host-side failure.
pub const EXIT_USAGE: i32 = 2;
/// CLI exit status when the guest traps (as wasmtime's CLI does: 128 + SIGABRT).
pub const EXIT_TRAP: i32 = 134;

/// Why `Cell::exec`, `Cell::eval` or `Cell::exec_file` did not finish normally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CellError {
    /// The code raised an exception it did not catch. The cell goes on.
    #[error("{}", .0.traceback.trim_end())]
    Exception(PythonException),
    /// The code called `sys.exit(code)` (or raised `SystemExit`). The cell goes on; after
    /// `os._exit(code)` it is spent, like a trap.
    #[error("the cell exited with status {0}")]
    Exit(i32),
    /// The guest trapped (a crash inside the wasm sandbox). The host is fine; this cell is spent
    /// and every later call on it fails with `Spent`.
    #[error("the cell trapped: {0}")]
    Trap(String),
    /// A limit stopped the cell (fuel, time, memory, output, stack, or a cancellation). The
    /// cell is spent; its supervisor and other cells go on.
    #[error(transparent)]
    Limit(LimitExceeded),
    /// An earlier trap, limit or `os._exit` ended this cell.
    #[error("the cell is spent: {0}")]
    Spent(String),
    /// The host could not do what was asked (bad input from the caller, I/O, a guest breaking the
    /// protocol).
    #[error(transparent)]
    Host(#[from] anyhow::Error),
}

impl CellError {
    /// The exit status the `padcell` CLI uses for this failure (see `padcell run --help`).
    pub fn exit_code(&self) -> i32 {
        match self {
            CellError::Exception(_) => EXIT_EXCEPTION,
            CellError::Exit(code) => *code,
            CellError::Limit(limit) => limit.kind.exit_code(),
            CellError::Trap(_) | CellError::Spent(_) => EXIT_TRAP,
            CellError::Host(_) => EXIT_USAGE,
        }
    }
}

/// What stopped a call into a guest that failed: its own `proc_exit`, a limit, or a trap.
/// Shared by the interpreter's cells and plain WASI commands, so both report alike.
pub(crate) fn stopped(err: anyhow::Error, control: &CellControl, limits: &Limits) -> CellError {
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return CellError::Exit(exit.0);
    }
    match limit_behind(&err, control) {
        Some(kind) => CellError::Limit(limits.exceeded(kind)),
        None => CellError::Trap(trap_message(&err)),
    }
}

/// Which limit, if any, caused this trap.
fn limit_behind(err: &anyhow::Error, control: &CellControl) -> Option<LimitKind> {
    use std::sync::atomic::Ordering;
    if let Some(LimitTrap(kind)) = err.downcast_ref::<LimitTrap>() {
        return Some(*kind);
    }
    match err.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => return Some(LimitKind::Fuel),
        Some(wasmtime::Trap::StackOverflow) => return Some(LimitKind::Stack),
        Some(wasmtime::Trap::Interrupt) => return control.tripped(),
        _ => {}
    }
    // A guest's allocator aborts when the limiter refuses it memory.
    if control.memory_refused.load(Ordering::Relaxed) {
        return Some(LimitKind::Memory);
    }
    control.tripped()
}

/// How many wasm frames a trap message shows; a stack overflow has tens of thousands.
const TRAP_FRAMES: usize = 12;

/// A trap as one readable message: what trapped, then the innermost wasm frames.
pub(crate) fn trap_message(err: &anyhow::Error) -> String {
    use std::fmt::Write;
    let mut out = match err.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    if let Some(backtrace) = err.downcast_ref::<wasmtime::WasmBacktrace>() {
        let frames = backtrace.frames();
        out.push_str("\nwasm backtrace:");
        for (i, frame) in frames.iter().take(TRAP_FRAMES).enumerate() {
            match frame.func_name() {
                // Rust guests' frames arrive mangled; `{:#}` drops the hash suffix.
                Some(name) => write!(out, "\n  {i:>2}: {:#}", rustc_demangle::demangle(name)),
                None => write!(out, "\n  {i:>2}: <wasm function {}>", frame.func_index()),
            }
            .ok();
        }
        if frames.len() > TRAP_FRAMES {
            let _ = write!(out, "\n  ... and {} more frames", frames.len() - TRAP_FRAMES);
        }
    }
    out
}
