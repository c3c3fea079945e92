//! The native stack that wasm runs on.
//!
//! Compiled wasm runs on the calling thread's own stack, and wasmtime stops it with a clean trap
//! after [`WASM_STACK`] bytes (`max_wasm_stack`). That bound only protects the host if the thread
//! really has that much stack left: otherwise deep recursion in a cell would run off the end of
//! the thread's stack and crash the process. CPython needs a deep stack (its C code recurses for
//! nested data, `repr`, and every Python call made from C), or deep recursion would end the cell
//! with a trap instead of raising `RecursionError`.
//!
//! So every entry into wasm goes through [`with_wasm_stack`]: on the calling thread when that
//! thread has room (the CLI's main thread), else on that thread's helper, a thread with a stack
//! of known size kept for it, while the caller waits. A nested cell's call, made from inside its
//! parent's host call, finds less room left and moves to a helper of its own.

use std::cell::RefCell;
use std::sync::mpsc;

/// The most native stack one entry into wasm may use (wasmtime's `max_wasm_stack`).
pub(crate) const WASM_STACK: usize = 4 << 20;

/// Room for the host's own frames around and beneath the wasm: host functions, the limiter,
/// and a nested cell's setup.
const HOST_MARGIN: usize = 1 << 20;

/// Runs `f`, which enters wasm, on a stack with at least [`WASM_STACK`] plus a margin left: this
/// thread's, or its helper thread's. If no helper thread can be had (the process is at its
/// thread limit), nothing runs and the call fails with an error.
#[allow(unsafe_code, reason = "erases a borrow's lifetime for a job the caller waits for (see SAFETY)")]
pub(crate) fn with_wasm_stack<T: Send>(f: impl FnOnce() -> anyhow::Result<T> + Send) -> anyhow::Result<T> {
    if remaining().is_some_and(|left| left >= WASM_STACK + HOST_MARGIN) {
        return f();
    }
    let (done, outcome) = mpsc::sync_channel(1);
    let job = move || {
        let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    };
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(job);
    // SAFETY: only the lifetime is erased. This function does not return until the job has run
    // (it sends its outcome as its last act) or has been dropped unrun (the helper is gone, and
    // `recv` fails), so nothing the job borrows is used after it is gone.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    HELPER.with_borrow_mut(|helper| {
        if helper.is_none() {
            *helper = Some(start_helper()?);
        }
        let sent = helper.as_ref().map(|jobs| jobs.send(job));
        if !matches!(sent, Some(Ok(()))) {
            *helper = None;
            anyhow::bail!("the thread that runs this thread's cells is gone");
        }
        Ok(())
    })?;
    match outcome.recv() {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(anyhow::anyhow!("the thread that runs this thread's cells stopped before the call ran")),
    }
}

/// Work for a helper thread, lifetime erased (see `with_wasm_stack`).
type Job = Box<dyn FnOnce() + Send + 'static>;

thread_local! {
    /// This thread's helper: a thread with a stack of known size that runs its calls into wasm
    /// while it waits. Started on first need and kept, so a call costs a hand-off, not a
    /// thread's start; it ends when this thread does (its queue closes).
    static HELPER: RefCell<Option<mpsc::Sender<Job>>> = const { RefCell::new(None) };
}

fn start_helper() -> anyhow::Result<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("padcell-wasm".into())
        .stack_size(WASM_STACK + 2 * HOST_MARGIN)
        .spawn(move || {
            for job in queue {
                job();
            }
        })
        .map_err(|e| anyhow::anyhow!("could not start a thread to run the cell on: {e}"))?;
    Ok(jobs)
}

/// Bytes of stack left below this frame on the current thread, if the platform says.
#[cfg(target_os = "linux")]
fn remaining() -> Option<usize> {
    thread_local! {
        /// The low end of this thread's stack: asked once per thread, since glibc reads
        /// /proc/self/maps to answer for the main thread.
        static LOW: std::cell::Cell<Option<Option<usize>>> = const { std::cell::Cell::new(None) };
    }
    let low = LOW.with(|low| {
        let known = low.get().unwrap_or_else(stack_low);
        low.set(Some(known));
        known
    })?;
    let here = 0u8;
    let here = &here as *const u8 as usize;
    // The guard page(s) sit at the low end, inside what getstack reports for the main thread.
    here.checked_sub(low)?.checked_sub(64 << 10)
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code, reason = "pthread_getattr_np: the only way to know the calling thread's stack")]
fn stack_low() -> Option<usize> {
    // SAFETY: pthread_getattr_np fills `attr` for the calling thread; it is destroyed after use,
    // and pthread_attr_getstack only reads it.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut low: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let got = libc::pthread_attr_getstack(&attr, &mut low, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (got == 0).then_some(low as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn remaining() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_the_helper_reaches_the_caller_and_the_helper_goes_on() {
        let small = std::thread::Builder::new().stack_size(256 << 10);
        let outcomes = small
            .spawn(|| {
                let borrowed = String::from("borrowed");
                let panicked = std::panic::catch_unwind(|| with_wasm_stack::<()>(|| panic!("in the cell's call")));
                let after = with_wasm_stack(|| Ok(borrowed.len()));
                (panicked.is_err(), after.unwrap())
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(outcomes, (true, 8));
    }

    #[test]
    fn a_small_thread_moves_the_work_to_a_stack_with_room() {
        let ran_on = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| with_wasm_stack(|| Ok((std::thread::current().name().map(str::to_owned), remaining()))))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(ran_on.0.as_deref(), Some("padcell-wasm"));
        assert!(ran_on.1.unwrap() >= WASM_STACK + HOST_MARGIN, "{:?}", ran_on.1);
    }
}
