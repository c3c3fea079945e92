//! What a cell may consume, and how a cell that consumes too much is stopped.
//!
//! rexec had no limits: `while True: pass` owned the process. Here every limit is enforced by the
//! host: CPU by wasmtime fuel, wall-clock time by epoch interruption (and by host calls that
//! block, which wait in slices and check the clock), memory by a resource limiter, output by the
//! cell's stdout and stderr, open files by the cell's filesystem. Each `exec` / `eval` gets the
//! limits afresh. A cell stopped by a limit is spent; its supervisor and other cells go on.

use crate::policy::{Allowance, LimitKind, Limits};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One budget of bytes, used so far against a cap. A cell charges its own meter and those of the
/// cells above it, so what a nested cell costs the host is its parent's cost too.
#[derive(Clone, Debug)]
pub(crate) struct Meter {
    pub(crate) used: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub(crate) cap: u64,
}

impl Meter {
    pub(crate) fn new(cap: u64) -> Meter {
        Meter { used: std::sync::Arc::default(), cap }
    }

    /// What is left under this meter.
    pub(crate) fn room(&self) -> u64 {
        self.cap.saturating_sub(self.used.load(Ordering::Relaxed))
    }

    /// The least room left under any of `meters`.
    pub(crate) fn least_room(meters: &[Meter]) -> u64 {
        meters.iter().map(Meter::room).min().unwrap_or(u64::MAX)
    }

    /// Counts `bytes` against every one of `meters`.
    pub(crate) fn charge(meters: &[Meter], bytes: u64) {
        for meter in meters {
            meter.used.fetch_add(bytes, Ordering::Relaxed);
        }
    }
}

/// A cell's byte budgets: stdout and stderr, and writes to files. Each list holds the cell's own
/// meter first, then its ancestors'.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meters {
    pub(crate) output: Vec<Meter>,
    pub(crate) disk: Vec<Meter>,
}

impl Meters {
    /// A cell's meters under `limits`, below `ancestors` (a nested cell's parent's meters).
    pub(crate) fn below(ancestors: &Meters, limits: &Limits) -> Meters {
        let chain = |own: u64, above: &[Meter]| std::iter::once(Meter::new(own)).chain(above.iter().cloned()).collect();
        Meters { output: chain(limits.output, &ancestors.output), disk: chain(limits.disk, &ancestors.disk) }
    }
}

/// How often the supervisor's clock ticks; the precision of deadlines and cancellation.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// What a running cell's host side checks to stop it: its deadline, a cancellation, and which
/// limit tripped. Shared with the cancel handle, the scheduler, stdin and the output streams.
#[derive(Default)]
pub(crate) struct CellControl {
    deadline: Mutex<Option<Instant>>,
    cancelled: AtomicBool,
    tripped: Mutex<Option<LimitKind>>,
    /// Set when the resource limiter refused memory: a trap that follows is the memory limit.
    pub(crate) memory_refused: AtomicBool,
    /// The cell whose call this one runs for (a nested cell's parent, or the cell the compiler
    /// compiles for): its cancellation and deadline stop this one too.
    caller: Mutex<Option<std::sync::Arc<CellControl>>>,
}

/// The trap a host-side limit raises inside the guest.
#[derive(Debug, thiserror::Error)]
#[error("padcell limit: {0:?}")]
pub(crate) struct LimitTrap(pub(crate) LimitKind);

impl CellControl {
    pub(crate) fn start_call(&self, timeout: Duration) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now().checked_add(timeout);
        self.memory_refused.store(false, Ordering::Relaxed);
    }

    /// Links the next calls to `caller`'s cancellation and deadline (`None`: none).
    pub(crate) fn set_caller(&self, caller: Option<std::sync::Arc<CellControl>>) {
        *self.caller.lock().unwrap_or_else(|e| e.into_inner()) = caller;
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// The time left before the running call's deadline (`None`: no deadline).
    pub(crate) fn remaining(&self) -> Option<Duration> {
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Err when the cell must stop now.
    pub(crate) fn check(&self) -> Result<(), LimitKind> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(self.trip(LimitKind::Cancelled));
        }
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(self.trip(LimitKind::Time));
        }
        let caller = self.caller.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match caller {
            Some(caller) => caller.check().map_err(|kind| self.trip(kind)),
            None => Ok(()),
        }
    }

    /// Records that `kind` stopped the cell, and returns it.
    pub(crate) fn trip(&self, kind: LimitKind) -> LimitKind {
        self.tripped.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(kind);
        kind
    }

    pub(crate) fn tripped(&self) -> Option<LimitKind> {
        *self.tripped.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits up to `duration`, in ticks, stopping early with the limit that trips.
    /// The duration comes from the guest: one too large for the clock waits until a limit trips.
    pub(crate) fn sleep(&self, duration: Duration) -> Result<(), LimitKind> {
        let end = Instant::now().checked_add(duration);
        loop {
            self.check()?;
            let now = Instant::now();
            let left = match end {
                Some(end) if now >= end => return Ok(()),
                Some(end) => end - now,
                None => TICK,
            };
            std::thread::sleep(left.min(TICK));
        }
    }
}

/// A handle that stops a running cell from another thread.
///
/// ```no_run
/// use padcell::{CellError, LimitKind, Supervisor};
/// let supervisor = Supervisor::new()?;
/// let mut cell = supervisor.cell().build()?;
/// let handle = cell.cancel_handle();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(100));
///     handle.cancel();
/// });
/// let stopped = cell.exec("while True: pass");
/// assert!(matches!(stopped, Err(CellError::Limit(l)) if l.kind == LimitKind::Cancelled));
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Clone)]
pub struct CancelHandle(pub(crate) std::sync::Arc<CellControl>);

impl CancelHandle {
    /// Stops the cell's current call within a tick (10 ms), even inside a blocking host call.
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

/// Refuses memory growth past the cell's limit, and remembers that it did: the guest's
/// allocator then aborts, and that trap is reported as the memory limit.
pub(crate) struct MemoryLimiter {
    pub(crate) max: usize,
    pub(crate) control: std::sync::Arc<CellControl>,
}

/// Table elements a cell may have: far more than the interpreter needs, far less than memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> anyhow::Result<bool> {
        if desired > self.max {
            self.control.memory_refused.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> anyhow::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// What a caller gives work done for it: an [`Allowance`] of fuel, time and memory, and the
/// caller's control, so its deadline and its cancellation reach that work too.
#[derive(Clone, Default)]
pub(crate) struct Budget {
    pub(crate) allowance: Allowance,
    pub(crate) caller: Option<Arc<CellControl>>,
}
