//! The host objects one cell was granted, and the answers to its questions about them
//! ([`Ask::Object`](crate::abi::Ask::Object), [`Ask::CallObject`](crate::abi::Ask::CallObject)).

use super::{HostObject, ObjectError};
use crate::abi::{Answer, Value};
use crate::fs::CellFs;
use crate::policy::Access;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// The most bytes a method's result may take, encoded.
pub const MAX_OBJECT_RESULT: usize = 1 << 20;

pub(crate) struct CellObjects {
    fs: Arc<CellFs>,
    objects: Vec<Arc<HostObject>>,
}

impl CellObjects {
    pub(crate) fn new(fs: Arc<CellFs>, objects: &[Arc<HostObject>]) -> CellObjects {
        CellObjects { fs, objects: objects.to_vec() }
    }

    /// `Object`: the object's exposed method names, or a refusal.
    pub(crate) fn describe(&self, question: &Value) -> Answer {
        let Value::Str(name) = question else {
            return Answer::Refused("host objects are named by str".to_owned());
        };
        match self.find(name) {
            Some(object) => Answer::Value(Value::List(object.exposed_names().into_iter().map(Value::Str).collect())),
            None => self.refuse(name, format!("no host object named {:?} is granted to this cell", short(name))),
        }
    }

    /// `CallObject`: `[object, method, [args...]]` -> `{"result": v}` or `{"error": type,
    /// "message": m}`; a refused method is a refusal (an `AttributeError` in the cell).
    pub(crate) fn call(&self, question: &Value) -> Answer {
        let Value::List(parts) = question else {
            return Answer::Refused("a host object call is [object, method, args]".to_owned());
        };
        let [Value::Str(name), Value::Str(method), Value::List(args)] = parts.as_slice() else {
            return Answer::Refused("a host object call is [object, method, args]".to_owned());
        };
        let Some(object) = self.find(name) else {
            return self.refuse(name, format!("no host object named {:?} is granted to this cell", short(name)));
        };
        let Some(f) = object.exposed(method) else {
            let subject = format!("{}.{}", short(name), short(method));
            return self.refuse(&subject, format!("host object '{}' has no attribute '{}'", short(name), short(method)));
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| f(args)))
            .unwrap_or_else(|_| Err(ObjectError::Failed(format!("host object '{name}' failed in {method}"))));
        let entry = |k: &str, v: Value| (Value::Str(k.to_owned()), v);
        match outcome {
            Ok(result) if result.encode().len() <= MAX_OBJECT_RESULT => Answer::Value(Value::Dict(vec![entry("result", result)])),
            Ok(_) => error(&ObjectError::Value(format!("the result of {name}.{method} is larger than {} KiB", MAX_OBJECT_RESULT >> 10))),
            Err(e) => error(&e),
        }
    }

    fn find(&self, name: &str) -> Option<&Arc<HostObject>> {
        self.objects.iter().find(|o| o.name() == name)
    }

    fn refuse(&self, subject: &str, rule: String) -> Answer {
        self.fs.audit("object", subject, Access::ReadOnly, &rule);
        Answer::Refused(rule)
    }
}

fn error(e: &ObjectError) -> Answer {
    let entry = |k: &str, v: &str| (Value::Str(k.to_owned()), Value::Str(v.to_owned()));
    Answer::Value(Value::Dict(vec![entry("error", e.python_type()), entry("message", e.message())]))
}

/// A guest-chosen name, cut short for messages and audit records.
fn short(name: &str) -> String {
    name.chars().take(64).collect()
}
