//! Module roots from host paths: a loader-only directory is opened here, as the operator, and
//! the CLI's `--module-root` form is parsed here.

use crate::policy::PolicyError;
use crate::policy::modules::{LoaderRoot, ModuleRoot};
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::path::Path;
use std::sync::Arc;

impl ModuleRoot {
    /// A host directory for the loader only, resolved now (symlinks included).
    pub fn loader(host: impl AsRef<Path>, label: &str) -> Result<ModuleRoot, PolicyError> {
        let host = host.as_ref();
        if !crate::policy::modules::is_identifier(label) {
            return Err(PolicyError::Invalid(format!("module root label {label:?} is not a Python name")));
        }
        let not_dir = || PolicyError::Grant(format!("cannot use {} as a module root: it is not a directory", host.display()));
        let canonical = std::fs::canonicalize(host).map_err(|_| not_dir())?;
        let dir = Dir::open_ambient_dir(&canonical, ambient_authority()).map_err(|_| not_dir())?;
        if !dir.dir_metadata().is_ok_and(|m| m.is_dir()) {
            return Err(not_dir());
        }
        Ok(ModuleRoot::Loader(LoaderRoot { host: canonical, label: label.to_owned(), dir: Arc::new(dir) }))
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
            Some((_, other)) => {
                Err(PolicyError::Invalid(format!("module root {spec:?}: unexpected {other:?} (use /GUEST/DIR or HOST::loader)")))
            }
            None if spec.starts_with('/') => ModuleRoot::guest(spec),
            None => Err(PolicyError::Invalid(format!(
                "module root {spec:?}: give a guest directory (/GUEST/DIR) or a host directory for the loader (HOST::loader)"
            ))),
        }
    }
}
