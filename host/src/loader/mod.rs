//! The module loader: the host half of `import`. Applet code asks before it imports a top-level
//! name; the loader answers from the cell's allow-list and module roots, audits refusals, and
//! serves module source read through the grants (or the loader-only and http roots), with
//! bytecode from a [`ModuleCompiler`] that is never the asking cell.

mod compiler;
mod module_loader;

pub(crate) use compiler::ModuleCompiler;
pub(crate) use module_loader::ModuleLoader;
