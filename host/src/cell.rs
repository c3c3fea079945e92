//! A cell: one wasmtime `Store` holding one instance of the interpreter, with its own stdio and
//! its own `__main__` namespace that successive `exec` / `eval` calls share.
//!
//! A cell sees only what its [`Policy`] grants: no files but its grants, no environment but the
//! policy's variables, no host arguments or working directory. WASI sees the `sys.argv` its
//! builder was given, the stdio it was handed, and one preopened root `/` (see `fs`).

use crate::abi::{self, Op, Reply, Request, Status, Value};
use crate::error::{CellError, stopped};
use crate::input::Input;
use crate::output::{Output, OutputStream};
use crate::limits::{CancelHandle, CellControl, LimitKind, Limits, Meter, Meters};
use crate::policy::Policy;
use crate::sandbox::{Sandbox, UNMETERED};
use crate::state::CellState;
use crate::supervisor::{Supervisor, WeakSupervisor};
use anyhow::{Context, Result, anyhow};
use std::path::Path;
use std::sync::Arc;
use crate::stack::with_wasm_stack;
use wasmtime::{Memory, Store, TypedFunc};

/// How long a cell may take to start its interpreter, however many cells share the CPU.
const START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Configures a [`Cell`]: its policy, its `sys.argv` and its stdio.
pub struct CellBuilder<'s> {
    supervisor: &'s Supervisor,
    policy: Policy,
    args: Vec<String>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    /// The supervisor's compiler cell, which has no bytecode cache of its own.
    compiler: bool,
    /// For a nested cell, the cells above it, outermost first.
    parent_chain: Vec<u64>,
    /// For a nested cell, the byte budgets of the cells above it.
    ancestors: Meters,
}

/// A running interpreter inside the sandbox.
pub struct Cell {
    id: u64,
    store: Store<CellState>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    run: TypedFunc<(u32, u32, u32), u32>,
    stdout: Arc<OutputStream>,
    stderr: Arc<OutputStream>,
    /// The output budgets the cell charges: its own, then its ancestors'.
    meters: Vec<Meter>,
    limits: Limits,
    metered: bool,
    control: Arc<CellControl>,
    /// Why the cell can no longer run code, after a trap, a limit or `os._exit`.
    spent: Option<String>,
    /// A parent cell's budget for the next call, under the cell's own limits.
    caps: CallCaps,
    /// What the cell was made from, for [`Cell::reset`].
    recipe: Recipe,
}

/// What a cell is made from, besides its stdio. The supervisor is held weakly: the supervisor's
/// own compiler cell holds a recipe too, and a strong reference would keep the supervisor alive
/// forever.
#[derive(Clone)]
struct Recipe {
    supervisor: WeakSupervisor,
    policy: Policy,
    args: Vec<String>,
    compiler: bool,
    parent_chain: Vec<u64>,
    ancestors: Meters,
}

/// What a parent cell has left to give a child's call: the child draws its fuel and time from it,
/// and stops when the caller is cancelled or out of time.
#[derive(Clone, Default)]
pub(crate) struct CallCaps {
    pub(crate) fuel: Option<u64>,
    pub(crate) time: Option<std::time::Duration>,
    pub(crate) caller: Option<Arc<CellControl>>,
}

impl<'s> CellBuilder<'s> {
    pub(crate) fn new(supervisor: &'s Supervisor) -> Self {
        CellBuilder {
            supervisor,
            policy: Policy::new(),
            args: Vec::new(),
            stdin: Input::Empty,
            stdout: Output::Capture,
            stderr: Output::Capture,
            compiler: false,
            parent_chain: Vec::new(),
            ancestors: Meters::default(),
        }
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

    /// Makes the supervisor's compiler cell (see `modules::BytecodeCache`).
    pub(crate) fn compiler(mut self) -> Self {
        self.compiler = true;
        self
    }

    /// `sys.argv` inside the cell (empty by default, which the guest shows as `['']`).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// What the cell may touch (nothing by default).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn stdin(mut self, input: Input) -> Self {
        self.stdin = input;
        self
    }

    pub fn stdout(mut self, output: Output) -> Self {
        self.stdout = output;
        self
    }

    pub fn stderr(mut self, output: Output) -> Self {
        self.stderr = output;
        self
    }

    /// Instantiates the interpreter and initializes it.
    pub fn build(self) -> Result<Cell> {
        let recipe = Recipe {
            supervisor: self.supervisor.downgrade(),
            policy: self.policy,
            args: self.args,
            compiler: self.compiler,
            parent_chain: self.parent_chain,
            ancestors: self.ancestors,
        };
        start(self.supervisor, recipe, self.stdin, self.stdout, self.stderr)
    }
}

