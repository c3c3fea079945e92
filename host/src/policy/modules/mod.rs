//! What a cell may import, as data: rexec's `ok_path` (module roots), `ok_builtin_modules` (the
//! allow-list) and restricted names. The loader (`crate::loader`) enforces it.

mod allow_list;
pub(crate) mod name;
mod names;
mod remote;
mod root;

pub(crate) use allow_list::SUPPORT_MODULES;
pub use allow_list::{ALL, AllowList, DEFAULT_ALLOWED};
pub(crate) use name::is_identifier;
pub use names::{DEFAULT_HIDDEN_BUILTINS, DEFAULT_OS_NAMES, DEFAULT_SYS_NAMES, RestrictedNames};
pub use remote::{FetchLimits, RemoteRoot};
pub(crate) use root::LoaderRoot;
pub use root::ModuleRoot;

use crate::policy::PolicyError;

/// What a cell may import and which names it sees. The default allows the modules in
/// [`DEFAULT_ALLOWED`], has no module roots, and restricts names as [`RestrictedNames`] says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModulePolicy {
    /// Which of the interpreter's own modules applet code may import, and which are denied
    /// from every source.
    pub allow_list: AllowList,
    /// Where else modules come from, searched in order.
    pub roots: Vec<ModuleRoot>,
    /// Which names of `builtins`, `sys` and `os` applet code sees.
    pub names: RestrictedNames,
}

impl ModulePolicy {
    /// Adds a module root, searched after the ones before it.
    pub fn root(mut self, root: ModuleRoot) -> Result<ModulePolicy, PolicyError> {
        if self.roots.contains(&root) {
            return Err(PolicyError::Conflict(format!("module root {root} given twice")));
        }
        self.roots.push(root);
        Ok(self)
    }

    /// Allows a top-level module of the interpreter (`*`: all of them).
    pub fn allow(mut self, name: &str) -> Result<ModulePolicy, PolicyError> {
        self.allow_list = self.allow_list.allow(name)?;
        Ok(self)
    }

    /// Denies a top-level module, from the interpreter or from a root.
    pub fn deny(mut self, name: &str) -> Result<ModulePolicy, PolicyError> {
        self.allow_list = self.allow_list.deny(name)?;
        Ok(self)
    }

    /// Replaces which names applet code sees.
    pub fn names(mut self, names: RestrictedNames) -> ModulePolicy {
        self.names = names;
        self
    }
}
