//! Module roots (rexec's `ok_path`): where `import x` finds `x.py` or `x/__init__.py`.

use super::RemoteRoot;
use crate::fs::GuestPath;
use crate::policy::PolicyError;
use std::fmt;
use std::path::{Path, PathBuf};

/// A place modules are imported from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleRoot {
    /// A guest directory inside a directory grant. Its modules are read through the grant, with
    /// the grant's rules and open hook, and the applet can read them with `open()` as well.
    Guest(GuestPath),
    /// A host directory granted to the loader only (Grail's codebase): its modules can be
    /// imported, but the cell cannot see or open it. Tracebacks show `<LABEL>/mod.py`.
    Loader { host: PathBuf, label: String },
    /// An http codebase, fetched by the loader alone: the cell has no network.
    Remote(RemoteRoot),
}

impl ModuleRoot {
    /// A guest directory; it must lie inside a directory grant when the cell is made.
    pub fn guest(path: &str) -> Result<ModuleRoot, PolicyError> {
        Ok(ModuleRoot::Guest(GuestPath::parse_absolute(path).map_err(PolicyError)?))
    }

    /// A host directory for the loader only, resolved now (symlinks included).
    pub fn loader(host: impl AsRef<Path>, label: &str) -> Result<ModuleRoot, PolicyError> {
        let host = host.as_ref();
        if !super::name::is_identifier(label) {
            return Err(PolicyError(format!("module root label {label:?} is not a Python name")));
        }
        let canonical = std::fs::canonicalize(host)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| PolicyError(format!("cannot use {} as a module root: it is not a directory", host.display())))?;
        Ok(ModuleRoot::Loader { host: canonical, label: label.to_owned() })
    }

    /// Parses the CLI form: `/GUEST/DIR` for a guest directory, or `HOST::loader` for a host
    /// directory the loader alone reads (relative to `base`). The `n`th loader root is labelled
    /// `codebase`, `codebase2`, ...
    pub fn parse(spec: &str, base: &Path, n: usize) -> Result<ModuleRoot, PolicyError> {
        match spec.split_once("::") {
            Some((host, "loader")) if !host.is_empty() => {
                let label = if n <= 1 { "codebase".to_owned() } else { format!("codebase{n}") };
                ModuleRoot::loader(base.join(host), &label)
            }
            Some((_, other)) => Err(PolicyError(format!(
                "module root {spec:?}: unexpected {other:?} (use /GUEST/DIR or HOST::loader)"
            ))),
            None if spec.starts_with('/') => ModuleRoot::guest(spec),
            None => Err(PolicyError(format!(
                "module root {spec:?}: give a guest directory (/GUEST/DIR) or a host directory for the loader (HOST::loader)"
            ))),
        }
    }
}

impl fmt::Display for ModuleRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleRoot::Guest(path) => write!(f, "{path}"),
            ModuleRoot::Loader { label, .. } => write!(f, "<{label}>"),
            ModuleRoot::Remote(remote) => write!(f, "<{}>", remote.label()),
        }
    }
}
