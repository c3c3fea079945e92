//! A cell: one wasmtime `Store` holding one instance of the interpreter, with its own stdio and
//! its own `__main__` namespace that successive `exec` / `eval` calls share.
//!
//! A cell sees only what its [`Policy`] grants: no files but its grants, no environment but the
//! policy's variables, no host arguments or working directory. WASI sees the `sys.argv` its
//! builder was given, the stdio it was handed, and one preopened root `/` (see `fs`).

mod children;
mod error;
mod host_functions;
mod launch;
mod objects;
mod raw;
mod runtime;
mod sandbox;
mod stack;
mod state;
mod wasi_command;
mod wasi_module;
mod wasi_shadows;

pub use error::{CellError, EXIT_EXCEPTION, EXIT_TRAP, EXIT_USAGE, PythonException};
pub use raw::{RawCell, RawModule};
pub(crate) use runtime::Runtime;
pub(crate) use stack::WASM_STACK;
pub use wasi_command::{WasiCommand, WasiCommandBuilder};
pub use wasi_module::{MissingImports, WasiModule};

use crate::abi::{self, Op, Reply, Request, Status, Value};
use crate::loader::ModuleCompiler;
use crate::policy::audit::{SHOWN, cut};
use crate::policy::{LimitKind, Limits, Policy};
use crate::wasi::control::{Budget, CancelHandle, Meter, Meters};
use crate::wasi::input::Input;
use crate::wasi::output::Output;
use anyhow::{Context, Result, anyhow};
use error::stopped;
use launch::{Launch, launch_setters};
use sandbox::Sandbox;
use std::path::Path;
use std::sync::Arc;
use wasmtime::{Memory, TypedFunc};

/// How long a cell may take to start its interpreter, however many cells share the CPU.
const START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Configures a [`Cell`]: its policy, its `sys.argv` and its stdio.
pub struct CellBuilder {
    maker: Maker,
    launch: Launch,
    /// For a nested cell, the cells above it, outermost first.
    parent_chain: Vec<u64>,
    /// For a nested cell, the byte budgets of the cells above it.
    ancestors: Meters,
}

/// A running interpreter inside the sandbox: a plugin session that is loaded once and called
/// many times.
///
/// ```no_run
/// use padcell::{CellError, Supervisor, Value};
/// let supervisor = Supervisor::new()?;
/// let mut cell = supervisor.cell().build()?;
/// cell.exec("def area(w, h):\n    return w * h")?;
/// assert_eq!(cell.call("area", &[Value::Int(3), Value::Int(4)])?, Value::Int(12));
/// match cell.exec("1 / 0") {
///     Err(CellError::Exception(e)) => assert_eq!(e.type_name, "ZeroDivisionError"),
///     other => panic!("{other:?}"),
/// }
/// print!("{}", String::from_utf8_lossy(&cell.take_stdout()));
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct Cell {
    sandbox: Sandbox,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    run: TypedFunc<(u32, u32, u32), u32>,
    /// Why the cell can no longer run code, after a trap, a limit or `os._exit`.
    spent: Option<String>,
    /// What a caller (a parent cell, a cell the compiler works for) gives the next calls,
    /// under the cell's own limits.
    budget: Budget,
    /// What the cell was made from, for [`Cell::reset`].
    recipe: Recipe,
}

/// What cells are made from: the shared runtime and, for every cell but the supervisor's
/// compiler cell, the compiler its loader asks for bytecode. Held strongly: nothing here points
/// back at the supervisor.
#[derive(Clone)]
pub(crate) struct Maker {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) compiler: Option<Arc<dyn ModuleCompiler>>,
}

/// What a cell is made from, besides its stdio.
#[derive(Clone)]
struct Recipe {
    maker: Maker,
    policy: Policy,
    args: Vec<String>,
    parent_chain: Vec<u64>,
    ancestors: Meters,
}

impl CellBuilder {
    pub(crate) fn new(maker: Maker) -> Self {
        CellBuilder { maker, launch: Launch::default(), parent_chain: Vec::new(), ancestors: Meters::default() }
    }

    /// Charges the cell's output and writes to these budgets too (a nested cell's parent's, see
    /// `nested`).
    pub(crate) fn ancestors(mut self, ancestors: Meters) -> Self {
        self.ancestors = ancestors;
        self
    }

