//! The subset rule: what a child cell asks for, checked against its parent's policy and budget by
//! the host. A child gets grants inside its parent's grants with access no wider, modules, roots
//! and host objects (and their methods) the parent has, and limits within what the parent has
//! left. Anything more is refused with the rule, never silently narrowed.

use crate::abi::{CellRequest, Value};
use crate::policy::modules::{AllowList, ModulePolicy, SUPPORT_MODULES};
use crate::policy::{Access, Allowance, GrantKind, GuestPath, Limits, Policy, PolicyError};
use std::collections::BTreeSet;
use std::time::Duration;

const KEYS: &[&str] = &["dirs", "files", "modules", "roots", "objects", "fuel", "timeout", "memory", "output", "disk"];

/// The child's policy, or the rule its request breaks.
pub(crate) fn child_policy(parent: &Policy, budget: &Allowance, request: &CellRequest) -> Result<Policy, PolicyError> {
    narrow(parent, budget, request).map_err(PolicyError::Escalation)
}

fn narrow(parent: &Policy, budget: &Allowance, request: &CellRequest) -> Result<Policy, String> {
    let mut child = Policy::new().with_open_hook(parent.open_hook().cloned());
    let mut limits = *parent.limits();
    let mut modules = ModulePolicy { allow_list: AllowList::empty(), roots: Vec::new(), names: parent.modules().names.clone() };
    for denied in parent.modules().allow_list.denied() {
        modules = modules.deny(denied).map_err(|e| e.to_string())?;
    }
    for support in SUPPORT_MODULES.iter().filter(|m| parent.modules().allow_list.is_allowed(m)) {
        modules = modules.allow(support).map_err(|e| e.to_string())?;
    }
    for (key, value) in &request.entries {
        match key.as_str() {
            "dirs" => child = grant_all(parent, child, value, GrantKind::Dir)?,
            "files" => child = grant_all(parent, child, value, GrantKind::File)?,
            "modules" => {
                for name in strings(value, "modules")? {
                    if !parent.modules().allow_list.is_allowed(&name) {
                        return Err(format!("module '{name}' is not allowed in the parent cell"));
                    }
                    modules = modules.allow(&name).map_err(|e| e.to_string())?;
                }
            }
            "roots" => {
                for shown in strings(value, "roots")? {
                    let Some(root) = parent.modules().roots.iter().find(|r| r.to_string() == shown) else {
                        return Err(format!("module root {shown} is not one of the parent cell's"));
                    };
                    modules = modules.root(root.clone()).map_err(|e| e.to_string())?;
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
                    return Err(format!(
                        "a timeout of {secs}s is more than the parent cell has left ({:.3}s)",
                        left.as_secs_f64()
                    ));
                }
                limits.timeout = asked;
            }
            "memory" => {
                limits.memory = at_most("memory", int(value, "memory")?, Some(budget.memory.unwrap_or(parent.limits().memory)))?
            }
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
    if !request.entries.iter().any(|(k, _)| k == "memory") {
        limits.memory = budget.memory.unwrap_or(parent.limits().memory) / 2;
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
        let access: Access = access.parse().map_err(|e: crate::policy::PolicyError| e.to_string())?;
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
        child = child.grant(grant).map_err(|e| e.to_string())?;
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
        child = child.object(object).map_err(|e| e.to_string())?;
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

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "the tests make host trees as the operator does")]
mod tests {
    use super::*;
    use crate::policy::{Grant, HostObject, ModulePolicy};

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    fn dict(entries: &[(&str, &str)]) -> Value {
        Value::Dict(entries.iter().map(|(k, v)| (s(k), s(v))).collect())
    }

    fn ask(entries: Vec<(&str, Value)>) -> CellRequest {
        CellRequest { entries: entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect() }
    }

    /// A parent with `/data` read-only, `/out` read-write (each holding a `sub` directory and a
    /// file), the module `csv`, one object with two methods, and finite limits.
    fn parent() -> (tempfile::TempDir, Policy) {
        let host = tempfile::tempdir().expect("a temporary directory");
        let data = tempfile::Builder::new().prefix("data").tempdir_in(host.path()).expect("data").keep();
        let out = tempfile::Builder::new().prefix("out").tempdir_in(host.path()).expect("out").keep();
        for dir in [&data, &out] {
            let sub = tempfile::Builder::new().prefix("sub").tempdir_in(dir).expect("sub").keep();
            tempfile::Builder::new().prefix("f").tempfile_in(&sub).expect("a file").keep().expect("kept");
        }
        let object = HostObject::new("acct").method("balance", |_| Ok(Value::Int(1))).method("deposit", |_| Ok(Value::None));
        let limits = Limits { fuel: Some(1_000), timeout: Duration::from_secs(10), memory: 100 << 20, ..Limits::default() };
        let policy = Policy::new()
            .grant(Grant::dir(&data, "/data", Access::ReadOnly).expect("grant"))
            .and_then(|p| p.grant(Grant::dir(&out, "/out", Access::ReadWrite).expect("grant")))
            .and_then(|p| p.object(object))
            .expect("a parent policy")
            .with_modules(ModulePolicy::default().allow("csv").expect("csv"))
            .with_limits(limits);
        (host, policy)
    }

    fn budget() -> Allowance {
        Allowance { fuel: Some(500), time: Some(Duration::from_secs(5)), memory: Some(60 << 20) }
    }

    fn sub_of(parent: &Policy, guest: &str) -> String {
        let grant = parent.grants().iter().find(|g| g.guest().to_string() == guest).expect("the grant");
        let sub = std::fs::read_dir(grant.host()).expect("the grant's directory").next().expect("sub").expect("entry");
        format!("{guest}/{}", sub.file_name().to_string_lossy())
    }

    #[test]
    fn a_child_within_its_parent_gets_what_it_asked_for() {
        let (_host, parent) = parent();
        let sub = sub_of(&parent, "/out");
        let request = ask(vec![
            ("dirs", dict(&[("/data", "ro"), (sub.as_str(), "rw")])),
            ("modules", Value::List(vec![s("csv")])),
            ("objects", Value::Dict(vec![(s("acct"), Value::List(vec![s("balance")]))])),
            ("fuel", Value::Int(100)),
            ("timeout", Value::Float(1.5)),
            ("memory", Value::Int(40 << 20)),
        ]);
        let child = child_policy(&parent, &budget(), &request).expect("within the parent");
        let grants: Vec<(String, Access)> = child.grants().iter().map(|g| (g.guest().to_string(), g.access())).collect();
        assert_eq!(grants, [("/data".to_owned(), Access::ReadOnly), (sub, Access::ReadWrite)]);
        assert!(child.modules().allow_list.is_allowed("csv"));
        assert_eq!(child.objects()[0].exposed_names(), ["balance"]);
        assert_eq!(
            (child.limits().fuel, child.limits().timeout, child.limits().memory),
            (Some(100), Duration::from_millis(1500), 40 << 20)
        );
    }

    #[test]
    fn an_empty_request_gets_nothing_but_half_the_memory_left() {
        let (_host, parent) = parent();
        let child = child_policy(&parent, &budget(), &ask(vec![])).expect("an empty request");
        assert!(child.grants().is_empty() && child.objects().is_empty() && child.env_vars().is_empty());
        assert!(!child.modules().allow_list.is_allowed("csv"));
        // The parent's own limits, less memory; each call of the child still draws its fuel and
        // time from what the parent has left (`Cell::next_call_fuel`).
        assert_eq!((child.limits().fuel, child.limits().memory), (parent.limits().fuel, 30 << 20));
    }

    #[test]
    fn every_escalation_is_refused_with_its_rule() {
        let (_host, parent) = parent();
        let data_sub = sub_of(&parent, "/data");
        let escalations: Vec<(Vec<(&str, Value)>, &str)> = vec![
            (vec![("dirs", dict(&[("/etc", "ro")]))], "not inside any grant of the parent"),
            (vec![("dirs", dict(&[("/data", "rw")]))], "cannot be read-write"),
            (vec![("dirs", dict(&[(data_sub.as_str(), "rw")]))], "cannot be read-write"),
            (vec![("dirs", dict(&[("/data/../out", "rw")]))], ""),
            (vec![("dirs", dict(&[("/data/missing", "ro")]))], "is not a directory inside the parent's grant"),
            (vec![("files", dict(&[("/data", "ro")]))], "is not a file inside the parent's grant"),
            (vec![("modules", Value::List(vec![s("socket")]))], "module 'socket' is not allowed in the parent cell"),
            (vec![("roots", Value::List(vec![s("/data")]))], "is not one of the parent cell's"),
            (vec![("objects", Value::List(vec![s("bank")]))], "host object \"bank\" is not granted"),
            (vec![("objects", Value::Dict(vec![(s("acct"), Value::List(vec![s("withdraw")]))]))], "has no method 'withdraw'"),
            (vec![("fuel", Value::Int(501))], "fuel of 501 is more than the parent cell has (500)"),
            (vec![("timeout", Value::Int(6))], "more than the parent cell has left"),
            (vec![("memory", Value::Int(61 << 20))], "memory of"),
            (vec![("output", Value::Int(i64::MAX))], "output of"),
            (vec![("env", dict(&[("HOME", "/root")]))], "unknown cell option \"env\""),
            (vec![("fuel", Value::Int(-1))], "fuel is a non-negative int"),
        ];
        for (entries, rule) in escalations {
            let shown = format!("{entries:?}");
            match child_policy(&parent, &budget(), &ask(entries)) {
                Err(PolicyError::Escalation(why)) => assert!(why.contains(rule), "{shown}: {why}"),
                other => panic!("{shown}: expected an escalation, got {other:?}"),
            }
        }
    }
}
