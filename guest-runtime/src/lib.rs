//! The interpreter inside a padcell cell: RustPython, built for wasm32-wasip1.
//!
//! This module trusts nothing but its own code. The host writes requests into buffers it gets
//! from `padcell_alloc`, calls `padcell_run`, and reads the answer passed to `padcell.reply`.
//! The whole protocol lives in `abi.rs`, shared with the host.

#[path = "../../host/src/abi.rs"]
#[allow(dead_code)]
mod abi;
mod host;
mod value;

use abi::{Exception, Op, Reply, Request, Status};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::compiler::Mode;
use rustpython_vm::scope::Scope;
use rustpython_vm::{AsObject, Interpreter, InterpreterBuilder, PyObjectRef, PyResult, Settings, VirtualMachine};
use std::cell::RefCell;

/// Explains the host's refusals in Python's terms (see prelude.py).
const PRELUDE: &str = include_str!("prelude.py");
/// The import system as the cell's policy shapes it (see loader.py).
const LOADER: &str = include_str!("loader.py");
/// The `padcell` module applets import (see applet_api.py).
const APPLET_API: &str = include_str!("applet_api.py");

/// The interpreter and the `__main__` namespace that every request of this cell shares.
struct GuestCell {
    interpreter: Interpreter,
    main: Scope,
    internals: Internals,
}

/// Functions the host's requests use, held here out of the applet's reach and taken before
/// loader.py shapes the import system.
struct Internals {
    /// loader.py's `r_import` and `r_unload`.
    r_import: PyObjectRef,
    r_unload: PyObjectRef,
    /// prelude.py's traceback formatter.
    format_exception: PyObjectRef,
    marshal_dumps: PyObjectRef,
}

