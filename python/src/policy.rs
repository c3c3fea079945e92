//! `padcell.Policy`: what a cell may touch, in keywords, built into the host's `Policy` at once.
//!
//! Grants are opened when the policy is made (a grant is a handle, not a path), so a missing
//! directory or a conflict is a `PolicyError` here, naming the keyword at fault, not later in a
//! cell. A policy keeps its keywords so `replace(**changes)` can make a variant, as rexec does
//! with its class attributes.

use crate::errors::{from_policy, policy_error};
use crate::objects::{Bastion, as_host_object};
use padcell::{
    Access, AllowList, DEFAULT_HIDDEN_BUILTINS, DEFAULT_OS_NAMES, DEFAULT_SYS_NAMES, Grant, LimitFlags, Limits, Manifest,
    ModulePolicy, ModuleRoot, OpenRequest, PolicyError, RestrictedNames,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every keyword `Policy` takes.
const KEYWORDS: &[&str] = &[
    "applet",
    "dirs",
    "rw_dirs",
    "files",
    "rw_files",
    "env",
    "modules",
    "allow_modules",
    "deny_modules",
    "module_roots",
    "hidden_builtins",
    "hide_builtins",
    "show_builtins",
    "sys_names",
    "allow_sys",
    "deny_sys",
    "os_names",
    "allow_os",
    "deny_os",
    "timeout",
    "memory",
    "fuel",
    "max_output",
    "open_files",
    "disk",
    "objects",
    "on_open",
    "on_audit",
];

/// What a cell may touch: grants, environment, modules and names, limits, host objects, hooks.
#[pyclass(module = "padcell", frozen)]
pub(crate) struct Policy {
    pub(crate) inner: padcell::Policy,
    options: Py<PyDict>,
    pub(crate) on_audit: Option<Py<PyAny>>,
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Policy> {
        let options = match options {
            Some(o) => o.copy()?,
            None => PyDict::new(py),
        };
        build(py, options)
    }

    /// A new policy with these keywords changed (`None` removes one).
    #[pyo3(signature = (**changes))]
    fn replace(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Policy> {
        let options = self.options.bind(py).copy()?;
        if let Some(changes) = changes {
            options.update(changes.as_mapping())?;
        }
        build(py, options)
    }

    /// The keywords this policy was made with.
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.options.bind(py).copy()
    }

    /// The limits each call of a cell runs under, as a dict (seconds and bytes).
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let l = self.inner.limits();
        let d = PyDict::new(py);
        d.set_item("timeout", l.timeout.as_secs_f64())?;
        d.set_item("memory", l.memory)?;
        d.set_item("fuel", l.fuel)?;
        d.set_item("max_output", l.output)?;
        d.set_item("open_files", l.open_files)?;
        d.set_item("disk", l.disk)?;
        Ok(d)
    }

    /// The guest paths granted, with `"ro"` or `"rw"`.
    #[getter]
    fn grants(&self) -> Vec<(String, &'static str)> {
        self.inner.grants().iter().map(|g| (g.guest().to_string(), g.access().as_str())).collect()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let options = self.options.bind(py);
        let mut parts = Vec::new();
        for (k, v) in options.iter() {
            if !v.is_none() {
                parts.push(format!("{}={}", k.str()?, v.repr()?));
            }
        }
        Ok(format!("Policy({})", parts.join(", ")))
    }
}

impl Policy {
    /// The policy a cell gets when none is given.
    pub(crate) fn empty(py: Python<'_>) -> PyResult<Policy> {
        build(py, PyDict::new(py))
    }
}

