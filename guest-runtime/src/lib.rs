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

/// What `padcell_preinit` built, waiting for its cell: the interpreter with the prelude and the
/// applet API run, and nothing that depends on a cell.
struct Prepared {
    interpreter: Interpreter,
    main: Scope,
    internals: Internals,
    /// loader.py's `apply_policy`, which asks the host for the cell's restricted names.
    apply_policy: PyObjectRef,
}

thread_local! {
    static PREPARED: RefCell<Option<Prepared>> = const { RefCell::new(None) };
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
    if PREPARED.with_borrow(|p| p.is_none()) && CELL.with_borrow(|c| c.is_none()) {
        let prepared = prepare();
        PREPARED.with_borrow_mut(|p| *p = prepared);
    }
}

fn prepare() -> Option<Prepared> {
    let interpreter = build_interpreter();
    let shared = interpreter.enter(|vm| {
        vm.run_string(vm.new_scope_with_builtins(), PRELUDE, "<padcell prelude>")?;
        let format_exception = vm.import("_padcell", 0)?.get_attr("format_exception", vm)?;
        let marshal_dumps = vm.import("marshal", 0)?.get_attr("dumps", vm)?;
        vm.run_string(vm.new_scope_with_builtins(), APPLET_API, "<padcell api>")?;
        let loader = vm.new_scope_with_builtins();
        vm.run_string(loader.clone(), LOADER, "<padcell loader>")?;
        let internals = Internals {
            r_import: loader.globals.get_item("r_import", vm)?,
            r_unload: loader.globals.get_item("r_unload", vm)?,
            format_exception,
            marshal_dumps,
        };
        let apply_policy = loader.globals.get_item("apply_policy", vm)?;
        Ok::<_, PyBaseExceptionRef>((vm.new_scope_with_main()?, internals, apply_policy))
    });
    let (main, internals, apply_policy) = shared.ok()?;
    Some(Prepared { interpreter, main, internals, apply_policy })
}

/// Makes the interpreter this cell's: from a snapshot if the host restored one, else built now.
#[unsafe(no_mangle)]
pub extern "C" fn padcell_init() -> u32 {
    if CELL.with_borrow(|c| c.is_some()) {
        return 0;
    }
    // A snapshot holds wasi-libc's preopens and environment as they were when it was taken.
    // SAFETY: plain wasi-libc calls, with no interpreter code running.
    unsafe {
        __wasilibc_reset_preopens();
        __wasilibc_deinitialize_environ();
    }
    let Some(Prepared { interpreter, main, internals, apply_policy }) = PREPARED.with_borrow_mut(Option::take).or_else(prepare)
    else {
        return 1;
    };
    let started = interpreter.enter(|vm| {
        become_this_cells(vm)?;
        apply_policy.call((), vm).map(drop)
    });
    match started {
        Ok(()) => {
            CELL.with_borrow_mut(|c| *c = Some(GuestCell { interpreter, main, internals }));
            0
        }
        Err(_) => 1,
    }
}

/// What differs from cell to cell, read from this cell's WASI: `sys.argv`, `os.environ`, and
/// the seed of `random` if the shared part imported it.
fn become_this_cells(vm: &VirtualMachine) -> PyResult<()> {
    let argv: Vec<PyObjectRef> = argv().into_iter().map(|a| vm.ctx.new_str(a).into()).collect();
    vm.sys_module.set_attr("argv", vm.ctx.new_list(argv), vm)?;
    // From sys.modules, not an import: the cell's import policy is not the host's.
    let modules = vm.sys_module.get_attr("modules", vm)?;
    let data = modules.get_item("os", vm)?.get_attr("environ", vm)?.get_attr("_data", vm)?;
    vm.call_method(&data, "clear", ())?;
    for (key, value) in std::env::vars_os() {
        let key: PyObjectRef = vm.ctx.new_bytes(key.into_encoded_bytes()).into();
        data.set_item(&*key, vm.ctx.new_bytes(value.into_encoded_bytes()).into(), vm)?;
    }
    if let Ok(random) = modules.get_item("random", vm) {
        vm.call_method(&random, "seed", ())?;
    }
    Ok(())
}

/// `sys.argv`: the WASI arguments, or `['']` without any.
fn argv() -> Vec<String> {
    let argv: Vec<String> = std::env::args().collect();
    if argv.is_empty() { vec![String::new()] } else { argv }
}

fn build_interpreter() -> Interpreter {
    let mut settings = Settings::default();
    // The cell's own argv replaces this in padcell_init.
    settings.argv = argv();
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

