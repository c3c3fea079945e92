//! The trusted side of padcell: one wasmtime engine, the compiled guest, and the cells made from
//! it. A `Supervisor` is cheap to clone and safe to share across threads; each cell is its own
//! wasmtime `Store`, so cells share code but never state.

use crate::audit::{AuditEvent, AuditSink};
use crate::cell::CellBuilder;
use crate::guest::{GUEST_HASH, GUEST_WASM};
use crate::host_functions;
use crate::module_cache::{CacheEvent, ModuleCache};
use crate::modules::BytecodeCache;
use crate::state::CellState;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::{Config, Engine, InstancePre, Linker, Module};

/// Owns the engine and the compiled interpreter; makes cells.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    module: Module,
    linker: Linker<CellState>,
    pre: InstancePre<CellState>,
    next_cell_id: AtomicU64,
    audit: Option<AuditSink>,
    cache_entry: Option<PathBuf>,
    metered: bool,
    bytecode: BytecodeCache,
    /// The epoch ticker runs while this lives.
    _clock: Arc<()>,
}

/// Configures a [`Supervisor`].
pub struct SupervisorBuilder {
    cache_dir: Option<PathBuf>,
    on_cache_event: Box<dyn Fn(CacheEvent)>,
    audit: Option<AuditSink>,
    metered: bool,
}

impl Supervisor {
    /// A supervisor with the default module cache (see [`ModuleCache::default_dir`]).
    pub fn new() -> Result<Supervisor> {
        Supervisor::builder().build()
    }

    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            cache_dir: ModuleCache::default_dir(),
            on_cache_event: Box::new(|_| {}),
            audit: None,
            metered: false,
        }
    }

    /// Starts configuring a new cell.
    pub fn cell(&self) -> CellBuilder<'_> {
        CellBuilder::new(self)
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module cache file holding the compiled interpreter, when there is a cache.
    pub fn cache_entry(&self) -> Option<&std::path::Path> {
        self.inner.cache_entry.as_deref()
    }

    /// The guest interpreter's imports, as (module, name) pairs.
    pub fn guest_imports(&self) -> Vec<(String, String)> {
        self.inner
            .module
            .imports()
            .map(|i| (i.module().to_owned(), i.name().to_owned()))
            .collect()
    }

    /// WASI preview1 and the `padcell` module, for any module run in a cell's sandbox.
    pub(crate) fn linker(&self) -> &Linker<CellState> {
        &self.inner.linker
    }

    pub(crate) fn instance_pre(&self) -> &InstancePre<CellState> {
        &self.inner.pre
    }

    /// Whether cells of this supervisor may have a fuel limit (see [`SupervisorBuilder::metered`]).
    pub fn is_metered(&self) -> bool {
        self.inner.metered
    }

    pub(crate) fn audit_sink(&self) -> Option<AuditSink> {
        self.inner.audit.clone()
    }

    pub(crate) fn next_cell_id(&self) -> u64 {
        self.inner.next_cell_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Module code compiled once for all cells (see [`BytecodeCache`]).
    pub(crate) fn bytecode_cache(&self) -> &BytecodeCache {
        &self.inner.bytecode
    }

    /// How many modules the supervisor's compiler cell has compiled: with the cache working,
    /// once per distinct module source, however many cells import it.
    pub fn modules_compiled(&self) -> u64 {
        self.inner.bytecode.compiles()
    }
}

/// A supervisor that parts of itself can refer to without keeping it alive.
#[derive(Clone)]
pub(crate) struct WeakSupervisor(Weak<Inner>);

impl WeakSupervisor {
    pub(crate) fn upgrade(&self) -> Option<Supervisor> {
        self.0.upgrade().map(|inner| Supervisor { inner })
    }
}

impl SupervisorBuilder {
    /// Keep compiled modules in `dir` instead of the default location.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Compile the guest on every start instead of caching it.
    pub fn no_cache(mut self) -> Self {
        self.cache_dir = None;
        self
    }

    /// Called when a one-time compile starts and ends (the CLI prints a progress line).
    pub fn on_cache_event(mut self, f: impl Fn(CacheEvent) + 'static) -> Self {
        self.on_cache_event = Box::new(f);
        self
    }

    /// Meters CPU with wasmtime fuel, so cells may have a `fuel` limit. Metering slows every
    /// cell (about 40% on interpreter start-up) and is a separate compiled module in the cache,
    /// so it is off unless asked for; the time limit bounds CPU either way.
    pub fn metered(mut self, metered: bool) -> Self {
        self.metered = metered;
        self
    }

    /// Receives every refused operation of every cell, as it happens, on the cell's thread.
    pub fn on_audit(mut self, sink: impl Fn(&AuditEvent) + Send + Sync + 'static) -> Self {
        self.audit = Some(std::sync::Arc::new(sink));
        self
    }

    pub fn build(self) -> Result<Supervisor> {
        let engine = Engine::new(&engine_config(self.metered)).context("creating the wasmtime engine")?;
        let clock = Arc::new(());
        start_epoch_ticker(&engine, Arc::downgrade(&clock));
        let cache = ModuleCache::new(self.cache_dir);
        let module = cache.load_or_compile(&engine, GUEST_WASM, GUEST_HASH, &*self.on_cache_event)?;
        let cache_entry = cache.entry_path(&engine, GUEST_HASH);
        let mut linker = Linker::new(&engine);
        host_functions::add_to_linker(&mut linker)?;
        // Fails, naming the import, if the guest wants anything the host does not provide.
        let pre = linker.instantiate_pre(&module).context("linking the guest interpreter")?;
        let inner = Arc::new_cyclic(|weak| Inner {
            engine,
            module,
            linker,
            pre,
            next_cell_id: AtomicU64::new(0),
            audit: self.audit,
            cache_entry,
            metered: self.metered,
            bytecode: BytecodeCache::new(WeakSupervisor(weak.clone())),
            _clock: clock,
        });
        Ok(Supervisor { inner })
    }
}

/// Every setting here changes generated code, and so the module cache key.
fn engine_config(metered: bool) -> Config {
    let mut config = Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config.parallel_compilation(true);
    // Epochs let a deadline or a cancellation interrupt running code; fuel meters CPU.
    config.epoch_interruption(true);
    config.consume_fuel(metered);
    config
}

/// Advances the engine's epoch every tick, until the supervisor is dropped. Each cell's epoch
/// callback then checks its deadline and cancellation.
fn start_epoch_ticker(engine: &Engine, alive: std::sync::Weak<()>) {
    let engine = engine.weak();
    let _ = std::thread::Builder::new().name("padcell-clock".into()).spawn(move || {
        while alive.strong_count() > 0 {
            std::thread::sleep(crate::limits::TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => return,
            }
        }
    });
}
