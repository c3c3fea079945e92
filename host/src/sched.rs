//! A cell's WASI scheduler: sleeps and clock-only polls wait in ticks and stop at the cell's
//! deadline or cancellation, so `time.sleep(60)` cannot outlive a 2 s limit.

use crate::limits::{CellControl, LimitTrap};
use std::sync::Arc;
use std::time::Duration;
use wasi_common::sched::{Poll, WasiSched};
use wasi_common::sync::sched::SyncSched;
use wasi_common::Error;

pub(crate) struct CellSched {
    inner: SyncSched,
    control: Arc<CellControl>,
}

impl CellSched {
    pub(crate) fn new(control: Arc<CellControl>) -> Self {
        CellSched { inner: SyncSched::new(), control }
    }

    fn wait(&self, duration: Duration) -> Result<(), Error> {
        self.control.sleep(duration).map_err(|kind| Error::trap(anyhow::Error::new(LimitTrap(kind))))
    }
}

#[wiggle::async_trait]
impl WasiSched for CellSched {
    async fn poll_oneoff<'a>(&self, poll: &mut Poll<'a>) -> Result<(), Error> {
        if poll.rw_subscriptions().next().is_none() {
            // Clocks only: wait for the earliest in ticks; the inner poll then completes at once.
            if let Some(deadline) = poll.earliest_clock_deadline() {
                self.wait(deadline.duration_until().unwrap_or_default())?;
            }
        }
        self.inner.poll_oneoff(poll).await
    }

    async fn sched_yield(&self) -> Result<(), Error> {
        self.inner.sched_yield().await
    }

    async fn sleep(&self, duration: Duration) -> Result<(), Error> {
        self.wait(duration)
    }
}
