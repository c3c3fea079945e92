//! The supervisor's callbacks (a host object's methods, the per-open hook) run for a cell, so the
//! cell's deadline and cancellation must reach them too: a callback that hangs must not hold its
//! cell past its time limit. Each runs on a helper thread kept per calling thread, while the
//! cell's thread waits for it in ticks. A callback still running when the cell must stop is left
//! to finish on its own (its result is dropped), and the next call gets a fresh helper.

use crate::policy::LimitKind;
use crate::wasi::control::{CellControl, TICK};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

/// How long either side waits for the other without sleeping: about a callback's round trip.
const SPIN: Duration = Duration::from_micros(50);

thread_local! {
    /// This thread's helper, started on first use.
    static HELPER: RefCell<Option<mpsc::Sender<Job>>> = const { RefCell::new(None) };
    /// On a helper thread, while it runs a callback: the cell the callback serves.
    static SERVING: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Inside a supervisor's callback (a host object's method, the open hook): the id of the cell
/// whose call it serves. A binding uses it to refuse a callback that calls back into that very
/// cell, which is busy waiting for the callback and would only answer at its deadline.
pub fn serving_cell() -> Option<u64> {
    SERVING.get()
}

/// How a bounded callback ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Called<T> {
    /// It returned this.
    Returned(T),
    /// It panicked (a host bug, reported to the cell as a failure, never a host crash).
    Panicked,
}

/// Runs `callback` for cell `cell`, whose control is `control`, and waits for it no longer than
/// the cell may run: the limit that stopped the wait, if one did.
pub(crate) fn bounded<T: Send + 'static>(
    cell: u64,
    control: &CellControl,
    callback: impl FnOnce() -> T + Send + 'static,
) -> Result<Called<T>, LimitKind> {
    control.check()?;
    let (done, outcome) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        SERVING.set(Some(cell));
        let result = catch_unwind(AssertUnwindSafe(callback));
        SERVING.set(None);
        let _ = done.send(result.map_or(Called::Panicked, Called::Returned));
    });
    if !send(job) {
        // No helper thread could be had: none would be any safer than this thread.
        return Ok(Called::Panicked);
    }
    // Most callbacks answer within microseconds: wait for those without sleeping, so a call
    // costs a handoff, not two thread wake-ups.
    let spin_until = Instant::now() + SPIN;
    while Instant::now() < spin_until {
        match outcome.try_recv() {
            Ok(called) => return Ok(called),
            Err(mpsc::TryRecvError::Disconnected) => return Ok(Called::Panicked),
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    loop {
        match outcome.recv_timeout(TICK) {
            Ok(called) => return Ok(called),
            Err(RecvTimeoutError::Disconnected) => return Ok(Called::Panicked),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(kind) = control.check() {
                    // The helper is busy with a callback that may never end: leave it.
                    HELPER.with_borrow_mut(|helper| *helper = None);
                    return Err(kind);
                }
            }
        }
    }
}

/// Hands `job` to this thread's helper, starting one if there is none (or the last one is gone).
fn send(job: Job) -> bool {
    HELPER.with_borrow_mut(|helper| {
        let job = match helper.as_ref() {
            Some(running) => match running.send(job) {
                Ok(()) => return true,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let started = std::thread::Builder::new().name("padcell-callback".into()).spawn(move || {
            while let Some(job) = next(&queue) {
                job();
            }
        });
        if started.is_err() {
            return false;
        }
        let sent = jobs.send(job).is_ok();
        *helper = Some(jobs);
        sent
    })
}

/// The helper's next job: a cell making calls in a row gets them taken at once; otherwise the
/// helper sleeps until one comes (`None`: its thread is gone).
fn next(queue: &mpsc::Receiver<Job>) -> Option<Job> {
    let spin_until = Instant::now() + SPIN;
    while Instant::now() < spin_until {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    queue.recv().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_returns_its_value_and_a_panic_is_reported() {
        let control = CellControl::default();
        control.start_call(Duration::from_secs(5));
        assert_eq!(bounded(7, &control, || (6 * 7, serving_cell())), Ok(Called::Returned((42, Some(7)))));
        assert_eq!(serving_cell(), None, "only the helper serves the cell");
        assert_eq!(bounded(7, &control, || -> u8 { panic!("a host bug") }), Ok(Called::Panicked));
        assert_eq!(bounded(7, &control, || "the helper goes on"), Ok(Called::Returned("the helper goes on")));
    }

    #[test]
    fn a_hanging_callback_ends_at_the_cells_deadline_and_the_next_call_works() {
        let control = CellControl::default();
        control.start_call(Duration::from_millis(100));
        let start = Instant::now();
        let hung = bounded(7, &control, || std::thread::sleep(Duration::from_secs(3)));
        assert_eq!(hung, Err(LimitKind::Time));
        assert!(start.elapsed() < Duration::from_secs(1), "waited {:?}", start.elapsed());
        control.start_call(Duration::from_secs(5));
        assert_eq!(bounded(7, &control, || "fresh helper"), Ok(Called::Returned("fresh helper")));
    }

    #[test]
    fn a_cancellation_reaches_a_running_callback() {
        let control = std::sync::Arc::new(CellControl::default());
        control.start_call(Duration::from_secs(30));
        let canceller = control.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            canceller.cancel();
        });
        assert_eq!(bounded(7, &control, || std::thread::sleep(Duration::from_secs(3))), Err(LimitKind::Cancelled));
    }
}