fn build<'py>(py: Python<'py>, options: Bound<'py, PyDict>) -> PyResult<Policy> {
    for key in options.keys() {
        let key: String = key.extract()?;
        if !KEYWORDS.contains(&key.as_str()) {
            return Err(PyTypeError::new_err(format!("Policy() got an unexpected keyword argument '{key}'")));
        }
    }
    let get = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> { Ok(options.get_item(key)?.filter(|v| !v.is_none())) };

    // An applet directory's applet.toml, then everything given here on top of it.
    let (mut policy, mut limits) = match get("applet")? {
        Some(dir) => {
            let dir: PathBuf = dir.extract()?;
            let manifest = Manifest::load(&dir).map_err(from_policy("applet"))?;
            let policy = manifest.flags.apply(padcell::Policy::new(), &dir).map_err(from_policy("applet"))?;
            let limits = manifest.limits.apply(Limits::default()).map_err(from_policy("applet"))?;
            (policy, limits)
        }
        None => (padcell::Policy::new(), Limits::default()),
    };

    for (key, grant, access) in [
        ("dirs", dir_grant as GrantFn, Access::ReadOnly),
        ("rw_dirs", dir_grant as GrantFn, Access::ReadWrite),
        ("files", file_grant as GrantFn, Access::ReadOnly),
        ("rw_files", file_grant as GrantFn, Access::ReadWrite),
    ] {
        for (host, guest) in pairs(get(key)?, key)? {
            let host: PathBuf = host.extract()?;
            let guest: String = guest.extract()?;
            let made = grant(&host, &guest, access).map_err(from_policy(key))?;
            policy = policy.grant(made).map_err(from_policy(key))?;
        }
    }
    for (k, v) in pairs(get("env")?, "env")? {
        let (k, v): (String, String) = (k.extract()?, v.str()?.to_string());
        policy = policy.env(&k, &v).map_err(from_policy("env"))?;
    }

    let module_policy = modules(policy.modules().clone(), &get)?;
    policy = policy.with_modules(module_policy);
    limits = apply_limits(limits, &get)?;
    policy = policy.with_limits(limits);

    for (name, object) in objects(get("objects")?)? {
        let host = as_host_object(py, &name, &object)?;
        policy = policy.object(host).map_err(from_policy("objects"))?;
    }
    if let Some(hook) = get("on_open")? {
        policy = with_open_hook(policy, hook)?;
    }
    let on_audit = get("on_audit")?.map(Bound::unbind);
    Ok(Policy { inner: policy, options: options.unbind(), on_audit })
}

type GrantFn = fn(&Path, &str, Access) -> Result<Grant, PolicyError>;

fn dir_grant(host: &Path, guest: &str, access: Access) -> Result<Grant, PolicyError> {
    Grant::dir(host, guest, access)
}

fn file_grant(host: &Path, guest: &str, access: Access) -> Result<Grant, PolicyError> {
    Grant::file(host, guest, access)
}

/// A dict's items, or a `TypeError` naming the keyword.
fn pairs<'py>(value: Option<Bound<'py, PyAny>>, key: &str) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let dict = value.cast::<PyDict>().map_err(|_| PyTypeError::new_err(format!("Policy({key}=...) takes a dict")))?;
    Ok(dict.iter().collect())
}

/// Host objects: a dict of name to object, or a list of Bastions that carry their names.
fn objects(value: Option<Bound<'_, PyAny>>) -> PyResult<Vec<(String, Bound<'_, PyAny>)>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    if value.is_instance_of::<PyDict>() {
        return pairs(Some(value), "objects")?.into_iter().map(|(k, v)| Ok((k.extract()?, v))).collect();
    }
    let mut out = Vec::new();
    for item in value.try_iter()? {
        let item = item?;
        let name = item.cast::<Bastion>().ok().and_then(|b| b.get().given_name().map(str::to_owned));
        let Some(name) = name else {
            return Err(Python::attach(|py| policy_error(py, "objects", "objects given as a list must be Bastions with a name")));
        };
        out.push((name, item));
    }
    Ok(out)
}

/// A list of names (a single str is one name).
fn names(value: Option<Bound<'_, PyAny>>, key: &str) -> PyResult<Vec<String>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_string()]);
    }
    let mut out = Vec::new();
    for item in value.try_iter().map_err(|_| PyTypeError::new_err(format!("Policy({key}=...) takes a list of names")))? {
        out.push(item?.extract()?);
    }
    Ok(out)
}

type Getter<'a, 'py> = dyn Fn(&str) -> PyResult<Option<Bound<'py, PyAny>>> + 'a;

