//! Builds the guest interpreter (`guest-runtime/`) for wasm32-wasip1 and hands its bytes and hash
//! to the host crate. The guest always uses the workspace's optimized `guest` profile, in its own
//! target directory (`<target>/guest`), so host debug and release builds share one guest build
//! and the outer cargo's directory lock is never contended.
//!
//! Set `PADCELL_GUEST_WASM=/path/to/guest.wasm` to embed a prebuilt guest instead.

#![allow(clippy::disallowed_methods, reason = "a build script reads and writes the build's own files, as the operator")]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const GUEST_TARGET: &str = "wasm32-wasip1";
const GUEST_PROFILE: &str = "guest";

fn main() {
    let host_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = host_dir.parent().expect("workspace root").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    for input in [
        root.join("guest-runtime/src"),
        root.join("guest-runtime/build.rs"),
        root.join("guest-runtime/cpython"),
        root.join("guest-runtime/Cargo.toml"),
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
        host_dir.join("src/abi.rs"),
    ] {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    println!("cargo:rerun-if-env-changed=PADCELL_GUEST_WASM");

    let wasm = match env::var_os("PADCELL_GUEST_WASM") {
        Some(prebuilt) => PathBuf::from(prebuilt),
        None => build_guest(&root, &out_dir),
    };
    let bytes = std::fs::read(&wasm).unwrap_or_else(|e| panic!("reading {}: {e}", wasm.display()));
    std::fs::write(out_dir.join("padcell_guest.wasm"), &bytes).expect("copying the guest into OUT_DIR");
    println!("cargo:rustc-env=PADCELL_GUEST_HASH={}", blake3::hash(&bytes).to_hex());
}

fn build_guest(root: &Path, out_dir: &Path) -> PathBuf {
    let target = cargo_target_dir(out_dir).unwrap_or_else(|| root.join("target"));
    let cpython = build_cpython(root, &target);
    let target_dir = target.join("guest");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .env("PADCELL_CPYTHON_OUT", &cpython)
        .env("PYO3_CONFIG_FILE", cpython.join("pyo3-config.txt"))
        .args(["build", "--package", "padcell-guest", "--target", GUEST_TARGET])
        .args(["--profile", GUEST_PROFILE])
        .arg("--target-dir")
        .arg(&target_dir);
    // What cargo set for this build script must not leak into the guest's build.
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_CFG_")
            || matches!(
                key,
                "RUSTFLAGS"
                    | "CARGO_ENCODED_RUSTFLAGS"
                    | "CARGO_BUILD_RUSTFLAGS"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_BUILD_TARGET_DIR"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            cmd.env_remove(key);
        }
    }
    // Our stdout is read by cargo for directives; the inner build speaks on stderr only.
    cmd.stdout(std::process::Stdio::from(std::io::stderr()));
    let status = cmd.status().expect("running cargo to build the guest");
    assert!(
        status.success(),
        "building guest-runtime for {GUEST_TARGET} failed ({status}); is the target installed? \
         `rustup target add {GUEST_TARGET}`"
    );
    target_dir.join(GUEST_TARGET).join(GUEST_PROFILE).join("padcell_guest.wasm")
}

/// CPython for wasm32-wasi, built once into `<target>/cpython` by guest-runtime/cpython/build.sh
/// (which installs Debian's clang for wasm32 if it is missing); returns the directory of what the
/// guest links.
fn build_cpython(root: &Path, target: &Path) -> PathBuf {
    let dir = target.join("cpython");
    let status = Command::new("bash")
        .arg(root.join("guest-runtime/cpython/build.sh"))
        .env("PADCELL_CPYTHON_DIR", &dir)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .expect("running guest-runtime/cpython/build.sh");
    assert!(status.success(), "building CPython for wasm32-wasi failed ({status}); see guest-runtime/cpython/build.sh");
    let out = dir.join("out");
    // The source tree, for the tests that run CPython's own test suite in cells.
    if let Ok(source) = std::fs::read_to_string(out.join("source")) {
        println!("cargo:rustc-env=PADCELL_CPYTHON_SOURCE={}", source.trim());
    }
    out
}

/// The target directory of the build that runs this script: the nearest ancestor of OUT_DIR that
/// cargo marked with CACHEDIR.TAG.
fn cargo_target_dir(out_dir: &Path) -> Option<PathBuf> {
    out_dir.ancestors().find(|dir| dir.join("CACHEDIR.TAG").is_file()).map(Path::to_path_buf)
}
