//! Converting between Python objects and plain data for the host (see `abi::Value`).

use crate::abi::{MAX_DEPTH, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Plain data only: None, bool, int, float, str, bytes, list, tuple and dict, nested at most
/// `MAX_DEPTH` deep (so a list that contains itself is refused, not followed). Anything else is a
/// `TypeError` in the cell.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    convert(obj, 0)
}

fn convert(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("value nests deeper than {MAX_DEPTH} levels and cannot leave the cell")));
    }
    if obj.is_none() {
        return Ok(Value::None);
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return Ok(match i.extract::<i64>() {
            Ok(n) => Value::Int(n),
            // int.__repr__ of the base type: a subclass's own __str__ does not decide what crosses.
            Err(_) => Value::BigInt(obj.py().get_type::<PyInt>().call_method1("__repr__", (i,))?.extract()?),
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_string_lossy().into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        // A snapshot of the items: converting one may run no code, but the list is the applet's.
        let items: Vec<Bound<'_, PyAny>> = l.iter().collect();
        return Ok(Value::List(convert_all(&items, depth)?));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let items: Vec<Bound<'_, PyAny>> = t.iter().collect();
        return Ok(Value::Tuple(convert_all(&items, depth)?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut pairs = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            pairs.push((convert(&k, depth + 1)?, convert(&v, depth + 1)?));
        }
        return Ok(Value::Dict(pairs));
    }
    Err(PyTypeError::new_err(format!(
        "a '{}' object cannot leave the cell: only None, bool, int, float, str, bytes, list, \
         tuple and dict cross by value",
        obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
    )))
}

fn convert_all(items: &[Bound<'_, PyAny>], depth: usize) -> PyResult<Vec<Value>> {
    items.iter().map(|item| convert(item, depth + 1)).collect()
}

/// Plain data from the host, as Python objects.
pub fn from_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::BigInt(s) => py.get_type::<PyInt>().call1((s.as_str(),))?,
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::List(items) => PyList::new(py, items.iter().map(|v| from_value(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any(),
        Value::Tuple(items) => {
            PyTuple::new(py, items.iter().map(|v| from_value(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
        Value::Dict(pairs) => {
            let dict = PyDict::new(py);
            for (k, v) in pairs {
                // A key Python cannot hash (a list) is dropped: the host sends none.
                let _ = dict.set_item(from_value(py, k)?, from_value(py, v)?);
            }
            dict.into_any()
        }
    })
}
