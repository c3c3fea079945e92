//! Where a cell's stdout and stderr go: captured into a buffer the caller reads, or forwarded to
//! a host writer as the guest writes (the CLI's choice). Both streams share the cell's output
//! limit: past it, the stream gets a marker and the cell is stopped.

use crate::limits::{CellControl, LimitKind, LimitTrap};
use std::any::Any;
use std::io::{self, IoSlice, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
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
    /// Forward to this process's own stdout.
    pub fn host_stdout() -> Output {
        Output::Forward(Box::new(io::stdout()))
    }

    /// Forward to this process's own stderr.
    pub fn host_stderr() -> Output {
        Output::Forward(Box::new(io::stderr()))
    }
}

/// One of a cell's output streams, shared by the cell (to read it) and its WASI descriptor.
pub(crate) struct OutputStream {
    sink: Mutex<Sink>,
}

enum Sink {
    Buffer(Vec<u8>),
    Forward(Box<dyn Write + Send + Sync>),
}

impl OutputStream {
    /// The shared stream, and the WASI file the guest writes to, under the cell's output limit.
    pub(crate) fn new(output: Output, control: Arc<CellControl>, cap: u64) -> (Arc<OutputStream>, Box<dyn WasiFile>) {
        let sink = match output {
            Output::Capture => Sink::Buffer(Vec::new()),
            Output::Forward(w) => Sink::Forward(w),
        };
        let stream = Arc::new(OutputStream { sink: Mutex::new(sink) });
        let file = OutputFile { stream: stream.clone(), control, cap };
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

    fn write(&self, bytes: &[u8]) -> io::Result<()> {
        match &mut *self.lock() {
            Sink::Buffer(b) => {
                b.extend_from_slice(bytes);
                Ok(())
            }
            Sink::Forward(w) => {
                w.write_all(bytes)?;
                w.flush()
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sink> {
        // A panic elsewhere must not take the cell's output with it.
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The WASI descriptor behind fd 1 or 2.
struct OutputFile {
    stream: Arc<OutputStream>,
    control: Arc<CellControl>,
    cap: u64,
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
        let used = self.control.output_used.fetch_add(total, Ordering::Relaxed);
        let mut room = self.cap.saturating_sub(used);
        if total <= room {
            for buf in bufs {
                self.stream.write(buf)?;
            }
            return Ok(total);
        }
        // Write what fits, mark the cut, and stop the cell.
        for buf in bufs {
            let n = usize::try_from(room).unwrap_or(usize::MAX).min(buf.len());
            self.stream.write(buf.get(..n).unwrap_or_default())?;
            room -= n as u64;
        }
        let marker = format!("\n[padcell: output limit of {} reached]\n", bytesize::ByteSize(self.cap));
        self.stream.write(marker.as_bytes())?;
        self.control.trip(LimitKind::Output);
        Err(Error::trap(anyhow::Error::new(LimitTrap(LimitKind::Output))))
    }

    async fn writable(&self) -> Result<(), Error> {
        Ok(())
    }
}
