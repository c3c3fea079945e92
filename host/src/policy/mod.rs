//! What a cell may touch: grants of host directories and files, the environment it sees, and an
//! optional per-open hook (rexec's `r_open` override). Deny by default: an empty policy reads
//! nothing, writes nothing and sees no environment.

pub(crate) mod audit;
mod error;
mod grant;
mod guest_path;
mod limits;
pub(crate) mod modules;
pub(crate) mod narrow;
mod objects;
mod open_hook;

pub use audit::{AuditEvent, AuditSink, MAX_AUDIT_EVENTS};
pub use error::PolicyError;
pub use grant::{Access, Grant, GrantKind};
pub(crate) use grant::{dot_if_empty, io_reason};
pub use guest_path::GuestPath;
pub(crate) use limits::Allowance;
pub use limits::{LimitExceeded, LimitKind, Limits};
pub(crate) use modules::ModulePolicy;
pub use objects::{Filter, HostObject, Method, ObjectError};
pub use open_hook::{OpenHook, OpenRequest, open_mode};

use std::fmt;
use std::sync::Arc;

/// The grants, environment, modules, host objects, limits and hook a cell runs under.
///
/// ```no_run
/// use padcell::{Access, Grant, Limits, ModulePolicy, Policy};
/// use std::time::Duration;
/// let policy = Policy::new()
///     .grant(Grant::dir("./data", "/data", Access::ReadOnly)?)?
///     .grant(Grant::dir("./out", "/out", Access::ReadWrite)?)?
///     .env("MODE", "test")?
///     .with_modules(ModulePolicy::default().allow("csv")?)
///     .with_limits(Limits { timeout: Duration::from_secs(2), memory: 64 << 20, ..Limits::default() })
///     .on_open(|open| if open.mode.starts_with('w') && open.path.to_string().ends_with(".py") {
///         Err("applets may not write Python files".to_owned())
///     } else {
///         Ok(())
///     });
/// # Ok::<(), padcell::PolicyError>(())
/// ```
#[derive(Clone, Default)]
pub struct Policy {
    grants: Vec<Grant>,
    env: Vec<(String, String)>,
    modules: ModulePolicy,
    objects: Vec<Arc<HostObject>>,
    limits: Limits,
    open_hook: Option<OpenHook>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("grants", &self.grants)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("modules", &self.modules)
            .field("objects", &self.objects.iter().map(|o| o.name()).collect::<Vec<_>>())
            .field("limits", &self.limits)
            .field("open_hook", &self.open_hook.is_some())
            .finish()
    }
}

impl Policy {
    /// The empty policy: no grants, no environment, no module roots, the default module
    /// allow-list and restricted names (see [`ModulePolicy`]).
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Adds a grant. Refuses a second grant at the same guest path, and a read-only grant of a
    /// host path that a read-write grant already exposes (it would be writable through that one),
    /// in either order.
    pub fn grant(mut self, grant: Grant) -> Result<Policy, PolicyError> {
        for other in &self.grants {
            if other.guest == grant.guest {
                return Err(PolicyError::Conflict(format!("two grants at guest path {}", grant.guest)));
            }
            for (ro, rw) in [(&grant, other), (other, &grant)] {
                if ro.access == Access::ReadOnly
                    && rw.access == Access::ReadWrite
                    && rw.kind == GrantKind::Dir
                    && ro.host.starts_with(&rw.host)
                {
                    return Err(PolicyError::Conflict(format!(
                        "read-only grant {} lies inside read-write grant {} on the host, which would make it writable",
                        ro.guest, rw.guest
                    )));
                }
            }
        }
        self.grants.push(grant);
        Ok(self)
    }

    /// Adds an environment variable the cell sees. `KEY=VALUE` keys may not contain `=`.
    pub fn env(mut self, key: &str, value: &str) -> Result<Policy, PolicyError> {
        if key.is_empty() || key.contains('=') || key.contains('\0') || value.contains('\0') {
            return Err(PolicyError::Invalid(format!("bad environment variable name {key:?}")));
        }
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Parses the CLI form `KEY=VALUE`.
    pub fn env_pair(self, pair: &str) -> Result<Policy, PolicyError> {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(PolicyError::Invalid(format!("--env {pair:?}: expected KEY=VALUE")));
        };
        self.env(key, value)
    }

