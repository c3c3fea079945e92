//! The pre-initialized interpreter. Starting CPython takes a new cell tens of milliseconds,
//! nearly all of its start. wizer runs the guest's `padcell_preinit` once and writes a module
//! whose memory already holds the built interpreter, so each cell starts from that image
//! (mapped copy-on-write by the pooling allocator) and only does what is its own in
//! `padcell_init`: argv, environment, random seeds, preopens and its import policy.
//!
//! The snapshot is made on first use and kept in the module cache like the compiled guest.
//! wizer gives the init function WASI without files, arguments or environment, and traps on any
//! `padcell` import, so nothing of any cell can be in the image.

use crate::abi::EXPORT_PREINIT;
use crate::supervisor::module_cache::{CacheEvent, ModuleCache};
use anyhow::{Context, Result};
use std::time::Instant;

/// The pre-initialized form of the guest `wasm` (whose blake3 hash is `hash`): from the cache,
/// or made now and stored, so engines with other settings (fuel metering) reuse it.
pub(crate) fn load_or_make(cache: &ModuleCache, wasm: &[u8], hash: &str, on_event: &dyn Fn(CacheEvent)) -> Result<Vec<u8>> {
    cache.load_or_make(hash, &|| {
        on_event(CacheEvent::Preinitializing);
        let start = Instant::now();
        let snapshot = preinitialize(wasm)?;
        on_event(CacheEvent::Preinitialized { took: start.elapsed() });
        Ok(snapshot)
    })
}

/// The guest `wasm` after `padcell_preinit`, snapshotted.
fn preinitialize(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut wizer = wizer::Wizer::new();
    wizer
        .init_func(EXPORT_PREINIT)
        .allow_wasi(true)?
        .inherit_stdio(false)
        .inherit_env(false)
        .keep_init_func(false)
        .wasm_bulk_memory(true);
    wizer.run(wasm).context("pre-initializing the interpreter (wizer)")
}

/// Whether a guest can be pre-initialized: it exports `padcell_preinit` (a prebuilt guest given
/// with `PADCELL_GUEST_WASM` may not).
pub(crate) fn supported_wasm(wasm: &[u8]) -> bool {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(exports)) = payload {
            return exports.into_iter().any(|e| e.is_ok_and(|e| e.name == EXPORT_PREINIT));
        }
    }
    false
}
