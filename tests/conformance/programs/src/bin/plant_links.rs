//! Hostile: every way a cell with a read-write grant might plant, on the host, a symlink that
//! leads outside its grant, so that a later grant of that "output" hands the next cell a secret.
//! Each attempt must be refused; the test then checks the host tree itself. The grant is /rw;
//! `rw/secret` is never reached (the test keeps the secret beside the grant).

use padcell_conformance_programs::*;

fn main() {
    let mut c = Checks::new("plant_links");
    let refused = [wasi::ERRNO_PERM, wasi::ERRNO_ACCES, wasi::ERRNO_NOTCAPABLE];
    c.ok(mkdir(ROOT, "rw/a"), "mkdir rw/a");
    c.ok(mkdir(ROOT, "rw/d"), "mkdir rw/d");
    c.ok(mkdir(ROOT, "rw/a/b"), "mkdir rw/a/b");

    // 1. A link that is inside the grant where it is made, then moved up a level.
    c.fails(symlink("../../secret", ROOT, "rw/a/l"), &refused, "a climbing link, to be moved up");
    // 2. The same link, hard-linked up a level instead.
    c.fails(symlink("../../secret", ROOT, "rw/a/h"), &refused, "a climbing link, to be hard-linked up");
    // 3. A link through an in-grant link that climbs: d/up -> .., then up/up/secret.
    c.fails(symlink("..", ROOT, "rw/d/up"), &refused, "a link to the parent directory");
    // Without `..` in it, a link can only descend: `up` does not exist, so this one dangles.
    c.ok(symlink("up/up/secret", ROOT, "rw/d/through"), "a link through a d/up that was refused");
    // 4. A directory fd whose directory is then renamed: its guest path is stale.
    let fd = c.ok(open(ROOT, "rw/a/b", wasi::OFLAGS_DIRECTORY, RO, 0), "opening rw/a/b");
    c.ok(rename(ROOT, "rw/a/b", "rw/b"), "renaming rw/a/b to rw/b");
    if let Some(fd) = fd {
        c.fails(symlink("../../secret", fd, "l"), &refused, "a climbing link through the moved directory's fd");
        close(fd);
    }
    // Moves of whatever was made stay inside.
    let _ = rename(ROOT, "rw/a/l", "rw/l");
    let _ = unsafe { wasi::path_link(ROOT, 0, "rw/a/h", ROOT, "rw/h") };
    c.finish();
}