    /// Installs the per-open hook: called for every open inside a grant, before the grant's own
    /// rules, with the guest path and the access asked for.
    pub fn on_open(mut self, hook: impl Fn(&OpenRequest<'_>) -> Result<(), String> + Send + Sync + 'static) -> Policy {
        self.open_hook = Some(Arc::new(hook));
        self
    }

    /// Replaces the limits (finite defaults otherwise: see [`Limits`]).
    pub fn with_limits(mut self, limits: Limits) -> Policy {
        self.limits = limits;
        self
    }

    /// Replaces what the cell may import and which names it sees.
    pub fn with_modules(mut self, modules: ModulePolicy) -> Policy {
        self.modules = modules;
        self
    }

    /// What the cell may import and which names it sees.
    pub fn modules(&self) -> &ModulePolicy {
        &self.modules
    }

    /// Grants a host object; the cell reaches it as `padcell.host(NAME)`. Refuses a second
    /// object of the same name.
    pub fn object(mut self, object: HostObject) -> Result<Policy, PolicyError> {
        if self.objects.iter().any(|o| o.name() == object.name()) {
            return Err(PolicyError::Conflict(format!("two host objects named {:?}", object.name())));
        }
        self.objects.push(Arc::new(object));
        Ok(self)
    }

    /// The host objects granted, in the order they were added.
    pub fn objects(&self) -> &[Arc<HostObject>] {
        &self.objects
    }

    /// The limits the cell runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The grants, in the order they were added.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The environment the cell sees, as `(name, value)` pairs.
    pub fn env_vars(&self) -> &[(String, String)] {
        &self.env
    }

    pub(crate) fn open_hook(&self) -> Option<&OpenHook> {
        self.open_hook.as_ref()
    }

    /// Installs a hook as it is (a child cell keeps its parent's).
    pub(crate) fn with_open_hook(mut self, hook: Option<OpenHook>) -> Policy {
        self.open_hook = hook;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `outer/inner`, two nested host directories.
    fn nested() -> (tempfile::TempDir, std::path::PathBuf) {
        let outer = tempfile::tempdir().expect("a temporary directory");
        let inner = tempfile::Builder::new().prefix("inner").tempdir_in(outer.path()).expect("inner").keep();
        (outer, inner)
    }

    #[test]
    fn a_read_only_grant_inside_a_read_write_one_is_refused_in_either_order() {
        let (outer, inner) = nested();
        let rw = || Grant::dir(outer.path(), "/out", Access::ReadWrite).expect("grant");
        let ro = || Grant::dir(&inner, "/in", Access::ReadOnly).expect("grant");
        for (first, second) in [(rw(), ro()), (ro(), rw())] {
            let refused = Policy::new().grant(first).and_then(|p| p.grant(second));
            assert!(matches!(&refused, Err(PolicyError::Conflict(m)) if m.contains("would make it writable")), "{refused:?}");
        }
        // The other way round is fine: a read-write grant inside a read-only one is narrower.
        let ro_outer = Grant::dir(outer.path(), "/data", Access::ReadOnly).expect("grant");
        let rw_inner = Grant::dir(&inner, "/out", Access::ReadWrite).expect("grant");
        assert!(Policy::new().grant(ro_outer).and_then(|p| p.grant(rw_inner)).is_ok());
    }

    #[test]
    fn two_grants_at_one_guest_path_conflict() {
        let (outer, inner) = nested();
        let a = Grant::dir(outer.path(), "/data", Access::ReadOnly).expect("grant");
        let b = Grant::dir(&inner, "/data/", Access::ReadOnly).expect("grant");
        let refused = Policy::new().grant(a).and_then(|p| p.grant(b));
        assert!(matches!(&refused, Err(PolicyError::Conflict(m)) if m.contains("two grants at guest path /data")), "{refused:?}");
    }

    #[test]
    fn the_empty_policy_grants_nothing() {
        let policy = Policy::new();
        assert!(policy.grants().is_empty() && policy.env_vars().is_empty() && policy.objects().is_empty());
        assert!(policy.open_hook().is_none());
        assert_eq!(*policy.limits(), Limits::DEFAULT);
        assert!(policy.modules().roots.is_empty());
        assert!(!policy.modules().allow_list.is_allowed("socket") && !policy.modules().allow_list.is_allowed("subprocess"));
    }

    #[test]
    fn environment_names_are_checked() {
        for bad in ["", "A=B", "NUL\0"] {
            assert!(matches!(Policy::new().env(bad, "x"), Err(PolicyError::Invalid(_))), "{bad:?}");
        }
        let policy = Policy::new().env("MODE", "a").and_then(|p| p.env("MODE", "b")).expect("a valid name");
        assert_eq!(policy.env_vars(), [("MODE".to_owned(), "b".to_owned())]);
    }
}
