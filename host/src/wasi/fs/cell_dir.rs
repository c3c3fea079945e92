//! The one `WasiDir` the guest ever holds: the virtual root and the directories above grants, or
//! a real directory inside a grant, which keeps that grant's access however it was reached.

use super::grant_file::GrantFile;
use super::open::{OpenHow, Opened, open_below};
use super::{CellFs, GuestPath, MAX_PATH, Mount, OpenGuard, Route};
use crate::policy::{Access, open_mode};
use crate::wasi::control::LimitTrap;
use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;
use wasi_common::dir::{OpenResult, ReaddirCursor, ReaddirEntity};
use wasi_common::file::{FdFlags, FileType, Filestat, OFlags};
use wasi_common::snapshots::preview_1::types::Errno;
use wasi_common::sync::dir::Dir as SyncDir;
use wasi_common::{Error, SystemTimeSpec, WasiDir};

pub(crate) struct CellDir {
    fs: Arc<CellFs>,
    /// This handle's path as the guest named it.
    guest: GuestPath,
    node: Node,
    /// Counts against the open-files limit (the root does not).
    _open: Option<OpenGuard>,
}

enum Node {
    /// `/` or a directory above a grant: paths are routed by guest path.
    Virtual,
    /// A real directory inside `mount`: paths are resolved by cap-std below `dir` (wasi-common's
    /// wrapper of it) or `cap` (the same directory, for opens).
    Real { mount: Arc<Mount>, dir: Arc<SyncDir>, cap: Arc<cap_std::fs::Dir> },
}

/// Where an operation's path leads.
enum Target {
    Real { mount: Arc<Mount>, dir: Arc<SyncDir>, cap: Arc<cap_std::fs::Dir>, rel: String, guest: GuestPath, file_grant: bool },
    Virtual(GuestPath),
    Outside(GuestPath),
}

/// What a new directory entry (a file, a directory, a link) costs the cell's disk budget: about
/// what it costs the host (an inode and a block), so the budget bounds how many a cell can make.
const ENTRY_COST: u64 = 4096;

const READ: Access = Access::ReadOnly;
const WRITE: Access = Access::ReadWrite;

impl CellDir {
    pub(crate) fn virtual_dir(fs: Arc<CellFs>, guest: GuestPath, open: Option<OpenGuard>) -> CellDir {
        CellDir { fs, guest, node: Node::Virtual, _open: open }
    }

    /// Where `rel`, named relative to this directory, leads. A path longer than [`MAX_PATH`]
    /// (alone or joined to this directory's) is refused before the host does any work for it.
    fn resolve(&self, op: &'static str, rel: &str, access: Access) -> Result<Target, Error> {
        let Some(guest) = self.guest.join_bounded(rel, MAX_PATH) else {
            return Err(self.fs.too_long(op, &self.guest, rel, access));
        };
        Ok(match &self.node {
            Node::Real { mount, dir, cap } => Target::Real {
                mount: mount.clone(),
                dir: dir.clone(),
                cap: cap.clone(),
                rel: rel.to_owned(),
                guest,
                file_grant: false,
            },
            Node::Virtual => match self.fs.route(&guest) {
                Route::Grant { mount, rel: inner } => {
                    // Keep a trailing slash: it means "must be a directory" to the host too.
                    let rel = if rel.ends_with('/') && inner != "." { format!("{inner}/") } else { inner };
                    Target::Real { dir: mount.dir.clone(), cap: mount.cap.clone(), mount, rel, guest, file_grant: false }
                }
                Route::File(mount) => Target::Real {
                    dir: mount.dir.clone(),
                    cap: mount.cap.clone(),
                    rel: mount.file_name.clone().unwrap_or_default(),
                    mount,
                    guest,
                    file_grant: true,
                },
                Route::Virtual => Target::Virtual(guest),
                Route::Outside => Target::Outside(guest),
            },
        })
    }

    /// The target of an operation that needs `access`, or the refusal.
    fn checked(&self, op: &'static str, rel: &str, access: Access) -> Result<Real, Error> {
        match self.resolve(op, rel, access)? {
            Target::Real { mount, dir, cap, rel, guest, file_grant } => {
                if access == WRITE && mount.access == READ {
                    let rule = format!("'{guest}' is in read-only grant {}", mount.guest);
                    return Err(self.fs.deny(op, &guest, access, rule, Errno::Acces));
                }
                Ok(Real { mount, dir, cap, rel, guest, file_grant })
            }
            Target::Virtual(guest) => {
                let rule = format!("'{guest}' is a directory above the grants and cannot be changed");
                Err(self.fs.deny(op, &guest, access, rule, Errno::Acces))
            }
            Target::Outside(guest) => {
                let errno = if access == WRITE { Errno::Acces } else { Errno::Noent };
                Err(self.fs.deny(op, &guest, access, format!("'{guest}' is outside every grant"), errno))
            }
        }
    }

