//! `padcell.Cell`: one interpreter in its sandbox, driven from Python.
//!
//! Every call into the cell runs with the GIL released, so cells on other threads run at the
//! same time and callbacks (host objects, the open hook, the audit callback, output writers)
//! can take the GIL for their own call. The cell's lock is taken only after the GIL is
//! released: a thread holding the GIL never waits for a running cell, which may be waiting for
//! the GIL itself. A `Cell` may be shared between threads; its calls run one at a time.

use crate::convert::{from_value, to_values};
use crate::errors::{cell_error, host_error};
use crate::supervisor::AuditRouter;
use padcell::{CancelHandle as HostCancel, CellError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

/// A running interpreter inside the sandbox; made by `Supervisor.cell()`.
#[pyclass(module = "padcell", frozen)]
pub(crate) struct Cell {
    inner: Mutex<Option<padcell::Cell>>,
    /// Apart from `inner`, so another thread can cancel a running call.
    cancel: Mutex<Option<HostCancel>>,
    id: Mutex<u64>,
    /// The thread running a call on this cell, so a callback on that thread (a Bastion method,
    /// the open hook) that calls into the same cell fails instead of waiting for itself.
    caller: Mutex<Option<ThreadId>>,
    audit: Arc<AuditRouter>,
    on_audit: Option<Py<PyAny>>,
}

/// Stops a cell's running call from any thread (`Cell.cancel_handle()`).
#[pyclass(module = "padcell", frozen)]
pub(crate) struct CancelHandle(HostCancel);

#[pymethods]
impl CancelHandle {
    /// Stops the cell's current call within about 10 ms; the call raises `LimitError` with
    /// `limit == "cancelled"` and the cell is spent.
    fn cancel(&self) {
        self.0.cancel();
    }
}

/// What a closed cell answers.
fn closed() -> PyErr {
    PyRuntimeError::new_err("the cell is closed")
}

impl Cell {
    pub(crate) fn new(py: Python<'_>, cell: padcell::Cell, audit: Arc<AuditRouter>, on_audit: Option<Py<PyAny>>) -> Cell {
        let id = cell.id();
        if let Some(callback) = &on_audit {
            audit.register(id, callback.clone_ref(py));
        }
        Cell {
            cancel: Mutex::new(Some(cell.cancel_handle())),
            inner: Mutex::new(Some(cell)),
            id: Mutex::new(id),
            caller: Mutex::new(None),
            audit,
            on_audit,
        }
    }

    /// Runs `f` on the cell with the GIL released, then maps its failure to a Python exception.
    fn run<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut padcell::Cell) -> Result<T, CellError> + Send) -> PyResult<T> {
        let me = self.not_reentered()?;
        let outcome = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            *self.caller.lock().unwrap_or_else(PoisonError::into_inner) = Some(me);
            let outcome = guard.as_mut().map(f);
            *self.caller.lock().unwrap_or_else(PoisonError::into_inner) = None;
            outcome
        });
        match outcome {
            Some(Ok(value)) => Ok(value),
            Some(Err(err)) => Err(cell_error(py, err)),
            None => Err(closed()),
        }
    }

    /// This thread, unless it is running a call on this cell already: a callback serving the
    /// cell's call (on the caller's thread) must not wait for the call to end.
    fn not_reentered(&self) -> PyResult<ThreadId> {
        let me = std::thread::current().id();
        // The host runs callbacks on a helper thread, and says which cell it is serving.
        let serving = padcell::serving_cell().is_some_and(|cell| cell == *self.id.lock().unwrap_or_else(PoisonError::into_inner));
        if serving || *self.caller.lock().unwrap_or_else(PoisonError::into_inner) == Some(me) {
            return Err(PyRuntimeError::new_err("a callback cannot use the cell whose call it is serving"));
        }
        Ok(me)
    }

    /// Takes the cell out (closing it), with the GIL released: its output threads may be
    /// waiting to hand a writer the GIL.
    fn take_and_drop(&self, py: Python<'_>) -> PyResult<()> {
        self.not_reentered()?;
        let cell = py.detach(|| self.inner.lock().unwrap_or_else(PoisonError::into_inner).take());
        *self.cancel.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let id = *self.id.lock().unwrap_or_else(PoisonError::into_inner);
        if cell.is_some() {
            // Events from the cell's last moments still reach the callback.
            py.detach(move || drop(cell));
            self.audit.unregister(id);
        }
        Ok(())
    }
}

