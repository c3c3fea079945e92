//! fd_seek and fd_tell from every origin, fd_pread and fd_pwrite that leave the position alone,
//! writes past the end, and set-size.

use padcell_conformance_programs::*;
use wasi::{WHENCE_CUR as CUR, WHENCE_END as END, WHENCE_SET as SET};

fn main() {
    let mut c = Checks::new("file_io");
    let Some(fd) = c.ok(open(ROOT, "rw/io.bin", wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC, RW, 0), "creating rw/io.bin") else { c.finish() };
    c.eq(write(fd, b"hello, world"), Ok(12), "write 12 bytes");
    c.eq(tell(fd), Ok(12), "tell after the write");
    c.eq(seek(fd, 0, SET), Ok(0), "seek SET 0");
    c.eq(read(fd, 5), Ok(b"hello".to_vec()), "read 5");
    c.eq(tell(fd), Ok(5), "tell after the read");
    c.eq(seek(fd, 2, CUR), Ok(7), "seek CUR +2");
    c.eq(read(fd, 5), Ok(b"world".to_vec()), "read at 7");
    c.eq(seek(fd, -5, END), Ok(7), "seek END -5");
    c.eq(seek(fd, -3, CUR), Ok(4), "seek CUR -3");
    c.fails(seek(fd, -1, SET), &[wasi::ERRNO_INVAL], "seek before the start");
    c.eq(tell(fd), Ok(4), "a failed seek leaves the position");
    c.eq(seek(fd, 0, END), Ok(12), "seek to the end");
    c.eq(read(fd, 10), Ok(Vec::new()), "read at the end is empty");

    // pread/pwrite do not move the position.
    c.eq(seek(fd, 3, SET), Ok(3), "seek 3");
    c.eq(pread(fd, 4, 7), Ok(b"worl".to_vec()), "pread 4 at 7");
    c.eq(pwrite(fd, b"HELLO", 0), Ok(5), "pwrite at 0");
    c.eq(tell(fd), Ok(3), "pread and pwrite left the position");
    c.eq(pread(fd, 100, 0), Ok(b"HELLO, world".to_vec()), "pread sees the pwrite");
    c.eq(pread(fd, 10, 100), Ok(Vec::new()), "pread past the end is empty");

    // Writing past the end fills the gap with zeros.
    c.eq(pwrite(fd, b"!", 15), Ok(1), "pwrite at 15");
    c.eq(filestat(fd).map(|s| s.size), Ok(16), "size after the gap write");
    c.eq(pread(fd, 4, 12), Ok(b"\0\0\0!".to_vec()), "the gap reads as zeros");
    c.eq(seek(fd, 20, SET), Ok(20), "seek past the end");
    c.eq(write(fd, b"?"), Ok(1), "write past the end");
    c.eq(filestat(fd).map(|s| s.size), Ok(21), "size after writing past the end");

    // Set-size shrinks and grows.
    c.ok(unsafe { wasi::fd_filestat_set_size(fd, 5) }, "set size 5");
    c.eq(pread(fd, 100, 0), Ok(b"HELLO".to_vec()), "shrunk");
    c.ok(unsafe { wasi::fd_filestat_set_size(fd, 8) }, "set size 8");
    c.eq(pread(fd, 100, 0), Ok(b"HELLO\0\0\0".to_vec()), "grown with zeros");
    close(fd);

    // stdio cannot seek.
    c.fails(seek(1, 0, SET), &[wasi::ERRNO_SPIPE, wasi::ERRNO_BADF, wasi::ERRNO_NOTSUP], "seek on stdout");
    // A closed descriptor is gone.
    c.fails(tell(fd), &[wasi::ERRNO_BADF], "tell on a closed descriptor");
    c.finish();
}
