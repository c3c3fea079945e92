//! The trusted side of padcell: one wasmtime engine, the compiled guest, the module cache, and
//! the cells made from them. A `Supervisor` is cheap to clone and safe to share across threads;
//! each cell is its own wasmtime `Store`, so cells share code but never state.

mod bytecode_cache;
mod guest;
pub(crate) mod module_cache;
mod modules;
mod snapshot;

pub(crate) use bytecode_cache::BytecodeCache;
pub use guest::{GUEST_HASH, GUEST_WASM};
pub use module_cache::{CacheEvent, ModuleCache, ModuleKind};

use crate::cell::{CellBuilder, Maker, Runtime};
use crate::policy::{AuditEvent, AuditSink};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::{Config, Engine, Module};

/// Owns the engine and the compiled interpreter; makes cells.
///
/// ```no_run
/// use padcell::{Supervisor, Value};
/// let supervisor = Supervisor::builder().max_cells(Some(64)).on_audit(|event| eprintln!("{}", event.to_json_line())).build()?;
/// let mut cell = supervisor.cell().args(["applet.py", "Ada"]).build()?;
/// cell.exec("import sys\nname = sys.argv[1]")?;
/// assert_eq!(cell.eval("name")?, Value::Str("Ada".into()));
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    /// What cells run on: the engine, the host functions, the linked interpreter.
    runtime: Arc<Runtime>,
    /// The compiled interpreter (`None` for a supervisor of plain WASI modules only), and its
    /// module cache file.
    interpreter: Option<(Module, Option<PathBuf>)>,
    cache: ModuleCache,
    on_cache_event: CacheEventSink,
    bytecode: Arc<BytecodeCache>,
}

type CacheEventSink = Box<dyn Fn(CacheEvent) + Send + Sync>;

/// Configures a [`Supervisor`].
pub struct SupervisorBuilder {
    cache_dir: Option<PathBuf>,
    on_cache_event: CacheEventSink,
    audit: Option<AuditSink>,
    metered: bool,
    interpreter: bool,
    preinit: bool,
    pool: Option<u32>,
}

/// How many cells (and WASI modules) a supervisor can hold at once by default, in the pooling
/// allocator's slots.
pub const DEFAULT_MAX_CELLS: u32 = 1000;

/// The largest linear memory a cell can have: the pool reserves this much address space for
/// each slot (wasm32's whole range, so bounds checks need no code), and a cell's memory limit
/// may be anything up to it.
const SLOT_MEMORY: u64 = 4 << 30;

impl Supervisor {
    /// A supervisor with the default module cache (see [`ModuleCache::default_dir`]).
    pub fn new() -> Result<Supervisor> {
        Supervisor::builder().build()
    }