/// Module roots, the allow-list and the restricted names.
fn modules(mut m: ModulePolicy, get: &Getter<'_, '_>) -> PyResult<ModulePolicy> {
    if let Some(exact) = get("modules")? {
        let mut list = AllowList::empty();
        for name in names(Some(exact), "modules")? {
            list = list.allow(&name).map_err(from_policy("modules"))?;
        }
        m.allow_list = list;
    }
    for name in names(get("allow_modules")?, "allow_modules")? {
        m = m.allow(&name).map_err(from_policy("allow_modules"))?;
    }
    for name in names(get("deny_modules")?, "deny_modules")? {
        m = m.deny(&name).map_err(from_policy("deny_modules"))?;
    }
    if let Some(roots) = get("module_roots")? {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut loaders = m.roots.iter().filter(|r| matches!(r, ModuleRoot::Loader { .. })).count();
        for root in roots.try_iter()? {
            let root = root?;
            let made = match root.cast::<PyString>() {
                // The CLI's words: /GUEST/DIR, or HOST::loader.
                Ok(spec) => {
                    let spec = spec.to_string();
                    if spec.ends_with("::loader") {
                        loaders += 1;
                    }
                    ModuleRoot::parse(&spec, &cwd, loaders)
                }
                // A path object is a host directory for the loader alone.
                Err(_) => {
                    let host: PathBuf = root.extract()?;
                    loaders += 1;
                    let label = if loaders <= 1 { "codebase".to_owned() } else { format!("codebase{loaders}") };
                    ModuleRoot::loader(host, &label)
                }
            };
            m = m.root(made.map_err(from_policy("module_roots"))?).map_err(from_policy("module_roots"))?;
        }
    }
    m.names = restricted_names(m.names.clone(), get)?;
    Ok(m)
}

type NameStep = fn(RestrictedNames, &str) -> Result<RestrictedNames, PolicyError>;

fn restricted_names(mut n: RestrictedNames, get: &Getter<'_, '_>) -> PyResult<RestrictedNames> {
    // Exact lists (rexec's class attributes), as changes from the defaults.
    let exact: [(&str, &[&str], NameStep, NameStep); 3] = [
        ("hidden_builtins", DEFAULT_HIDDEN_BUILTINS, RestrictedNames::hide_builtin, RestrictedNames::show_builtin),
        ("sys_names", DEFAULT_SYS_NAMES, RestrictedNames::allow_sys, RestrictedNames::deny_sys),
        ("os_names", DEFAULT_OS_NAMES, RestrictedNames::allow_os, RestrictedNames::deny_os),
    ];
    for (key, defaults, add, remove) in exact {
        let Some(list) = get(key)? else { continue };
        let list = names(Some(list), key)?;
        for name in defaults.iter().filter(|d| !list.iter().any(|l| l == *d)) {
            n = remove(n, name).map_err(from_policy(key))?;
        }
        for name in &list {
            n = add(n, name).map_err(from_policy(key))?;
        }
    }
    let steps: [(&str, NameStep); 6] = [
        ("hide_builtins", RestrictedNames::hide_builtin),
        ("show_builtins", RestrictedNames::show_builtin),
        ("allow_sys", RestrictedNames::allow_sys),
        ("deny_sys", RestrictedNames::deny_sys),
        ("allow_os", RestrictedNames::allow_os),
        ("deny_os", RestrictedNames::deny_os),
    ];
    for (key, step) in steps {
        for name in names(get(key)?, key)? {
            n = step(n, &name).map_err(from_policy(key))?;
        }
    }
    Ok(n)
}