/// Makes a cell: a new store in one of the supervisor's slots, the interpreter instantiated
/// from its image, and `padcell_init` making it this cell's.
fn start(supervisor: &Supervisor, recipe: Recipe, stdin: Input, stdout: Output, stderr: Output) -> Result<Cell> {
    let bytecode = (!recipe.compiler).then(|| supervisor.bytecode_cache().clone());
    let mut sandbox = Sandbox::new(supervisor, &recipe.policy, &recipe.args, stdin, stdout, stderr, bytecode, &recipe.ancestors)?;
    sandbox.store.data_mut().children.set_parent_chain(recipe.parent_chain.clone());
    let Sandbox { id, mut store, control, stdout, stderr, meters, limits, metered } = sandbox;
    let meters = meters.output;
    // Starting the interpreter is the host's work, not the applet's: it has its own bound.
    control.start_call(START_TIMEOUT);
    let instance = supervisor.instance_pre()?.instantiate(&mut store).context("instantiating the interpreter")?;
    let memory = instance
        .get_memory(&mut store, abi::EXPORT_MEMORY)
        .ok_or_else(|| anyhow!("the guest exports no memory"))?;
    let alloc = instance.get_typed_func(&mut store, abi::EXPORT_ALLOC)?;
    let run = instance.get_typed_func(&mut store, abi::EXPORT_RUN)?;
    let init = instance.get_typed_func::<(), u32>(&mut store, abi::EXPORT_INIT)?;
    // A reactor module runs its constructors in `_initialize` before anything else (a snapshot
    // has it already run, and wizer removed the export). One entry into wasm for both.
    let initialize = instance.get_typed_func::<(), ()>(&mut store, "_initialize").ok();
    let status = with_wasm_stack(|| {
        if let Some(initialize) = initialize {
            initialize.call(&mut store, ()).context("initializing the guest runtime")?;
        }
        init.call(&mut store, ()).context("starting the interpreter")
    })?;
    if status != 0 {
        return Err(anyhow!("the interpreter failed to start (status {status})"));
    }
    store.data().fs.started();
    let caps = CallCaps::default();
    Ok(Cell { id, store, memory, alloc, run, stdout, stderr, meters, limits, metered, control, spent: None, caps, recipe })
}

impl Cell {
    /// This cell's id within its supervisor (used in audit events and messages).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Starts this cell over in the pooled slot it frees: a fresh interpreter from the
    /// supervisor's image, with the same policy and arguments. Nothing of what ran before is
    /// left: not `__main__`, not modules, not memory (the slot is reset to the image), not open
    /// files. Output is captured afterwards and stdin is empty; a spent cell runs again.
    pub fn reset(self) -> Result<Cell> {
        let recipe = self.recipe.clone();
        let supervisor = recipe.supervisor.upgrade().ok_or_else(|| anyhow!("the cell's supervisor is gone"))?;
        drop(self);
        start(&supervisor, recipe, Input::Empty, Output::Capture, Output::Capture)
    }

    /// A handle that stops this cell's running call from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.control.clone())
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs statements in the cell's `__main__` namespace; tracebacks show `<string>`.
    pub fn exec(&mut self, code: &str) -> Result<(), CellError> {
        self.request(Op::Exec, "<string>", code).map(drop)
    }

    /// Evaluates one expression in the cell's namespace and returns its value as plain data.
    pub fn eval(&mut self, expr: &str) -> Result<Value, CellError> {
        self.request(Op::Eval, "<string>", expr)?
            .ok_or_else(|| CellError::Host(anyhow!("the guest sent no value for eval")))
    }

    /// Reads a host file (as the supervisor, not the cell) and runs it in the cell's namespace;
    /// tracebacks show `path` as given.
    pub fn exec_file(&mut self, path: impl AsRef<Path>) -> Result<(), CellError> {
        let path = path.as_ref();
        let source = crate::host_file::read_to_string(path)?;
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
        if self.memory.data_size(&self.store) as u64 > max {
            return false;
        }
        let max = max.min(self.limits.memory);
        self.store.data_mut().limiter.max = usize::try_from(max).unwrap_or(usize::MAX);
        true
    }

    /// Sets what the next calls may draw from a parent cell.
    pub(crate) fn set_caps(&mut self, caps: CallCaps) {
        self.caps = caps;
    }

    /// The fuel the next call starts with, on a metered supervisor: the cell's own limit, or
    /// its parent's budget if that is smaller.
    pub(crate) fn next_call_fuel(&self) -> Option<u64> {
        self.metered.then(|| match (self.limits.fuel, self.caps.fuel) {
            (Some(own), Some(cap)) => own.min(cap),
            (own, cap) => own.or(cap).unwrap_or(UNMETERED),
        })
    }

    /// The fuel left after the last call, on a metered supervisor.
    pub(crate) fn fuel_left(&self) -> Option<u64> {
        if self.metered { self.store.get_fuel().ok() } else { None }
    }

    /// Whether a trap, a limit or an exit has ended this cell.
    pub(crate) fn is_spent(&self) -> bool {
        self.spent.is_some()
    }

