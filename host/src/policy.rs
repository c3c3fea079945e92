//! What a cell may touch: grants of host directories and files, the environment it sees, and an
//! optional per-open hook (rexec's `r_open` override). Deny by default: an empty policy reads
//! nothing, writes nothing and sees no environment.

use crate::fs::GuestPath;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
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
///
/// A grant is a capability: it holds the directory it grants (for a file, the file's directory
/// and its name there), opened when the grant is made. Cells reach the host through that handle,
/// never through the path, so nothing renamed on the host afterwards can redirect a grant, and a
/// child's grant is opened below its parent's handle (see [`Grant::below`]).
#[derive(Clone, Debug)]
pub struct Grant {
    /// The canonical host path, for messages and for the overlap rule in [`Policy::grant`].
    host: PathBuf,
    guest: GuestPath,
    kind: GrantKind,
    access: Access,
    /// The granted directory, or a file grant's directory.
    dir: Arc<Dir>,
    /// A file grant's name in `dir`.
    file_name: Option<String>,
}

impl PartialEq for Grant {
    fn eq(&self, other: &Grant) -> bool {
        (&self.host, &self.guest, self.kind, self.access, &self.file_name)
            == (&other.host, &other.guest, other.kind, other.access, &other.file_name)
    }
}

impl Eq for Grant {}

/// A policy that cannot be built: a bad flag, a missing path, a conflict. Shown as one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl Grant {
    /// Grants the host directory `host` at `guest`. The directory is opened now. Symlinks in the
    /// path up to its last component are followed as the operator's own; a last component that
    /// is a symlink is followed only while it stays inside its parent directory (a link planted
    /// in a writable tree must not turn a grant of "the output" into a grant of what it points
    /// at): to grant what such a link names, name the target itself.
    pub fn dir(host: impl AsRef<Path>, guest: &str, access: Access) -> Result<Grant, PolicyError> {
        Grant::new(host.as_ref(), guest, GrantKind::Dir, access)
    }

    /// Grants the single host file `host` at `guest`, opened as [`Grant::dir`] opens a directory.
    /// The cell opens exactly that file: its name there is never followed elsewhere.
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
        if kind == GrantKind::File && guest.is_root() {
            return Err(PolicyError(format!("cannot grant the file {shown} at /")));
        }
        let fail = |e: std::io::Error| PolicyError(format!("cannot grant {shown}: {}", io_reason(&e)));
        // The parent, as the operator named it; then the last component inside it, by cap-std.
        let (parent, name) = match (host.parent(), host.file_name()) {
            (Some(parent), Some(name)) => (if parent.as_os_str().is_empty() { Path::new(".") } else { parent }, Path::new(name)),
            _ => (host, Path::new(".")),
        };
        let parent_host = std::fs::canonicalize(parent).map_err(fail)?;
        let parent_dir = Dir::open_ambient_dir(&parent_host, ambient_authority()).map_err(fail)?;
        let rel = match parent_dir.canonicalize(name) {
            Ok(rel) => rel,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && parent_dir.symlink_metadata(name).is_ok() => {
                return Err(PolicyError(format!(
                    "cannot grant {shown}: it is a symlink that leads outside {}; grant its target by its own path",
                    parent_host.display()
                )));
            }
            Err(e) => return Err(fail(e)),
        };
        let meta = parent_dir.metadata(dot_if_empty(&rel)).map_err(fail)?;
        match kind {
            GrantKind::Dir if !meta.is_dir() => {
                return Err(PolicyError(format!("cannot grant {shown} as a directory: it is not one (use --file)")));
            }
            GrantKind::File if !meta.is_file() => {
                return Err(PolicyError(format!("cannot grant {shown} as a file: it is not a regular file")));
            }
            _ => {}
        }
        Grant::opened(&parent_dir, &parent_host, &rel, guest, kind, access).map_err(fail)
    }

    /// The grant of `rel` (canonical, relative to `base`, whose host path is `base_host`).
    fn opened(base: &Dir, base_host: &Path, rel: &Path, guest: GuestPath, kind: GrantKind, access: Access) -> std::io::Result<Grant> {
        let host = if dot_if_empty(rel) == Path::new(".") { base_host.to_path_buf() } else { base_host.join(rel) };
        let (dir, file_name) = match kind {
            GrantKind::Dir => (base.open_dir(dot_if_empty(rel))?, None),
            GrantKind::File => {
                let name = rel.file_name().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
                let parent = rel.parent().unwrap_or(Path::new(""));
                (base.open_dir(dot_if_empty(parent))?, Some(name.to_string_lossy().into_owned()))
            }
        };
        Ok(Grant { host, guest, kind, access, dir: Arc::new(dir), file_name })
    }

    /// A grant of `rel` below this (directory) grant, shown at `guest`: opened through this
    /// grant's handle, so it cannot lead outside it, whatever links or renames are in the way.
    /// `None` for anything that is not a `kind` inside this grant, with no reason given, so a
    /// refusal tells nothing about the host beyond the grant.
    pub(crate) fn below(&self, rel: &str, guest: GuestPath, kind: GrantKind, access: Access) -> Option<Grant> {
        match self.kind {
            GrantKind::File if rel.is_empty() && kind == GrantKind::File => {
                return Some(Grant { guest, access, ..self.clone() });
            }
            GrantKind::File => return None,
            GrantKind::Dir => {}
        }
        let rel = self.dir.canonicalize(if rel.is_empty() { "." } else { rel }).ok()?;
        let meta = self.dir.metadata(dot_if_empty(&rel)).ok()?;
        let fits = match kind {
            GrantKind::Dir => meta.is_dir(),
            GrantKind::File => meta.is_file(),
        };
        if !fits {
            return None;
        }
        Grant::opened(&self.dir, &self.host, &rel, guest, kind, access).ok()
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

    /// The granted directory, or a file grant's directory.
    pub(crate) fn handle(&self) -> &Dir {
        &self.dir
    }

    /// A file grant's name in [`Grant::dir`].
    pub(crate) fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }
}

/// cap-std names a directory itself `.`, never the empty path.
fn dot_if_empty(path: &Path) -> &Path {
    if path.as_os_str().is_empty() { Path::new(".") } else { path }
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
