//! The subset rule: what a child cell asks for, checked against its parent's policy and budget by
//! the host. A child gets grants inside its parent's grants with access no wider, modules, roots
//! and host objects (and their methods) the parent has, and limits within what the parent has
//! left. Anything more is refused with the rule, never silently narrowed.

use crate::abi::Value;
use crate::fs::GuestPath;
use crate::limits::Limits;
use crate::modules::{AllowList, ModulePolicy, SUPPORT_MODULES};
use crate::policy::{Access, GrantKind, Policy};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use crate::limits::CellControl;

/// What the parent has left for the child: its fuel (when metered with a limit), its time, and
/// its memory (its limit, less what it uses and what its other children may use); and the
/// parent's own control, so its deadline and its cancellation reach the work done for it.
#[derive(Clone)]
pub(crate) struct Budget {
    pub(crate) fuel: Option<u64>,
    pub(crate) time: Option<Duration>,
    pub(crate) memory: u64,
    pub(crate) caller: Option<Arc<CellControl>>,
}

const KEYS: &[&str] = &["dirs", "files", "modules", "roots", "objects", "fuel", "timeout", "memory", "output", "disk"];

/// The child's policy, or the rule its request breaks.
pub(crate) fn child_policy(parent: &Policy, budget: &Budget, request: &Value) -> Result<Policy, String> {
    let Value::Dict(pairs) = request else { return Err("a cell request is a dict".to_owned()) };
    let mut child = Policy::new().with_open_hook(parent.open_hook().cloned());
    let mut limits = *parent.limits();
    let mut modules = ModulePolicy { allow_list: AllowList::empty(), roots: Vec::new(), names: parent.modules().names.clone() };
    for denied in parent.modules().allow_list.denied() {
        modules = modules.deny(denied).map_err(|e| e.0)?;
    }
    for support in SUPPORT_MODULES.iter().filter(|m| parent.modules().allow_list.is_allowed(m)) {
        modules = modules.allow(support).map_err(|e| e.0)?;
    }
    for (key, value) in pairs {
        let Value::Str(key) = key else { return Err("cell request keys are str".to_owned()) };
        match key.as_str() {
            "dirs" => child = grant_all(parent, child, value, GrantKind::Dir)?,
            "files" => child = grant_all(parent, child, value, GrantKind::File)?,
            "modules" => {
                for name in strings(value, "modules")? {
                    if !parent.modules().allow_list.is_allowed(&name) {
                        return Err(format!("module '{name}' is not allowed in the parent cell"));
                    }
                    modules = modules.allow(&name).map_err(|e| e.0)?;
                }
            }
            "roots" => {
                for shown in strings(value, "roots")? {
                    let Some(root) = parent.modules().roots.iter().find(|r| r.to_string() == shown) else {
                        return Err(format!("module root {shown} is not one of the parent cell's"));
                    };
                    modules = modules.root(root.clone()).map_err(|e| e.0)?;
                }
            }
            "objects" => child = objects(parent, child, value)?,
            "fuel" => limits.fuel = Some(at_most("fuel", int(value, "fuel")?, budget.fuel.or(parent.limits().fuel))?),
            "timeout" => {
                let secs = match value {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return Err("timeout is a number of seconds".to_owned()),
                };
                let asked = Duration::try_from_secs_f64(secs).map_err(|_| "timeout is a number of seconds".to_owned())?;
                let left = budget.time.unwrap_or(parent.limits().timeout).min(parent.limits().timeout);
                if asked > left {
                    return Err(format!("a timeout of {secs}s is more than the parent cell has left ({:.3}s)", left.as_secs_f64()));
                }
                limits.timeout = asked;
            }
            "memory" => limits.memory = at_most("memory", int(value, "memory")?, Some(budget.memory))?,
            "output" => limits.output = at_most("output", int(value, "output")?, Some(parent.limits().output))?,
            "disk" => limits.disk = at_most("disk", int(value, "disk")?, Some(parent.limits().disk))?,
            other => return Err(format!("unknown cell option {other:?} (expected one of: {})", KEYS.join(", "))),
        }
    }
    if limits.fuel.is_none() {
        limits.fuel = budget.fuel;
    }
    // Unless asked for, a child gets half the memory its parent has left, so the parent keeps
    // room to run and to make more children. (An interpreter needs about 32 MiB to start.)
    if !pairs.iter().any(|(k, _)| k == &Value::Str("memory".into())) {
        limits.memory = budget.memory / 2;
    }
    Ok(child.with_modules(modules).with_limits(Limits { ..limits }))
}

