//! padcell: run untrusted Python applets, and plain WASI modules, inside WebAssembly cells.
//!
//! A [`Supervisor`] owns the wasmtime engine and the compiled interpreter (CPython built for
//! wasm32-wasip1). Each [`Cell`] is a separate instance with its own memory, stdio and
//! `__main__` namespace, and reaches the host only through WASI preview1 and the `padcell` import
//! module, both served by the host (see [`abi`] for the whole boundary). A [`WasiModule`] is any
//! WASI preview1 command, run in the same sandbox under the same policy.
//!
//! ```no_run
//! let supervisor = padcell::Supervisor::new()?;
//! let mut cell = supervisor.cell().build()?;
//! cell.exec("x = 6 * 7")?;
//! assert_eq!(cell.eval("x")?, padcell::Value::Int(42));
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod abi;
mod audit;
mod cell;
mod error;
mod fs;
mod guest;
pub mod host_file;
mod host_functions;
mod input;
mod limits;
mod manifest;
mod module_cache;
mod modules;
mod nested;
mod objects;
mod output;
pub mod page;
mod policy;
mod raw;
mod sandbox;
mod sched;
pub mod serve;
mod snapshot;
mod stack;
mod state;
mod supervisor;
mod wasi_shadows;
mod wasi_command;
mod wasi_module;

pub use abi::Value;
pub use audit::{AuditEvent, AuditSink};
pub use cell::{Cell, CellBuilder};
pub use error::{CellError, PythonException};
pub use guest::{GUEST_HASH, GUEST_WASM};
pub use input::Input;
pub use limits::{CancelHandle, LimitExceeded, LimitFlags, LimitKind, Limits};
pub use manifest::{MANIFEST_FILE, MANIFEST_KEYS, Manifest, ModuleFlags, NameFlags, PolicyFlags};
pub use module_cache::{CacheEvent, ModuleCache, ModuleKind};
pub use modules::{
    ALL as ALL_MODULES, AllowList, DEFAULT_ALLOWED, DEFAULT_HIDDEN_BUILTINS, DEFAULT_OS_NAMES, DEFAULT_SYS_NAMES, FetchLimits,
    ModulePolicy, ModuleRoot, RemoteRoot, RestrictedNames,
};
pub use fs::{GuestPath, MAX_AUDIT_EVENTS, MAX_PATH};
pub use objects::{Filter, HostObject, Method, ObjectError, kv_store};
pub use output::Output;
pub use raw::{RawCell, RawModule};
pub use policy::{Access, Grant, GrantKind, OpenHook, OpenRequest, Policy, PolicyError};
pub use supervisor::{DEFAULT_MAX_CELLS, Supervisor, SupervisorBuilder};
pub use wasi_command::{WasiCommand, WasiCommandBuilder};
pub use wasi_module::{MissingImports, WasiModule, is_wasm_module};

/// CLI exit status for an uncaught Python exception.
pub const EXIT_EXCEPTION: i32 = 1;
/// CLI exit status for a usage error or a host-side failure.
pub const EXIT_USAGE: i32 = 2;
/// CLI exit status when the guest traps (as wasmtime's CLI does: 128 + SIGABRT).
pub const EXIT_TRAP: i32 = 134;