/// `timeout` (seconds, or "2s"), `memory`, `max_output` and `disk` (bytes, or "64MiB"), `fuel`
/// and `open_files` (counts).
fn apply_limits(mut limits: Limits, get: &Getter<'_, '_>) -> PyResult<Limits> {
    let text = |key: &str| -> PyResult<Option<String>> {
        Ok(get(key)?.filter(|v| v.is_instance_of::<PyString>()).map(|v| v.to_string()))
    };
    // Each text limit on its own, so an error names its keyword.
    if let Some(t) = text("timeout")? {
        limits = LimitFlags { timeout: Some(t), ..LimitFlags::default() }.apply(limits).map_err(from_policy("timeout"))?;
    }
    if let Some(m) = text("memory")? {
        limits = LimitFlags { memory: Some(m), ..LimitFlags::default() }.apply(limits).map_err(from_policy("memory"))?;
    }
    if let Some(o) = text("max_output")? {
        limits = LimitFlags { output: Some(o), ..LimitFlags::default() }.apply(limits).map_err(from_policy("max_output"))?;
    }
    if let Some(d) = text("disk")? {
        limits = LimitFlags { disk: Some(d), ..LimitFlags::default() }.apply(limits).map_err(from_policy("disk"))?;
    }
    let bad = |key: &str, what: &str| Python::attach(|py| policy_error(py, key, &format!("{key} must be {what}")));
    if let Some(t) = get("timeout")?.filter(|v| !v.is_instance_of::<PyString>()) {
        let secs: f64 = t.extract().map_err(|_| bad("timeout", "seconds or a duration such as \"2s\""))?;
        limits.timeout = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| bad("timeout", "a positive number of seconds"))?;
    }
    for (key, field) in [("memory", &mut limits.memory), ("max_output", &mut limits.output), ("disk", &mut limits.disk)] {
        if let Some(v) = get(key)?.filter(|v| !v.is_instance_of::<PyString>()) {
            *field = v.extract().map_err(|_| bad(key, "a number of bytes or a size such as \"64MiB\""))?;
        }
    }
    if let Some(fuel) = get("fuel")? {
        limits.fuel = Some(fuel.extract().map_err(|_| bad("fuel", "a positive int"))?);
    }
    if let Some(n) = get("open_files")? {
        limits.open_files = n.extract().map_err(|_| bad("open_files", "an int"))?;
    }
    Ok(limits)
}

/// rexec's `r_open` override: `on_open(cell_id, path, access)` is asked about every open inside
/// a grant, in the supervisor. `access` is "read" or "write"; a hook that takes a `mode`
/// keyword also gets the open's mode as the host derived it from the flags ('r', 'w', 'a',
/// 'x', with '+'). Raising refuses the open with the exception's message.
fn with_open_hook(policy: padcell::Policy, hook: Bound<'_, PyAny>) -> PyResult<padcell::Policy> {
    if !hook.is_callable() {
        return Err(PyTypeError::new_err("on_open must be callable"));
    }
    let wants_mode = takes_keyword(&hook, "mode")?;
    let hook = hook.unbind();
    Ok(policy.on_open(move |req: &OpenRequest<'_>| {
        crate::attach::attach(|py| {
            let access = match req.access {
                Access::ReadOnly => "read",
                Access::ReadWrite => "write",
            };
            let args = (req.cell, req.path.to_string(), access);
            let result = match wants_mode {
                true => {
                    let kwargs = PyDict::new(py);
                    kwargs.set_item("mode", req.mode).map_err(|e| e.to_string())?;
                    hook.bind(py).call(args, Some(&kwargs))
                }
                false => hook.bind(py).call1(args),
            };
            result.map(drop).map_err(|err| refusal(py, &err))
        })
    }))
}

/// What an applet is told when the hook raised: the exception's message (its class name when it
/// has none).
fn refusal(py: Python<'_>, err: &PyErr) -> String {
    let message = err.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    if message.is_empty() {
        err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "refused".to_owned())
    } else {
        message
    }
}

/// Whether `f` accepts the keyword `name` (or any keyword).
fn takes_keyword(f: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    let inspect = f.py().import("inspect")?;
    let Ok(signature) = inspect.call_method1("signature", (f,)) else { return Ok(false) };
    let var_keyword = inspect.getattr("Parameter")?.getattr("VAR_KEYWORD")?;
    for param in signature.getattr("parameters")?.call_method0("values")?.try_iter()? {
        let param = param?;
        if param.getattr("name")?.extract::<String>()? == name || param.getattr("kind")?.eq(&var_keyword)? {
            return Ok(true);
        }
    }
    Ok(false)
}
