//! Grants: a host directory or file shown to a cell at a guest path, with an access. A grant is
//! a capability, an opened directory; this file holds what a grant is and how a narrower one is
//! opened below it. Making a grant from a host path is ambient authority, so it lives in
//! `config::grants`.

use super::{GuestPath, PolicyError};
use cap_std::fs::Dir;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// How much a grant allows. Read-only is the default, as in rexec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// The cell may read what is granted, and change nothing.
    #[default]
    ReadOnly,
    /// The cell may also write: change, create and remove what is granted.
    ReadWrite,
}

impl Access {
    /// The short spelling the flags and manifests use, `ro` or `rw` (what [`FromStr`] parses).
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
            other => Err(PolicyError::Invalid(format!("unknown access {other:?}: use ro or rw"))),
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
    /// A directory, with everything below it.
    Dir,
    /// One file, and nothing else in its directory.
    File,
}

/// One host directory or file, shown to the cell at a guest path, with an access.
///
/// A grant is a capability: it holds the directory it grants (for a file, the file's directory
/// and its name there), opened when the grant is made. Cells reach the host through that handle,
/// never through the path, so nothing renamed on the host afterwards can redirect a grant, and a
/// child's grant is opened below its parent's handle (see `Grant::below`).
#[derive(Clone, Debug)]
pub struct Grant {
    /// The canonical host path, for messages and for the overlap rule in [`Policy::grant`].
    pub(crate) host: PathBuf,
    pub(crate) guest: GuestPath,
    pub(crate) kind: GrantKind,
    pub(crate) access: Access,
    /// The granted directory, or a file grant's directory.
    pub(crate) dir: Arc<Dir>,
    /// A file grant's name in `dir`.
    pub(crate) file_name: Option<String>,
}

impl PartialEq for Grant {
    fn eq(&self, other: &Grant) -> bool {
        (&self.host, &self.guest, self.kind, self.access, &self.file_name)
            == (&other.host, &other.guest, other.kind, other.access, &other.file_name)
    }
}

impl Eq for Grant {}

impl Grant {
    /// The grant of `rel` (canonical, relative to `base`, whose host path is `base_host`).
    pub(crate) fn opened(
        base: &Dir,
        base_host: &Path,
        rel: &Path,
        guest: GuestPath,
        kind: GrantKind,
        access: Access,
    ) -> std::io::Result<Grant> {
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

    /// The granted path on the host, canonical (for the operator's messages).
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// Where the cell sees the grant.
    pub fn guest(&self) -> &GuestPath {
        &self.guest
    }

    /// Whether a directory or a single file is granted.
    pub fn kind(&self) -> GrantKind {
        self.kind
    }

    /// What the cell may do with it.
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
pub(crate) fn dot_if_empty(path: &Path) -> &Path {
    if path.as_os_str().is_empty() { Path::new(".") } else { path }
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
