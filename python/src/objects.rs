//! `padcell.Bastion`: any Python object granted to a cell as a host object.
//!
//! Bastion's rule, with the wall moved: the cell gets a proxy, and each method call crosses by
//! value to the real object in the supervisor. Which methods exist is fixed when the policy is
//! made: the object's public callables (no name starting with `_`, ever), narrowed by the
//! filter. A method's exception reaches the applet as `TypeError`, `KeyError`, `ValueError` or
//! else `RuntimeError`, with its message and no host traceback.

use crate::convert::{from_value, to_value};
use padcell::{HostObject, ObjectError, Value};
use pyo3::exceptions::{PyAttributeError, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::Arc;

/// A Python object as a cell may see it: its public methods, narrowed by `filter`.
///
/// In the supervisor a Bastion behaves as 2.x's did: attributes the filter lets through and
/// that are methods of the object are reachable; everything else is an `AttributeError`.
#[pyclass(module = "padcell", frozen)]
pub(crate) struct Bastion {
    object: Py<PyAny>,
    filter: Option<Py<PyAny>>,
    name: Option<String>,
}

#[pymethods]
impl Bastion {
    /// `Bastion(obj, filter=None, name=None)`: `filter(name) -> bool` narrows the default filter
    /// (which refuses every name starting with `_`); `name` is the object's name in the cell
    /// when the grant does not give one.
    #[new]
    #[pyo3(signature = (object, filter = None, name = None))]
    fn new(object: Py<PyAny>, filter: Option<Py<PyAny>>, name: Option<String>) -> Self {
        Bastion { object, filter, name }
    }

    /// The name given when the Bastion was made, if any.
    #[getter]
    fn name(&self) -> Option<String> {
        self.name.clone()
    }

    /// The method names a cell can call, sorted.
    fn methods(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.exposed(py)
    }

    fn __getattr__<'py>(&self, py: Python<'py>, attr: &str) -> PyResult<Bound<'py, PyAny>> {
        if self.allows(py, attr)? {
            let value = self.object.bind(py).getattr(attr)?;
            if value.is_callable() {
                return Ok(value);
            }
        }
        Err(PyAttributeError::new_err(format!("bastion has no attribute '{attr}'")))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let ty = self.object.bind(py).get_type().name().map(|n| n.to_string()).unwrap_or_default();
        format!("<Bastion for a {ty} object>")
    }
}

impl Bastion {
    /// Whether the default filter and the caller's let `attr` through.
    fn allows(&self, py: Python<'_>, attr: &str) -> PyResult<bool> {
        if attr.starts_with('_') {
            return Ok(false);
        }
        match &self.filter {
            Some(filter) => filter.bind(py).call1((attr,))?.is_truthy(),
            None => Ok(true),
        }
    }

    /// The object's public callables the filter lets through.
    fn exposed(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let object = self.object.bind(py);
        let mut names = Vec::new();
        for name in object.dir()? {
            let name: String = name.extract()?;
            if !self.allows(py, &name)? {
                continue;
            }
            // An attribute that raises when read is not a method.
            if object.getattr(name.as_str()).is_ok_and(|v| v.is_callable()) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// The host object a cell reaches as `padcell.host(NAME)`, or bound to a name in rexec.
    pub(crate) fn host_object(&self, py: Python<'_>, name: &str) -> PyResult<HostObject> {
        let mut host = HostObject::new(name);
        for method in self.exposed(py)? {
            let object = self.object.clone_ref(py);
            let method_name: Arc<str> = Arc::from(method.as_str());
            host = host.method(&method, move |args| call_method(&object, &method_name, args));
        }
        Ok(host)
    }

    /// The name a grant without one of its own uses.
    pub(crate) fn given_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// Calls `object.method(*args)` in the supervisor, holding the GIL only for the call.
fn call_method(object: &Py<PyAny>, method: &str, args: &[Value]) -> Result<Value, ObjectError> {
    crate::attach::attach(|py| {
        let result = (|| {
            let args = args.iter().map(|v| from_value(py, v)).collect::<PyResult<Vec<_>>>()?;
            object.bind(py).getattr(method)?.call1(PyTuple::new(py, args)?)
        })();
        match result {
            Ok(value) => to_value(&value).map_err(|e| ObjectError::Failed(format!("{method}() returned {}", message(py, &e)))),
            Err(err) => Err(object_error(py, &err)),
        }
    })
}

/// A method's exception as the built-in exception the applet will see.
fn object_error(py: Python<'_>, err: &PyErr) -> ObjectError {
    if err.is_instance_of::<PyKeyError>(py) {
        // KeyError's str() is the key's repr; the applet's KeyError gets the key's text back.
        let key = err.value(py).getattr("args").ok().and_then(|a| a.get_item(0).ok()).and_then(|k| k.str().ok());
        return ObjectError::Key(key.map(|k| k.to_string()).unwrap_or_else(|| message(py, err)));
    }
    if err.is_instance_of::<PyTypeError>(py) {
        return ObjectError::Type(message(py, err));
    }
    if err.is_instance_of::<PyValueError>(py) {
        return ObjectError::Value(message(py, err));
    }
    let type_name = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".to_owned());
    ObjectError::Failed(format!("{type_name}: {}", message(py, err)))
}

/// `str(exception)`, or nothing when even that fails.
fn message(py: Python<'_>, err: &PyErr) -> String {
    err.value(py).str().map(|s| s.to_string()).unwrap_or_default()
}

/// Any object granted to a cell: a Bastion as it is, anything else wrapped in a default one.
pub(crate) fn as_host_object(py: Python<'_>, name: &str, object: &Bound<'_, PyAny>) -> PyResult<HostObject> {
    match object.cast::<Bastion>() {
        Ok(bastion) => bastion.get().host_object(py, name),
        Err(_) => Bastion { object: object.clone().unbind(), filter: None, name: None }.host_object(py, name),
    }
}
