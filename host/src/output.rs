//! Where a cell's stdout and stderr go: captured into a buffer the caller reads, or forwarded to
//! a host writer as the guest writes (the CLI's choice).

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use wasi_common::WasiFile;
use wasi_common::pipe::WritePipe;

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

/// The writer behind one of a cell's WASI output descriptors.
pub(crate) struct OutputStream {
    sink: Mutex<Sink>,
}

enum Sink {
    Buffer(Vec<u8>),
    Forward(Box<dyn Write + Send + Sync>),
}

impl OutputStream {
    /// The shared stream, and the WASI file the guest writes to.
    pub(crate) fn new(output: Output) -> (Arc<OutputStream>, Box<dyn WasiFile>) {
        let sink = match output {
            Output::Capture => Sink::Buffer(Vec::new()),
            Output::Forward(w) => Sink::Forward(w),
        };
        let stream = Arc::new(OutputStream { sink: Mutex::new(sink) });
        let file = WritePipe::from_shared(Arc::new(RwLock::new(StreamWriter(stream.clone()))));
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Sink> {
        // A panic elsewhere must not take the cell's output with it.
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct StreamWriter(Arc<OutputStream>);

impl Write for StreamWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut *self.0.lock() {
            Sink::Buffer(b) => {
                b.extend_from_slice(buf);
                Ok(buf.len())
            }
            Sink::Forward(w) => {
                w.write_all(buf)?;
                w.flush()?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut *self.0.lock() {
            Sink::Buffer(_) => Ok(()),
            Sink::Forward(w) => w.flush(),
        }
    }
}
