//! What every conformance program shares: a checker that records wrong results and exits 1 if
//! any, and thin wrappers over the raw preview1 calls.

use std::fmt::Debug;
pub use wasi::{Errno, Fd};

/// The preopened directory the cell sees as `/` (padcell preopens only that one, at fd 3).
pub const ROOT: Fd = 3;

/// Rights a file opened for reading and writing asks for.
pub const RW: wasi::Rights = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_WRITE | wasi::RIGHTS_FD_SEEK
    | wasi::RIGHTS_FD_TELL | wasi::RIGHTS_FD_FILESTAT_GET | wasi::RIGHTS_FD_FILESTAT_SET_SIZE;
/// Rights a file opened for reading asks for.
pub const RO: wasi::Rights = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK | wasi::RIGHTS_FD_TELL
    | wasi::RIGHTS_FD_FILESTAT_GET | wasi::RIGHTS_FD_READDIR;

/// Collects the checks of one area; `finish` exits 0 when all held, else 1.
pub struct Checks {
    area: &'static str,
    run: u32,
    failed: u32,
}

impl Checks {
    pub fn new(area: &'static str) -> Checks {
        Checks { area, run: 0, failed: 0 }
    }

    pub fn check(&mut self, ok: bool, what: &str) -> bool {
        self.run += 1;
        if !ok {
            self.failed += 1;
            eprintln!("{}: FAILED: {what}", self.area);
        }
        ok
    }

    pub fn eq<T: PartialEq + Debug>(&mut self, got: T, want: T, what: &str) -> bool {
        let ok = got == want;
        self.check(ok, &format!("{what}: got {got:?}, want {want:?}"))
    }

    /// A call that must succeed; its value, if it did.
    pub fn ok<T: Debug>(&mut self, result: Result<T, Errno>, what: &str) -> Option<T> {
        match result {
            Ok(v) => {
                self.check(true, what);
                Some(v)
            }
            Err(e) => {
                self.check(false, &format!("{what}: failed with {}", e.name()));
                None
            }
        }
    }

    /// A call that must fail with one of `want`.
    pub fn fails<T: Debug>(&mut self, result: Result<T, Errno>, want: &[Errno], what: &str) {
        let ok = matches!(&result, Err(e) if want.contains(e));
        let names: Vec<&str> = want.iter().map(|e| e.name()).collect();
        let got = match &result {
            Ok(v) => format!("success ({v:?})"),
            Err(e) => e.name().to_owned(),
        };
        self.check(ok, &format!("{what}: got {got}, want {}", names.join(" or ")));
    }

    pub fn finish(self) -> ! {
        if self.failed > 0 {
            eprintln!("{}: {} of {} checks failed", self.area, self.failed, self.run);
            std::process::exit(1);
        }
        println!("{}: all {} checks passed", self.area, self.run);
        std::process::exit(0);
    }
}

pub fn open(dir: Fd, path: &str, oflags: wasi::Oflags, rights: wasi::Rights, fdflags: wasi::Fdflags) -> Result<Fd, Errno> {
    unsafe { wasi::path_open(dir, wasi::LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, rights, fdflags) }
}

pub fn open_nofollow(dir: Fd, path: &str, oflags: wasi::Oflags, rights: wasi::Rights) -> Result<Fd, Errno> {
    unsafe { wasi::path_open(dir, 0, path, oflags, rights, rights, 0) }
}

pub fn close(fd: Fd) {
    let _ = unsafe { wasi::fd_close(fd) };
}

pub fn write(fd: Fd, bytes: &[u8]) -> Result<usize, Errno> {
    unsafe { wasi::fd_write(fd, &[wasi::Ciovec { buf: bytes.as_ptr(), buf_len: bytes.len() }]) }
}

pub fn read(fd: Fd, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let n = unsafe { wasi::fd_read(fd, &[wasi::Iovec { buf: buf.as_mut_ptr(), buf_len: len }]) }?;
    buf.truncate(n);
    Ok(buf)
}

pub fn pread(fd: Fd, len: usize, offset: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let n = unsafe { wasi::fd_pread(fd, &[wasi::Iovec { buf: buf.as_mut_ptr(), buf_len: len }], offset) }?;
    buf.truncate(n);
    Ok(buf)
}

pub fn pwrite(fd: Fd, bytes: &[u8], offset: u64) -> Result<usize, Errno> {
    unsafe { wasi::fd_pwrite(fd, &[wasi::Ciovec { buf: bytes.as_ptr(), buf_len: bytes.len() }], offset) }
}

pub fn seek(fd: Fd, offset: i64, whence: wasi::Whence) -> Result<u64, Errno> {
    unsafe { wasi::fd_seek(fd, offset, whence) }
}

pub fn tell(fd: Fd) -> Result<u64, Errno> {
    unsafe { wasi::fd_tell(fd) }
}

pub fn filestat(fd: Fd) -> Result<wasi::Filestat, Errno> {
    unsafe { wasi::fd_filestat_get(fd) }
}

pub fn path_stat(dir: Fd, path: &str, follow: bool) -> Result<wasi::Filestat, Errno> {
    let flags = if follow { wasi::LOOKUPFLAGS_SYMLINK_FOLLOW } else { 0 };
    unsafe { wasi::path_filestat_get(dir, flags, path) }
}

pub fn mkdir(dir: Fd, path: &str) -> Result<(), Errno> {
    unsafe { wasi::path_create_directory(dir, path) }
}

pub fn rmdir(dir: Fd, path: &str) -> Result<(), Errno> {
    unsafe { wasi::path_remove_directory(dir, path) }
}

pub fn unlink(dir: Fd, path: &str) -> Result<(), Errno> {
    unsafe { wasi::path_unlink_file(dir, path) }
}

pub fn rename(dir: Fd, from: &str, to: &str) -> Result<(), Errno> {
    unsafe { wasi::path_rename(dir, from, dir, to) }
}

pub fn symlink(target: &str, dir: Fd, path: &str) -> Result<(), Errno> {
    unsafe { wasi::path_symlink(target, dir, path) }
}

pub fn readlink(dir: Fd, path: &str) -> Result<String, Errno> {
    let mut buf = vec![0u8; 256];
    let n = unsafe { wasi::path_readlink(dir, path, buf.as_mut_ptr(), buf.len()) }?;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Writes `bytes` to a new (or truncated) file at `path`.
pub fn put(dir: Fd, path: &str, bytes: &[u8]) -> Result<(), Errno> {
    let fd = open(dir, path, wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC, RW, 0)?;
    let written = write(fd, bytes);
    close(fd);
    written.map(drop)
}

/// The whole content of the file at `path`.
pub fn get(dir: Fd, path: &str) -> Result<Vec<u8>, Errno> {
    let fd = open(dir, path, 0, RO, 0)?;
    let mut all = Vec::new();
    loop {
        match read(fd, 4096) {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) => all.extend(chunk),
            Err(e) => {
                close(fd);
                return Err(e);
            }
        }
    }
    close(fd);
    Ok(all)
}