#[pymethods]
impl Cell {
    /// The cell's id within its supervisor (audit events and the open hook name it).
    #[getter]
    fn id(&self) -> u64 {
        *self.id.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `close()` has been called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        self.not_reentered()?;
        Ok(py.detach(|| self.inner.lock().unwrap_or_else(PoisonError::into_inner).is_none()))
    }

    /// Runs statements in the cell's `__main__`; tracebacks show `<string>`.
    fn exec(&self, py: Python<'_>, code: &str) -> PyResult<()> {
        self.run(py, |c| c.exec(code))
    }

    /// Evaluates one expression in the cell's `__main__` and returns its value as plain data.
    fn eval<'py>(&self, py: Python<'py>, expr: &str) -> PyResult<Bound<'py, PyAny>> {
        let value = self.run(py, |c| c.eval(expr))?;
        from_value(py, &value)
    }

    /// Calls the function `__main__` binds to `name` with plain-data arguments; returns its
    /// result by value (a plugin session's call).
    #[pyo3(signature = (name, *args))]
    fn call<'py>(&self, py: Python<'py>, name: &str, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let args = to_values(args)?;
        let value = self.run(py, |c| c.call(name, &args))?;
        from_value(py, &value)
    }

    /// Reads a host file (as the supervisor) and runs it in the cell's `__main__`; tracebacks
    /// show `path` as given.
    fn exec_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.run(py, |c| c.exec_file(&path))
    }

    /// Runs `source` in the cell's `__main__` under the file name `filename`.
    fn exec_source(&self, py: Python<'_>, filename: &str, source: &str) -> PyResult<()> {
        self.run(py, |c| c.exec_source(filename, source))
    }

    /// Imports a module as applet code would, under the policy, and binds its top-level name in
    /// `__main__` (rexec's `r_import`). A refusal raises `AppletError` (`ImportError`).
    fn import_module(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.run(py, |c| c.import(name))
    }

    /// Drops a module and its submodules from the cell (rexec's `r_unload`).
    fn unload(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.run(py, |c| c.unload(name))
    }

    /// Starts the cell over: a fresh interpreter under the same policy and arguments. Output is
    /// captured afterwards and stdin is empty; a spent cell runs again.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        self.not_reentered()?;
        let old_id = self.id();
        let made = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            let cell = guard.take()?;
            Some(cell.reset().map(|fresh| {
                let handle = fresh.cancel_handle();
                let id = fresh.id();
                *guard = Some(fresh);
                (handle, id)
            }))
        });
        self.audit.unregister(old_id);
        match made {
            None => Err(closed()),
            Some(Err(err)) => Err(host_error(py, &err)),
            Some(Ok((handle, id))) => {
                *self.cancel.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
                *self.id.lock().unwrap_or_else(PoisonError::into_inner) = id;
                if let Some(callback) = &self.on_audit {
                    self.audit.register(id, callback.clone_ref(py));
                }
                Ok(())
            }
        }
    }

    /// Stops the running call (from any thread); it raises `LimitError("cancelled")`.
    fn cancel(&self) {
        if let Some(handle) = &*self.cancel.lock().unwrap_or_else(PoisonError::into_inner) {
            handle.cancel();
        }
    }

    /// A handle that cancels this cell's running call, for another thread to keep.
    fn cancel_handle(&self) -> PyResult<CancelHandle> {
        self.cancel.lock().unwrap_or_else(PoisonError::into_inner).clone().map(CancelHandle).ok_or_else(closed)
    }

    /// What the cell wrote to stdout since the last read (empty when stdout is streamed).
    #[getter]
    fn stdout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.run(py, |c| Ok(c.take_stdout()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// What the cell wrote to stderr since the last read (empty when stderr is streamed).
    #[getter]
    fn stderr<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.run(py, |c| Ok(c.take_stderr()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Ends the cell and frees its slot; later calls raise `RuntimeError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.take_and_drop(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.take_and_drop(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("<padcell.Cell {}>", self.id())
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        let cell = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        let id = *self.id.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(cell) = cell {
            Python::attach(|py| {
                py.detach(move || drop(cell));
                self.audit.unregister(id);
            });
        }
    }
}
