//! Host objects (Bastion's "restrict access to objects"): Rust objects an embedder registers and
//! a supervisor grants to cells. A cell sees a proxy whose calls cross the boundary by value, so
//! no reference to the object's internals can be reached from inside.

use crate::abi::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Why a method call failed, as the applet's exception will say it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectError {
    /// The arguments have the wrong types or number: `TypeError`.
    Type(String),
    /// No such key: `KeyError`.
    Key(String),
    /// A bad value: `ValueError`.
    Value(String),
    /// The object could not do it: `RuntimeError`.
    Failed(String),
}

impl ObjectError {
    pub(crate) fn python_type(&self) -> &'static str {
        match self {
            ObjectError::Type(_) => "TypeError",
            ObjectError::Key(_) => "KeyError",
            ObjectError::Value(_) => "ValueError",
            ObjectError::Failed(_) => "RuntimeError",
        }
    }

    pub(crate) fn message(&self) -> &str {
        match self {
            ObjectError::Type(m) | ObjectError::Key(m) | ObjectError::Value(m) | ObjectError::Failed(m) => m,
        }
    }
}

/// A method of a host object: plain data in, plain data out.
pub type Method = Arc<dyn Fn(&[Value]) -> Result<Value, ObjectError> + Send + Sync>;

/// Which attribute names a host object exposes, besides having a method of that name.
pub type Filter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A named host object: its methods and its attribute filter. By default the filter refuses
/// every name that starts with `_`, as Bastion's did; a name the filter refuses is never
/// reachable, whatever methods exist.
///
/// ```no_run
/// use padcell::{HostObject, ObjectError, Policy, Value};
/// let account = HostObject::new("acct")
///     .method("balance", |_| Ok(Value::Int(100)))
///     .method("deposit", |args| match args {
///         [Value::Int(n)] if *n > 0 => Ok(Value::Int(100 + n)),
///         _ => Err(ObjectError::Value("deposit takes a positive int".into())),
///     });
/// // In the cell: `import padcell; padcell.host("acct").deposit(5)`.
/// let policy = Policy::new().object(account)?;
/// # Ok::<(), padcell::PolicyError>(())
/// ```
#[derive(Clone)]
pub struct HostObject {
    name: String,
    methods: BTreeMap<String, Method>,
    filter: Filter,
}

impl fmt::Debug for HostObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostObject").field("name", &self.name).field("methods", &self.methods.keys()).finish()
    }
}

impl HostObject {
    /// An object named `name` (the cell's `padcell.host(NAME)`), with no methods and the
    /// default filter.
    pub fn new(name: &str) -> HostObject {
        HostObject { name: name.to_owned(), methods: BTreeMap::new(), filter: Arc::new(|n| !n.starts_with('_')) }
    }

    /// Adds a method.
    pub fn method(mut self, name: &str, f: impl Fn(&[Value]) -> Result<Value, ObjectError> + Send + Sync + 'static) -> Self {
        self.methods.insert(name.to_owned(), Arc::new(f));
        self
    }

    /// Narrows the filter: a name must pass this one and every filter before it (so a name
    /// that starts with `_` never passes).
    pub fn filter(mut self, filter: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        let before = self.filter.clone();
        self.filter = Arc::new(move |n| before(n) && filter(n));
        self
    }

    /// The name the cell reaches it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The method `attr`, if the filter lets it through.
    pub(crate) fn exposed(&self, attr: &str) -> Option<&Method> {
        if (self.filter)(attr) { self.methods.get(attr) } else { None }
    }

    /// The names a cell can call.
    pub fn exposed_names(&self) -> Vec<String> {
        self.methods.keys().filter(|n| (self.filter)(n)).cloned().collect()
    }
}
