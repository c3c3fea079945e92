//! padcell: run untrusted Python applets, and plain WASI modules, inside WebAssembly cells.
//!
//! A [`Supervisor`] owns the wasmtime engine and the compiled interpreter (CPython built for
//! wasm32-wasip1). Each [`Cell`] is a separate instance with its own memory, stdio and
//! `__main__` namespace, and reaches the host only through WASI preview1 and the `padcell` import
//! module, both served by the host (see [`abi`] for the whole boundary). A [`WasiModule`] is any
//! WASI preview1 command, run in the same sandbox under the same policy.
//!
//! The crate is in layers, each importing only the layers before it (ARCHITECTURE.md):
//! `abi` < `policy` < `config` < `wasi` < `loader` < `cell` < `supervisor` < `page`.
//!
//! ```no_run
//! let supervisor = padcell::Supervisor::new()?;
//! let mut cell = supervisor.cell().build()?;
//! cell.exec("x = 6 * 7")?;
//! assert_eq!(cell.eval("x")?, padcell::Value::Int(42));
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod abi;
mod cell;
mod config;
mod loader;
#[cfg(feature = "pages")]
pub mod page;
mod policy;
mod supervisor;
mod wasi;

pub use abi::Value;
pub use cell::{
    Cell, CellBuilder, CellError, EXIT_EXCEPTION, EXIT_TRAP, EXIT_USAGE, MissingImports, PythonException, RawCell, RawModule,
    WasiCommand, WasiCommandBuilder, WasiModule,
};
pub use config::host_file;
pub use config::{
    LimitFlags, MANIFEST_FILE, MANIFEST_KEYS, Manifest, ModuleFlags, NameFlags, PolicyFlags, is_wasm_module, kv_store,
};
#[cfg(feature = "pages")]
pub use page::serve;
pub use policy::modules::{
    ALL as ALL_MODULES, AllowList, DEFAULT_ALLOWED, DEFAULT_HIDDEN_BUILTINS, DEFAULT_OS_NAMES, DEFAULT_SYS_NAMES, FetchLimits,
    ModulePolicy, ModuleRoot, RemoteRoot, RestrictedNames,
};
pub use policy::{
    Access, AuditEvent, AuditSink, Filter, Grant, GrantKind, GuestPath, HostObject, LimitExceeded, LimitKind, Limits,
    MAX_AUDIT_EVENTS, Method, ObjectError, OpenHook, OpenRequest, Policy, PolicyError, open_mode,
};
pub use supervisor::{
    CacheEvent, DEFAULT_MAX_CELLS, GUEST_HASH, GUEST_WASM, ModuleCache, ModuleKind, Supervisor, SupervisorBuilder,
};
pub use wasi::{CancelHandle, Input, MAX_PATH, Output, serving_cell};
