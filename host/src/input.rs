//! What a cell reads on stdin: nothing by default, or what the caller hands it.

use std::io::{Cursor, Read};
use wasi_common::WasiFile;
use wasi_common::pipe::ReadPipe;

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
    pub(crate) fn into_wasi_file(self) -> Box<dyn WasiFile> {
        match self {
            Input::Empty => Box::new(ReadPipe::new(Cursor::new(Vec::new()))),
            Input::Bytes(b) => Box::new(ReadPipe::new(Cursor::new(b))),
            Input::Reader(r) => Box::new(ReadPipe::new(r)),
            Input::HostStdin => Box::new(wasi_common::sync::stdio::stdin()),
        }
    }
}