    /// Makes a child of the cells in `chain` (see `nested`).
    pub(crate) fn parent_chain(mut self, chain: Vec<u64>) -> Self {
        self.parent_chain = chain;
        self
    }

    launch_setters!("`sys.argv` inside the cell (empty by default, which the guest shows as `['']`).");

    /// Instantiates the interpreter and initializes it.
    pub fn build(self) -> Result<Cell> {
        let recipe = Recipe {
            maker: self.maker,
            policy: self.launch.policy,
            args: self.launch.args,
            parent_chain: self.parent_chain,
            ancestors: self.ancestors,
        };
        start(recipe, self.launch.stdin, self.launch.stdout, self.launch.stderr)
    }
}

/// Makes a cell: a new store in one of the runtime's slots, the interpreter instantiated from
/// its image, and `padcell_init` making it this cell's.
fn start(recipe: Recipe, stdin: Input, stdout: Output, stderr: Output) -> Result<Cell> {
    let mut sandbox = Sandbox::new(&recipe.maker, &recipe.policy, &recipe.args, stdin, stdout, stderr, &recipe.ancestors)?;
    sandbox.store.data_mut().children.set_parent_chain(recipe.parent_chain.clone());
    let pre = recipe.maker.runtime.interpreter()?.clone();
    // Starting the interpreter is the host's work, not the applet's: it has its own bound.
    let started = sandbox.enter(START_TIMEOUT, &Budget::default(), |store| {
        let instance = pre.instantiate(&mut *store).context("instantiating the interpreter")?;
        let memory =
            instance.get_memory(&mut *store, abi::EXPORT_MEMORY).ok_or_else(|| anyhow!("the guest exports no memory"))?;
        let alloc = instance.get_typed_func(&mut *store, abi::EXPORT_ALLOC)?;
        let run = instance.get_typed_func(&mut *store, abi::EXPORT_RUN)?;
        let init = instance.get_typed_func::<(), u32>(&mut *store, abi::EXPORT_INIT)?;
        // A reactor module runs its constructors in `_initialize` before anything else (a
        // snapshot has it already run, and wizer removed the export).
        if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize") {
            initialize.call(&mut *store, ()).context("initializing the guest runtime")?;
        }
        let status = init.call(&mut *store, ()).context("starting the interpreter")?;
        Ok((memory, alloc, run, status))
    });
    let (memory, alloc, run, status) = started?;
    if status != 0 {
        return Err(anyhow!("the interpreter failed to start (status {status})"));
    }
    sandbox.store.data().fs.auditor().started();
    Ok(Cell { sandbox, memory, alloc, run, spent: None, budget: Budget::default(), recipe })
}

impl Cell {
    /// This cell's id within its supervisor (used in audit events and messages).
    pub fn id(&self) -> u64 {
        self.sandbox.id
    }

    /// Starts this cell over in the pooled slot it frees: a fresh interpreter from the
    /// supervisor's image, with the same policy and arguments. Nothing of what ran before is
    /// left: not `__main__`, not modules, not memory (the slot is reset to the image), not open
    /// files. Output is captured afterwards and stdin is empty; a spent cell runs again.
    pub fn reset(self) -> Result<Cell> {
        let recipe = self.recipe.clone();
        drop(self);
        start(recipe, Input::Empty, Output::Capture, Output::Capture)
    }

