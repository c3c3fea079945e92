//! `padcell.Supervisor`: the engine and the compiled interpreter, and the cells made from them.
//!
//! One supervisor serves any number of threads. A policy with a fuel limit needs a metered
//! engine; an unmetered supervisor makes its metered twin the first time one is asked for
//! (metering slows every cell, so it is never paid for unless used). Audit events go to the
//! supervisor's `on_audit` and to the callback of the policy of the cell they concern, each
//! called as a dict with the GIL taken for the call only.

use crate::cell::Cell;
use crate::errors::host_error;
use crate::policy::Policy;
use crate::stdio;
use crate::wasi::WasiModule;
use padcell::AuditEvent;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Routes audit events to the supervisor's callback and to per-cell ones. The map's lock is
/// only ever taken with the GIL held, so the two are always taken in one order.
pub(crate) struct AuditRouter {
    global: Option<Py<PyAny>>,
    per_cell: Mutex<HashMap<u64, Py<PyAny>>>,
    /// How many per-cell callbacks there are: with none and no global one, events cost nothing.
    cells: AtomicUsize,
}

impl AuditRouter {
    pub(crate) fn register(&self, cell: u64, callback: Py<PyAny>) {
        let mut map = self.per_cell.lock().unwrap_or_else(PoisonError::into_inner);
        if map.insert(cell, callback).is_none() {
            self.cells.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn unregister(&self, cell: u64) {
        let removed = self.per_cell.lock().unwrap_or_else(PoisonError::into_inner).remove(&cell);
        if removed.is_some() {
            self.cells.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn deliver(&self, event: &AuditEvent) {
        if self.global.is_none() && self.cells.load(Ordering::Relaxed) == 0 {
            return;
        }
        Python::attach(|py| {
            let callbacks: Vec<Py<PyAny>> = {
                let map = self.per_cell.lock().unwrap_or_else(PoisonError::into_inner);
                // A nested cell's event concerns every cell in its chain.
                let mut ids = event.chain.clone();
                if !ids.contains(&event.cell) {
                    ids.push(event.cell);
                }
                let own = ids.iter().filter_map(|id| map.get(id)).map(|c| c.clone_ref(py));
                self.global.iter().map(|c| c.clone_ref(py)).chain(own).collect()
            };
            for callback in callbacks {
                let callback = callback.bind(py);
                let outcome = event_dict(py, event).and_then(|d| callback.call1((d,)));
                if let Err(err) = outcome {
                    // A callback that raises is reported, as Python reports errors in __del__;
                    // the cell and its supervisor go on.
                    err.write_unraisable(py, Some(callback));
                }
            }
        });
    }
}

/// An audit event as the dict a callback receives (the CLI's JSON line, as Python data).
fn event_dict<'py>(py: Python<'py>, e: &AuditEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("cell", e.cell)?;
    d.set_item("time", &e.time)?;
    d.set_item("operation", e.operation)?;
    d.set_item("path", &e.path)?;
    d.set_item("access", e.access)?;
    d.set_item("rule", &e.rule)?;
    d.set_item("chain", e.chain.clone())?;
    Ok(d)
}

/// How a supervisor's engines are made, kept for its metered twin.
struct Settings {
    cache_dir: Option<PathBuf>,
    max_cells: Option<u32>,
}

/// One wasmtime engine and the compiled interpreter; makes cells. Safe to share across threads.
#[pyclass(module = "padcell", frozen)]
pub(crate) struct Supervisor {
    main: padcell::Supervisor,
    /// Made on first use when `main` is not metered and a policy has a fuel limit.
    metered: OnceLock<padcell::Supervisor>,
    settings: Settings,
    audit: Arc<AuditRouter>,
}

fn build(settings: &Settings, metered: bool, audit: &Arc<AuditRouter>) -> anyhow::Result<padcell::Supervisor> {
    let mut builder = padcell::Supervisor::builder().metered(metered);
    if let Some(dir) = &settings.cache_dir {
        builder = builder.cache_dir(dir);
    }
    if let Some(slots) = settings.max_cells {
        builder = builder.max_cells(Some(slots));
    }
    let router = audit.clone();
    builder.on_audit(move |event| router.deliver(event)).build()
}

#[pymethods]
impl Supervisor {
    /// `Supervisor(cache_dir=None, metered=False, on_audit=None, max_cells=None)`.
    ///
    /// The first supervisor on a machine compiles the interpreter (about 15 s) into the module
    /// cache (`$PADCELL_CACHE_DIR`, else `~/.cache/padcell`); later ones load it.
    #[new]
    #[pyo3(signature = (*, cache_dir = None, metered = false, on_audit = None, max_cells = None))]
    fn new(
        py: Python<'_>,
        cache_dir: Option<PathBuf>,
        metered: bool,
        on_audit: Option<Py<PyAny>>,
        max_cells: Option<u32>,
    ) -> PyResult<Self> {
        let cache_dir = cache_dir.or_else(padcell::ModuleCache::default_dir);
        let settings = Settings { cache_dir, max_cells };
        let audit = Arc::new(AuditRouter { global: on_audit, per_cell: Mutex::default(), cells: AtomicUsize::new(0) });
        let main = py.detach(|| build(&settings, metered, &audit)).map_err(|e| host_error(py, &e))?;
        Ok(Supervisor { main, metered: OnceLock::new(), settings, audit })
    }

    /// Makes a cell: `policy` (nothing granted by default), `args` (its `sys.argv`), `stdin`
    /// (bytes, str or a file; empty by default), `stdout`/`stderr` (captured by default; a
    /// stream or a callable receives the output as the cell writes it).
    #[pyo3(signature = (policy = None, *, args = None, stdin = None, stdout = None, stderr = None))]
    fn cell(
        &self,
        py: Python<'_>,
        policy: Option<&Bound<'_, Policy>>,
        args: Option<Vec<String>>,
        stdin: Option<&Bound<'_, PyAny>>,
        stdout: Option<&Bound<'_, PyAny>>,
        stderr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Cell> {
        let empty;
        let policy = match policy {
            Some(p) => p.get(),
            None => {
                empty = Policy::empty(py)?;
                &empty
            }
        };
        let (stdin, stdout, stderr) = (stdio::input(stdin)?, stdio::output(stdout)?, stdio::output(stderr)?);
        let inner = policy.inner.clone();
        let args = args.unwrap_or_default();
        let supervisor = self.for_policy(py, &inner)?;
        let made =
            py.detach(move || supervisor.cell().policy(inner).args(args).stdin(stdin).stdout(stdout).stderr(stderr).build());
        let cell = made.map_err(|e| host_error(py, &e))?;
        Ok(Cell::new(py, cell, self.audit.clone(), policy.on_audit.as_ref().map(|c| c.clone_ref(py))))
    }

    /// Compiles a plain WASI command (a path to a .wasm or .wat file, or its bytes) to run
    /// under a policy like a cell.
    #[pyo3(signature = (module, *, name = None))]
    fn wasi(&self, py: Python<'_>, module: &Bound<'_, PyAny>, name: Option<String>) -> PyResult<WasiModule> {
        let supervisor = self.main.clone();
        let made = match module.cast::<PyBytes>() {
            Ok(bytes) => {
                let bytes = bytes.as_bytes().to_vec();
                let name = name.unwrap_or_else(|| "module.wasm".to_owned());
                py.detach(move || padcell::WasiModule::new(&supervisor, &name, &bytes))
            }
            Err(_) => {
                let path: PathBuf = module.extract()?;
                py.detach(move || padcell::WasiModule::from_file(&supervisor, &path))
            }
        };
        made.map(WasiModule::new).map_err(|e| host_error(py, &e))
    }

    /// Whether cells of this supervisor's own engine meter fuel.
    #[getter]
    fn metered(&self) -> bool {
        self.main.is_metered()
    }

    /// How many module sources the supervisor's compiler cell has compiled (once per distinct
    /// source, however many cells import it).
    #[getter]
    fn modules_compiled(&self) -> u64 {
        self.main.modules_compiled() + self.metered.get().map_or(0, |m| m.modules_compiled())
    }
}

impl Supervisor {
    /// The engine a cell under `policy` runs on: a fuel limit needs a metered one.
    fn for_policy(&self, py: Python<'_>, policy: &padcell::Policy) -> PyResult<padcell::Supervisor> {
        if policy.limits().fuel.is_none() || self.main.is_metered() {
            return Ok(self.main.clone());
        }
        if let Some(metered) = self.metered.get() {
            return Ok(metered.clone());
        }
        let made = py.detach(|| build(&self.settings, true, &self.audit)).map_err(|e| host_error(py, &e))?;
        Ok(self.metered.get_or_init(|| made).clone())
    }
}
