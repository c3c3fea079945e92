//! The guest interpreter, embedded in the host at build time (see host/build.rs).

/// CPython for wasm32-wasip1 in its Rust shell, built from guest-runtime/.
pub const GUEST_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/padcell_guest.wasm"));

/// The blake3 hash of [`GUEST_WASM`], computed at build time; part of the module cache's key.
pub const GUEST_HASH: &str = env!("PADCELL_GUEST_HASH");
