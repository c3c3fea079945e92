//! What a cell's wasmtime `Store` holds: its WASI context, its filesystem, its module loader, and the reply the
//! guest is sending.

use crate::fs::CellFs;
use crate::limits::{CellControl, MemoryLimiter};
use crate::modules::ModuleLoader;
use std::sync::Arc;
use wasi_common::WasiCtx;

/// The per-cell data behind every host function call.
pub(crate) struct CellState {
    pub(crate) wasi: WasiCtx,
    pub(crate) fs: Arc<CellFs>,
    pub(crate) loader: ModuleLoader,
    pub(crate) control: Arc<CellControl>,
    pub(crate) limiter: MemoryLimiter,
    /// The answer the guest gave through `padcell.reply` to the request being run.
    pub(crate) reply: Option<Vec<u8>>,
    /// The host's answer to the guest's last `padcell.ask`, until `padcell.answer` takes it.
    pub(crate) answer: Option<Vec<u8>>,
}