thread_local! {
    static CELL: RefCell<Option<GuestCell>> = const { RefCell::new(None) };
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

/// Builds the interpreter. `sys.argv` comes from the WASI arguments the host gave the cell.
#[unsafe(no_mangle)]
pub extern "C" fn padcell_init() -> u32 {
    if CELL.with_borrow(|c| c.is_some()) {
        return 0;
    }
    let interpreter = build_interpreter();
    let started = interpreter.enter(|vm| {
        vm.run_string(vm.new_scope_with_builtins(), PRELUDE, "<padcell prelude>")?;
        let format_exception = vm.import("_padcell", 0)?.get_attr("format_exception", vm)?;
        let marshal_dumps = vm.import("marshal", 0)?.get_attr("dumps", vm)?;
        let loader = vm.new_scope_with_builtins();
        vm.run_string(vm.new_scope_with_builtins(), APPLET_API, "<padcell api>")?;
        vm.run_string(loader.clone(), LOADER, "<padcell loader>")?;
        let internals = Internals {
            r_import: loader.globals.get_item("r_import", vm)?,
            r_unload: loader.globals.get_item("r_unload", vm)?,
            format_exception,
            marshal_dumps,
        };
        Ok::<_, PyBaseExceptionRef>((vm.new_scope_with_main()?, internals))
    });
    match started {
        Ok((main, internals)) => {
            CELL.with_borrow_mut(|c| *c = Some(GuestCell { interpreter, main, internals }));
            0
        }
        Err(_) => 1,
    }
}

fn build_interpreter() -> Interpreter {
    let mut settings = Settings::default();
    settings.argv = std::env::args().collect();
    if settings.argv.is_empty() {
        settings.argv.push(String::new());
    }
    // No site, no user site, no environment: the cell's world is what the host grants it.
    settings.import_site = false;
    settings.user_site_directory = false;
    settings.ignore_environment = true;
    settings.isolated = true;
    settings.safe_path = true;
    settings.install_signal_handlers = false;
    settings.write_bytecode = false;
    settings.path_list.clear();

    let builder = InterpreterBuilder::new().settings(settings);
    let defs = rustpython_stdlib::stdlib_module_defs(&builder.ctx);
    let padcell_def = host::module_def(&builder.ctx);
    builder
        .add_native_modules(&defs)
        .add_native_module(padcell_def)
        .add_frozen_modules(rustpython_pylib::FROZEN_STDLIB)
        .init_hook(|vm| {
            if let Some(state) = rustpython_vm::common::rc::PyRc::get_mut(&mut vm.state) {
                state.config.paths.stdlib_dir = Some("/<frozen>".to_owned());
                state.config.paths.module_search_paths.clear();
            }
        })
        .build()
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
    CELL.with_borrow(|cell| match cell {
        None => Status::BadRequest as u32,
        Some(cell) => cell.interpreter.enter(|vm| run(vm, cell, op, &request)) as u32,
    })
}

fn run(vm: &VirtualMachine, cell: &GuestCell, op: Op, request: &Request) -> Status {
    let compile = |mode| {
        vm.compile(&request.source, mode, request.filename.clone())
            .map_err(|err| err.into_pyexception(vm, Some(&request.source)))
    };
    let name = || vm.ctx.new_str(request.source.as_str());
    let internals = &cell.internals;
    let result: PyResult<Option<abi::Value>> = (|| match op {
        Op::Exec => vm.run_code_obj(compile(Mode::Exec)?, cell.main.clone()).map(|_| None),
        Op::Eval => value::to_value(vm, &vm.run_code_obj(compile(Mode::Eval)?, cell.main.clone())?).map(Some),
        Op::Compile => value::to_value(vm, &internals.marshal_dumps.call((compile(Mode::Exec)?,), vm)?).map(Some),
        Op::Import => internals.r_import.call((name(), cell.main.globals.clone()), vm).map(|_| None),
        Op::Unload => internals.r_unload.call((name(),), vm).map(|_| None),
        Op::Call => {
            let function = cell.main.globals.get_item(request.source.as_str(), vm).map_err(|_| {
                vm.new_name_error(format!("name '{}' is not defined", request.source), name())
            })?;
            let abi::Value::List(args) = &request.args else {
                return Err(vm.new_type_error("a call's arguments must be a list"));
            };
            let args: Vec<_> = args.iter().map(|v| value::from_value(vm, v)).collect();
            value::to_value(vm, &function.call(rustpython_vm::function::FuncArgs::from(args), vm)?).map(Some)
        }
    })();
    flush_stdio(vm);
    match result {
        Ok(Some(v)) => {
            host::reply(&Reply::Value(v));
            Status::Ok
        }
        Ok(None) => Status::Ok,
        Err(exc) if exc.fast_isinstance(vm.ctx.exceptions.system_exit) => {
            // Prints a non-integer exit message to stderr, as CPython does.
            let code = vm.handle_exit_exception(exc) as i32;
            flush_stdio(vm);
            host::reply(&Reply::Exit(code));
            Status::Exit
        }
        Err(exc) => {
            host::reply(&Reply::Exception(describe(vm, &internals.format_exception, &exc, request)));
            Status::Exception
        }
    }
}

fn describe(vm: &VirtualMachine, format: &PyObjectRef, exc: &PyBaseExceptionRef, request: &Request) -> Exception {
    let formatted = format.call((exc.clone(), request.filename.clone(), request.source.clone()), vm);
    let traceback = match formatted.and_then(|t| t.str(vm)) {
        Ok(t) => t.to_string_lossy().into_owned(),
        Err(_) => {
            // The applet broke the formatter; RustPython's own printer still works.
            let mut traceback = String::new();
            let _ = vm.write_exception(&mut traceback, exc);
            traceback
        }
    };
    let message = exc
        .as_object()
        .str(vm)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Exception { type_name: exc.class().name().to_string(), message, traceback }
}

fn flush_stdio(vm: &VirtualMachine) {
    for name in ["stdout", "stderr"] {
        if let Ok(stream) = vm.sys_module.get_attr(name, vm) {
            let _ = vm.call_method(&stream, "flush", ());
        }
    }
}

