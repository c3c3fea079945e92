//! Links the guest against the CPython that `cpython/build.sh` built for wasm32-wasi: the static
//! libpython, the static libraries of its C modules, WASI libc's emulation libraries, and the
//! frozen standard library (see cpython/pack_stdlib.py). The host's build script runs build.sh
//! first and says where its output is (`PADCELL_CPYTHON_OUT`).

use std::env;
use std::path::PathBuf;

fn main() {
    let out = match env::var_os("PADCELL_CPYTHON_OUT") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("../target/cpython/out"),
    };
    println!("cargo:rerun-if-env-changed=PADCELL_CPYTHON_OUT");
    println!("cargo:rerun-if-changed={}", out.join("stamp").display());
    let lib = out.join("lib");
    assert!(
        lib.join("libpython3.13.a").is_file(),
        "no CPython build in {}: run guest-runtime/cpython/build.sh (the host's build script does)",
        out.display()
    );
    println!("cargo:rustc-link-search=native={}", lib.display());
    let mut names: Vec<String> = std::fs::read_dir(&lib)
        .expect("reading the CPython libraries")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| Some(f.strip_prefix("lib")?.strip_suffix(".a")?.to_owned()))
        .collect();
    names.sort();
    for name in names {
        println!("cargo:rustc-link-lib=static={name}");
    }
    // A reactor module: `_initialize` runs the C constructors once (see build.sh).
    println!("cargo:rustc-link-arg={}", out.join("crt1-reactor.o").display());
    // A syntax error must not make the cell open files (see interpreter.rs).
    println!("cargo:rustc-link-arg=--wrap=_PyErr_ProgramDecodedTextObject");
    // CPython's C stack: deep recursion must end in RecursionError, not a trap (CPython's own
    // WASI build uses the same size). The host's max_wasm_stack bounds the wasm stack beside it.
    println!("cargo:rustc-link-arg=-zstack-size=8388608");
    println!("cargo:rustc-env=PADCELL_STDLIB_FROZEN={}", out.join("stdlib.frozen").display());
}
