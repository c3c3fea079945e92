//! A plain WASI preview1 command module (`_start`), compiled for a supervisor and checked against
//! what the host provides before anything of it runs.
//!
//! It runs in the same sandbox as the interpreter (see `sandbox.rs`): the same WASI, grants,
//! limits and audit. The compiled code goes through the supervisor's module cache, keyed by the
//! module bytes' hash.

use crate::supervisor::Supervisor;
use crate::wasi_command::WasiCommandBuilder;
use crate::state::CellState;
use anyhow::{Context, Result, bail};
use std::path::Path;
use wasmtime::{ExternType, InstancePre, Module};

/// The export a WASI command starts at.
pub(crate) const START: &str = "_start";

/// A module imports what the host does not provide; it was refused before anything of it ran.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{module} imports what the host does not provide: {}", .imports.join(", "))]
pub struct MissingImports {
    /// The module's name.
    pub module: String,
    /// Each missing import as `module::name`.
    pub imports: Vec<String>,
}

/// A WASI command compiled for a supervisor's engine and linked against its host functions.
pub struct WasiModule {
    supervisor: Supervisor,
    name: String,
    pre: InstancePre<CellState>,
}

impl WasiModule {
    /// Reads and compiles the module at `path` (binary or text). Its `argv[0]` is the file's
    /// name, never the host path.
    pub fn from_file(supervisor: &Supervisor, path: impl AsRef<Path>) -> Result<WasiModule> {
        let path = path.as_ref();
        let bytes = crate::host_file::read(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        WasiModule::new(supervisor, &name, &bytes)
    }

    /// Compiles `wasm` (binary or text) under `name`, its `argv[0]`. Refused with
    /// [`MissingImports`] if it imports anything the host does not provide, and refused if it is
    /// not a command or an import has the wrong type.
    pub fn new(supervisor: &Supervisor, name: &str, wasm: &[u8]) -> Result<WasiModule> {
        let module = supervisor.compile_module(wasm).with_context(|| format!("{name} is not a valid wasm module"))?;
        check_imports(supervisor, &module, name)?;
        match module.get_export(START) {
            Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {}
            Some(_) => bail!("{name} exports `{START}` with the wrong type (a WASI command's is `() -> ()`)"),
            None => bail!("{name} is not a WASI command: it exports no `{START}` function"),
        }
        // Every import exists; wasmtime names one whose type differs.
        let pre = supervisor
            .linker()
            .instantiate_pre(&module)
            .with_context(|| format!("{name} imports a host function with the wrong type"))?;
        Ok(WasiModule { supervisor: supervisor.clone(), name: name.to_owned(), pre })
    }

    /// The module's name, as its `argv[0]`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module's imports, as (module, name) pairs.
    pub fn imports(&self) -> Vec<(String, String)> {
        self.pre.module().imports().map(|i| (i.module().to_owned(), i.name().to_owned())).collect()
    }

    /// Starts configuring one run of the module.
    pub fn command(&self) -> WasiCommandBuilder<'_> {
        WasiCommandBuilder::new(self)
    }

    pub(crate) fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    pub(crate) fn instance_pre(&self) -> &InstancePre<CellState> {
        &self.pre
    }
}

/// Refuses `module` if it imports anything `supervisor` does not provide, naming every such import.
pub(crate) fn check_imports(supervisor: &Supervisor, module: &Module, name: &str) -> Result<(), MissingImports> {
    let imports: Vec<String> = module
        .imports()
        .filter(|i| !supervisor.provides(i.module(), i.name()))
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect();
    match imports.is_empty() {
        true => Ok(()),
        false => Err(MissingImports { module: name.to_owned(), imports }),
    }
}

/// Whether `path` names a wasm module rather than Python: a `.wasm` or `.wat` extension, or a
/// file that starts with the wasm magic `\0asm`.
pub fn is_wasm_module(path: &Path) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wasm") || e.eq_ignore_ascii_case("wat"));
    by_extension || starts_with_wasm_magic(path)
}

fn starts_with_wasm_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\0asm"
}
