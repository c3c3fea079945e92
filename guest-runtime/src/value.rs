//! Converting between Python objects and plain data for the host (see `abi::Value`).

use crate::abi::{MAX_DEPTH, Value};
use rustpython_vm::builtins::{PyBytes, PyDict, PyFloat, PyInt, PyList, PyStr, PyTuple};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

/// Plain data only: None, bool, int, float, str, bytes, list, tuple and dict, nested at most
/// `MAX_DEPTH` deep (so a list that contains itself is refused, not followed). Anything else is a
/// `TypeError` in the cell.
pub fn to_value(vm: &VirtualMachine, obj: &PyObjectRef) -> PyResult<Value> {
    convert(vm, obj, 0)
}

fn convert(vm: &VirtualMachine, obj: &PyObjectRef, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(vm.new_value_error(format!(
            "value nests deeper than {MAX_DEPTH} levels and cannot leave the cell"
        )));
    }
    if vm.is_none(obj) {
        return Ok(Value::None);
    }
    let class = obj.class();
    if class.is(vm.ctx.types.bool_type) {
        return Ok(Value::Bool(obj.is(&vm.ctx.true_value)));
    }
    if let Some(i) = obj.downcast_ref::<PyInt>() {
        return Ok(match i.try_to_primitive::<i64>(vm) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::BigInt(i.as_bigint().to_string()),
        });
    }
    if let Some(f) = obj.downcast_ref::<PyFloat>() {
        return Ok(Value::Float(f.to_f64()));
    }
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Ok(Value::Str(s.to_string_lossy().into_owned()));
    }
    if let Some(b) = obj.downcast_ref::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Some(l) = obj.downcast_ref::<PyList>() {
        let items = l.borrow_vec().to_vec();
        return Ok(Value::List(convert_all(vm, &items, depth)?));
    }
    if let Some(t) = obj.downcast_ref::<PyTuple>() {
        return Ok(Value::Tuple(convert_all(vm, t.as_slice(), depth)?));
    }
    if let Some(d) = obj.downcast_ref::<PyDict>() {
        let mut pairs = Vec::new();
        for (k, v) in d.items_vec() {
            pairs.push((convert(vm, &k, depth + 1)?, convert(vm, &v, depth + 1)?));
        }
        return Ok(Value::Dict(pairs));
    }
    Err(vm.new_type_error(format!(
        "a '{}' object cannot leave the cell: only None, bool, int, float, str, bytes, list, \
         tuple and dict cross by value",
        class.name()
    )))
}

fn convert_all(vm: &VirtualMachine, items: &[PyObjectRef], depth: usize) -> PyResult<Vec<Value>> {
    items.iter().map(|item| convert(vm, item, depth + 1)).collect()
}

/// Plain data from the host, as Python objects.
pub fn from_value(vm: &VirtualMachine, value: &Value) -> PyObjectRef {
    let ctx = &vm.ctx;
    match value {
        Value::None => vm.ctx.none(),
        Value::Bool(b) => ctx.new_bool(*b).into(),
        Value::Int(i) => ctx.new_int(*i).into(),
        Value::BigInt(s) => {
            let int_type = ctx.types.int_type.as_object();
            int_type.call((ctx.new_str(s.as_str()),), vm).unwrap_or_else(|_| ctx.none())
        }
        Value::Float(f) => ctx.new_float(*f).into(),
        Value::Str(s) => ctx.new_str(s.as_str()).into(),
        Value::Bytes(b) => ctx.new_bytes(b.clone()).into(),
        Value::List(items) => ctx.new_list(items.iter().map(|v| from_value(vm, v)).collect()).into(),
        Value::Tuple(items) => ctx.new_tuple(items.iter().map(|v| from_value(vm, v)).collect()).into(),
        Value::Dict(pairs) => {
            let dict = ctx.new_dict();
            for (k, v) in pairs {
                // A key Python cannot hash (a list) is dropped: the host sends none.
                let _ = dict.set_item(&*from_value(vm, k), from_value(vm, v), vm);
            }
            dict.into()
        }
    }
}
