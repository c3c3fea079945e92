//! Builds the conformance programs (`programs/`, their own workspace) for wasm32-wasip1 with an
//! inner cargo, into `<target>/conformance`, and writes the list of programs and their paths to
//! `OUT_DIR/programs.rs`. As host/build.rs does for the guest: a separate target directory, so the
//! outer cargo's lock is never contended, and a cleaned environment.

#![allow(clippy::disallowed_methods, reason = "a build script reads and writes the build's own files, as the operator")]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip1";

fn main() {
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let programs = here.join("programs");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    for input in ["src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", programs.join(input).display());
    }

    let target_dir = cargo_target_dir(&out_dir).unwrap_or_else(|| here.join("target")).join("conformance");
    build(&programs, &target_dir);
    let built = target_dir.join(TARGET).join("release");

    let mut names: Vec<String> = std::fs::read_dir(programs.join("src/bin"))
        .expect("listing programs/src/bin")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    let mut list = String::from("/// Every conformance program: its name and the path of its .wasm.\n");
    list.push_str("pub const PROGRAMS: &[(&str, &str)] = &[\n");
    for name in &names {
        let wasm = built.join(format!("{name}.wasm"));
        assert!(wasm.is_file(), "the inner build did not produce {}", wasm.display());
        list.push_str(&format!("    ({name:?}, {:?}),\n", wasm.display().to_string()));
    }
    list.push_str("];\n");
    std::fs::write(out_dir.join("programs.rs"), list).expect("writing programs.rs");
}

fn build(programs: &Path, target_dir: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(programs)
        .args(["build", "--locked", "--release", "--target", TARGET])
        .arg("--manifest-path")
        .arg(programs.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    // What cargo set for this build script must not leak into the programs' build.
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
    let status = cmd.status().expect("running cargo to build the conformance programs");
    assert!(
        status.success(),
        "building the conformance programs for {TARGET} failed ({status}); is the target installed? \
         `rustup target add {TARGET}`"
    );
}

/// The target directory of the build that runs this script: the nearest ancestor of OUT_DIR that
/// cargo marked with CACHEDIR.TAG.
fn cargo_target_dir(out_dir: &Path) -> Option<PathBuf> {
    out_dir.ancestors().find(|dir| dir.join("CACHEDIR.TAG").is_file()).map(Path::to_path_buf)
}
