//! What a cell's wasmtime `Store` holds: its WASI context, its filesystem, its module loader, and the reply the
//! guest is sending.

use crate::cell::children::ChildCells;
use crate::cell::objects::CellObjects;
use crate::loader::ModuleLoader;
use crate::wasi::control::{CellControl, MemoryLimiter};
use crate::wasi::fs::CellFs;
use std::sync::Arc;
use wasi_common::WasiCtx;

/// The per-cell data behind every host function call.
pub(crate) struct CellState {
    pub(crate) wasi: WasiCtx,
    pub(crate) fs: Arc<CellFs>,
    pub(crate) loader: ModuleLoader,
    pub(crate) objects: CellObjects,
    pub(crate) children: ChildCells,
    pub(crate) control: Arc<CellControl>,
    pub(crate) limiter: MemoryLimiter,
    /// The answer the guest gave through `padcell.reply` to the request being run.
    pub(crate) reply: Option<Vec<u8>>,
    /// The host's answer to the guest's last `padcell.ask`, until `padcell.answer` takes it.
    pub(crate) answer: Option<Vec<u8>>,
}

impl CellState {
    /// A state with no grants, stdio or limits worth the name: only for asking the linker what
    /// it defines, never for running code.
    pub(crate) fn inert() -> anyhow::Result<CellState> {
        use wasi_common::sync::{clocks_ctx, random_ctx, sched::SyncSched};
        let control = Arc::new(CellControl::default());
        let wasi = WasiCtx::new(random_ctx(), clocks_ctx(), Box::new(SyncSched::new()), wasi_common::Table::new());
        let fs = CellFs::new(
            0,
            &crate::policy::Policy::new(),
            control.clone(),
            crate::policy::audit::Auditor::new(0, None),
            Vec::new(),
        )?;
        let limiter = MemoryLimiter { max: 0, control: control.clone() };
        let loader = ModuleLoader::new(fs.clone(), &crate::policy::ModulePolicy::default(), None)?;
        let objects = CellObjects::new(fs.clone(), &[]);
        let children = ChildCells::new(None, fs.clone(), crate::policy::Policy::new(), 0, Default::default());
        Ok(CellState { wasi, fs, loader, objects, children, control, limiter, reply: None, answer: None })
    }
}
