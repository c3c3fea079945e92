//! Plain data between the supervisor's Python and a cell: `padcell::Value` both ways.
//!
//! Only values cross, never references: None, bool, int, float, str, bytes, list, tuple and dict,
//! nested at most [`MAX_DEPTH`] deep (the boundary's own bound). Anything else is a `TypeError`
//! in the supervisor, before the cell is asked.

use padcell::Value;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// How deep a value may nest, as `padcell::abi::MAX_DEPTH` allows.
const MAX_DEPTH: usize = padcell::abi::MAX_DEPTH;

/// A Python object as plain data, or a `TypeError` naming what cannot cross.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value_at(obj, 0)
}

fn to_value_at(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("a value crossing into a cell may nest at most {MAX_DEPTH} deep")));
    }
    if obj.is_none() {
        return Ok(Value::None);
    }
    // bool before int: True is an int in Python.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(match obj.extract::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(obj.str()?.to_string()),
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|item| to_value_at(&item, depth + 1)).collect::<PyResult<_>>().map(Value::List);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple.iter().map(|item| to_value_at(&item, depth + 1)).collect::<PyResult<_>>().map(Value::Tuple);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return dict
            .iter()
            .map(|(k, v)| Ok((to_value_at(&k, depth + 1)?, to_value_at(&v, depth + 1)?)))
            .collect::<PyResult<_>>()
            .map(Value::Dict);
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_owned());
    Err(PyTypeError::new_err(format!(
        "a {type_name} cannot cross into a cell: only None, bool, int, float, str, bytes, list, tuple and dict do"
    )))
}

/// Plain data from a cell as a new Python object.
pub(crate) fn from_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        // The guest sends a big int in decimal; Python's own int() reads it back exactly.
        Value::BigInt(digits) => py.get_type::<PyInt>().call1((digits.as_str(),))?,
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
                dict.set_item(from_value(py, k)?, from_value(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Arguments for a call into a cell.
pub(crate) fn to_values(args: &Bound<'_, PyTuple>) -> PyResult<Vec<Value>> {
    args.iter().map(|a| to_value(&a)).collect()
}
