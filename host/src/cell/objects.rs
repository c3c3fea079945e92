//! The host objects one cell was granted, and the answers to its questions about them
//! ([`Ask::Object`](crate::abi::Ask::Object), [`Ask::CallObject`](crate::abi::Ask::CallObject)).

use crate::abi::{Answer, ObjectCall, ObjectReply, Value};
use crate::policy::Access;
use crate::policy::LimitKind;
use crate::policy::{HostObject, ObjectError};
use crate::wasi::callback::{Called, bounded};
use crate::wasi::control::CellControl;
use crate::wasi::fs::CellFs;
use std::sync::Arc;

/// The most bytes a method's result may take, encoded.
pub(crate) const MAX_OBJECT_RESULT: usize = 1 << 20;

/// The host objects granted to one cell.
pub(crate) struct CellObjects {
    fs: Arc<CellFs>,
    objects: Vec<Arc<HostObject>>,
}

impl CellObjects {
    pub(crate) fn new(fs: Arc<CellFs>, objects: &[Arc<HostObject>]) -> CellObjects {
        CellObjects { fs, objects: objects.to_vec() }
    }

    /// `Object`: the object's exposed method names, or a refusal.
    pub(crate) fn describe(&self, name: &str) -> Answer {
        match self.find(name) {
            Some(object) => Answer::Value(Value::List(object.exposed_names().into_iter().map(Value::Str).collect())),
            None => self.refuse(name, format!("no host object named {:?} is granted to this cell", short(name))),
        }
    }

    /// `CallObject`: the method's result or its error; a refused method is a refusal (an
    /// `AttributeError` in the cell). The method runs under the cell's deadline and
    /// cancellation (`control`): the limit that stopped the cell while it ran, if one did.
    pub(crate) fn call(&self, call: &ObjectCall, control: &CellControl) -> Result<Answer, LimitKind> {
        let ObjectCall { object: name, method, args } = call;
        let Some(object) = self.find(name) else {
            return Ok(self.refuse(name, format!("no host object named {:?} is granted to this cell", short(name))));
        };
        let Some(f) = object.exposed(method).cloned() else {
            let subject = format!("{}.{}", short(name), short(method));
            return Ok(self.refuse(&subject, format!("host object '{}' has no attribute '{}'", short(name), short(method))));
        };
        let args = args.clone();
        let outcome = match bounded(self.fs.cell(), control, move || f(&args))? {
            Called::Returned(outcome) => outcome,
            Called::Panicked => Err(ObjectError::Failed(format!("host object '{}' failed in {}", short(name), short(method)))),
        };
        let reply = match outcome {
            Ok(result) if result.encode().len() <= MAX_OBJECT_RESULT => ObjectReply::Result(result),
            Ok(_) => error(&ObjectError::Value(format!(
                "the result of {}.{} is larger than {} KiB",
                short(name),
                short(method),
                MAX_OBJECT_RESULT >> 10
            ))),
            Err(e) => error(&e),
        };
        Ok(Answer::Value(reply.into()))
    }

    fn find(&self, name: &str) -> Option<&Arc<HostObject>> {
        self.objects.iter().find(|o| o.name() == name)
    }

    fn refuse(&self, subject: &str, rule: String) -> Answer {
        self.fs.auditor().record("object", subject, Access::ReadOnly, &rule, Vec::new());
        Answer::Refused(rule)
    }
}

fn error(e: &ObjectError) -> ObjectReply {
    ObjectReply::Error { kind: e.python_type().to_owned(), message: e.message().to_owned() }
}

/// A guest-chosen name, cut short for messages and audit records.
fn short(name: &str) -> String {
    name.chars().take(64).collect()
}
