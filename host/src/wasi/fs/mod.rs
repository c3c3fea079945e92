//! A cell's filesystem: the guest sees one preopened root `/`, and every path it names reaches the
//! host, which routes it through the policy's grants.
//!
//! - A path inside a grant goes to that grant's host directory through cap-std, which keeps
//!   `..`, absolute symlinks, planted symlinks and trailing slashes from leaving it.
//! - The root and the directories above grants are virtual: they list the grants below them and
//!   hold nothing else.
//! - Anything else is outside every grant and is refused.
//!
//! Every handle made from a grant carries that grant's access, at any depth. Every refusal is
//! audited and recorded for the guest, whose `open()` turns it into a `PermissionError` or
//! `FileNotFoundError` naming the guest path and the rule.

mod cell_dir;
mod grant_file;
mod open;

use crate::policy::LimitKind;
use crate::policy::audit::{Auditor, shorten};
use crate::policy::{Access, GuestPath, OpenHook, Policy};
use crate::wasi::callback::{Called, bounded};
use crate::wasi::control::{CellControl, Meter};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasi_common::snapshots::preview_1::types::Errno;
use wasi_common::{Error, WasiDir};

pub(crate) use cell_dir::CellDir;
pub(crate) use open::{OpenHow, Opened, open_below};

/// The longest path a guest may name, in bytes (Linux's `PATH_MAX`). Longer paths are refused
/// with `ENAMETOOLONG` before the host splits, copies or logs them.
pub const MAX_PATH: usize = 4096;

/// The guest path of the one preopened directory.
pub(crate) const ROOT: &str = "/";

/// A grant, opened for one cell.
pub(crate) struct Mount {
    pub(crate) guest: GuestPath,
    pub(crate) access: Access,
    /// For a directory grant, the directory; for a file grant, the file's parent.
    pub(crate) dir: Arc<wasi_common::sync::dir::Dir>,
    /// The same directory, for opens and the module loader's reads.
    pub(crate) cap: Arc<cap_std::fs::Dir>,
    /// For a file grant, the file's name in `dir`.
    pub(crate) file_name: Option<String>,
}

/// What a cell's filesystem shares between its handles.
pub(crate) struct CellFs {
    cell: u64,
    /// Longest guest path first, so the first match is the innermost grant.
    mounts: Vec<Arc<Mount>>,
    hook: Option<OpenHook>,
    /// The cell's call control: the open hook runs under its deadline and cancellation.
    control: Arc<CellControl>,
    auditor: Arc<Auditor>,
    /// Files and directories open now, and how many may be.
    open_files: Arc<AtomicUsize>,
    max_open_files: usize,
    /// The size a file may reach through the cell's writes.
    max_file_size: u64,
    /// Bytes written to files: the cell's own budget, then its ancestors'.
    disk: Vec<Meter>,
}

/// Where a guest path leads.
pub(crate) enum Route {
    /// Inside a directory grant, at `rel` (`.` for the grant's root).
    Grant { mount: Arc<Mount>, rel: String },
    /// Exactly a file grant.
    File(Arc<Mount>),
    /// The root or a directory above a grant.
    Virtual,
    /// Outside every grant.
    Outside,
}

impl CellFs {
    /// Opens every grant of `policy` for cell `cell`.
    pub(crate) fn new(
        cell: u64,
        policy: &Policy,
        control: Arc<CellControl>,
        auditor: Arc<Auditor>,
        disk: Vec<Meter>,
    ) -> Result<Arc<CellFs>> {
        let mut mounts = Vec::new();
        for grant in policy.grants() {
            // The grant's own handle, not its host path: nothing renamed on the host since the
            // grant was made can redirect it.
            let dir = grant.handle().try_clone().with_context(|| format!("opening grant {}", grant.guest()))?;
            let cap = dir.try_clone().with_context(|| format!("opening grant {}", grant.guest()))?;
            mounts.push(Arc::new(Mount {
                guest: grant.guest().clone(),
                access: grant.access(),
                dir: Arc::new(wasi_common::sync::dir::Dir::from_cap_std(dir)),
                cap: Arc::new(cap),
                file_name: grant.file_name().map(str::to_owned),
            }));
        }
        mounts.sort_by_key(|m| std::cmp::Reverse(m.guest.parts().len()));
        Ok(Arc::new(CellFs {
            cell,
            mounts,
            hook: policy.open_hook().cloned(),
            control,
            auditor,
            disk,
            open_files: Arc::new(AtomicUsize::new(0)),
            max_open_files: policy.limits().open_files as usize,
            max_file_size: policy.limits().file_size,
        }))
    }

    /// The preopened root directory handed to WASI.
    pub(crate) fn root(self: &Arc<Self>) -> Box<dyn WasiDir> {
        Box::new(CellDir::virtual_dir(self.clone(), GuestPath::root(), None))
    }

