//! A cell's WASI scheduler: sleeps and polls wait in ticks and stop at the cell's deadline or
//! cancellation, so `time.sleep(60)` cannot outlive a 2 s limit.
//!
//! `poll_oneoff` on descriptors is answered here rather than by the OS: a cell's descriptors are
//! the host's own objects (captured or forwarded output, pumped stdin, grant files), none of which
//! has an OS descriptor to poll. Output and files are always ready; stdin is ready when the pump
//! has bytes or the input has ended.

use crate::wasi::control::{CellControl, LimitTrap, TICK};
use crate::wasi::input::read_readiness;
use std::sync::Arc;
use std::time::Duration;
use wasi_common::Error;
use wasi_common::sched::subscription::{RwEventFlags, Subscription};
use wasi_common::sched::{Poll, WasiSched};
use wasi_common::sync::sched::SyncSched;

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
        loop {
            let mut ready = false;
            for subscription in poll.rw_subscriptions() {
                match subscription {
                    Subscription::Read(read) => {
                        if let Some((bytes, ended)) = read_readiness(read.file) {
                            let flags = if ended { RwEventFlags::HANGUP } else { RwEventFlags::empty() };
                            read.complete(bytes, flags);
                            ready = true;
                        }
                    }
                    // Every output a cell has takes what it is given without blocking.
                    Subscription::Write(write) => {
                        write.complete(0, RwEventFlags::empty());
                        ready = true;
                    }
                    Subscription::MonotonicClock(_) => {}
                }
            }
            if ready {
                return Ok(());
            }
            // Nothing ready: wait until the earliest clock fires, a tick at a time.
            let wait = match poll.earliest_clock_deadline() {
                Some(clock) => match clock.duration_until() {
                    Some(left) if !left.is_zero() => left.min(TICK),
                    _ => return Ok(()),
                },
                None if poll.is_empty() => return Ok(()),
                None => TICK,
            };
            self.wait(wait)?;
        }
    }

    async fn sched_yield(&self) -> Result<(), Error> {
        self.inner.sched_yield().await
    }

    async fn sleep(&self, duration: Duration) -> Result<(), Error> {
        self.wait(duration)
    }
}
