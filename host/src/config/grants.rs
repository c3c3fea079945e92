//! Making grants from host paths: the CLI's and the library's way in. This is ambient
//! authority (a path opened as the operator), so it lives in `config`, the one layer allowed it;
//! everything below holds grants as opened directories.

use crate::policy::{Access, Grant, GrantKind, GuestPath, PolicyError};
use crate::policy::{dot_if_empty, io_reason};
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::path::Path;

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
            return Err(PolicyError::Invalid(format!("grant {spec:?}: unexpected {extra:?} after the access")));
        }
        if host.is_empty() {
            return Err(PolicyError::Invalid(format!("grant {spec:?}: empty host path")));
        }
        Grant::new(&base.join(host), guest, kind, access)
    }

    fn new(host: &Path, guest: &str, kind: GrantKind, access: Access) -> Result<Grant, PolicyError> {
        let guest = GuestPath::parse_absolute(guest).map_err(PolicyError::Invalid)?;
        let shown = host.display();
        if kind == GrantKind::File && guest.is_root() {
            return Err(PolicyError::Grant(format!("cannot grant the file {shown} at /")));
        }
        let fail = |e: std::io::Error| PolicyError::Grant(format!("cannot grant {shown}: {}", io_reason(&e)));
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
                return Err(PolicyError::Grant(format!(
                    "cannot grant {shown}: it is a symlink that leads outside {}; grant its target by its own path",
                    parent_host.display()
                )));
            }
            Err(e) => return Err(fail(e)),
        };
        let meta = parent_dir.metadata(dot_if_empty(&rel)).map_err(fail)?;
        match kind {
            GrantKind::Dir if !meta.is_dir() => {
                return Err(PolicyError::Grant(format!("cannot grant {shown} as a directory: it is not one (use --file)")));
            }
            GrantKind::File if !meta.is_file() => {
                return Err(PolicyError::Grant(format!("cannot grant {shown} as a file: it is not a regular file")));
            }
            _ => {}
        }
        Grant::opened(&parent_dir, &parent_host, &rel, guest, kind, access).map_err(fail)
    }
}
