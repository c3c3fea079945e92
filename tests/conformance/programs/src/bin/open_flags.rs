//! `path_open` with every combination of CREAT, EXCL, TRUNC and DIRECTORY, with and without the
//! APPEND fd flag, against a missing path, a file and a directory, under the read-write grant
//! `/rw`. The expected outcome is POSIX's, except where wasi-common documents another (below).

use padcell_conformance_programs::*;
use wasi::{OFLAGS_CREAT as CREAT, OFLAGS_DIRECTORY as DIRECTORY, OFLAGS_EXCL as EXCL, OFLAGS_TRUNC as TRUNC};

const ORIGINAL: &[u8] = b"0123456789";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Missing,
    File,
    Dir,
}

#[derive(Debug, PartialEq)]
enum Expect {
    /// Opened; the file then holds this many of its original bytes (0 when created or truncated).
    File { kept: usize },
    Dir,
    Error(Errno),
}

/// POSIX open(2) with O_RDWR (O_RDONLY with O_DIRECTORY).
fn posix(target: Target, oflags: u16, append: bool) -> Expect {
    let (creat, excl, trunc) = (oflags & CREAT != 0, oflags & EXCL != 0, oflags & TRUNC != 0);
    let _ = append;
    if oflags & DIRECTORY != 0 {
        return match target {
            Target::Dir if creat && excl => Expect::Error(wasi::ERRNO_EXIST),
            Target::Dir => Expect::Dir,
            Target::File if creat && excl => Expect::Error(wasi::ERRNO_EXIST),
            Target::File => Expect::Error(wasi::ERRNO_NOTDIR),
            Target::Missing => Expect::Error(wasi::ERRNO_NOENT),
        };
    }
    match target {
        Target::Missing if creat => Expect::File { kept: 0 },
        Target::Missing => Expect::Error(wasi::ERRNO_NOENT),
        _ if creat && excl => Expect::Error(wasi::ERRNO_EXIST),
        Target::Dir => Expect::Error(wasi::ERRNO_ISDIR),
        Target::File if trunc => Expect::File { kept: 0 },
        Target::File => Expect::File { kept: ORIGINAL.len() },
    }
}

/// Where wasi-common 36 departs from POSIX, by design (its open options follow Rust's std):
/// O_DIRECTORY with any of CREAT, EXCL, TRUNC is EINVAL (Linux 6.4+ agrees for CREAT). (TRUNC
/// with APPEND, which std refuses, padcell opens as POSIX does: truncated, then appending.)
fn wasi_common(oflags: u16, append: bool) -> Option<Expect> {
    let _ = append;
    if oflags & DIRECTORY != 0 && oflags & (CREAT | EXCL | TRUNC) != 0 {
        return Some(Expect::Error(wasi::ERRNO_INVAL));
    }
    None
}

fn prepare(c: &mut Checks, target: Target, path: &str) {
    let _ = unlink(ROOT, path);
    let _ = rmdir(ROOT, path);
    match target {
        Target::Missing => {}
        Target::File => {
            c.ok(put(ROOT, path, ORIGINAL), "writing the original file");
        }
        Target::Dir => {
            c.ok(mkdir(ROOT, path), "making the directory");
        }
    }
}

fn main() {
    let mut c = Checks::new("open_flags");
    c.ok(mkdir(ROOT, "rw/open"), "mkdir rw/open");
    let mut differences = 0;
    for target in [Target::Missing, Target::File, Target::Dir] {
        for oflags in 0..16u16 {
            let oflags = (oflags & 1) * CREAT | (oflags >> 1 & 1) * EXCL | (oflags >> 2 & 1) * TRUNC | (oflags >> 3 & 1) * DIRECTORY;
            for append in [false, true] {
                if oflags & DIRECTORY != 0 && append {
                    continue; // a directory has no append mode
                }
                let path = "rw/open/t";
                prepare(&mut c, target, path);
                let what = format!("{target:?} oflags={oflags:#06b} append={append}");
                let want = wasi_common(oflags, append).unwrap_or_else(|| posix(target, oflags, append));
                if want != posix(target, oflags, append) {
                    differences += 1;
                }
                let rights = if oflags & DIRECTORY != 0 { RO } else { RW };
                let fdflags = if append { wasi::FDFLAGS_APPEND } else { 0 };
                let got = match open(ROOT, path, oflags, rights, fdflags) {
                    Err(e) => Expect::Error(e),
                    Ok(fd) => {
                        let stat = filestat(fd).expect("fd_filestat_get on a fresh descriptor");
                        let got = match stat.filetype {
                            wasi::FILETYPE_DIRECTORY => Expect::Dir,
                            _ => Expect::File { kept: stat.size as usize },
                        };
                        if let Expect::File { kept } = got {
                            check_writes(&mut c, fd, path, kept, append, &what);
                        }
                        close(fd);
                        got
                    }
                };
                c.eq(got, want, &what);
            }
        }
    }
    println!("open_flags: {differences} combinations follow wasi-common rather than POSIX");
    c.finish();
}

/// Writes two bytes at offset 0 and checks where they landed: at the end with APPEND.
fn check_writes(c: &mut Checks, fd: Fd, path: &str, kept: usize, append: bool, what: &str) {
    c.ok(seek(fd, 0, wasi::WHENCE_SET), &format!("{what}: seek 0"));
    c.eq(write(fd, b"AB"), Ok(2), &format!("{what}: write"));
    let before = &ORIGINAL[..kept];
    let want = if append {
        [before, b"AB"].concat()
    } else {
        [b"AB".as_slice(), before.get(2..).unwrap_or_default()].concat()
    };
    c.eq(get(ROOT, path), Ok(want), &format!("{what}: content after the write"));
}
