//! Drives every host function a cell can import with arbitrary arguments: bad pointers, huge
//! lengths, invalid UTF-8 paths, unknown descriptors, any flags. The input is a memory image
//! (its first two bytes give its length) followed by calls of 1 + 9 x 4 bytes each: which
//! export of hostile.wat, then its nine i32 arguments.
//!
//! The host must never panic, hang or crash; traps and errnos are fine. The oracles beyond that:
//! a canary directory beside the grants stays exactly as it was, so no call wrote outside them,
//! and no symlink the module made in its read-write grant leads outside it on the host.

#![no_main]

use libfuzzer_sys::fuzz_target;
use padcell::{Access, Grant, Limits, Policy, RawModule, Supervisor};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

const HOSTILE: &str = include_str!("../hostile.wat");
const CALL: usize = 1 + 9 * 4;

struct World {
    module: RawModule,
    exports: Vec<String>,
    policy: Policy,
    canary: PathBuf,
    rw: PathBuf,
    _root: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let root = tempfile::tempdir().expect("tempdir");
        for dir in ["ro/sub", "rw", "canary"] {
            std::fs::create_dir_all(root.path().join(dir)).expect("mkdir");
        }
        std::fs::write(root.path().join("ro/a.txt"), "alpha").expect("write");
        std::fs::write(root.path().join("canary/secret"), "untouched").expect("write");
        std::os::unix::fs::symlink("../canary", root.path().join("rw/door")).expect("symlink");
        let policy = Policy::new()
            .grant(Grant::dir(root.path().join("ro"), "/ro", Access::ReadOnly).expect("grant"))
            .expect("policy")
            .grant(Grant::dir(root.path().join("rw"), "/rw", Access::ReadWrite).expect("grant"))
            .expect("policy")
            .with_limits(Limits { timeout: Duration::from_secs(2), memory: 4 << 16, fuel: Some(10_000_000), ..Limits::default() });
        let supervisor = Supervisor::builder().metered(true).build().expect("supervisor");
        let module = RawModule::new(&supervisor, HOSTILE.as_bytes()).expect("hostile.wat");
        let exports = HOSTILE
            .split("(export \"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|name| name.starts_with("call_"))
            .map(str::to_owned)
            .collect();
        let rw = root.path().join("rw").canonicalize().expect("rw");
        World { module, exports, policy, canary: root.path().join("canary"), rw, _root: root }
    })
}

fn canary_intact(dir: &std::path::Path) -> bool {
    let entries: Vec<_> = std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect()).unwrap_or_default();
    entries.len() == 1 && std::fs::read(dir.join("secret")).ok().as_deref() == Some(b"untouched".as_slice())
}

fuzz_target!(|data: &[u8]| {
    let world = world();
    let (head, rest) = data.split_at(data.len().min(2));
    let image_len = head.iter().fold(0usize, |n, &b| n * 256 + b as usize).min(rest.len()).min(1 << 16);
    let (image, calls) = rest.split_at(image_len);
    let mut cell = world.module.instantiate(&world.policy, &["fuzz".into(), "\u{fffd}".into()]).expect("instantiate");
    cell.write_memory(0, image).expect("memory image");
    for call in calls.chunks_exact(CALL) {
        let name = &world.exports[call[0] as usize % world.exports.len()];
        let args: Vec<i32> = call[1..].chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if cell.call(name, &args).is_err() {
            break; // a trap ends the instance, as it would a cell
        }
    }
    assert!(canary_intact(&world.canary), "a host call changed a directory outside every grant");
    assert!(links_stay_inside(&world.rw, &world.rw), "a symlink made in the grant leads outside it");
});

/// Whether every symlink below `dir` (but the planted `door`) resolves inside `grant`, or nowhere.
fn links_stay_inside(dir: &std::path::Path, grant: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return true };
    entries.filter_map(Result::ok).all(|entry| {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_symlink() => {
                path == grant.join("door") || path.canonicalize().map_or(true, |target| target.starts_with(grant))
            }
            Ok(kind) if kind.is_dir() => links_stay_inside(&path, grant),
            _ => true,
        }
    })
}
