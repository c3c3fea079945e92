//! The WASI half of the boundary: everything a cell's WASI preview1 calls reach. The cell's
//! filesystem (a virtual root, grant-bound directories and files), its stdin and its
//! stdout/stderr, the deadline-aware scheduler, and the call control that stops a cell at its
//! deadline, on cancellation, or when a byte budget runs out.

pub(crate) mod callback;
pub(crate) mod control;
pub(crate) mod fs;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod sched;

pub use callback::serving_cell;
pub use control::CancelHandle;
pub use fs::MAX_PATH;
pub use input::Input;
pub use output::Output;
