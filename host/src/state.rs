//! What a cell's wasmtime `Store` holds: its WASI context and the reply the guest is sending.

use wasi_common::WasiCtx;

/// The per-cell data behind every host function call.
pub(crate) struct CellState {
    pub(crate) wasi: WasiCtx,
    /// The answer the guest gave through `padcell.reply` to the request being run.
    pub(crate) reply: Option<Vec<u8>>,
}