    pub(crate) fn route(&self, path: &GuestPath) -> Route {
        if let Some(mount) = self.mounts.iter().find(|m| path.starts_with(&m.guest)) {
            return match &mount.file_name {
                None => {
                    let rel = path.relative_to(&mount.guest).unwrap_or_default();
                    let rel = if rel.is_empty() { ".".to_owned() } else { rel };
                    Route::Grant { mount: mount.clone(), rel }
                }
                Some(_) if path == &mount.guest => Route::File(mount.clone()),
                Some(_) => Route::Outside,
            };
        }
        if self.mounts.iter().any(|m| m.guest.starts_with(path)) { Route::Virtual } else { Route::Outside }
    }

    /// The names directly below virtual directory `path`, each with whether it is a file grant.
    pub(crate) fn virtual_children(&self, path: &GuestPath) -> Vec<(String, bool)> {
        let depth = path.parts().len();
        let mut names: Vec<(String, bool)> = Vec::new();
        for mount in &self.mounts {
            if mount.guest.parts().len() > depth && mount.guest.starts_with(path) {
                let name = mount.guest.parts()[depth].clone();
                let is_file = mount.file_name.is_some() && mount.guest.parts().len() == depth + 1;
                if !names.iter().any(|(n, _)| n == &name) {
                    names.push((name, is_file));
                }
            }
        }
        names.sort();
        names
    }

    /// Asks the per-open hook, if any, about an open of `path` with `access` (and `mode`): `Ok`
    /// with the hook's verdict, or the limit that stopped the cell while the hook ran (the
    /// cell's deadline and cancellation reach the hook too: see `wasi::callback`).
    pub(crate) fn ask_hook(&self, path: &GuestPath, access: Access, mode: &'static str) -> Result<Result<(), String>, LimitKind> {
        let Some(hook) = self.hook.clone() else { return Ok(Ok(())) };
        let (cell, path) = (self.cell, path.clone());
        let verdict =
            bounded(cell, &self.control, move || hook(&crate::policy::OpenRequest { cell, path: &path, access, mode }))?;
        Ok(match verdict {
            Called::Returned(verdict) => verdict,
            Called::Panicked => Err("the supervisor's open hook failed".to_owned()),
        })
    }

    /// Counts one more open file or directory, or refuses it past the cell's limit.
    pub(crate) fn open_one(&self, path: &GuestPath, access: Access) -> Result<OpenGuard, Error> {
        let previous = self.open_files.fetch_add(1, Ordering::Relaxed);
        let guard = OpenGuard(self.open_files.clone());
        if previous >= self.max_open_files {
            drop(guard);
            let rule = format!("'{path}': too many open files (the cell's limit is {})", self.max_open_files);
            return Err(self.deny("open", path, access, rule, Errno::Mfile));
        }
        Ok(guard)
    }

    /// Counts `bytes` about to be written to `path` against the cell's disk budget (and its
    /// ancestors'), or refuses the write with `ENOSPC` if they do not fit.
    pub(crate) fn charge_disk(&self, path: &GuestPath, bytes: u64) -> Result<(), Error> {
        if bytes > Meter::least_room(&self.disk) {
            let cap = self.disk.iter().find(|m| m.room() < bytes).map_or(0, |m| m.cap);
            let rule = format!("'{path}': the cell's disk write limit of {} is reached", bytesize::ByteSize(cap));
            return Err(self.deny("write", path, Access::ReadWrite, rule, Errno::Nospc));
        }
        Meter::charge(&self.disk, bytes);
        Ok(())
    }

    /// Refuses, with `EFBIG`, a write or resize that would take the file at `path` to `end`
    /// bytes, past the cell's file size limit.
    pub(crate) fn check_file_size(&self, path: &GuestPath, end: u64) -> Result<(), Error> {
        if end > self.max_file_size {
            let rule = format!("'{path}': the cell's file size limit of {} is reached", bytesize::ByteSize(self.max_file_size));
            return Err(self.deny("write", path, Access::ReadWrite, rule, Errno::Fbig));
        }
        Ok(())
    }

    /// The id of the cell this filesystem is.
    pub(crate) fn cell(&self) -> u64 {
        self.cell
    }

    /// The cell's auditor, which every refusal goes through.
    pub(crate) fn auditor(&self) -> &Arc<Auditor> {
        &self.auditor
    }

    /// Refuses an operation: audits it, records the rule for the guest, returns the errno.
    pub(crate) fn deny(&self, operation: &'static str, path: &GuestPath, access: Access, rule: String, errno: Errno) -> Error {
        self.auditor.refuse(operation, &path.to_string(), access, rule);
        Error::from(errno)
    }

    /// Refuses a path longer than [`MAX_PATH`] (named relative to `base`) with `ENAMETOOLONG`,
    /// without joining or copying it whole.
    pub(crate) fn too_long(&self, operation: &'static str, base: &GuestPath, rel: &str, access: Access) -> Error {
        let shown = if rel.starts_with('/') { shorten(rel).into_owned() } else { format!("{base}/{}", shorten(rel)) };
        let rule = format!("'{shown}' is longer than the {MAX_PATH}-byte path limit");
        self.auditor.refuse(operation, &shown, access, rule);
        Error::from(Errno::Nametoolong)
    }
}

/// One open file or directory of a cell; the count goes down when it is closed.
pub(crate) struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
