//! Module roots (rexec's `ok_path`): where `import x` finds `x.py` or `x/__init__.py`.

use super::RemoteRoot;
use crate::policy::GuestPath;
use crate::policy::PolicyError;
use cap_std::fs::Dir;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A place modules are imported from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModuleRoot {
    /// A guest directory inside a directory grant. Its modules are read through the grant, with
    /// the grant's rules and open hook, and the applet can read them with `open()` as well.
    Guest(GuestPath),
    /// A host directory granted to the loader only (Grail's codebase): its modules can be
    /// imported, but the cell cannot see or open it. Tracebacks show `<LABEL>/mod.py`.
    Loader(LoaderRoot),
    /// An http codebase, fetched by the loader alone: the cell has no network.
    Remote(RemoteRoot),
}

impl ModuleRoot {
    /// A guest directory; it must lie inside a directory grant when the cell is made.
    pub fn guest(path: &str) -> Result<ModuleRoot, PolicyError> {
        Ok(ModuleRoot::Guest(GuestPath::parse_absolute(path).map_err(PolicyError::Invalid)?))
    }
}

impl fmt::Display for ModuleRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleRoot::Guest(path) => write!(f, "{path}"),
            ModuleRoot::Loader(root) => write!(f, "<{}>", root.label),
            ModuleRoot::Remote(remote) => write!(f, "<{}>", remote.label()),
        }
    }
}

/// A host directory granted to the module loader alone, opened when the root is made (see
/// `config::module_roots`): cells reach it through that handle, never through the path.
#[derive(Clone)]
pub struct LoaderRoot {
    pub(crate) host: PathBuf,
    pub(crate) label: String,
    pub(crate) dir: Arc<Dir>,
}

impl LoaderRoot {
    /// The directory's canonical host path (for the operator's messages only).
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// The label tracebacks show it as: `<LABEL>/mod.py`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The opened directory.
    pub(crate) fn dir(&self) -> &Dir {
        &self.dir
    }
}

impl PartialEq for LoaderRoot {
    fn eq(&self, other: &LoaderRoot) -> bool {
        (&self.host, &self.label) == (&other.host, &other.label)
    }
}

impl Eq for LoaderRoot {}

impl fmt::Debug for LoaderRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoaderRoot").field("host", &self.host).field("label", &self.label).finish()
    }
}