    /// Like `checked`, for operations that would remove or replace the path itself.
    fn checked_mutable_entry(&self, op: &'static str, rel: &str) -> Result<Real, Error> {
        let real = self.checked(op, rel, WRITE)?;
        if real.file_grant {
            let rule = format!("'{}' is a file grant and cannot be removed, renamed or linked", real.guest);
            return Err(self.fs.deny(op, &real.guest, WRITE, rule, Errno::Acces));
        }
        Ok(real)
    }

    /// Turns cap-std's "a path led outside" into an audited refusal that names the grant.
    fn escape(&self, op: &'static str, real: &Real, access: Access, err: Error) -> Error {
        if err.downcast_ref() == Some(&Errno::Perm) {
            let rule = format!("'{}' leads outside grant {}", real.guest, real.mount.guest);
            return self.fs.deny(op, &real.guest, access, rule, Errno::Perm);
        }
        err
    }

    fn wrap_dir(
        &self,
        mount: Arc<Mount>,
        dir: cap_std::fs::Dir,
        guest: GuestPath,
        open: OpenGuard,
    ) -> Result<Box<dyn WasiDir>, Error> {
        let sync = Arc::new(SyncDir::from_cap_std(dir.try_clone()?));
        let node = Node::Real { mount, dir: sync, cap: Arc::new(dir) };
        Ok(Box::new(CellDir { fs: self.fs.clone(), guest, node, _open: Some(open) }))
    }
}

/// A resolved, permitted target inside a grant.
struct Real {
    mount: Arc<Mount>,
    dir: Arc<SyncDir>,
    cap: Arc<cap_std::fs::Dir>,
    rel: String,
    guest: GuestPath,
    file_grant: bool,
}

impl Real {
    /// The target's path components below its grant's root, as the guest named them.
    fn place_in_grant(&self) -> Vec<String> {
        self.guest.parts().strip_prefix(self.mount.guest.parts()).unwrap_or_default().to_vec()
    }
}

fn virtual_filestat(path: &GuestPath) -> Filestat {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    Filestat {
        device_id: 0,
        inode: h.finish(),
        filetype: FileType::Directory,
        nlink: 1,
        size: 0,
        atim: None,
        mtim: None,
        ctim: None,
    }
}

/// Whether a link a cell makes with `target` can only ever lead below the directory it is in,
/// wherever it or its directory is later moved or linked: relative, and without `..`. (Judging
/// `..` by the link's place is not enough: a rename, a hard link, a directory fd whose directory
/// moved, or an in-grant link on the way all change where `..` leads.)
fn link_target_descends(target: &str) -> bool {
    !target.is_empty() && !target.starts_with('/') && target.split('/').all(|part| part != "..")
}