/// `{"/guest/path": "ro" | "rw"}`, each inside one of the parent's grants.
fn grant_all(parent: &Policy, mut child: Policy, value: &Value, kind: GrantKind) -> Result<Policy, String> {
    let Value::Dict(pairs) = value else { return Err("dirs and files map guest paths to 'ro' or 'rw'".to_owned()) };
    for (path, access) in pairs {
        let (Value::Str(path), Value::Str(access)) = (path, access) else {
            return Err("dirs and files map guest paths to 'ro' or 'rw'".to_owned());
        };
        let access: Access = access.parse().map_err(|e: crate::policy::PolicyError| e.0)?;
        let guest = GuestPath::parse_absolute(path)?;
        let Some(outer) = parent.grants().iter().filter(|g| guest.starts_with(g.guest())).max_by_key(|g| g.guest().parts().len())
        else {
            return Err(format!("'{guest}' is not inside any grant of the parent cell"));
        };
        if access > outer.access() {
            return Err(format!("'{guest}' cannot be {access}: the parent's grant {} is {}", outer.guest(), outer.access()));
        }
        // Opened below the parent's own handle: no link or rename can lead it out, and every
        // refusal reads the same, so it tells nothing about the host.
        let rel = guest.relative_to(outer.guest()).unwrap_or_default();
        let what = if kind == GrantKind::Dir { "directory" } else { "file" };
        let Some(grant) = outer.below(&rel, guest.clone(), kind, access) else {
            return Err(format!("'{guest}' is not a {what} inside the parent's grant {}", outer.guest()));
        };
        child = child.grant(grant).map_err(|e| e.0)?;
    }
    Ok(child)
}

/// `["name", ...]` or `{"name": ["method", ...]}`: the parent's objects, narrowed.
fn objects(parent: &Policy, mut child: Policy, value: &Value) -> Result<Policy, String> {
    let wanted: Vec<(String, Option<BTreeSet<String>>)> = match value {
        Value::List(_) | Value::Tuple(_) => strings(value, "objects")?.into_iter().map(|n| (n, None)).collect(),
        Value::Dict(pairs) => pairs
            .iter()
            .map(|(k, v)| match k {
                Value::Str(k) => Ok((k.clone(), Some(strings(v, "methods")?.into_iter().collect()))),
                _ => Err("object names are str".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("objects is a list of names or a dict of names to methods".to_owned()),
    };
    for (name, methods) in wanted {
        let Some(object) = parent.objects().iter().find(|o| o.name() == name) else {
            return Err(format!("host object {name:?} is not granted to the parent cell"));
        };
        let mut object = (**object).clone();
        if let Some(methods) = methods {
            let exposed = object.exposed_names();
            if let Some(extra) = methods.iter().find(|m| !exposed.contains(m)) {
                return Err(format!("host object '{name}' has no method '{extra}' in the parent cell"));
            }
            object = object.filter(move |m| methods.contains(m));
        }
        child = child.object(object).map_err(|e| e.0)?;
    }
    Ok(child)
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    match value {
        Value::List(items) | Value::Tuple(items) => items
            .iter()
            .map(|v| match v {
                Value::Str(s) => Ok(s.clone()),
                _ => Err(format!("{what} is a list of str")),
            })
            .collect(),
        _ => Err(format!("{what} is a list of str")),
    }
}

fn int(value: &Value, what: &str) -> Result<u64, String> {
    match value {
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        _ => Err(format!("{what} is a non-negative int")),
    }
}

fn at_most(what: &str, asked: u64, left: Option<u64>) -> Result<u64, String> {
    match left {
        Some(left) if asked > left => Err(format!("{what} of {asked} is more than the parent cell has ({left})")),
        _ => Ok(asked),
    }
}
