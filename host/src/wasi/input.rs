//! What a cell reads on stdin: nothing by default, or what the caller hands it. A source that
//! can block (the host's stdin, any reader) is read by a pump thread, and the cell waits for it
//! in ticks, so a stdin that never ends cannot outlive the cell's deadline or a cancellation.

use crate::wasi::control::{CellControl, LimitTrap, TICK};
use std::any::Any;
use std::io::{Cursor, IoSliceMut, Read};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use wasi_common::file::FileType;
use wasi_common::pipe::ReadPipe;
use wasi_common::{Error, WasiFile};

/// The source of a cell's stdin.
#[derive(Default)]
pub enum Input {
    /// Immediate end of file.
    #[default]
    Empty,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// Any reader, read as the guest asks.
    Reader(Box<dyn Read + Send + Sync>),
    /// This process's own stdin (what the CLI gives `padcell run`).
    HostStdin,
}

impl Input {
    pub(crate) fn into_wasi_file(self, control: Arc<CellControl>) -> Box<dyn WasiFile> {
        match self {
            Input::Empty => Box::new(ReadPipe::new(Cursor::new(Vec::new()))),
            Input::Bytes(b) => Box::new(ReadPipe::new(Cursor::new(b))),
            Input::Reader(r) => Box::new(PumpedInput::start(r, control)),
            Input::HostStdin => Box::new(PumpedInput::start(Box::new(std::io::stdin()), control)),
        }
    }
}

/// Chunks from a pump thread; end of file when the thread is done.
struct PumpedInput {
    chunks: Mutex<Receiver<Vec<u8>>>,
    pending: Mutex<Cursor<Vec<u8>>>,
    control: Arc<CellControl>,
}

const CHUNK: usize = 64 << 10;

impl PumpedInput {
    fn start(reader: Box<dyn Read + Send + Sync>, control: Arc<CellControl>) -> Self {
        let (tx, rx) = sync_channel(4);
        std::thread::Builder::new().name("padcell-stdin".into()).spawn(move || pump(reader, tx)).ok();
        PumpedInput { chunks: Mutex::new(rx), pending: Mutex::new(Cursor::new(Vec::new())), control }
    }
}

impl PumpedInput {
    /// Bytes ready to read now, and whether the input has ended; `None` while waiting for more.
    fn readiness(&self) -> Option<(u64, bool)> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let left = (pending.get_ref().len() as u64).saturating_sub(pending.position());
        if left > 0 {
            return Some((left, false));
        }
        match self.chunks.lock().unwrap_or_else(PoisonError::into_inner).try_recv() {
            Ok(chunk) => {
                let bytes = chunk.len() as u64;
                *pending = Cursor::new(chunk);
                Some((bytes, false))
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some((0, true)),
        }
    }
}

/// Whether a read from `file` would not block: `Some((bytes ready, ended))`, or `None` while
/// stdin waits for its pump. Everything else a cell reads from (fixed input, files) is ready.
pub(crate) fn read_readiness(file: &dyn WasiFile) -> Option<(u64, bool)> {
    match file.as_any().downcast_ref::<PumpedInput>() {
        Some(input) => input.readiness(),
        None => Some((file.num_ready_bytes().unwrap_or(0), false)),
    }
}

fn pump(mut reader: Box<dyn Read + Send + Sync>, tx: SyncSender<Vec<u8>>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.send(buf.get(..n).unwrap_or_default().to_vec()).is_err() {
                    return; // the cell is gone
                }
            }
        }
    }
}

#[wiggle::async_trait]
impl WasiFile for PumpedInput {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn get_filetype(&self) -> Result<FileType, Error> {
        Ok(FileType::Pipe)
    }

    async fn read_vectored<'a>(&self, bufs: &mut [IoSliceMut<'a>]) -> Result<u64, Error> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let n = pending.read_vectored(bufs)?;
            if n > 0 || bufs.iter().all(|b| b.is_empty()) {
                return Ok(n as u64);
            }
            let chunks = self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
            match chunks.recv_timeout(TICK) {
                Ok(chunk) => *pending = Cursor::new(chunk),
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
                Err(RecvTimeoutError::Timeout) => {
                    self.control.check().map_err(|kind| Error::trap(anyhow::Error::new(LimitTrap(kind))))?;
                }
            }
        }
    }

    async fn readable(&self) -> Result<(), Error> {
        Ok(())
    }
}
