//! What every cell of a supervisor shares and needs to run: the engine, the linker of host
//! functions, the linked interpreter, the cell ids, the audit sink, and the epoch clock. Cells
//! hold it strongly, as a wasmtime `Store` holds its `Engine`; it holds nothing that points back,
//! so nothing can keep itself alive.

use crate::cell::host_functions;
use crate::cell::state::CellState;
use crate::policy::AuditSink;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::{Engine, InstancePre, Linker, Module};

/// The engine, the host functions and the interpreter, shared by a supervisor's cells.
pub(crate) struct Runtime {
    engine: Engine,
    linker: Linker<CellState>,
    /// Every (module, name) the linker defines: what a module may import.
    provided: BTreeSet<(String, String)>,
    /// The interpreter, linked; `None` for a supervisor of plain WASI modules only.
    interpreter: Option<InstancePre<CellState>>,
    next_cell_id: AtomicU64,
    audit: Option<AuditSink>,
    metered: bool,
    /// The epoch clock ticks while this lives.
    _clock: Arc<()>,
}

impl Runtime {
    /// A runtime on `engine`, linking `interpreter` (if any) against the host functions. Fails,
    /// naming the import, if the interpreter wants anything the host does not provide.
    pub(crate) fn new(engine: Engine, interpreter: Option<&Module>, audit: Option<AuditSink>, metered: bool) -> Result<Runtime> {
        let clock = Arc::new(());
        start_epoch_clock(&engine, Arc::downgrade(&clock));
        let mut linker = Linker::new(&engine);
        host_functions::add_to_linker(&mut linker)?;
        // The linker names its definitions only to a store; a throwaway one serves.
        let mut store = wasmtime::Store::new(&engine, CellState::inert()?);
        let provided = linker.iter(&mut store).map(|(m, n, _)| (m.to_owned(), n.to_owned())).collect();
        drop(store);
        let interpreter =
            interpreter.map(|module| linker.instantiate_pre(module).context("linking the guest interpreter")).transpose()?;
        Ok(Runtime { engine, linker, provided, interpreter, next_cell_id: AtomicU64::new(0), audit, metered, _clock: clock })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// WASI preview1 and the `padcell` module, for any module run in a cell's sandbox.
    pub(crate) fn linker(&self) -> &Linker<CellState> {
        &self.linker
    }

    /// Whether the host provides the import `module::name` (of some type).
    pub(crate) fn provides(&self, module: &str, name: &str) -> bool {
        self.provided.contains(&(module.to_owned(), name.to_owned()))
    }

    /// The linked interpreter, or why there is none.
    pub(crate) fn interpreter(&self) -> Result<&InstancePre<CellState>> {
        self.interpreter.as_ref().context("this supervisor was built without the Python interpreter")
    }

    /// Whether cells may have a fuel limit (the engine meters fuel).
    pub(crate) fn is_metered(&self) -> bool {
        self.metered
    }

    pub(crate) fn audit_sink(&self) -> Option<AuditSink> {
        self.audit.clone()
    }

    pub(crate) fn next_cell_id(&self) -> u64 {
        self.next_cell_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Advances the engine's epoch every tick while `alive` lives. Each running cell's epoch
/// callback then checks its deadline and cancellation.
fn start_epoch_clock(engine: &Engine, alive: std::sync::Weak<()>) {
    let engine = engine.weak();
    let _ = std::thread::Builder::new().name("padcell-clock".into()).spawn(move || {
        while alive.strong_count() > 0 {
            std::thread::sleep(crate::wasi::control::TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        }
    });
}