/// Whether symlink `target`, placed at `link` (relative to the grant's root), stays inside it,
/// judged by its place: for showing a link found on the host, never for making one.
fn link_stays_inside(link_in_grant: &[String], target: &str) -> bool {
    if target.starts_with('/') {
        return false;
    }
    let mut depth = link_in_grant.len().saturating_sub(1) as isize;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[wiggle::async_trait]
impl WasiDir for CellDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn open_file(
        &self,
        symlink_follow: bool,
        path: &str,
        oflags: OFlags,
        read: bool,
        write: bool,
        fdflags: FdFlags,
    ) -> Result<OpenResult, Error> {
        let changes = write
            || oflags.intersects(OFlags::CREATE | OFlags::EXCLUSIVE | OFlags::TRUNCATE)
            || fdflags.contains(FdFlags::APPEND);
        let access = if changes { WRITE } else { READ };
        if !changes && let Target::Virtual(guest) = self.resolve("open", path, access)? {
            let open = self.fs.open_one(&guest, access)?;
            return Ok(OpenResult::Dir(Box::new(CellDir::virtual_dir(self.fs.clone(), guest, Some(open)))));
        }
        let real = self.checked("open", path, access)?;
        let mode = open_mode(
            read,
            write,
            oflags.contains(OFlags::CREATE),
            oflags.contains(OFlags::EXCLUSIVE),
            oflags.contains(OFlags::TRUNCATE),
            fdflags.contains(FdFlags::APPEND),
        );
        match self.fs.ask_hook(&real.guest, access, mode) {
            Ok(Ok(())) => {}
            Ok(Err(rule)) => return Err(self.fs.deny("open", &real.guest, access, rule, Errno::Acces)),
            Err(kind) => return Err(Error::trap(anyhow::Error::new(LimitTrap(kind)))),
        }
        let open = self.fs.open_one(&real.guest, access)?;
        if oflags.contains(OFlags::CREATE) && !real.file_grant && real.cap.symlink_metadata(&real.rel).is_err() {
            self.fs.charge_disk(&real.guest, ENTRY_COST)?;
        }
        // A file grant is exactly one file: its name is never followed elsewhere.
        let follow = symlink_follow && !real.file_grant;
        let how = OpenHow { follow, oflags, read, write, fdflags };
        let opened = open_below(&real.cap, &real.rel, how).map_err(|e| self.escape("open", &real, access, e))?;
        Ok(match opened {
            Opened::Dir(dir) => OpenResult::Dir(self.wrap_dir(real.mount, dir, real.guest, open)?),
            Opened::File(file) => {
                let grant = real.mount.guest.clone();
                let file = wasi_common::sync::file::File::from_cap_std(file);
                OpenResult::File(Box::new(GrantFile::new(file, self.fs.clone(), real.guest, grant, real.mount.access, open)))
            }
            Opened::Special => {
                let rule = format!("'{}' is not a regular file or directory", real.guest);
                return Err(self.fs.deny("open", &real.guest, access, rule, Errno::Acces));
            }
        })
    }

    async fn create_dir(&self, path: &str) -> Result<(), Error> {
        let real = self.checked("mkdir", path, WRITE)?;
        self.fs.charge_disk(&real.guest, ENTRY_COST)?;
        real.dir.create_dir(&real.rel).await.map_err(|e| self.escape("mkdir", &real, WRITE, e))
    }

    async fn readdir(
        &self,
        cursor: ReaddirCursor,
    ) -> Result<Box<dyn Iterator<Item = Result<ReaddirEntity, Error>> + Send>, Error> {
        match &self.node {
            Node::Real { dir, .. } => dir.readdir(cursor).await,
            Node::Virtual => {
                let mut entries = vec![(".".to_owned(), false), ("..".to_owned(), false)];
                entries.extend(self.fs.virtual_children(&self.guest));
                let start = u64::from(cursor);
                let list: Vec<_> = entries
                    .into_iter()
                    .enumerate()
                    .skip(usize::try_from(start).unwrap_or(usize::MAX))
                    .map(|(i, (name, is_file))| {
                        let inode = virtual_filestat(&self.guest.join(&name)).inode;
                        let filetype = if is_file { FileType::RegularFile } else { FileType::Directory };
                        Ok(ReaddirEntity { next: ReaddirCursor::from(i as u64 + 1), inode, name, filetype })
                    })
                    .collect();
                Ok(Box::new(list.into_iter()))
            }
        }
    }

    async fn symlink(&self, old_path: &str, new_path: &str) -> Result<(), Error> {
        let real = self.checked_mutable_entry("symlink", new_path)?;
        if old_path.len() > MAX_PATH {
            return Err(self.fs.too_long("symlink", &self.guest, old_path, WRITE));
        }
        if !link_target_descends(old_path) {
            let rule = format!(
                "symlink '{}' -> '{}' is refused: a link made in a cell must name a path below its own directory (no '..', not absolute)",
                real.guest,
                super::shorten(old_path)
            );
            return Err(self.fs.deny("symlink", &real.guest, WRITE, rule, Errno::Perm));
        }
        self.fs.charge_disk(&real.guest, ENTRY_COST)?;
        real.dir.symlink(old_path, &real.rel).await.map_err(|e| self.escape("symlink", &real, WRITE, e))
    }

    async fn remove_dir(&self, path: &str) -> Result<(), Error> {
        let real = self.checked_mutable_entry("rmdir", path)?;
        if real.rel == "." {
            let rule = format!("'{}' is the root of a grant and cannot be removed", real.guest);
            return Err(self.fs.deny("rmdir", &real.guest, WRITE, rule, Errno::Acces));
        }
        real.dir.remove_dir(&real.rel).await.map_err(|e| self.escape("rmdir", &real, WRITE, e))
    }

    async fn unlink_file(&self, path: &str) -> Result<(), Error> {
        let real = self.checked_mutable_entry("unlink", path)?;
        real.dir.unlink_file(&real.rel).await.map_err(|e| self.escape("unlink", &real, WRITE, e))
    }

    async fn read_link(&self, path: &str) -> Result<PathBuf, Error> {
        let real = self.checked("readlink", path, READ)?;
        let target = real.dir.read_link(&real.rel).await.map_err(|e| self.escape("readlink", &real, READ, e))?;
        let in_grant = real.place_in_grant();
        // A link planted on the host may name a host path; the cell never sees it.
        if !link_stays_inside(&in_grant, &target.to_string_lossy()) {
            let rule = format!("'{}' is a symlink that leads outside grant {}", real.guest, real.mount.guest);
            return Err(self.fs.deny("readlink", &real.guest, READ, rule, Errno::Perm));
        }
        Ok(target)
    }

    async fn get_filestat(&self) -> Result<Filestat, Error> {
        match &self.node {
            Node::Real { dir, .. } => dir.get_filestat().await,
            Node::Virtual => Ok(virtual_filestat(&self.guest)),
        }
    }

    async fn get_path_filestat(&self, path: &str, follow_symlinks: bool) -> Result<Filestat, Error> {
        if let Target::Virtual(guest) = self.resolve("stat", path, READ)? {
            return Ok(virtual_filestat(&guest));
        }
        let real = self.checked("stat", path, READ)?;
        real.dir.get_path_filestat(&real.rel, follow_symlinks).await.map_err(|e| self.escape("stat", &real, READ, e))
    }

    async fn rename(&self, path: &str, dest_dir: &dyn WasiDir, dest_path: &str) -> Result<(), Error> {
        let dest_dir = dest_dir.as_any().downcast_ref::<CellDir>().ok_or_else(|| Error::from(Errno::Badf))?;
        let from = self.checked_mutable_entry("rename", path)?;
        let to = dest_dir.checked_mutable_entry("rename", dest_path)?;
        from.dir.rename_(&from.rel, &to.dir, &to.rel).map_err(|e| self.escape("rename", &from, WRITE, e))
    }

    async fn hard_link(&self, path: &str, target_dir: &dyn WasiDir, target_path: &str) -> Result<(), Error> {
        let target_dir = target_dir.as_any().downcast_ref::<CellDir>().ok_or_else(|| Error::from(Errno::Badf))?;
        // Linking shares the file: both ends must be writable, or a read-only file gains a writable name.
        let from = self.checked_mutable_entry("link", path)?;
        let to = target_dir.checked_mutable_entry("link", target_path)?;
        self.fs.charge_disk(&to.guest, ENTRY_COST)?;
        from.dir.hard_link_(&from.rel, &to.dir, &to.rel).map_err(|e| self.escape("link", &from, WRITE, e))
    }

    async fn set_times(
        &self,
        path: &str,
        atime: Option<SystemTimeSpec>,
        mtime: Option<SystemTimeSpec>,
        follow_symlinks: bool,
    ) -> Result<(), Error> {
        let real = self.checked("set-times", path, WRITE)?;
        real.dir.set_times(&real.rel, atime, mtime, follow_symlinks).await.map_err(|e| self.escape("set-times", &real, WRITE, e))
    }
}

#[cfg(test)]
mod tests {
    use super::{link_stays_inside, link_target_descends};

    #[test]
    fn links_made_in_a_cell_only_descend() {
        assert!(link_target_descends("b"));
        assert!(link_target_descends("sub/./c"));
        assert!(!link_target_descends("../c"));
        assert!(!link_target_descends("sub/../../c"));
        assert!(!link_target_descends("/etc/passwd"));
        assert!(!link_target_descends(""));
    }

    #[test]
    fn symlink_targets_must_stay_inside_the_grant() {
        let at = |p: &str| p.split('/').map(str::to_owned).collect::<Vec<_>>();
        assert!(link_stays_inside(&at("a/link"), "b"));
        assert!(link_stays_inside(&at("a/link"), "../c"));
        assert!(!link_stays_inside(&at("a/link"), "../../c"));
        assert!(!link_stays_inside(&at("link"), "/etc/passwd"));
        assert!(!link_stays_inside(&at("link"), "x/../../y"));
    }
}
