//! A cell's stdin, stdout and stderr from Python objects.
//!
//! stdin is bytes or str (then end of file), or any object with `read`; stdout and stderr are
//! captured unless given a writer: a text stream (`sys.stdout`), a binary one, or a callable
//! taking bytes. The host calls writers and readers from its own threads, which take the GIL
//! only for each call. A writer or reader that raises is reported as unraisable (as Python
//! reports errors in `__del__`), and the cell goes on: its output is dropped, its input ends.

use padcell::{Input, Output};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::io::{self, Read, Write};
use std::sync::Mutex;

/// What the cell reads on stdin.
pub(crate) fn input(source: Option<&Bound<'_, PyAny>>) -> PyResult<Input> {
    let Some(source) = source else { return Ok(Input::Empty) };
    if source.is_none() {
        return Ok(Input::Empty);
    }
    if let Ok(bytes) = source.cast::<PyBytes>() {
        return Ok(Input::Bytes(bytes.as_bytes().to_vec()));
    }
    if let Ok(text) = source.cast::<PyString>() {
        return Ok(Input::Bytes(text.to_cow()?.as_bytes().to_vec()));
    }
    if source.hasattr("read")? {
        return Ok(Input::Reader(Box::new(PyReader::new(source)?)));
    }
    Err(pyo3::exceptions::PyTypeError::new_err("stdin must be bytes, str, None or a file with read()"))
}

/// Where one of the cell's output streams goes: `None` captures it.
pub(crate) fn output(target: Option<&Bound<'_, PyAny>>) -> PyResult<Output> {
    match target {
        None => Ok(Output::Capture),
        Some(t) if t.is_none() => Ok(Output::Capture),
        Some(t) => Ok(Output::Forward(Box::new(PyWriter::new(t)?))),
    }
}

/// How a writer takes bytes.
enum Kind {
    /// `write(str)`: a text stream; bytes are decoded as UTF-8 across chunk boundaries.
    Text,
    /// `write(bytes)`.
    Binary,
    /// `target(bytes)`.
    Callable,
}

/// A Python writer the host forwards a stream to.
pub(crate) struct PyWriter {
    target: Py<PyAny>,
    kind: Kind,
    /// A UTF-8 sequence cut by a chunk boundary, kept for the next write (text writers).
    pending: Mutex<Vec<u8>>,
}

impl PyWriter {
    fn new(target: &Bound<'_, PyAny>) -> PyResult<PyWriter> {
        let py = target.py();
        let text_io = py.import("io")?.getattr("TextIOBase")?;
        let kind = if target.is_instance(&text_io)? {
            Kind::Text
        } else if target.hasattr("write")? {
            Kind::Binary
        } else if target.is_callable() {
            Kind::Callable
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "an output must be None (captured), a stream with write(), or a callable taking bytes",
            ));
        };
        Ok(PyWriter { target: target.clone().unbind(), kind, pending: Mutex::new(Vec::new()) })
    }

    fn deliver(&self, py: Python<'_>, buf: &[u8]) -> PyResult<()> {
        let target = self.target.bind(py);
        match self.kind {
            Kind::Binary => target.call_method1("write", (PyBytes::new(py, buf),)).map(drop),
            Kind::Callable => target.call1((PyBytes::new(py, buf),)).map(drop),
            Kind::Text => {
                let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                pending.extend_from_slice(buf);
                let cut = complete_utf8(&pending);
                let text = String::from_utf8_lossy(pending.get(..cut).unwrap_or_default()).into_owned();
                pending.drain(..cut);
                drop(pending);
                target.call_method1("write", (text,))?;
                // A terminal shows output as the cell prints it.
                target.call_method0("flush").map(drop)
            }
        }
    }
}

/// How much of `bytes` to decode now: all of it but a UTF-8 sequence that may go on in the next
/// chunk (at most 3 bytes are kept back).
fn complete_utf8(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=3.min(len) {
        let byte = bytes[len - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue; // a continuation byte: look further back for the lead
        }
        let needs = match byte {
            b if b & 0b1110_0000 == 0b1100_0000 => 2,
            b if b & 0b1111_0000 == 0b1110_0000 => 3,
            b if b & 0b1111_1000 == 0b1111_0000 => 4,
            _ => 1,
        };
        return if needs > back { len - back } else { len };
    }
    len
}

impl Write for PyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Python::attach(|py| {
            if let Err(err) = self.deliver(py, buf) {
                err.write_unraisable(py, Some(self.target.bind(py)));
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A Python file the host's pump thread reads the cell's stdin from.
pub(crate) struct PyReader {
    source: Py<PyAny>,
    /// `read1` where the file has it (a pipe or terminal answers with what it has), else `read`.
    method: &'static str,
    /// What a read handed back beyond the room the host asked with (a str of n characters can
    /// be more than n bytes).
    leftover: Vec<u8>,
}

impl PyReader {
    fn new(source: &Bound<'_, PyAny>) -> PyResult<PyReader> {
        // A text stream reads bytes through its buffer, so a terminal's line is passed on whole.
        let source = match source.getattr("buffer") {
            Ok(buffer) if buffer.hasattr("read")? => buffer,
            _ => source.clone(),
        };
        let method = if source.hasattr("read1")? { "read1" } else { "read" };
        Ok(PyReader { source: source.unbind(), method, leftover: Vec::new() })
    }
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.leftover.is_empty() {
            let n = self.leftover.len().min(buf.len());
            buf[..n].copy_from_slice(&self.leftover[..n]);
            self.leftover.drain(..n);
            return Ok(n);
        }
        Python::attach(|py| {
            let source = self.source.bind(py);
            let chunk = match source.call_method1(self.method, (buf.len(),)) {
                Ok(chunk) => chunk,
                Err(err) => {
                    err.write_unraisable(py, Some(source));
                    return Ok(0);
                }
            };
            let bytes: Vec<u8> = if let Ok(b) = chunk.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else if let Ok(s) = chunk.cast::<PyString>() {
                s.to_cow().map(|s| s.as_bytes().to_vec()).unwrap_or_default()
            } else {
                Vec::new()
            };
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            self.leftover.extend_from_slice(&bytes[n..]);
            Ok(n)
        })
    }
}
