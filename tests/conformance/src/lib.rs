//! padcell's own WASI conformance programs (see `programs/`), built for wasm32-wasip1 by this
//! crate's build script. Each checks one area of WASI preview1 and exits 1, naming the wrong
//! result on stderr, when the runtime gets it wrong.

use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// The built `.wasm` of program `name`.
pub fn program(name: &str) -> PathBuf {
    let (_, path) = PROGRAMS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no conformance program {name}"));
    PathBuf::from(path)
}
