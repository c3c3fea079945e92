//! What a cell may consume, and how a cell that consumes too much is stopped.
//!
//! rexec had no limits: `while True: pass` owned the process. Here every limit is enforced by the
//! host: CPU by wasmtime fuel, wall-clock time by epoch interruption (and by host calls that
//! block, which wait in slices and check the clock), memory by a resource limiter, output by the
//! cell's stdout and stderr, open files by the cell's filesystem. Each `exec` / `eval` gets the
//! limits afresh. A cell stopped by a limit is spent; its supervisor and other cells go on.

use crate::policy::PolicyError;
use serde::Deserialize;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The limits a cell runs under. The defaults are finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// wasmtime fuel per call (roughly one unit per wasm instruction); `None` is unmetered.
    pub fuel: Option<u64>,
    /// Wall-clock time per call.
    pub timeout: Duration,
    /// The cell's linear memory, in bytes.
    pub memory: u64,
    /// stdout and stderr together, in bytes, over the cell's life.
    pub output: u64,
    /// Files and directories the cell may hold open at once.
    pub open_files: u32,
    /// Bytes the cell may write to files in its read-write grants, over its life (a nested
    /// cell's writes count against every cell above it too).
    pub disk: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { fuel: None, timeout: Duration::from_secs(30), memory: 256 << 20, output: 64 << 20, open_files: 256, disk: 1 << 30 }
    }
}

/// Which limit stopped a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    Fuel,
    Time,
    Memory,
    Output,
    Stack,
    Cancelled,
}

impl LimitKind {
    /// The `padcell` CLI's exit status when this limit stops a cell.
    pub fn exit_code(self) -> i32 {
        match self {
            LimitKind::Cancelled => 120,
            LimitKind::Fuel => 121,
            LimitKind::Memory => 122,
            LimitKind::Output => 123,
            LimitKind::Time => 124,
            LimitKind::Stack => 125,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            LimitKind::Fuel => "fuel",
            LimitKind::Time => "time",
            LimitKind::Memory => "memory",
            LimitKind::Output => "output",
            LimitKind::Stack => "stack",
            LimitKind::Cancelled => "cancellation",
        }
    }
}

/// A cell was stopped by a limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LimitExceeded {
    pub kind: LimitKind,
    /// The limit's value as the user gave it (`2s`, `64 MiB`, `1000000 units`).
    pub detail: String,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LimitKind::Cancelled => f.write_str("cell was cancelled"),
            LimitKind::Stack => f.write_str("cell exhausted its stack (recursion too deep)"),
            kind => write!(f, "cell exceeded its {} limit ({})", kind.noun(), self.detail),
        }
    }
}

impl Limits {
    pub(crate) fn exceeded(&self, kind: LimitKind) -> LimitExceeded {
        let detail = match kind {
            LimitKind::Fuel => format!("{} units", self.fuel.unwrap_or(u64::MAX)),
            LimitKind::Time => humantime::format_duration(self.timeout).to_string(),
            LimitKind::Memory => bytesize::ByteSize(self.memory).to_string(),
            LimitKind::Output => bytesize::ByteSize(self.output).to_string(),
            LimitKind::Stack | LimitKind::Cancelled => String::new(),
        };
        LimitExceeded { kind, detail }
    }
}

/// The limit flags, from the command line (`--fuel`, `--timeout`, `--max-memory`,
/// `--max-output`, `--max-open-files`) or the manifest's `[limits]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitFlags {
    pub fuel: Option<u64>,
    /// `500ms`, `2s`, `1m`.
    pub timeout: Option<String>,
    /// `64MiB`, `1GB`, `1048576`.
    pub memory: Option<String>,
    pub output: Option<String>,
    pub open_files: Option<u32>,
    /// `1GiB`, `100MB`.
    pub disk: Option<String>,
}

impl LimitFlags {
    /// `limits` with every flag that is set applied.
    pub fn apply(&self, mut limits: Limits) -> Result<Limits, PolicyError> {
        if let Some(fuel) = self.fuel {
            limits.fuel = Some(fuel);
        }
        if let Some(t) = &self.timeout {
            limits.timeout = humantime::parse_duration(t)
                .map_err(|e| PolicyError(format!("timeout {t:?}: {e} (use e.g. 500ms, 2s, 1m)")))?;
        }
        if let Some(m) = &self.memory {
            limits.memory = parse_size("memory", m)?;
        }
        if let Some(o) = &self.output {
            limits.output = parse_size("output", o)?;
        }
        if let Some(n) = self.open_files {
            limits.open_files = n;
        }
        if let Some(d) = &self.disk {
            limits.disk = parse_size("disk", d)?;
        }
        Ok(limits)
    }
}

fn parse_size(what: &str, s: &str) -> Result<u64, PolicyError> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| PolicyError(format!("{what} size {s:?}: {e} (use e.g. 64MiB, 1GB)")))
}

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