    /// A handle that stops this cell's running call from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.sandbox.control.clone())
    }

    /// The limits this cell runs under.
    pub fn limits(&self) -> &Limits {
        &self.sandbox.limits
    }

    /// Runs statements in the cell's `__main__` namespace; tracebacks show `<string>`.
    pub fn exec(&mut self, code: &str) -> Result<(), CellError> {
        self.request(Op::Exec, "<string>", code).map(drop)
    }

    /// Evaluates one expression in the cell's namespace and returns its value as plain data.
    pub fn eval(&mut self, expr: &str) -> Result<Value, CellError> {
        self.request(Op::Eval, "<string>", expr)?.ok_or_else(|| CellError::Host(anyhow!("the guest sent no value for eval")))
    }

    /// Reads a host file (as the supervisor, not the cell) and runs it in the cell's namespace;
    /// tracebacks show `path` as given.
    pub fn exec_file(&mut self, path: impl AsRef<Path>) -> Result<(), CellError> {
        let path = path.as_ref();
        let source = crate::config::host_file::read_to_string(path)?;
        self.exec_source(&path.to_string_lossy(), &source)
    }

    /// Runs `source` in the cell's namespace under the file name `filename`.
    pub fn exec_source(&mut self, filename: &str, source: &str) -> Result<(), CellError> {
        self.request(Op::Exec, filename, source).map(drop)
    }

    /// Calls the function named `function` in the cell's `__main__` namespace with `args`, and
    /// returns its result: a plugin session's call. Arguments and result cross by value.
    pub fn call(&mut self, function: &str, args: &[Value]) -> Result<Value, CellError> {
        self.request_with(Op::Call, "<call>", function, Value::List(args.to_vec()))?
            .ok_or_else(|| CellError::Host(anyhow!("the guest sent no value for call")))
    }

    /// Imports a module as applet code would, under the cell's module policy, and binds its
    /// top-level name in `__main__` (rexec's `r_import`). A refusal is an `ImportError`.
    pub fn import(&mut self, module: &str) -> Result<(), CellError> {
        self.request(Op::Import, "<import>", module).map(drop)
    }

    /// Drops a module and its submodules from the cell (rexec's `r_unload`): the next import
    /// reads it anew through the host.
    pub fn unload(&mut self, module: &str) -> Result<(), CellError> {
        self.request(Op::Unload, "<unload>", module).map(drop)
    }

    /// Compiles `source` to code in `marshal` form. Only for the compiler cell.
    pub(crate) fn compile(&mut self, filename: &str, source: &str) -> Result<Vec<u8>, CellError> {
        match self.request(Op::Compile, filename, source)? {
            Some(Value::Bytes(code)) => Ok(code),
            _ => Err(CellError::Host(anyhow!("the compiler cell sent no code"))),
        }
    }

    /// Lowers the memory the cell may grow to, for its next calls, to `max` (never above its own
    /// limit). `false`, changing nothing, if it already holds more than `max`.
    pub(crate) fn cap_memory(&mut self, max: u64) -> bool {
        if self.memory.data_size(&self.sandbox.store) as u64 > max {
            return false;
        }
        let max = max.min(self.sandbox.limits.memory);
        self.sandbox.store.data_mut().limiter.max = usize::try_from(max).unwrap_or(usize::MAX);
        true
    }

    /// Sets what the next calls may draw from their caller.
    pub(crate) fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    /// The fuel the next call starts with, on a metered supervisor.
    pub(crate) fn next_call_fuel(&self) -> Option<u64> {
        self.sandbox.call_fuel(&self.budget)
    }

    /// The fuel left after the last call, on a metered supervisor.
    pub(crate) fn fuel_left(&self) -> Option<u64> {
        if self.sandbox.metered { self.sandbox.store.get_fuel().ok() } else { None }
    }

    /// Whether a trap, a limit or an exit has ended this cell.
    pub(crate) fn is_spent(&self) -> bool {
        self.spent.is_some()
    }

    /// What the cell has written to stdout so far (nothing, when stdout is forwarded).
    pub fn stdout(&self) -> Vec<u8> {
        self.sandbox.stdout.contents()
    }

    /// What the cell has written to stderr so far (nothing, when stderr is forwarded).
    pub fn stderr(&self) -> Vec<u8> {
        self.sandbox.stderr.contents()
    }

    /// Like [`Cell::stdout`], emptying the buffer.
    pub fn take_stdout(&mut self) -> Vec<u8> {
        self.sandbox.stdout.take()
    }

    /// Like [`Cell::stderr`], emptying the buffer.
    pub fn take_stderr(&mut self) -> Vec<u8> {
        self.sandbox.stderr.take()
    }

    fn request(&mut self, op: Op, filename: &str, source: &str) -> Result<Option<Value>, CellError> {
        self.request_with(op, filename, source, Value::None)
    }

    fn request_with(&mut self, op: Op, filename: &str, source: &str, args: Value) -> Result<Option<Value>, CellError> {
        if let Some(why) = &self.spent {
            return Err(CellError::Spent(why.clone()));
        }
        let request = Request { filename: filename.to_owned(), source: source.to_owned(), args }.encode();
        let len =
            u32::try_from(request.len()).map_err(|_| anyhow!("the source is too large for a cell ({} bytes)", request.len()))?;
        self.sandbox.store.data_mut().reply = None;
        let timeout = self.sandbox.limits.timeout;
        let Cell { sandbox, alloc, run, memory, budget, .. } = self;
        let outcome = sandbox.enter(timeout, budget, |store| {
            let ptr = alloc.call(&mut *store, len)?;
            if ptr == 0 {
                anyhow::bail!("the guest could not allocate {len} bytes for the request");
            }
            memory.write(&mut *store, ptr as usize, &request)?;
            run.call(&mut *store, (op as u32, ptr, len))
        });
        let reply = self.sandbox.store.data_mut().reply.take();
        let status = match outcome {
            Ok(status) => status,
            Err(err) => return Err(self.spend(err)),
        };
        // Forwarded output is written by the time the call returns, within its deadline.
        if let Err(kind) = self.sandbox.drain_output() {
            let exceeded = self.sandbox.limits.exceeded(kind);
            self.spent = Some(exceeded.to_string());
            return Err(CellError::Limit(exceeded));
        }
        let reply =
            reply.map(|bytes| Reply::decode(&bytes)).transpose().map_err(|e| anyhow!("the guest sent a malformed reply: {e}"))?;
        match (Status::from_u32(status), reply) {
            (Some(Status::Ok), None) if matches!(op, Op::Exec | Op::Import | Op::Unload) => Ok(None),
            (Some(Status::Ok), Some(Reply::Value(v))) if matches!(op, Op::Eval | Op::Compile | Op::Call) => Ok(Some(v)),
            // The limiter refused memory and the interpreter raised MemoryError instead of
            // aborting: that is the memory limit too, and it ends the cell as a trap would.
            // CPython 3.13 says SystemError ("error return without exception set") when the
            // memory for more Python frames is refused: the same limit.
            (Some(Status::Exception), Some(Reply::Exception(e)))
                if matches!(e.type_name.as_str(), "MemoryError" | "SystemError")
                    && self.sandbox.control.memory_refused.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                let exceeded = self.sandbox.limits.exceeded(LimitKind::Memory);
                self.spent = Some(exceeded.to_string());
                Err(CellError::Limit(exceeded))
            }
            (Some(Status::Exception), Some(Reply::Exception(mut e))) => {
                // Whoever prints the traceback prints the cell's output: it gets what is left
                // of the output limit (its start and its end), and uses it up.
                let room = usize::try_from(Meter::least_room(&self.sandbox.meters.output)).unwrap_or(usize::MAX);
                e.traceback = keep_ends(&e.traceback, room.max(MIN_TRACEBACK));
                e.message = cut(&e.message, room.max(MIN_TRACEBACK)).into_owned();
                e.type_name = cut(&e.type_name, SHOWN).into_owned();
                Meter::charge(&self.sandbox.meters.output, e.traceback.len() as u64);
                Err(CellError::Exception(e))
            }
            (Some(Status::Exit), Some(Reply::Exit(code))) => Err(CellError::Exit(code)),
            (status, reply) => Err(CellError::Host(anyhow!(
                "the guest broke the protocol: status {status:?} with reply {:?}",
                reply.map(|r| std::mem::discriminant(&r))
            ))),
        }
    }

    /// A call into the guest failed: the instance is in an unknown state and runs nothing more.
    fn spend(&mut self, err: anyhow::Error) -> CellError {
        let error = stopped(err, &self.sandbox.control, &self.sandbox.limits);
        self.spent = Some(match &error {
            CellError::Exit(code) => format!("it exited with status {code}"),
            CellError::Limit(limit) => limit.to_string(),
            _ => "it trapped".to_owned(),
        });
        error
    }
}

/// The least of a traceback any caller gets, even past the output limit: its last line or so.
const MIN_TRACEBACK: usize = 512;

/// `text` cut to about `max` bytes: its start (where the traceback begins) and its end (where the
/// exception is named) kept, marked where cut.
fn keep_ends(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let head = floor(max / 2);
    let tail = floor(text.len() - max / 2);
    let cut = tail - head;
    format!(
        "{}\n[padcell: {cut} bytes of traceback cut at the output limit]\n{}",
        text.get(..head).unwrap_or_default(),
        text.get(tail..).unwrap_or_default()
    )
}
