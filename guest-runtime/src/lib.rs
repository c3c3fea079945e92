//! The interpreter inside a padcell cell: CPython, built for wasm32-wasip1 and linked in as a
//! static library (see cpython/build.sh).
//!
//! This module trusts nothing but its own code. The host writes requests into buffers it gets
//! from `padcell_alloc`, calls `padcell_run`, and reads the answer passed to `padcell.reply`.
//! The whole protocol lives in `abi.rs`, shared with the host.

#[path = "../../host/src/abi.rs"]
#[allow(dead_code)]
mod abi;
mod host;
mod interpreter;
mod stdlib;
mod value;

use abi::{Exception, Op, Reply, Request, Status};
use pyo3::exceptions::{PySystemExit, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::cell::RefCell;
use std::ffi::{CString, c_int};

/// Explains the host's refusals in Python's terms (see prelude.py).
const PRELUDE: &str = include_str!("prelude.py");
/// The import system as the cell's policy shapes it (see loader.py).
const LOADER: &str = include_str!("loader.py");
/// The `padcell` module applets import (see applet_api.py).
const APPLET_API: &str = include_str!("applet_api.py");

/// The `__main__` namespace that every request of this cell shares, and the functions the
/// host's requests use, held here out of the applet's reach and taken before loader.py shapes
/// the import system.
struct GuestCell {
    main: Py<PyDict>,
    /// The real `sys`: after loader.py, an import from here would get the applet's view of it.
    sys: Py<PyModule>,
    /// loader.py's `r_import` and `r_unload`.
    r_import: Py<PyAny>,
    r_unload: Py<PyAny>,
    /// prelude.py's traceback formatter.
    format_exception: Py<PyAny>,
    marshal_dumps: Py<PyAny>,
    /// loader.py's `apply_policy`, which asks the host for the cell's restricted names; run once,
    /// in `padcell_init`.
    apply_policy: Py<PyAny>,
}

thread_local! {
    /// Built by `padcell_preinit` (or by `padcell_init` without a snapshot).
    static PREPARED: RefCell<Option<GuestCell>> = const { RefCell::new(None) };
    /// Whether `padcell_init` made the prepared interpreter this cell's.
    static STARTED: RefCell<bool> = const { RefCell::new(false) };
}

/// A zeroed buffer of `len` bytes, owned by the host until it passes it to `padcell_run`.
#[unsafe(no_mangle)]
pub extern "C" fn padcell_alloc(len: usize) -> *mut u8 {
    if len == 0 {
        return std::ptr::null_mut();
    }
    let buf = vec![0u8; len].into_boxed_slice();
    Box::into_raw(buf) as *mut u8
}

unsafe extern "C" {
    /// wasi-libc: forget the preopen table it read, so the next path lookup reads this cell's.
    fn __wasilibc_reset_preopens();
    /// wasi-libc: forget the environment it read, so the next lookup reads this cell's.
    fn __wasilibc_deinitialize_environ();
}

/// Builds what every cell shares (see abi.rs). The host runs this once under wizer and
/// snapshots the memory it leaves, so it must not depend on a cell: no policy, argv,
/// environment or files, and no `padcell` import.
#[unsafe(no_mangle)]
pub extern "C" fn padcell_preinit() {
    if PREPARED.with_borrow(|p| p.is_none()) && !STARTED.with_borrow(|s| *s) {
        let prepared = prepare();
        PREPARED.with_borrow_mut(|p| *p = prepared);
    }
}

fn prepare() -> Option<GuestCell> {
    if !interpreter::start() {
        return None;
    }
    Python::attach(|py| {
        let run = |source: &str, name: &str| -> PyResult<Bound<'_, PyDict>> {
            let globals = PyDict::new(py);
            globals.set_item("__builtins__", py.import("builtins")?)?;
            globals.set_item("__name__", name)?;
            exec(py, source, name, &globals)?;
            Ok(globals)
        };
        let prepared = (|| {
            // Taken before loader.py replaces `__import__` with the applet's.
            let main = py.import("__main__")?.dict().unbind();
            let sys = py.import("sys")?.unbind();
            run(PRELUDE, "<padcell prelude>")?;
            let format_exception = py.import("_padcell")?.getattr("format_exception")?;
            let marshal_dumps = py.import("marshal")?.getattr("dumps")?;
            run(APPLET_API, "<padcell api>")?;
            // Named so that warnings skip its frames as they skip importlib._bootstrap's: a
            // module's warning at import points at the applet's import line.
            let loader = run(LOADER, "<padcell loader, importlib._bootstrap>")?;
            let get = |name: &str| -> PyResult<Py<PyAny>> {
                Ok(loader.get_item(name)?.ok_or_else(|| PyValueError::new_err(name.to_owned()))?.unbind())
            };
            Ok::<_, PyErr>(GuestCell {
                main,
                sys,
                r_import: get("r_import")?,
                r_unload: get("r_unload")?,
                format_exception: format_exception.unbind(),
                marshal_dumps: marshal_dumps.unbind(),
                apply_policy: get("apply_policy")?,
            })
        })();
        prepared.map_err(|e| e.print(py)).ok()
    })
}