    /// What the cell has written to stdout so far (nothing, when stdout is forwarded).
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.contents()
    }

    /// What the cell has written to stderr so far (nothing, when stderr is forwarded).
    pub fn stderr(&self) -> Vec<u8> {
        self.stderr.contents()
    }

    /// Like [`Cell::stdout`], emptying the buffer.
    pub fn take_stdout(&mut self) -> Vec<u8> {
        self.stdout.take()
    }

    /// Like [`Cell::stderr`], emptying the buffer.
    pub fn take_stderr(&mut self) -> Vec<u8> {
        self.stderr.take()
    }

    fn request(&mut self, op: Op, filename: &str, source: &str) -> Result<Option<Value>, CellError> {
        self.request_with(op, filename, source, Value::None)
    }

    fn request_with(&mut self, op: Op, filename: &str, source: &str, args: Value) -> Result<Option<Value>, CellError> {
        if let Some(why) = &self.spent {
            return Err(CellError::Spent(why.clone()));
        }
        let request = Request { filename: filename.to_owned(), source: source.to_owned(), args }.encode();
        let len = u32::try_from(request.len())
            .map_err(|_| anyhow!("the source is too large for a cell ({} bytes)", request.len()))?;
        self.store.data_mut().reply = None;
        let timeout = self.caps.time.map_or(self.limits.timeout, |cap| cap.min(self.limits.timeout));
        self.control.start_call(timeout);
        self.control.set_caller(self.caps.caller.clone());
        if let Some(fuel) = self.next_call_fuel() {
            self.store.set_fuel(fuel).map_err(CellError::Host)?;
        }
        let outcome = self.call_guest(op, &request, len);
        let reply = self.store.data_mut().reply.take();
        let status = match outcome {
            Ok(status) => status,
            Err(err) => return Err(self.spend(err)),
        };
        // Forwarded output is written by the time the call returns, within its deadline.
        if let Err(kind) = self.stdout.drain(&self.control).and_then(|()| self.stderr.drain(&self.control)) {
            let exceeded = self.limits.exceeded(kind);
            self.spent = Some(exceeded.to_string());
            return Err(CellError::Limit(exceeded));
        }
        let reply = reply.map(|bytes| Reply::decode(&bytes)).transpose().map_err(|e| {
            anyhow!("the guest sent a malformed reply: {e}")
        })?;
        match (Status::from_u32(status), reply) {
            (Some(Status::Ok), None) if matches!(op, Op::Exec | Op::Import | Op::Unload) => Ok(None),
            (Some(Status::Ok), Some(Reply::Value(v))) if matches!(op, Op::Eval | Op::Compile | Op::Call) => Ok(Some(v)),
            // The limiter refused memory and the interpreter raised MemoryError instead of
            // aborting: that is the memory limit too, and it ends the cell as a trap would.
            // CPython 3.13 says SystemError ("error return without exception set") when the
            // memory for more Python frames is refused: the same limit.
            (Some(Status::Exception), Some(Reply::Exception(e)))
                if matches!(e.type_name.as_str(), "MemoryError" | "SystemError")
                    && self.control.memory_refused.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                let exceeded = self.limits.exceeded(LimitKind::Memory);
                self.spent = Some(exceeded.to_string());
                Err(CellError::Limit(exceeded))
            }
            (Some(Status::Exception), Some(Reply::Exception(mut e))) => {
                // Whoever prints the traceback prints the cell's output: it gets what is left
                // of the output limit (its start and its end), and uses it up.
                let room = usize::try_from(Meter::least_room(&self.meters)).unwrap_or(usize::MAX);
                e.traceback = keep_ends(&e.traceback, room.max(MIN_TRACEBACK));
                e.message = crate::fs::cut(&e.message, room.max(MIN_TRACEBACK)).into_owned();
                e.type_name = crate::fs::cut(&e.type_name, crate::fs::SHOWN).into_owned();
                Meter::charge(&self.meters, e.traceback.len() as u64);
                Err(CellError::Exception(e))
            }
            (Some(Status::Exit), Some(Reply::Exit(code))) => Err(CellError::Exit(code)),
            (status, reply) => Err(CellError::Host(anyhow!(
                "the guest broke the protocol: status {status:?} with reply {:?}",
                reply.map(|r| std::mem::discriminant(&r))
            ))),
        }
    }

    fn call_guest(&mut self, op: Op, request: &[u8], len: u32) -> wasmtime::Result<u32> {
        let Cell { store, alloc, run, memory, .. } = self;
        with_wasm_stack(|| {
            let ptr = alloc.call(&mut *store, len)?;
            if ptr == 0 {
                anyhow::bail!("the guest could not allocate {len} bytes for the request");
            }
            memory.write(&mut *store, ptr as usize, request)?;
            run.call(&mut *store, (op as u32, ptr, len))
        })
    }

    /// A call into the guest failed: the instance is in an unknown state and runs nothing more.
    fn spend(&mut self, err: anyhow::Error) -> CellError {
        let error = stopped(err, &self.control, &self.limits);
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
    format!("{}\n[padcell: {cut} bytes of traceback cut at the output limit]\n{}", text.get(..head).unwrap_or_default(), text.get(tail..).unwrap_or_default())
}
