//! What a cell may touch: grants of host directories and files, the environment it sees, and an
//! optional per-open hook (rexec's `r_open` override). Deny by default: an empty policy reads
//! nothing, writes nothing and sees no environment.

use crate::fs::GuestPath;
use crate::limits::Limits;
use crate::modules::ModulePolicy;
use crate::objects::HostObject;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// How much a grant allows. Read-only is the default, as in rexec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    #[default]
    ReadOnly,
    ReadWrite,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
        }
    }
}

impl FromStr for Access {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Access, PolicyError> {
        match s {
            "ro" => Ok(Access::ReadOnly),
            "rw" => Ok(Access::ReadWrite),
            other => Err(PolicyError(format!("unknown access {other:?}: use ro or rw"))),
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        })
    }
}

/// A grant is of a directory (and everything below it) or of a single file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    Dir,
    File,
}

/// One host directory or file, shown to the cell at a guest path, with an access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    host: PathBuf,
    guest: GuestPath,
    kind: GrantKind,
    access: Access,
}

/// A policy that cannot be built: a bad flag, a missing path, a conflict. Shown as one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl Grant {
    /// Grants the host directory `host` at `guest`. The host path is resolved now (symlinks
    /// included), so later changes on the host cannot redirect the grant.
    pub fn dir(host: impl AsRef<Path>, guest: &str, access: Access) -> Result<Grant, PolicyError> {
        Grant::new(host.as_ref(), guest, GrantKind::Dir, access)
    }

    /// Grants the single host file `host` at `guest`.
    pub fn file(host: impl AsRef<Path>, guest: &str, access: Access) -> Result<Grant, PolicyError> {
        Grant::new(host.as_ref(), guest, GrantKind::File, access)
    }

    /// Parses the CLI form `HOST[::GUEST[::ro|rw]]`; GUEST defaults to HOST, access to `ro`.
    /// Relative host paths are taken from `base`.
    pub fn parse(spec: &str, kind: GrantKind, base: &Path) -> Result<Grant, PolicyError> {
        let mut fields = spec.split("::");
        let host = fields.next().unwrap_or_default();
        let guest = fields.next().unwrap_or(host);
        let access = fields.next().map(str::parse).transpose()?.unwrap_or_default();
        if let Some(extra) = fields.next() {
            return Err(PolicyError(format!("grant {spec:?}: unexpected {extra:?} after the access")));
        }
        if host.is_empty() {
            return Err(PolicyError(format!("grant {spec:?}: empty host path")));
        }
        Grant::new(&base.join(host), guest, kind, access)
    }

    fn new(host: &Path, guest: &str, kind: GrantKind, access: Access) -> Result<Grant, PolicyError> {
        let guest = GuestPath::parse_absolute(guest).map_err(PolicyError)?;
        let shown = host.display();
        let meta = std::fs::metadata(host)
            .map_err(|e| PolicyError(format!("cannot grant {shown}: {}", io_reason(&e))))?;
        match kind {
            GrantKind::Dir if !meta.is_dir() => {
                return Err(PolicyError(format!("cannot grant {shown} as a directory: it is not one (use --file)")));
            }
            GrantKind::File if !meta.is_file() => {
                return Err(PolicyError(format!("cannot grant {shown} as a file: it is not a regular file")));
            }
            _ => {}
        }
        if kind == GrantKind::File && guest.is_root() {
            return Err(PolicyError(format!("cannot grant the file {shown} at /")));
        }
        let host = std::fs::canonicalize(host)
            .map_err(|e| PolicyError(format!("cannot grant {shown}: {}", io_reason(&e))))?;
        Ok(Grant { host, guest, kind, access })
    }

    pub fn host(&self) -> &Path {
        &self.host
    }

    pub fn guest(&self) -> &GuestPath {
        &self.guest
    }

    pub fn kind(&self) -> GrantKind {
        self.kind
    }

    pub fn access(&self) -> Access {
        self.access
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// What a per-open hook is asked about.
#[derive(Clone, Debug)]
pub struct OpenRequest<'a> {
    /// The cell's id within its supervisor.
    pub cell: u64,
    /// The path as the guest sees it.
    pub path: &'a GuestPath,
    /// What the open asks for: `ReadWrite` for any open that can change the file.
    pub access: Access,
}

/// Refuses an open with a rule the applet and the audit log will see; `Ok` lets it through to
/// the grant's own rules.
pub type OpenHook = Arc<dyn Fn(&OpenRequest<'_>) -> Result<(), String> + Send + Sync>;

/// The grants, environment, modules, host objects, limits and hook a cell runs under.
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
                return Err(PolicyError(format!("two grants at guest path {}", grant.guest)));
            }
            for (ro, rw) in [(&grant, other), (other, &grant)] {
                if ro.access == Access::ReadOnly
                    && rw.access == Access::ReadWrite
                    && rw.kind == GrantKind::Dir
                    && ro.host.starts_with(&rw.host)
                {
                    return Err(PolicyError(format!(
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
            return Err(PolicyError(format!("bad environment variable name {key:?}")));
        }
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Parses the CLI form `KEY=VALUE`.
    pub fn env_pair(self, pair: &str) -> Result<Policy, PolicyError> {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(PolicyError(format!("--env {pair:?}: expected KEY=VALUE")));
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

    pub fn modules(&self) -> &ModulePolicy {
        &self.modules
    }

    /// Grants a host object; the cell reaches it as `padcell.host(NAME)`. Refuses a second
    /// object of the same name.
    pub fn object(mut self, object: HostObject) -> Result<Policy, PolicyError> {
        if self.objects.iter().any(|o| o.name() == object.name()) {
            return Err(PolicyError(format!("two host objects named {:?}", object.name())));
        }
        self.objects.push(Arc::new(object));
        Ok(self)
    }

    pub fn objects(&self) -> &[Arc<HostObject>] {
        &self.objects
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

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
