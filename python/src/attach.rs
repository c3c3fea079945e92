//! Taking the GIL on the host's callback helper threads. The host runs a cell's callbacks (a
//! Bastion's methods, the open hook) on a helper thread it keeps per calling thread (so the
//! cell's deadline reaches them). Python would make and free a thread state on that thread for
//! every call, which costs more than the call; instead each helper keeps one thread state for
//! its life, and a call only takes and gives back the GIL, as CPython's docs advise for threads
//! that call into Python again and again.

use pyo3::prelude::*;
use std::cell::Cell;

thread_local! {
    /// Whether this thread keeps a Python thread state.
    static KEPT: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the GIL, keeping this thread's Python thread state if it is a host helper.
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    if padcell::serving_cell().is_some() && !KEPT.get() {
        keep_thread_state();
        KEPT.set(true);
    }
    Python::attach(f)
}

#[allow(unsafe_code, reason = "PyGILState_Ensure then PyEval_SaveThread: CPython's way to keep a thread state without the GIL")]
fn keep_thread_state() {
    // SAFETY: the interpreter is initialized (this is its extension module) and this thread
    // holds no Python state yet (KEPT is false and PyO3 is not attached here). Ensure makes the
    // thread state and takes the GIL; SaveThread gives the GIL back and keeps the state, which
    // later PyGILState_Ensure calls (PyO3's attach) find and reuse.
    unsafe {
        pyo3::ffi::PyGILState_Ensure();
        pyo3::ffi::PyEval_SaveThread();
    }
}
