//! The module loader's policy and machinery: rexec's `ok_path`, `ok_builtin_modules` and
//! restricted names, with the host as the loader.
//!
//! Applet code asks the host before it imports a top-level name; the host answers from the
//! [`AllowList`] and the [`ModuleRoot`]s, audits refusals, and serves module source read through
//! cap-std, with bytecode from its [`BytecodeCache`].

mod allow_list;
mod bytecode_cache;
mod loader;
pub(crate) mod name;
mod names;
mod remote;
mod root;

pub use allow_list::{ALL, AllowList, DEFAULT_ALLOWED, SUPPORT_MODULES};
pub(crate) use bytecode_cache::BytecodeCache;
pub(crate) use loader::ModuleLoader;
pub use names::{DEFAULT_HIDDEN_BUILTINS, DEFAULT_OS_NAMES, DEFAULT_SYS_NAMES, RestrictedNames};
pub use remote::{FetchLimits, RemoteRoot};
pub use root::ModuleRoot;

use crate::policy::PolicyError;

/// What a cell may import and which names it sees. The default allows the modules in
/// [`DEFAULT_ALLOWED`], has no module roots, and restricts names as [`RestrictedNames`] says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModulePolicy {
    pub allow_list: AllowList,
    pub roots: Vec<ModuleRoot>,
    pub names: RestrictedNames,
}

impl ModulePolicy {
    /// Adds a module root, searched after the ones before it.
    pub fn root(mut self, root: ModuleRoot) -> Result<ModulePolicy, PolicyError> {
        if self.roots.contains(&root) {
            return Err(PolicyError(format!("module root {root} given twice")));
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

    pub fn names(mut self, names: RestrictedNames) -> ModulePolicy {
        self.names = names;
        self
    }
}
