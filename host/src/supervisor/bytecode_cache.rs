//! Compiled module code, shared by every cell of a supervisor and keyed by the source's hash, so
//! many cells importing one module parse it once.
//!
//! The code comes from the supervisor's compiler cell: an interpreter instance that compiles
//! module sources and never runs applet code. Code a cell compiled for itself never enters the
//! cache, because a hostile cell could hand back any bytecode and another cell would run it.

use crate::cell::Cell;
use crate::cell::{CellBuilder, Maker, Runtime};
use crate::loader::ModuleCompiler;
use crate::policy::Allowance;
use crate::policy::Limits;
use crate::policy::Policy;
use crate::wasi::control::Budget;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How many bytes of code the cache keeps before it forgets the oldest.
const BUDGET: usize = 64 << 20;
/// How long the compiler cell may spend on one module.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(10);

/// The supervisor's cache of module code, and the compiler cell that fills it.
pub(crate) struct BytecodeCache {
    /// What the compiler cell runs on (it holds no compiler of its own).
    runtime: Arc<Runtime>,
    entries: Mutex<Entries>,
    /// Made on first use; one compile at a time.
    compiler: Mutex<Option<Cell>>,
    compiles: AtomicU64,
}

#[derive(Default)]
struct Entries {
    code: HashMap<blake3::Hash, Arc<[u8]>>,
    order: VecDeque<blake3::Hash>,
    bytes: usize,
}

impl BytecodeCache {
    /// An empty cache whose compiler cell will run on `runtime`.
    pub(crate) fn new(runtime: Arc<Runtime>) -> BytecodeCache {
        BytecodeCache { runtime, entries: Mutex::default(), compiler: Mutex::new(None), compiles: AtomicU64::new(0) }
    }

    /// How many modules the compiler cell has compiled.
    pub(crate) fn compiles(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// The code for `source` shown as `filename`, from the cache or the compiler cell. `None` if
    /// it does not compile (the cell compiles it itself and raises the `SyntaxError`), or if the
    /// compiler is busy with another cell's module (the cell compiles it itself, uncached).
    ///
    /// The compile runs under the asking cell's `budget`: its remaining time, and no more memory
    /// than it has left (a compiler that already holds more is not used for it).
    fn get_or_compile(&self, filename: &str, source: &str, budget: Budget) -> Option<Arc<[u8]>> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"padcell bytecode\0");
        hasher.update(&(filename.len() as u64).to_le_bytes());
        hasher.update(filename.as_bytes());
        hasher.update(source.as_bytes());
        let key = hasher.finalize();
        if let Some(code) = self.lock_entries().code.get(&key) {
            return Some(code.clone());
        }
        let mut compiler = self.compiler.try_lock().ok()?;
        if compiler.is_none() {
            *compiler = self.make_compiler();
        }
        let cell = compiler.as_mut()?;
        if !cell.cap_memory(budget.allowance.memory.unwrap_or(u64::MAX)) {
            return None;
        }
        cell.set_budget(Budget { allowance: Allowance { fuel: None, ..budget.allowance }, caller: budget.caller });
        let code: Arc<[u8]> = match cell.compile(filename, source) {
            Ok(code) => code.into(),
            Err(_) => {
                // A syntax error leaves the compiler as it was; a limit or a trap ends it.
                if cell.is_spent() {
                    *compiler = None;
                }
                return None;
            }
        };
        self.compiles.fetch_add(1, Ordering::Relaxed);
        self.insert(key, code.clone());
        Some(code)
    }

    fn make_compiler(&self) -> Option<Cell> {
        let limits = Limits { timeout: COMPILE_TIMEOUT, ..Limits::default() };
        let maker = Maker { runtime: self.runtime.clone(), compiler: None };
        CellBuilder::new(maker).policy(Policy::new().with_limits(limits)).build().ok()
    }

    fn insert(&self, key: blake3::Hash, code: Arc<[u8]>) {
        let mut entries = self.lock_entries();
        if code.len() > BUDGET || entries.code.contains_key(&key) {
            return;
        }
        entries.bytes += code.len();
        entries.code.insert(key, code);
        entries.order.push_back(key);
        while entries.bytes > BUDGET {
            let Some(oldest) = entries.order.pop_front() else { break };
            if let Some(old) = entries.code.remove(&oldest) {
                entries.bytes -= old.len();
            }
        }
    }

    fn lock_entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ModuleCompiler for BytecodeCache {
    fn compile(&self, filename: &str, source: &str, budget: Budget) -> Option<Arc<[u8]>> {
        self.get_or_compile(filename, source, budget)
    }
}
