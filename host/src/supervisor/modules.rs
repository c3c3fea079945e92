//! Plain WASI modules and raw modules, compiled for a supervisor: the code goes through the
//! supervisor's module cache (keyed by the module bytes' hash), and the compiled module runs on
//! the supervisor's runtime in a cell's sandbox (`cell::wasi_module`, `cell::raw`).

use super::Supervisor;
use crate::cell::{RawModule, WasiModule};
use anyhow::{Context, Result};
use std::path::Path;
use wasmtime::Module;

impl WasiModule {
    /// Reads and compiles the module at `path` (binary or text). Its `argv[0]` is the file's
    /// name, never the host path.
    pub fn from_file(supervisor: &Supervisor, path: impl AsRef<Path>) -> Result<WasiModule> {
        let path = path.as_ref();
        let bytes = crate::config::host_file::read(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        WasiModule::new(supervisor, &name, &bytes)
    }

    /// Compiles `wasm` (binary or text) under `name`, its `argv[0]`. Refused with
    /// [`crate::MissingImports`] if it imports anything the host does not provide, and refused if
    /// it is not a command or an import has the wrong type.
    pub fn new(supervisor: &Supervisor, name: &str, wasm: &[u8]) -> Result<WasiModule> {
        let module = supervisor.compile_module(wasm).with_context(|| format!("{name} is not a valid wasm module"))?;
        WasiModule::linked(supervisor.maker(), name, &module)
    }
}

impl RawModule {
    /// Compiles `wasm` (binary or text). Refused if it imports anything the host does not
    /// provide.
    pub fn new(supervisor: &Supervisor, wasm: &[u8]) -> Result<RawModule> {
        let module = Module::new(supervisor.engine(), wasm).context("compiling the module")?;
        RawModule::checked(supervisor.maker(), module)
    }
}
