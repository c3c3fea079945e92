//! How the host's failures become Python exceptions: the classes of `padcell/errors.py`, made
//! here with the data a caller matches on (`type_name`, `code`, `limit`, `kind`).

use padcell::{CellError, LimitKind, PolicyError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

const MODULE: &str = "padcell.errors";

/// One exception class of `padcell.errors`, looked up once.
fn class<'py>(py: Python<'py>, cell: &'static PyOnceLock<Py<PyType>>, name: &str) -> PyResult<&'py Bound<'py, PyType>> {
    cell.import(py, MODULE, name)
}

/// An instance of `padcell.errors.NAME(*args)` as the error to raise (or the failure to make it).
fn make<'py, A: pyo3::call::PyCallArgs<'py>>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    args: A,
) -> PyErr {
    match class(py, cell, name).and_then(|cls| cls.call1(args)) {
        Ok(instance) => PyErr::from_value(instance),
        Err(err) => err,
    }
}

static APPLET: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EXIT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LIMIT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TRAP: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SPENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static POLICY: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static HOST: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The name a caller matches a limit by.
pub(crate) fn limit_name(kind: LimitKind) -> &'static str {
    match kind {
        LimitKind::Fuel => "fuel",
        LimitKind::Time => "time",
        LimitKind::Memory => "memory",
        LimitKind::Output => "output",
        LimitKind::Stack => "stack",
        LimitKind::Cancelled => "cancelled",
        // A limit this version does not know by name.
        #[allow(unreachable_patterns)]
        _ => "limit",
    }
}

/// A cell's failure as the matching `padcell.Error` subclass.
pub(crate) fn cell_error(py: Python<'_>, err: CellError) -> PyErr {
    match err {
        CellError::Exception(e) => make(py, &APPLET, "AppletError", (e.type_name, e.message, e.traceback)),
        CellError::Exit(code) => make(py, &EXIT, "ExitError", (code,)),
        CellError::Limit(limit) => {
            let message = limit.to_string();
            make(py, &LIMIT, "LimitError", (limit_name(limit.kind), limit.detail, message))
        }
        CellError::Trap(message) => make(py, &TRAP, "TrapError", (message,)),
        CellError::Spent(why) => make(py, &SPENT, "SpentError", (format!("the cell is spent: {why}"),)),
        CellError::Host(err) => host_error(py, &err),
        // A failure this version does not know by name.
        #[allow(unreachable_patterns)]
        other => make(py, &HOST, "HostError", (other.to_string(),)),
    }
}

/// A host failure (`anyhow`) as `HostError`, or as `PolicyError` when a policy was at fault.
pub(crate) fn host_error(py: Python<'_>, err: &anyhow::Error) -> PyErr {
    if let Some(policy) = err.downcast_ref::<PolicyError>() {
        return policy_error(py, "cell", &policy.to_string());
    }
    let message = format!("{err:#}");
    // The sandbox refuses some policies only when the cell is made (a fuel limit on an
    // unmetered supervisor, a module root outside every grant): those are policy errors too.
    if message.contains("fuel limit needs a metered supervisor") {
        return policy_error(py, "fuel", &message);
    }
    if message.contains("module root") {
        return policy_error(py, "module_roots", &message);
    }
    make(py, &HOST, "HostError", (message,))
}

/// `PolicyError(kind, message)`.
pub(crate) fn policy_error(py: Python<'_>, kind: &str, message: &str) -> PyErr {
    make(py, &POLICY, "PolicyError", (kind, message))
}

/// A `PolicyError` of the host, raised for the keyword `kind`.
pub(crate) fn from_policy(kind: &'static str) -> impl Fn(PolicyError) -> PyErr {
    move |e| Python::attach(|py| policy_error(py, kind, &e.to_string()))
}
