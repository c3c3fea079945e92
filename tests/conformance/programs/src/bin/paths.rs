//! File and path stat, rename, unlink, mkdir and rmdir, with their error cases.

use padcell_conformance_programs::*;

fn main() {
    let mut c = Checks::new("paths");
    c.ok(mkdir(ROOT, "rw/p"), "mkdir rw/p");
    c.fails(mkdir(ROOT, "rw/p"), &[wasi::ERRNO_EXIST], "mkdir of an existing directory");
    c.fails(mkdir(ROOT, "rw/nowhere/deeper"), &[wasi::ERRNO_NOENT], "mkdir below a missing directory");
    c.ok(put(ROOT, "rw/p/a.txt", b"alpha"), "writing rw/p/a.txt");

    // stat by path and by descriptor agree.
    let by_path = path_stat(ROOT, "rw/p/a.txt", true);
    c.eq(by_path.map(|s| (s.filetype, s.size)), Ok((wasi::FILETYPE_REGULAR_FILE, 5)), "path stat of a file");
    let fd = open(ROOT, "rw/p/a.txt", 0, RO, 0).expect("open rw/p/a.txt");
    let by_fd = filestat(fd);
    c.eq(by_fd.map(|s| (s.ino, s.size)), by_path.map(|s| (s.ino, s.size)), "fd stat matches path stat");
    close(fd);
    c.eq(path_stat(ROOT, "rw/p", true).map(|s| s.filetype), Ok(wasi::FILETYPE_DIRECTORY), "path stat of a directory");
    c.fails(path_stat(ROOT, "rw/p/none", true), &[wasi::ERRNO_NOENT], "stat of a missing path");
    c.fails(path_stat(ROOT, "rw/p/a.txt/x", true), &[wasi::ERRNO_NOTDIR, wasi::ERRNO_NOENT], "stat through a file");
    let dot = path_stat(ROOT, "rw/p/./a.txt", true).map(|s| s.ino);
    c.eq(dot, by_path.map(|s| s.ino), "'.' inside a path");
    let dotdot = path_stat(ROOT, "rw/p/../p/a.txt", true).map(|s| s.ino);
    c.eq(dotdot, by_path.map(|s| s.ino), "'..' inside a path");

    // Set-times by path shows in the stat.
    c.ok(unsafe { wasi::path_filestat_set_times(ROOT, 0, "rw/p/a.txt", 1_000_000_000, 2_000_000_000, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM) }, "set times");
    c.eq(path_stat(ROOT, "rw/p/a.txt", true).map(|s| s.mtim), Ok(2_000_000_000), "mtime after set-times");

    // rename: a file, over an existing file, a directory, and the error cases.
    c.ok(rename(ROOT, "rw/p/a.txt", "rw/p/b.txt"), "rename a file");
    c.fails(path_stat(ROOT, "rw/p/a.txt", true), &[wasi::ERRNO_NOENT], "the old name is gone");
    c.eq(get(ROOT, "rw/p/b.txt"), Ok(b"alpha".to_vec()), "the new name has the content");
    c.ok(put(ROOT, "rw/p/c.txt", b"gamma"), "writing rw/p/c.txt");
    c.ok(rename(ROOT, "rw/p/c.txt", "rw/p/b.txt"), "rename over an existing file");
    c.eq(get(ROOT, "rw/p/b.txt"), Ok(b"gamma".to_vec()), "the replaced file has the new content");
    c.ok(mkdir(ROOT, "rw/p/d1"), "mkdir rw/p/d1");
    c.ok(put(ROOT, "rw/p/d1/inner", b"i"), "a file in d1");
    c.ok(rename(ROOT, "rw/p/d1", "rw/p/d2"), "rename a directory");
    c.eq(get(ROOT, "rw/p/d2/inner"), Ok(b"i".to_vec()), "the renamed directory keeps its files");
    c.fails(rename(ROOT, "rw/p/missing", "rw/p/x"), &[wasi::ERRNO_NOENT], "rename of a missing path");
    c.fails(rename(ROOT, "rw/p/b.txt", "rw/p/d2"), &[wasi::ERRNO_ISDIR, wasi::ERRNO_EXIST, wasi::ERRNO_NOTEMPTY], "rename a file over a directory");
    c.fails(rename(ROOT, "rw/p/d2", "rw/p/b.txt"), &[wasi::ERRNO_NOTDIR], "rename a directory over a file");
    c.fails(rename(ROOT, "rw/p/d2", "rw/p/d2/sub"), &[wasi::ERRNO_INVAL], "rename a directory into itself");

    // unlink and rmdir.
    c.fails(unlink(ROOT, "rw/p/d2"), &[wasi::ERRNO_ISDIR, wasi::ERRNO_PERM], "unlink of a directory");
    c.fails(rmdir(ROOT, "rw/p/b.txt"), &[wasi::ERRNO_NOTDIR], "rmdir of a file");
    c.fails(rmdir(ROOT, "rw/p/d2"), &[wasi::ERRNO_NOTEMPTY], "rmdir of a non-empty directory");
    c.ok(unlink(ROOT, "rw/p/d2/inner"), "unlink a file");
    c.fails(unlink(ROOT, "rw/p/d2/inner"), &[wasi::ERRNO_NOENT], "unlink it again");
    c.ok(rmdir(ROOT, "rw/p/d2"), "rmdir an empty directory");
    c.fails(path_stat(ROOT, "rw/p/d2", true), &[wasi::ERRNO_NOENT], "the directory is gone");
    c.fails(rmdir(ROOT, "rw/p/d2"), &[wasi::ERRNO_NOENT], "rmdir it again");

    // An open descriptor outlives its name.
    let fd = open(ROOT, "rw/p/b.txt", 0, RO, 0).expect("open b.txt");
    c.ok(unlink(ROOT, "rw/p/b.txt"), "unlink an open file");
    c.eq(read(fd, 100), Ok(b"gamma".to_vec()), "read through the descriptor after unlink");
    close(fd);
    c.finish();
}
