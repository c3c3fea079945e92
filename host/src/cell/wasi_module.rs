//! A plain WASI preview1 command module (`_start`), compiled for a supervisor and checked against
//! what the host provides before anything of it runs.
//!
//! It runs in the same sandbox as the interpreter (see `sandbox.rs`): the same WASI, grants,
//! limits and audit. The compiled code goes through the supervisor's module cache, keyed by the
//! module bytes' hash.

use super::state::CellState;
use super::wasi_command::WasiCommandBuilder;
use super::{Maker, Runtime};
use anyhow::{Context, Result, bail};
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
///
/// ```no_run
/// use padcell::{Access, CellError, Grant, Policy, Supervisor, WasiModule};
/// let supervisor = Supervisor::builder().interpreter(false).build()?;
/// let module = WasiModule::from_file(&supervisor, "tool.wasm")?;
/// let policy = Policy::new().grant(Grant::dir("./data", "/data", Access::ReadOnly)?)?;
/// let mut run = module.command().policy(policy).args(["/data/input.txt"]).build()?;
/// match run.run() {
///     Ok(()) => print!("{}", String::from_utf8_lossy(&run.stdout())),
///     Err(CellError::Exit(code)) => eprintln!("exited with {code}"),
///     Err(other) => eprintln!("{other}"),
/// }
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct WasiModule {
    maker: Maker,
    name: String,
    pre: InstancePre<CellState>,
}

impl WasiModule {
    /// A compiled `module` made ready to run: refused with [`MissingImports`] if it imports
    /// anything the host does not provide, and refused if it is not a command or an import has
    /// the wrong type. (`Supervisor` compiles it, through its module cache: see
    /// `supervisor::modules`.)
    pub(crate) fn linked(maker: Maker, name: &str, module: &Module) -> Result<WasiModule> {
        check_imports(&maker.runtime, module, name)?;
        match module.get_export(START) {
            Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {}
            Some(_) => bail!("{name} exports `{START}` with the wrong type (a WASI command's is `() -> ()`)"),
            None => bail!("{name} is not a WASI command: it exports no `{START}` function"),
        }
        // Every import exists; wasmtime names one whose type differs.
        let pre = maker
            .runtime
            .linker()
            .instantiate_pre(module)
            .with_context(|| format!("{name} imports a host function with the wrong type"))?;
        Ok(WasiModule { maker, name: name.to_owned(), pre })
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

    pub(crate) fn maker(&self) -> &Maker {
        &self.maker
    }

    pub(crate) fn instance_pre(&self) -> &InstancePre<CellState> {
        &self.pre
    }
}

/// Refuses `module` if it imports anything the host does not provide, naming every such import.
pub(crate) fn check_imports(runtime: &Runtime, module: &Module, name: &str) -> Result<(), MissingImports> {
    let imports: Vec<String> = module
        .imports()
        .filter(|i| !runtime.provides(i.module(), i.name()))
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect();
    match imports.is_empty() {
        true => Ok(()),
        false => Err(MissingImports { module: name.to_owned(), imports }),
    }
}