/// Makes the interpreter this cell's: from a snapshot if the host restored one, else built now.
#[unsafe(no_mangle)]
pub extern "C" fn padcell_init() -> u32 {
    if STARTED.with_borrow(|s| *s) {
        return 0;
    }
    // A snapshot holds wasi-libc's preopens and environment as they were when it was taken.
    // SAFETY: plain wasi-libc calls, with no interpreter code running.
    unsafe {
        __wasilibc_reset_preopens();
        __wasilibc_deinitialize_environ();
    }
    if PREPARED.with_borrow(|p| p.is_none()) {
        let prepared = prepare();
        PREPARED.with_borrow_mut(|p| *p = prepared);
    }
    let started = PREPARED.with_borrow(|p| {
        let Some(cell) = p else { return false };
        Python::attach(|py| {
            let started = become_this_cells(cell.sys.bind(py)).and_then(|()| cell.apply_policy.call0(py));
            started.map_err(|e| e.print(py)).is_ok()
        })
    });
    STARTED.with_borrow_mut(|s| *s = started);
    if started { 0 } else { 1 }
}

/// What differs from cell to cell, read from this cell's WASI: `sys.argv`, `os.environ`, and
/// the seeds of `random` if the shared part imported it.
fn become_this_cells(sys: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = sys.py();
    sys.setattr("argv", PyList::new(py, argv())?)?;
    // From sys.modules, not an import: the cell's import policy is not the host's.
    let modules = sys.getattr("modules")?;
    let data = modules.get_item("os")?.getattr("environ")?.getattr("_data")?;
    data.call_method0("clear")?;
    for (key, value) in std::env::vars_os() {
        data.set_item(
            pyo3::types::PyBytes::new(py, key.as_encoded_bytes()),
            pyo3::types::PyBytes::new(py, value.as_encoded_bytes()),
        )?;
    }
    if let Ok(random) = modules.get_item("random") {
        random.call_method0("seed")?;
    }
    Ok(())
}

/// `sys.argv`: the WASI arguments, or `['']` without any.
fn argv() -> Vec<String> {
    let argv: Vec<String> = std::env::args().collect();
    if argv.is_empty() { vec![String::new()] } else { argv }
}

/// Runs one request (see abi.rs). Takes back the buffer at `ptr`.
///
/// # Safety
/// `ptr` and `len` must come from one call to `padcell_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn padcell_run(op: u32, ptr: *mut u8, len: usize) -> u32 {
    let bytes: Box<[u8]> = if ptr.is_null() || len == 0 {
        Box::new([])
    } else {
        // SAFETY: the host hands back exactly what padcell_alloc gave it.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) }
    };
    let (Some(op), Ok(request)) = (Op::from_u32(op), Request::decode(&bytes)) else {
        return Status::BadRequest as u32;
    };
    drop(bytes);
    if !STARTED.with_borrow(|s| *s) {
        return Status::BadRequest as u32;
    }
    PREPARED.with_borrow(|cell| match cell {
        None => Status::BadRequest as u32,
        Some(cell) => Python::attach(|py| run(py, cell, op, &request)) as u32,
    })
}

/// What `Py_CompileString` takes as its start symbol.
#[derive(Clone, Copy)]
enum Mode {
    Exec,
    Eval,
}

/// Compiles `source` as `filename` with CPython's C API: nothing the applet rebinds (builtins'
/// `compile`) is in the way.
fn compile<'py>(py: Python<'py>, source: &str, filename: &str, mode: Mode) -> PyResult<Bound<'py, PyAny>> {
    let source = CString::new(source).map_err(|_| PyValueError::new_err("source code string cannot contain null bytes"))?;
    let filename = CString::new(filename).map_err(|_| PyValueError::new_err("a file name cannot contain null bytes"))?;
    let start = match mode {
        Mode::Exec => pyo3::ffi::Py_file_input,
        Mode::Eval => pyo3::ffi::Py_eval_input,
    };
    // SAFETY: both strings are NUL-terminated and live across the call; the result is a new
    // reference or NULL with an exception set.
    unsafe {
        let code = pyo3::ffi::Py_CompileStringExFlags(source.as_ptr(), filename.as_ptr(), start, std::ptr::null_mut(), -1);
        Bound::from_owned_ptr_or_err(py, code)
    }
}

