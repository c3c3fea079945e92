//! What a cell's wasmtime `Store` holds: its WASI context, its filesystem, and the reply the
//! guest is sending.

use crate::fs::CellFs;
use crate::limits::{CellControl, MemoryLimiter};
use std::sync::Arc;
use wasi_common::WasiCtx;

/// The per-cell data behind every host function call.
pub(crate) struct CellState {
    pub(crate) wasi: WasiCtx,
    pub(crate) fs: Arc<CellFs>,
    pub(crate) control: Arc<CellControl>,
    pub(crate) limiter: MemoryLimiter,
    /// The answer the guest gave through `padcell.reply` to the request being run.
    pub(crate) reply: Option<Vec<u8>>,
}
