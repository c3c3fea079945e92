//! Opening a path below a grant's directory, for the guest and for the module loader.
//!
//! wasi-common's own open waits in `openat` for a FIFO's writer, so a FIFO inside a grant would
//! hold the host past every deadline. Here every open is non-blocking, and whatever is neither a
//! regular file nor a directory (FIFOs, sockets, devices) is refused once opened, by its real
//! type, so no swap between a check and the open can slip one through. The non-blocking flag is
//! then taken off again unless the guest asked for it.
//!
//! It also accepts truncate with append (`O_TRUNC|O_APPEND`), which POSIX allows and std's
//! `OpenOptions` refuses: the file is opened truncating, then switched to append.

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Dir, File, OpenOptions, OpenOptionsExt};
use std::path::Path;
use wasi_common::file::{FdFlags, OFlags};
use wasi_common::{Error, ErrorExt};

/// What an open found.
pub(crate) enum Opened {
    Dir(Dir),
    File(File),
    /// Something that is neither (a FIFO, a socket, a device); already closed again.
    Special,
}

/// How the guest asked to open a path.
#[derive(Clone, Copy)]
pub(crate) struct OpenHow {
    pub(crate) follow: bool,
    pub(crate) oflags: OFlags,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) fdflags: FdFlags,
}

impl OpenHow {
    /// A plain read of a file or directory, following symlinks.
    pub(crate) const READ: OpenHow =
        OpenHow { follow: true, oflags: OFlags::empty(), read: true, write: false, fdflags: FdFlags::empty() };
}

/// Opens `rel` below `dir` as WASI asks, never blocking.
#[allow(unsafe_code, reason = "fcntl(F_SETFL) on a descriptor this function owns")]
pub(crate) fn open_below(dir: &Dir, rel: &str, how: OpenHow) -> Result<Opened, Error> {
    let OpenHow { follow, oflags, read, write, fdflags } = how;
    if oflags.contains(OFlags::DIRECTORY) && oflags.intersects(OFlags::CREATE | OFlags::EXCLUSIVE | OFlags::TRUNCATE) {
        return Err(Error::invalid_argument().context("directory oflags"));
    }
    if fdflags.intersects(FdFlags::DSYNC | FdFlags::SYNC | FdFlags::RSYNC) {
        return Err(Error::not_supported().context("SYNC family of FdFlags"));
    }
    let mut opts = OpenOptions::new();
    opts.maybe_dir(true);
    if oflags.contains(OFlags::CREATE | OFlags::EXCLUSIVE) {
        opts.create_new(true).write(true);
    } else if oflags.contains(OFlags::CREATE) {
        opts.create(true).write(true);
    }
    let truncate = oflags.contains(OFlags::TRUNCATE);
    let append = fdflags.contains(FdFlags::APPEND);
    if truncate {
        // std refuses truncate with append: truncate now, switch to append below.
        opts.truncate(true).write(true);
    } else if append {
        opts.append(true);
    }
    // Without write, open for reading: the OS needs one of the two.
    opts.read(read || !write);
    if write {
        opts.write(true);
    }
    opts.follow(if follow { FollowSymlinks::Yes } else { FollowSymlinks::No });
    opts.custom_flags(libc::O_NONBLOCK);
    let file = dir.open_with(Path::new(rel), &opts)?;
    let kind = file.metadata()?.file_type();
    if kind.is_dir() {
        return Ok(Opened::Dir(Dir::from_std_file(file.into_std())));
    }
    if oflags.contains(OFlags::DIRECTORY) {
        return Err(Error::not_dir().context("expected directory but got file"));
    }
    if !kind.is_file() {
        return Ok(Opened::Special);
    }
    // One F_SETFL, no F_GETFL: append and non-blocking are the only status flags this open set.
    let mut flags = 0;
    if fdflags.contains(FdFlags::NONBLOCK) {
        flags |= libc::O_NONBLOCK;
    }
    if append {
        flags |= libc::O_APPEND;
    }
    // SAFETY: F_SETFL on a descriptor this function owns, with status flags only.
    if unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&file), libc::F_SETFL, flags) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(Opened::File(file))
}
