//! The supervisor's own host files (an applet's source, a manifest, an audit log): reached
//! through a cap-std capability on the parent directory, never through ambient paths below it.

use anyhow::{Context, Result, anyhow};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, File, OpenOptions};
use std::path::Path;

fn parent_and_name(path: &Path) -> Result<(Dir, &std::ffi::OsStr)> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| anyhow!("{} is not a file", path.display()))?;
    let dir = Dir::open_ambient_dir(parent, ambient_authority()).with_context(|| format!("cannot open {}", path.display()))?;
    Ok((dir, name))
}

pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    let (dir, name) = parent_and_name(path)?;
    dir.read_to_string(name).with_context(|| format!("cannot read {}", path.display()))
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    let (dir, name) = parent_and_name(path)?;
    dir.read(name).with_context(|| format!("cannot read {}", path.display()))
}

/// Opens `path` for appending, creating it if needed.
pub fn open_append(path: &Path) -> Result<File> {
    let (dir, name) = parent_and_name(path)?;
    dir.open_with(name, OpenOptions::new().append(true).create(true)).with_context(|| format!("cannot open {}", path.display()))
}

/// Whether `path` names a wasm module rather than Python: a `.wasm` or `.wat` extension, or a
/// file that starts with the wasm magic `\0asm`.
pub fn is_wasm_module(path: &Path) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wasm") || e.eq_ignore_ascii_case("wat"));
    by_extension || starts_with_wasm_magic(path)
}

fn starts_with_wasm_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\0asm"
}
