//! Feeds arbitrary text to everything that parses a user's policy: `applet.toml`, the grant
//! flags (`--dir`/`--file` specs), `--env` pairs, and the limit flags. Bad input must be a
//! `PolicyError`, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use padcell::{Grant, GrantKind, LimitFlags, Limits, Manifest, Policy};
use std::path::PathBuf;
use std::sync::OnceLock;

fn base() -> &'static PathBuf {
    static BASE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BASE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::create_dir_all(dir.path().join("data/sub")).expect("mkdir");
            std::fs::write(dir.path().join("data/a.txt"), "a").expect("write");
            let path = dir.path().to_path_buf();
            (dir, path)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let base = base();
    if let Ok(manifest) = Manifest::parse(text) {
        let _ = manifest.flags.apply(Policy::new(), base);
        let _ = manifest.limits.apply(Limits::default());
        let _ = manifest.main_path(base);
    }
    for line in text.lines().take(16) {
        let _ = Grant::parse(line, GrantKind::Dir, base);
        let _ = Grant::parse(line, GrantKind::File, base);
        let _ = Policy::new().env_pair(line);
        let flags = LimitFlags { timeout: Some(line.into()), memory: Some(line.into()), output: Some(line.into()), ..LimitFlags::default() };
        let _ = flags.apply(Limits::default());
    }
});
