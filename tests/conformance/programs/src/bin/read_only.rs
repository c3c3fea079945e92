//! The read-only rules at every depth. The test grants `/ro` read-only over
//! `a.txt  d1/a.txt  d1/d2/a.txt  d1/d2/d3/a.txt` (each holding "ro") with an empty `keep/` in
//! each of those directories, and `/rw` read-write. Everything that reads works; everything that
//! would change the grant is refused, by path, through a directory descriptor opened at that
//! depth, and through a file descriptor; and nothing changed afterwards.

use padcell_conformance_programs::*;

const DEPTHS: [&str; 4] = ["ro", "ro/d1", "ro/d1/d2", "ro/d1/d2/d3"];
/// Every right preview1 defines; the host must not grant a write however many are asked.
const ALL: wasi::Rights = (1 << 29) - 1;
/// Every right a directory can have (a directory cannot be opened for `fd_write`, on any OS).
const ALL_DIR: wasi::Rights = ALL & !wasi::RIGHTS_FD_WRITE;

fn main() {
    let mut c = Checks::new("read_only");
    let refused = [wasi::ERRNO_ACCES, wasi::ERRNO_PERM, wasi::ERRNO_NOTCAPABLE, wasi::ERRNO_ROFS];
    let fd_refused = [wasi::ERRNO_ACCES, wasi::ERRNO_PERM, wasi::ERRNO_NOTCAPABLE, wasi::ERRNO_BADF];
    c.ok(put(ROOT, "rw/mine.txt", b"mine"), "writing rw/mine.txt");
    for dir in DEPTHS {
        let file = format!("{dir}/a.txt");
        // Reads work.
        c.eq(get(ROOT, &file), Ok(b"ro".to_vec()), &format!("reading {file}"));
        c.ok(path_stat(ROOT, &file, true), &format!("stat {file}"));
        // By path, every change is refused.
        c.fails(open(ROOT, &file, 0, RW, 0), &refused, &format!("open {file} for writing"));
        c.fails(open(ROOT, &file, 0, ALL, 0), &refused, &format!("open {file} with every right"));
        c.fails(open(ROOT, &file, wasi::OFLAGS_TRUNC, RO, 0), &refused, &format!("truncate {file} without asking to write"));
        c.fails(open(ROOT, &file, 0, RO, wasi::FDFLAGS_APPEND), &refused, &format!("open {file} to append"));
        c.fails(open(ROOT, &file, wasi::OFLAGS_CREAT, RO, 0), &refused, &format!("create-open existing {file}"));
        c.fails(open(ROOT, &format!("{dir}/new.txt"), wasi::OFLAGS_CREAT, RW, 0), &refused, &format!("create in {dir}"));
        c.fails(open(ROOT, &format!("{dir}/new.txt"), wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL, RW, 0), &refused, &format!("exclusive create in {dir}"));
        c.fails(mkdir(ROOT, &format!("{dir}/newdir")), &refused, &format!("mkdir in {dir}"));
        c.fails(rmdir(ROOT, &format!("{dir}/keep")), &refused, &format!("rmdir {dir}/keep"));
        c.fails(unlink(ROOT, &file), &refused, &format!("unlink {file}"));
        c.fails(rename(ROOT, &file, &format!("{dir}/b.txt")), &refused, &format!("rename {file} inside"));
        c.fails(rename(ROOT, &file, "rw/stolen.txt"), &refused, &format!("rename {file} out"));
        c.fails(rename(ROOT, "rw/mine.txt", &format!("{dir}/planted.txt")), &refused, &format!("rename into {dir}"));
        c.fails(symlink("a.txt", ROOT, &format!("{dir}/link")), &refused, &format!("symlink in {dir}"));
        c.fails(unsafe { wasi::path_link(ROOT, 0, &file, ROOT, "rw/hard.txt") }, &refused, &format!("hard link {file} into rw"));
        c.fails(unsafe { wasi::path_filestat_set_times(ROOT, 0, &file, 1, 1, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM) }, &refused, &format!("set times of {file}"));

        // Through a directory descriptor opened at this depth, asking for every right.
        if let Some(d) = c.ok(open(ROOT, dir, wasi::OFLAGS_DIRECTORY, ALL_DIR, 0), &format!("opening {dir} as a directory")) {
            c.eq(get(d, "a.txt"), Ok(b"ro".to_vec()), &format!("reading a.txt through {dir}"));
            c.fails(open(d, "a.txt", 0, RW, 0), &refused, &format!("write-open through {dir}"));
            c.fails(open(d, "made.txt", wasi::OFLAGS_CREAT, RW, 0), &refused, &format!("create through {dir}"));
            c.fails(mkdir(d, "made"), &refused, &format!("mkdir through {dir}"));
            c.fails(unlink(d, "a.txt"), &refused, &format!("unlink through {dir}"));
            c.fails(rmdir(d, "keep"), &refused, &format!("rmdir through {dir}"));
            c.fails(rename(d, "a.txt", "c.txt"), &refused, &format!("rename through {dir}"));
            c.fails(open(d, "keep/../a.txt", wasi::OFLAGS_TRUNC, RW, 0), &refused, &format!("truncate via keep/.. through {dir}"));
            c.fails(unsafe { wasi::fd_filestat_set_times(d, 1, 1, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM) }, &fd_refused, &format!("set times of {dir} itself"));
            close(d);
        }

        // Through a file descriptor opened for reading.
        if let Some(f) = c.ok(open(ROOT, &file, 0, RO, 0), &format!("opening {file} to read")) {
            c.fails(write(f, b"x"), &fd_refused, &format!("fd_write to {file}"));
            c.fails(pwrite(f, b"x", 0), &fd_refused, &format!("fd_pwrite to {file}"));
            c.fails(unsafe { wasi::fd_filestat_set_size(f, 0) }, &fd_refused, &format!("set size of {file}"));
            c.fails(unsafe { wasi::fd_filestat_set_times(f, 1, 1, wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM) }, &fd_refused, &format!("set times of {file} by fd"));
            c.fails(unsafe { wasi::fd_fdstat_set_flags(f, wasi::FDFLAGS_APPEND) }, &fd_refused, &format!("turn on append for {file}"));
            c.fails(unsafe { wasi::fd_allocate(f, 0, 100) }, &[wasi::ERRNO_NOTSUP, wasi::ERRNO_BADF, wasi::ERRNO_ACCES, wasi::ERRNO_PERM], &format!("allocate in {file}"));
            close(f);
        }
        // Nothing changed.
        c.eq(get(ROOT, &file), Ok(b"ro".to_vec()), &format!("{file} is unchanged"));
        c.fails(path_stat(ROOT, &format!("{dir}/new.txt"), false), &[wasi::ERRNO_NOENT], &format!("nothing was created in {dir}"));
        c.ok(path_stat(ROOT, &format!("{dir}/keep"), false), &format!("{dir}/keep is still there"));
    }
    c.fails(path_stat(ROOT, "rw/stolen.txt", false), &[wasi::ERRNO_NOENT], "nothing was moved out");
    c.fails(path_stat(ROOT, "rw/hard.txt", false), &[wasi::ERRNO_NOENT], "nothing was linked out");
    c.finish();
}
