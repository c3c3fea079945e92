//! Which of the interpreter's own modules (built-in and frozen stdlib) applet code may import:
//! rexec's `ok_builtin_modules`.
//!
//! The list shapes what an applet can reach; it is not what keeps a hostile applet in. Every
//! module runs inside the cell, and whatever a module does reaches the host only through WASI
//! and the `padcell` imports, which the host polices. An applet that gets hold of a module the
//! list leaves out (say, as an attribute of one it may import) gains nothing the host would refuse.

use crate::policy::PolicyError;
use std::collections::BTreeSet;

/// The default: modules that compute and touch nothing, plus `os`, `sys` and `io`, which applet
/// code sees through [`RestrictedNames`](super::RestrictedNames), and `importlib` for `reload`.
///
/// It also holds the support modules the interpreter's native code imports on behalf of
/// whatever Python code called it (`locale` when a text file is opened, `copyreg` for copying,
/// `_strptime` for `time.strptime`, `traceback`, `annotationlib`, ...). Such an import carries
/// the calling applet's globals, so the guest cannot tell it from the applet's own.
pub const DEFAULT_ALLOWED: &[&str] = &[
    "__future__",
    "_datetime",
    "_json",
    "_strptime",
    "abc",
    "annotationlib",
    "array",
    "base64",
    "binascii",
    "bisect",
    "calendar",
    "cmath",
    "codecs",
    "collections",
    "colorsys",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "encodings",
    "enum",
    "errno",
    "fnmatch",
    "fractions",
    "functools",
    "graphlib",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "importlib",
    "io",
    "itertools",
    "json",
    "keyword",
    "locale",
    "math",
    "numbers",
    "operator",
    "os",
    "pprint",
    "random",
    "re",
    "reprlib",
    "secrets",
    "shlex",
    "statistics",
    "string",
    "struct",
    "sys",
    "textwrap",
    "time",
    "traceback",
    "types",
    "typing",
    "unicodedata",
    "warnings",
    "weakref",
    "zlib",
];

/// The support modules among [`DEFAULT_ALLOWED`]: those the interpreter's native code imports on
/// an applet's behalf (a text `open()` imports `locale`). A child cell gets them whenever its
/// parent has them, whatever modules it asked for, so that its own reads and copies work and its
/// audit log holds only what the applet itself tried.
pub(crate) const SUPPORT_MODULES: &[&str] =
    &["_strptime", "abc", "annotationlib", "codecs", "copyreg", "encodings", "io", "locale", "traceback", "warnings"];

/// Allows every module the interpreter has.
pub const ALL: &str = "*";

/// Top-level module names applet code may import from the interpreter itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowList {
    allowed: BTreeSet<String>,
    denied: BTreeSet<String>,
}

impl Default for AllowList {
    fn default() -> Self {
        AllowList { allowed: DEFAULT_ALLOWED.iter().map(|s| s.to_string()).collect(), denied: BTreeSet::new() }
    }
}

impl AllowList {
    /// Nothing allowed.
    pub fn empty() -> Self {
        AllowList { allowed: BTreeSet::new(), denied: BTreeSet::new() }
    }

    /// Allows a top-level module (`*`: all of them), unless it is denied.
    pub fn allow(mut self, name: &str) -> Result<Self, PolicyError> {
        if name != ALL {
            check_top_level(name)?;
        }
        self.allowed.insert(name.to_owned());
        Ok(self)
    }

    /// Denies a top-level module, whatever else allows it, module roots included.
    pub fn deny(mut self, name: &str) -> Result<Self, PolicyError> {
        check_top_level(name)?;
        self.allowed.remove(name);
        self.denied.insert(name.to_owned());
        Ok(self)
    }

    /// Whether the top-level module `top` is denied, from any source.
    pub fn is_denied(&self, top: &str) -> bool {
        self.denied.contains(top)
    }

    /// Whether the interpreter's top-level module `top` may be imported: allowed (by name or by
    /// `*`) and not denied.
    pub fn is_allowed(&self, top: &str) -> bool {
        !self.is_denied(top) && (self.allowed.contains(top) || self.allowed.contains(ALL))
    }

    /// The names allowed, `*` among them if it was given, in sorted order.
    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.allowed.iter().map(String::as_str)
    }

    /// The names denied, in sorted order.
    pub fn denied(&self) -> impl Iterator<Item = &str> {
        self.denied.iter().map(String::as_str)
    }
}

/// A module name as a policy may give it: one identifier, no dots.
fn check_top_level(name: &str) -> Result<(), PolicyError> {
    if super::name::is_identifier(name) {
        Ok(())
    } else {
        Err(PolicyError::Invalid(format!("{name:?} is not a top-level module name")))
    }
}
