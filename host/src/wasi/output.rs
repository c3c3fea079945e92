//! Where a cell's stdout and stderr go: captured into a buffer the caller reads, or forwarded to
//! a host writer as the guest writes (the CLI's choice). Both streams share the cell's output
//! limit, and a nested cell's output also counts against every cell above it, since its
//! captured bytes are host memory its parent caused: past a limit, the stream gets a marker and
//! the cell is stopped.
//!
//! A forwarded stream is written by a thread of its own through a small bounded queue, so a
//! reader that stops reading (a stalled pipe) holds the queue, not the cell: the cell waits for
//! room in ticks and stops at its deadline or on cancellation like any other blocking call.

use crate::policy::LimitKind;
use crate::wasi::control::{CellControl, LimitTrap, Meter, TICK};
use std::any::Any;
use std::io::{self, IoSlice, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use wasi_common::file::{FdFlags, FileType};
use wasi_common::{Error, WasiFile};

/// The destination of one of a cell's output streams.
pub enum Output {
    /// Keep everything; read it with `Cell::stdout` / `Cell::stderr`.
    Capture,
    /// Write it through to a host writer as it comes, and keep nothing.
    Forward(Box<dyn Write + Send + Sync>),
}

impl Output {
    /// Forward to this process's own stdout, through a descriptor of its own: the writing
    /// thread must never hold `std::io::stdout`'s lock, which the process needs to exit.
    pub fn host_stdout() -> Output {
        let own = io::stdout().as_fd().try_clone_to_owned();
        Output::Forward(
            own.map_or_else(|_| Box::new(io::stdout()) as Box<dyn Write + Send + Sync>, |fd| Box::new(std::fs::File::from(fd))),
        )
    }

    /// Forward to this process's own stderr, as [`Output::host_stdout`] does.
    pub fn host_stderr() -> Output {
        let own = io::stderr().as_fd().try_clone_to_owned();
        Output::Forward(
            own.map_or_else(|_| Box::new(io::stderr()) as Box<dyn Write + Send + Sync>, |fd| Box::new(std::fs::File::from(fd))),
        )
    }
}

/// One of a cell's output streams, shared by the cell (to read it) and its WASI descriptor.
pub(crate) struct OutputStream {
    sink: Mutex<Sink>,
    /// Chunks handed to the forwarding thread and not yet written.
    in_flight: Arc<AtomicUsize>,
}

enum Sink {
    Buffer(Vec<u8>),
    Forward(SyncSender<Vec<u8>>),
}

/// How much one queued chunk holds, and how many chunks may wait: a stalled reader holds at most
/// `CHUNK * QUEUE` bytes of host memory.
const CHUNK: usize = 64 << 10;
const QUEUE: usize = 16;

impl OutputStream {
    /// The shared stream, and the WASI file the guest writes to, under `meters` (the cell's own
    /// first, then its ancestors').
    pub(crate) fn new(output: Output, control: Arc<CellControl>, meters: Vec<Meter>) -> (Arc<OutputStream>, Box<dyn WasiFile>) {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let sink = match output {
            Output::Capture => Sink::Buffer(Vec::new()),
            Output::Forward(w) => Sink::Forward(forwarder(w, in_flight.clone())),
        };
        let stream = Arc::new(OutputStream { sink: Mutex::new(sink), in_flight });
        let file = OutputFile { stream: stream.clone(), control, meters };
        (stream, Box::new(file))
    }

    /// Everything captured so far (empty for a forwarded stream).
    pub(crate) fn contents(&self) -> Vec<u8> {
        match &*self.lock() {
            Sink::Buffer(b) => b.clone(),
            Sink::Forward(_) => Vec::new(),
        }
    }

    /// Everything captured so far, leaving the buffer empty.
    pub(crate) fn take(&self) -> Vec<u8> {
        match &mut *self.lock() {
            Sink::Buffer(b) => std::mem::take(b),
            Sink::Forward(_) => Vec::new(),
        }
    }

    /// Waits until a forwarded stream has written everything it was given, or until the cell's
    /// deadline or a cancellation (then the limit that tripped).
    pub(crate) fn drain(&self, control: &CellControl) -> Result<(), LimitKind> {
        while self.in_flight.load(Ordering::Acquire) > 0 {
            control.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Appends or queues `bytes`, waiting in ticks while a forwarded stream's queue is full.
    fn write(&self, bytes: &[u8], control: &CellControl) -> Result<(), Error> {
        if let Sink::Buffer(b) = &mut *self.lock() {
            b.extend_from_slice(bytes);
            return Ok(());
        }
        for chunk in bytes.chunks(CHUNK) {
            let mut pending = chunk.to_vec();
            loop {
                let sent = match &mut *self.lock() {
                    Sink::Buffer(b) => {
                        b.extend_from_slice(&pending);
                        None
                    }
                    Sink::Forward(tx) => {
                        self.in_flight.fetch_add(1, Ordering::AcqRel);
                        match tx.try_send(pending) {
                            Ok(()) => None,
                            Err(TrySendError::Full(back)) => {
                                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                                Some(back)
                            }
                            Err(TrySendError::Disconnected(_)) => {
                                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                                return Err(Error::from(io::Error::from(io::ErrorKind::BrokenPipe)));
                            }
                        }
                    }
                };
                let Some(back) = sent else { break };
                pending = back;
                control.check().map_err(|kind| Error::trap(anyhow::Error::new(LimitTrap(kind))))?;
                std::thread::sleep(Duration::from_millis(1).min(TICK));
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sink> {
        // A panic elsewhere must not take the cell's output with it.
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the thread that writes a forwarded stream's chunks to `writer`. It ends when the
/// stream is dropped, or when the writer fails (then the cell's next write fails too).
fn forwarder(mut writer: Box<dyn Write + Send + Sync>, in_flight: Arc<AtomicUsize>) -> SyncSender<Vec<u8>> {
    let (tx, rx) = sync_channel::<Vec<u8>>(QUEUE);
    let spawned = std::thread::Builder::new().name("padcell-output".into()).spawn(move || {
        for chunk in rx {
            let written = writer.write_all(&chunk).and_then(|()| writer.flush());
            in_flight.fetch_sub(1, Ordering::AcqRel);
            if written.is_err() {
                break;
            }
        }
        // What was still queued is dropped with the queue: nothing is in flight any more.
        in_flight.store(0, Ordering::Release);
    });
    // Without a thread the receiver is gone, and writes fail as on a broken pipe.
    drop(spawned);
    tx
}

/// The WASI descriptor behind fd 1 or 2.
struct OutputFile {
    stream: Arc<OutputStream>,
    control: Arc<CellControl>,
    meters: Vec<Meter>,
}

#[wiggle::async_trait]
impl WasiFile for OutputFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn get_filetype(&self) -> Result<FileType, Error> {
        Ok(FileType::Pipe)
    }

    async fn get_fdflags(&self) -> Result<FdFlags, Error> {
        Ok(FdFlags::APPEND)
    }

    async fn write_vectored<'a>(&self, bufs: &[IoSlice<'a>]) -> Result<u64, Error> {
        let total: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        let room = Meter::least_room(&self.meters);
        Meter::charge(&self.meters, total);
        // One write for all the guest's buffers, however many it passed.
        let fits = usize::try_from(total.min(room)).unwrap_or(usize::MAX);
        let mut bytes = Vec::with_capacity(fits);
        for buf in bufs {
            let left = fits - bytes.len();
            if left == 0 {
                break;
            }
            bytes.extend_from_slice(buf.get(..left.min(buf.len())).unwrap_or_default());
        }
        if total <= room {
            self.stream.write(&bytes, &self.control)?;
            return Ok(total);
        }
        // Write what fits, mark the cut, and stop the cell.
        let cap = self.meters.iter().find(|m| m.room() == 0).map_or(0, |m| m.cap);
        bytes.extend_from_slice(format!("\n[padcell: output limit of {} reached]\n", bytesize::ByteSize(cap)).as_bytes());
        self.stream.write(&bytes, &self.control)?;
        self.control.trip(LimitKind::Output);
        Err(Error::trap(anyhow::Error::new(LimitTrap(LimitKind::Output))))
    }

    async fn writable(&self) -> Result<(), Error> {
        Ok(())
    }
}
