//! The names applet code sees (rexec's `nok_builtin_names`, `ok_sys_names`, `ok_posix_names`).
//!
//! Applet code (the main program and modules from roots) that imports `sys` or `os` gets a view
//! of the real module holding only the allowed names; the interpreter's own modules keep the
//! real ones, so they work as usual. Hidden builtins are gone from the whole cell. Like the
//! module allow-list, these shape what an applet reaches; the host is the wall.

use crate::abi::Value;
use crate::policy::PolicyError;
use std::collections::BTreeSet;

/// Builtins a cell has none of by default: the debugger hook, which would start pdb on the
/// cell's stdin. (A cell has no site module, so `help`, `exit` and `quit` never exist.)
pub const DEFAULT_HIDDEN_BUILTINS: &[&str] = &["breakpoint"];

/// `sys` names applet code sees by default: facts about the interpreter, stdio, `argv` and
/// `exit`. Not `modules`, `path`, `meta_path`, `_getframe`, `settrace` or `setrecursionlimit`.
pub const DEFAULT_SYS_NAMES: &[&str] = &[
    "api_version",
    "argv",
    "byteorder",
    "copyright",
    "exc_info",
    "exception",
    "exit",
    "flags",
    "float_info",
    "float_repr_style",
    "getdefaultencoding",
    "getfilesystemencoding",
    "getrecursionlimit",
    "getsizeof",
    "hash_info",
    "hexversion",
    "implementation",
    "int_info",
    "intern",
    "maxsize",
    "maxunicode",
    "platform",
    "stderr",
    "stdin",
    "stdout",
    "version",
    "version_info",
];

/// `os` names applet code sees by default: paths, the environment the policy gives, the file
/// operations the host polices, and `_exit`, which ends only the cell. Not processes,
/// descriptors or `chdir`.
pub const DEFAULT_OS_NAMES: &[&str] = &[
    "DirEntry",
    "_exit",
    "F_OK",
    "PathLike",
    "R_OK",
    "SEEK_CUR",
    "SEEK_END",
    "SEEK_SET",
    "W_OK",
    "X_OK",
    "access",
    "altsep",
    "chmod",
    "curdir",
    "defpath",
    "devnull",
    "environ",
    "error",
    "extsep",
    "fsdecode",
    "fsencode",
    "fspath",
    "getcwd",
    "getenv",
    "linesep",
    "link",
    "listdir",
    "lstat",
    "makedirs",
    "mkdir",
    "name",
    "pardir",
    "path",
    "pathsep",
    "readlink",
    "remove",
    "removedirs",
    "rename",
    "renames",
    "replace",
    "rmdir",
    "scandir",
    "sep",
    "stat",
    "stat_result",
    "strerror",
    "symlink",
    "truncate",
    "unlink",
    "urandom",
    "utime",
    "walk",
];

/// One list of names; `None` allows every name.
type NameSet = Option<BTreeSet<String>>;

/// What applet code sees of `builtins`, `sys` and `os`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestrictedNames {
    hidden_builtins: BTreeSet<String>,
    sys: NameSet,
    os: NameSet,
}

impl Default for RestrictedNames {
    fn default() -> Self {
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        RestrictedNames {
            hidden_builtins: set(DEFAULT_HIDDEN_BUILTINS),
            sys: Some(set(DEFAULT_SYS_NAMES)),
            os: Some(set(DEFAULT_OS_NAMES)),
        }
    }
}

impl RestrictedNames {
    /// Removes a builtin from the cell.
    pub fn hide_builtin(mut self, name: &str) -> Result<Self, PolicyError> {
        self.hidden_builtins.insert(identifier(name)?);
        Ok(self)
    }

    /// Keeps a builtin the defaults would hide.
    pub fn show_builtin(mut self, name: &str) -> Result<Self, PolicyError> {
        self.hidden_builtins.remove(&identifier(name)?);
        Ok(self)
    }

    /// Lets applet code see `sys.NAME` (`*`: all of `sys`).
    pub fn allow_sys(mut self, name: &str) -> Result<Self, PolicyError> {
        allow(&mut self.sys, name)?;
        Ok(self)
    }

    /// Hides `sys.NAME` from applet code. An error after `allow_sys("*")`, which no longer
    /// lists names to take one from.
    pub fn deny_sys(mut self, name: &str) -> Result<Self, PolicyError> {
        deny(&mut self.sys, name, "sys")?;
        Ok(self)
    }

    /// Lets applet code see `os.NAME` (`*`: all of `os`).
    pub fn allow_os(mut self, name: &str) -> Result<Self, PolicyError> {
        allow(&mut self.os, name)?;
        Ok(self)
    }

    /// Hides `os.NAME` from applet code. An error after `allow_os("*")`, as for
    /// [`RestrictedNames::deny_sys`].
    pub fn deny_os(mut self, name: &str) -> Result<Self, PolicyError> {
        deny(&mut self.os, name, "os")?;
        Ok(self)
    }

    /// The answer to [`Ask::Names`](crate::abi::Ask::Names).
    pub(crate) fn to_value(&self) -> Value {
        let list = |names: &BTreeSet<String>| Value::List(names.iter().cloned().map(Value::Str).collect());
        let entry = |key: &str, value: Value| (Value::Str(key.to_owned()), value);
        Value::Dict(vec![
            entry("hidden_builtins", list(&self.hidden_builtins)),
            entry("sys", self.sys.as_ref().map_or(Value::None, list)),
            entry("os", self.os.as_ref().map_or(Value::None, list)),
        ])
    }
}

fn identifier(name: &str) -> Result<String, PolicyError> {
    if super::name::is_identifier(name) {
        Ok(name.to_owned())
    } else {
        Err(PolicyError::Invalid(format!("{name:?} is not a Python name")))
    }
}

fn allow(set: &mut NameSet, name: &str) -> Result<(), PolicyError> {
    if name == "*" {
        *set = None;
    } else if let Some(set) = set {
        set.insert(identifier(name)?);
    }
    Ok(())
}

fn deny(set: &mut NameSet, name: &str, module: &str) -> Result<(), PolicyError> {
    let name = identifier(name)?;
    match set {
        Some(set) => {
            set.remove(&name);
            Ok(())
        }
        None => Err(PolicyError::Invalid(format!("cannot deny {module}.{name} after allowing all of {module}"))),
    }
}
