//! Symlinks: made, read back, followed or not, and every link that would lead out of the grant
//! refused. The test plants `rw/planted -> ../outside` on the host, beside the grant.

use padcell_conformance_programs::*;

fn main() {
    let mut c = Checks::new("symlinks");
    c.ok(mkdir(ROOT, "rw/s"), "mkdir rw/s");
    c.ok(mkdir(ROOT, "rw/s/sub"), "mkdir rw/s/sub");
    c.ok(put(ROOT, "rw/s/target.txt", b"target"), "writing the target");

    c.ok(symlink("target.txt", ROOT, "rw/s/link"), "a link beside its target");
    c.eq(readlink(ROOT, "rw/s/link"), Ok("target.txt".to_owned()), "readlink");
    c.eq(get(ROOT, "rw/s/link"), Ok(b"target".to_vec()), "open follows the link");
    let lstat = path_stat(ROOT, "rw/s/link", false).map(|s| s.filetype);
    c.eq(lstat, Ok(wasi::FILETYPE_SYMBOLIC_LINK), "stat without following sees the link");
    let stat = path_stat(ROOT, "rw/s/link", true).map(|s| s.filetype);
    c.eq(stat, Ok(wasi::FILETYPE_REGULAR_FILE), "stat following sees the file");
    c.fails(open_nofollow(ROOT, "rw/s/link", 0, RO), &[wasi::ERRNO_LOOP, wasi::ERRNO_NOTSUP, wasi::ERRNO_MLINK], "open without following a link");
    c.fails(readlink(ROOT, "rw/s/target.txt"), &[wasi::ERRNO_INVAL, wasi::ERRNO_NOENT], "readlink of a file");

    c.ok(put(ROOT, "rw/s/sub/down.txt", b"down"), "writing a file below");
    c.ok(symlink("sub/down.txt", ROOT, "rw/s/in"), "a link down into a subdirectory");
    c.eq(get(ROOT, "rw/s/in"), Ok(b"down".to_vec()), "following it");
    c.ok(symlink("down.txt", ROOT, "rw/s/sub/down"), "a link beside its target, below");
    c.ok(symlink("sub", ROOT, "rw/s/dirlink"), "a link to a directory");
    c.eq(path_stat(ROOT, "rw/s/dirlink/down", false).map(|s| s.filetype), Ok(wasi::FILETYPE_SYMBOLIC_LINK), "a path through a directory link");
    c.ok(symlink("missing", ROOT, "rw/s/dangling"), "a dangling link");
    c.fails(get(ROOT, "rw/s/dangling"), &[wasi::ERRNO_NOENT], "following a dangling link");
    c.fails(symlink("target.txt", ROOT, "rw/s/link"), &[wasi::ERRNO_EXIST], "a link over an existing name");
    c.ok(symlink("loop2", ROOT, "rw/s/loop1"), "loop1 -> loop2");
    c.ok(symlink("loop1", ROOT, "rw/s/loop2"), "loop2 -> loop1");
    c.fails(get(ROOT, "rw/s/loop1"), &[wasi::ERRNO_LOOP], "a symlink loop");
    c.ok(unlink(ROOT, "rw/s/link"), "unlink a link");
    c.eq(get(ROOT, "rw/s/target.txt"), Ok(b"target".to_vec()), "unlinking a link leaves its target");

    // Escapes: absolute targets, too many '..', and planted links all stay refused.
    let refused = [wasi::ERRNO_PERM, wasi::ERRNO_ACCES, wasi::ERRNO_NOENT, wasi::ERRNO_NOTCAPABLE];
    c.fails(symlink("/etc/passwd", ROOT, "rw/s/abs"), &refused, "a link to an absolute path");
    c.fails(symlink("../../../outside/secret", ROOT, "rw/s/esc"), &refused, "a link that climbs out of the grant");
    c.fails(symlink("sub/../../../x", ROOT, "rw/s/esc2"), &refused, "a link that climbs out through a subdirectory");
    // A link made in a cell never climbs, even inside the grant: a later rename, hard link or
    // move of its directory would carry a climbing link out of what it may point to.
    c.fails(symlink("../target.txt", ROOT, "rw/s/sub/up"), &refused, "a link up one level");
    c.fails(symlink("a/../b", ROOT, "rw/s/updown"), &refused, "a link that climbs and descends");
    c.fails(get(ROOT, "rw/planted/secret"), &refused, "reading through a planted link");
    c.fails(readlink(ROOT, "rw/planted"), &refused, "readlink of a planted link that leads out");
    c.fails(put(ROOT, "rw/planted/new", b"x"), &refused, "writing through a planted link");
    c.fails(open(ROOT, "rw/../../etc/passwd", 0, RO, 0), &refused, "'..' past the root");
    c.finish();
}
