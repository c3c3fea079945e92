//! Where the loader gets module bytecode: a compiler that is not the asking cell (a hostile cell
//! could hand back any bytecode, and another cell would run it). The supervisor's bytecode cache
//! implements it; the loader only asks.

use crate::wasi::control::Budget;
use std::sync::Arc;

/// Compiles module source to code in `marshal` form, under the asking cell's budget.
pub(crate) trait ModuleCompiler: Send + Sync {
    /// The code for `source` shown as `filename`; `None` when it cannot be had (a syntax error,
    /// which the cell then raises itself, or a busy compiler).
    fn compile(&self, filename: &str, source: &str, budget: Budget) -> Option<Arc<[u8]>>;
}