/// Runs `code` in `globals` with CPython's C API.
fn eval_code<'py>(py: Python<'py>, code: &Bound<'py, PyAny>, globals: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `code` is a code object from `compile`, `globals` a dict; the result is a new
    // reference or NULL with an exception set.
    unsafe {
        let result = pyo3::ffi::PyEval_EvalCode(code.as_ptr(), globals.as_ptr(), globals.as_ptr());
        Bound::from_owned_ptr_or_err(py, result)
    }
}

fn exec(py: Python<'_>, source: &str, filename: &str, globals: &Bound<'_, PyDict>) -> PyResult<()> {
    eval_code(py, &compile(py, source, filename, Mode::Exec)?, globals).map(drop)
}

fn run(py: Python<'_>, cell: &GuestCell, op: Op, request: &Request) -> Status {
    let main = cell.main.bind(py);
    let source = request.source.as_str();
    let filename = request.filename.as_str();
    let result: PyResult<Option<abi::Value>> = (|| match op {
        Op::Exec => exec(py, source, filename, main).map(|()| None),
        Op::Eval => value::to_value(&eval_code(py, &compile(py, source, filename, Mode::Eval)?, main)?).map(Some),
        Op::Compile => {
            let code = compile(py, source, filename, Mode::Exec)?;
            value::to_value(&cell.marshal_dumps.call1(py, (code,))?.into_bound(py)).map(Some)
        }
        Op::Import => cell.r_import.call1(py, (source, main)).map(|_| None),
        Op::Unload => cell.r_unload.call1(py, (source,)).map(|_| None),
        Op::Call => {
            let function = main
                .get_item(source)?
                .ok_or_else(|| pyo3::exceptions::PyNameError::new_err(format!("name '{source}' is not defined")))?;
            let abi::Value::List(args) = &request.args else {
                return Err(PyTypeError::new_err("a call's arguments must be a list"));
            };
            let args = args.iter().map(|v| value::from_value(py, v)).collect::<PyResult<Vec<_>>>()?;
            value::to_value(&function.call1(PyTuple::new(py, args)?)?).map(Some)
        }
    })();
    let sys = cell.sys.bind(py);
    flush_stdio(sys);
    match result {
        Ok(Some(v)) => {
            host::reply(&Reply::Value(v));
            Status::Ok
        }
        Ok(None) => Status::Ok,
        Err(exc) if exc.is_instance_of::<PySystemExit>(py) => {
            let code = exit_code(sys, &exc);
            flush_stdio(sys);
            host::reply(&Reply::Exit(code));
            Status::Exit
        }
        Err(exc) => {
            host::reply(&Reply::Exception(describe(py, cell, &exc, request)));
            Status::Exception
        }
    }
}

/// The status a `SystemExit` stands for, as CPython's own `handle_system_exit` reads it: None is
/// 0, an int is itself, anything else is printed to stderr and is 1.
fn exit_code(sys: &Bound<'_, PyModule>, exc: &PyErr) -> i32 {
    let code = match exc.value(sys.py()).getattr("code") {
        Ok(code) => code,
        Err(_) => return 1,
    };
    if code.is_none() {
        return 0;
    }
    if let Ok(n) = code.extract::<c_int>() {
        return n;
    }
    let printed = (|| {
        let stderr = sys.getattr("stderr")?;
        if !stderr.is_none() {
            stderr.call_method1("write", (format!("{}\n", code.str()?),))?;
        }
        Ok::<_, PyErr>(())
    })();
    drop(printed);
    1
}

fn describe(py: Python<'_>, cell: &GuestCell, exc: &PyErr, request: &Request) -> Exception {
    let value = exc.value(py);
    let formatted = cell.format_exception.call1(py, (value, request.filename.as_str(), request.source.as_str()));
    let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    let message = value.str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let traceback = match formatted.and_then(|t| t.extract::<String>(py)) {
        Ok(t) => t,
        // The applet broke the formatter: the type and message still tell what happened.
        Err(_) => format!("{type_name}: {message}\n"),
    };
    Exception { type_name, message, traceback }
}

fn flush_stdio(sys: &Bound<'_, PyModule>) {
    for name in ["stdout", "stderr"] {
        if let Ok(stream) = sys.getattr(name) {
            // A stream that cannot flush (the applet replaced it) is the applet's own affair.
            let _ = stream.is_none() || stream.call_method0("flush").is_ok();
        }
    }
}