    /// Starts configuring a supervisor.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            cache_dir: ModuleCache::default_dir(),
            on_cache_event: Box::new(|_| {}),
            audit: None,
            metered: false,
            interpreter: true,
            preinit: true,
            pool: Some(DEFAULT_MAX_CELLS),
        }
    }

    /// Starts configuring a new cell.
    pub fn cell(&self) -> CellBuilder {
        CellBuilder::new(self.maker())
    }

    /// What this supervisor's cells are made from: its runtime and its bytecode cache.
    pub(crate) fn maker(&self) -> Maker {
        Maker { runtime: self.inner.runtime.clone(), compiler: Some(self.inner.bytecode.clone()) }
    }

    /// The wasmtime engine every cell of this supervisor runs on.
    pub fn engine(&self) -> &Engine {
        self.inner.runtime.engine()
    }

    /// The module cache file holding the compiled interpreter, when there is a cache.
    pub fn cache_entry(&self) -> Option<&std::path::Path> {
        self.inner.interpreter.as_ref()?.1.as_deref()
    }

    /// The module cache file holding the compiled form of a WASI module with these bytes, when
    /// there is a cache.
    pub fn module_cache_entry(&self, wasm: &[u8]) -> Option<PathBuf> {
        let hash = blake3::hash(wasm).to_hex();
        self.inner.cache.entry_path(self.engine(), ModuleKind::WasiModule, hash.as_str())
    }

    /// The guest interpreter's imports, as (module, name) pairs (none without the interpreter).
    pub fn guest_imports(&self) -> Vec<(String, String)> {
        let Some((module, _)) = &self.inner.interpreter else { return Vec::new() };
        module.imports().map(|i| (i.module().to_owned(), i.name().to_owned())).collect()
    }

    /// A plain WASI module compiled for this engine, through the module cache.
    pub(crate) fn compile_module(&self, wasm: &[u8]) -> Result<Module> {
        let hash = blake3::hash(wasm).to_hex();
        let on_event = &*self.inner.on_cache_event;
        self.inner.cache.load_or_compile(self.engine(), ModuleKind::WasiModule, wasm, hash.as_str(), on_event)
    }

    /// Whether the host provides the import `module::name` (of some type).
    pub fn provides(&self, module: &str, name: &str) -> bool {
        self.inner.runtime.provides(module, name)
    }

    /// Whether cells of this supervisor may have a fuel limit (see [`SupervisorBuilder::metered`]).
    pub fn is_metered(&self) -> bool {
        self.inner.runtime.is_metered()
    }

    /// How many modules the supervisor's compiler cell has compiled: with the cache working,
    /// once per distinct module source, however many cells import it.
    pub fn modules_compiled(&self) -> u64 {
        self.inner.bytecode.compiles()
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
    pub fn on_cache_event(mut self, f: impl Fn(CacheEvent) + Send + Sync + 'static) -> Self {
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

    /// Whether to load the Python interpreter (default: yes). A supervisor that only runs plain
    /// WASI modules starts faster without it; its `cell()` then fails.
    pub fn interpreter(mut self, load: bool) -> Self {
        self.interpreter = load;
        self
    }

    /// Whether cells start from the pre-initialized interpreter (default: yes; see `snapshot`).
    /// Without it, every cell builds its interpreter itself, tens of milliseconds each.
    pub fn preinit(mut self, preinit: bool) -> Self {
        self.preinit = preinit;
        self
    }

    /// How many cells and WASI modules may exist at once (default [`DEFAULT_MAX_CELLS`]): the
    /// pooling allocator reserves a slot for each up front, and maps the interpreter's memory
    /// image into a slot copy-on-write. `None` allocates each instance on demand instead.
    pub fn max_cells(mut self, slots: Option<u32>) -> Self {
        self.pool = slots;
        self
    }

    /// Receives every refused operation of every cell, as it happens, on the cell's thread.
    pub fn on_audit(mut self, sink: impl Fn(&AuditEvent) + Send + Sync + 'static) -> Self {
        self.audit = Some(std::sync::Arc::new(sink));
        self
    }

    /// Makes the engine, compiles (or loads from the cache) the interpreter, and links it.
    pub fn build(self) -> Result<Supervisor> {
        let engine = Engine::new(&engine_config(self.metered, self.pool)).context("creating the wasmtime engine")?;
        let cache = ModuleCache::new(self.cache_dir);
        let interpreter = match self.interpreter {
            true => Some(load_interpreter(&engine, &cache, self.preinit, &*self.on_cache_event)?),
            false => None,
        };
        let module = interpreter.as_ref().map(|(module, _)| module);
        let runtime = Arc::new(Runtime::new(engine, module, self.audit, self.metered)?);
        let bytecode = Arc::new(BytecodeCache::new(runtime.clone()));
        let inner = Inner { runtime, interpreter, cache, on_cache_event: self.on_cache_event, bytecode };
        Ok(Supervisor { inner: Arc::new(inner) })
    }
}

/// The interpreter compiled for `engine`, from its pre-initialized snapshot when `preinit` (and
/// the guest supports one), through the module cache; and its cache file.
fn load_interpreter(
    engine: &Engine,
    cache: &ModuleCache,
    preinit: bool,
    on_event: &(dyn Fn(CacheEvent) + Send + Sync),
) -> Result<(Module, Option<PathBuf>)> {
    let kind = ModuleKind::Interpreter;
    if preinit && snapshot::supported_wasm(GUEST_WASM) {
        let key = format!("{GUEST_HASH}-preinit");
        let snapshot = || snapshot::load_or_make(cache, GUEST_WASM, GUEST_HASH, on_event).map(std::borrow::Cow::Owned);
        let module = cache.load_or_build(engine, kind, &key, &snapshot, on_event)?;
        return Ok((module, cache.entry_path(engine, kind, &key)));
    }
    let module = cache.load_or_compile(engine, kind, GUEST_WASM, GUEST_HASH, on_event)?;
    Ok((module, cache.entry_path(engine, kind, GUEST_HASH)))
}

/// Every setting here that changes generated code changes the module cache key too.
fn engine_config(metered: bool, pool: Option<u32>) -> Config {
    let mut config = Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config.parallel_compilation(true);
    // Epochs let a deadline or a cancellation interrupt running code; fuel meters CPU.
    config.epoch_interruption(true);
    config.consume_fuel(metered);
    // CPython recurses in C; every entry into wasm runs with this much stack (see stack.rs).
    config.max_wasm_stack(crate::cell::WASM_STACK);
    // For `perf record`: name the guest's compiled functions in /tmp/perf-PID.map.
    if std::env::var_os("PADCELL_PERFMAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    // A cell's memory starts as the interpreter's image, mapped copy-on-write: even a sparse
    // snapshot is made into one image rather than copied in pieces at every instantiation.
    config.memory_init_cow(true);
    config.memory_guaranteed_dense_image_size(SLOT_MEMORY);
    if let Some(slots) = pool {
        let mut pooling = wasmtime::PoolingAllocationConfig::default();
        pooling
            .total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots)
            .max_memory_size(SLOT_MEMORY as usize)
            // The interpreter's function table has about 7,600 entries; room for larger modules.
            .table_elements(100_000)
            // Keep a little of each slot resident: resetting it is then a memset, not a fault.
            .linear_memory_keep_resident(1 << 20)
            .table_keep_resident(1 << 16)
            // Cells never run async, so no pool of async stacks (1,000 by default: a guard-page
            // mprotect each and 2 GB of mapping, milliseconds of every process's start).
            .total_stacks(0);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));
    }
    config
}
