//! fd_readdir with cookies: a directory of 25 entries read through buffers too small for it,
//! resumed at every `d_next`, and restarted from a cookie in the middle; and the root.

use padcell_conformance_programs::*;
use std::collections::BTreeSet;

/// Every entry from `cookie` on, reading `buf_len` bytes at a time: (name, type, d_next).
fn entries(dir: Fd, mut cookie: u64, buf_len: usize) -> Result<Vec<(String, u8, u64)>, Errno> {
    let mut out = Vec::new();
    loop {
        let mut buf = vec![0u8; buf_len];
        let used = unsafe { wasi::fd_readdir(dir, buf.as_mut_ptr(), buf.len(), cookie) }?;
        let mut at = 0;
        let header = std::mem::size_of::<wasi::Dirent>();
        let mut progressed = false;
        while at + header <= used {
            let dirent: wasi::Dirent = unsafe { std::ptr::read_unaligned(buf.as_ptr().add(at) as *const wasi::Dirent) };
            let name_at = at + header;
            let name_end = name_at + dirent.d_namlen as usize;
            if name_end > used {
                break; // cut off: read again from this entry's cookie
            }
            let name = String::from_utf8_lossy(&buf[name_at..name_end]).into_owned();
            out.push((name, dirent.d_type.raw(), dirent.d_next));
            cookie = dirent.d_next;
            at = name_end;
            progressed = true;
        }
        if used < buf_len {
            return Ok(out); // the implementation had no more to give
        }
        if !progressed {
            return Err(wasi::ERRNO_NOBUFS);
        }
    }
}

fn main() {
    let mut c = Checks::new("readdir");
    c.ok(mkdir(ROOT, "rw/list"), "mkdir rw/list");
    let mut want: BTreeSet<String> = [".", ".."].iter().map(|s| s.to_string()).collect();
    for i in 0..20 {
        let name = format!("file-{i:02}-{}", "x".repeat(i));
        c.ok(put(ROOT, &format!("rw/list/{name}"), b"x"), "creating a file");
        want.insert(name);
    }
    for i in 0..5 {
        c.ok(mkdir(ROOT, &format!("rw/list/dir-{i}")), "creating a directory");
        want.insert(format!("dir-{i}"));
    }
    let Some(dir) = c.ok(open(ROOT, "rw/list", wasi::OFLAGS_DIRECTORY, RO, 0), "opening rw/list") else { c.finish() };

    let whole = entries(dir, 0, 64 * 1024).unwrap_or_default();
    let names: BTreeSet<String> = whole.iter().map(|e| e.0.clone()).collect();
    c.eq(&names, &want, "one big read lists every entry");
    c.eq(whole.len(), want.len(), "no entry twice");
    for (name, kind, _) in &whole {
        let is_dir = name.starts_with("dir-") || name == "." || name == "..";
        let want_kind = if is_dir { wasi::FILETYPE_DIRECTORY.raw() } else { wasi::FILETYPE_REGULAR_FILE.raw() };
        c.eq(*kind, want_kind, &format!("the type of {name}"));
    }

    // Small buffers (the longest entry is 24 + 27 bytes): many calls, each resuming at the last
    // whole entry's cookie.
    for buf_len in [56, 64, 100] {
        let small = entries(dir, 0, buf_len).unwrap_or_default();
        c.eq(small.iter().map(|e| e.0.clone()).collect::<Vec<_>>(), whole.iter().map(|e| e.0.clone()).collect(), &format!("{buf_len}-byte reads give the same entries"));
    }

    // A cookie from the middle gives exactly the rest.
    let middle = whole.len() / 2;
    let rest = entries(dir, whole[middle - 1].2, 256).unwrap_or_default();
    c.eq(rest.iter().map(|e| e.0.clone()).collect::<Vec<_>>(), whole[middle..].iter().map(|e| e.0.clone()).collect(), "resuming at a middle cookie");
    // The last cookie gives nothing.
    let last = whole.last().map(|e| e.2).unwrap_or_default();
    c.eq(entries(dir, last, 256).map(|e| e.len()), Ok(0), "reading from the last cookie");
    // The root lists the grant as a directory, also one entry per call (in padcell the root is
    // a virtual directory above the grants, with cookies of its own).
    for buf_len in [30, 4096] {
        let root = entries(ROOT, 0, buf_len).unwrap_or_default();
        let rw = root.iter().find(|e| e.0 == "rw").map(|e| e.1);
        c.eq(rw, Some(wasi::FILETYPE_DIRECTORY.raw()), &format!("the root lists rw as a directory ({buf_len}-byte reads)"));
        c.check(root.iter().any(|e| e.0 == "."), "the root lists '.'");
    }
    // A file is not a directory.
    let file = open(ROOT, "rw/list/file-00-", 0, RO, 0).expect("open a listed file");
    let mut buf = [0u8; 128];
    c.fails(unsafe { wasi::fd_readdir(file, buf.as_mut_ptr(), buf.len(), 0) }, &[wasi::ERRNO_NOTDIR, wasi::ERRNO_BADF], "readdir on a file");
    close(file);
    close(dir);
    c.finish();
}
