//! One run of a [`WasiModule`]: its sandbox (policy, arguments, stdio, limits) and the outcome of
//! calling `_start`, reported as the interpreter's cells report theirs.

use crate::error::{CellError, stopped};
use crate::input::Input;
use crate::limits::{CancelHandle, Limits};
use crate::output::Output;
use crate::policy::Policy;
use crate::sandbox::Sandbox;
use crate::wasi_module::{START, WasiModule};
use anyhow::Result;
use wasmtime::InstancePre;

/// Configures one run of a [`WasiModule`]: its policy, arguments and stdio.
pub struct WasiCommandBuilder<'m> {
    module: &'m WasiModule,
    policy: Policy,
    args: Vec<String>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
}

/// A WASI command in its own sandbox, ready to run once.
pub struct WasiCommand {
    sandbox: Sandbox,
    pre: InstancePre<crate::state::CellState>,
    ran: bool,
}

impl<'m> WasiCommandBuilder<'m> {
    pub(crate) fn new(module: &'m WasiModule) -> Self {
        WasiCommandBuilder {
            module,
            policy: Policy::new(),
            args: Vec::new(),
            stdin: Input::Empty,
            stdout: Output::Capture,
            stderr: Output::Capture,
        }
    }

    /// The arguments after `argv[0]`, which is the module's name.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// What the command may touch (nothing by default), its environment and its limits.
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

    /// Makes the sandbox (opening the grants); nothing of the module runs yet.
    pub fn build(self) -> Result<WasiCommand> {
        let argv: Vec<String> = std::iter::once(self.module.name().to_owned()).chain(self.args).collect();
        let supervisor = self.module.supervisor();
        let sandbox = Sandbox::new(supervisor, &self.policy, &argv, self.stdin, self.stdout, self.stderr, None, &Default::default())?;
        // Every refusal from here on is the module's own: audit it.
        sandbox.store.data().fs.started();
        Ok(WasiCommand { sandbox, pre: self.module.instance_pre().clone(), ran: false })
    }
}

impl WasiCommand {
    /// Instantiates the module and calls `_start`, under the policy's limits.
    ///
    /// `Ok` when `_start` returns or the module calls `proc_exit(0)`; `Exit(n)` for
    /// `proc_exit(n)`; `Limit` when a limit stopped it; `Trap` (with the wasm backtrace) when it
    /// crashed; `Spent` on a second call.
    pub fn run(&mut self) -> Result<(), CellError> {
        if std::mem::replace(&mut self.ran, true) {
            return Err(CellError::Spent("a WASI command runs once".to_owned()));
        }
        self.sandbox.refuel().map_err(CellError::Host)?;
        let Sandbox { store, control, limits, stdout, stderr, .. } = &mut self.sandbox;
        control.start_call(limits.timeout);
        let pre = &self.pre;
        let outcome = crate::stack::with_wasm_stack(|| {
            pre.instantiate(&mut *store)
                .and_then(|instance| instance.get_typed_func::<(), ()>(&mut *store, START))
                .and_then(|start| start.call(&mut *store, ()))
        });
        // Forwarded output is written by the time the run returns, within its deadline.
        let drained = stdout.drain(control).and_then(|()| stderr.drain(control));
        match outcome {
            Ok(()) => drained.map_err(|kind| CellError::Limit(limits.exceeded(kind))),
            Err(err) => match stopped(err, control, limits) {
                CellError::Exit(0) => Ok(()),
                error => Err(error),
            },
        }
    }

    /// This run's sandbox id within its supervisor (used in audit events).
    pub fn id(&self) -> u64 {
        self.sandbox.id
    }

    /// A handle that stops the running command from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.sandbox.control.clone())
    }

    pub fn limits(&self) -> &Limits {
        &self.sandbox.limits
    }

    /// What the command wrote to stdout (nothing, when stdout is forwarded).
    pub fn stdout(&self) -> Vec<u8> {
        self.sandbox.stdout.contents()
    }

    /// What the command wrote to stderr (nothing, when stderr is forwarded).
    pub fn stderr(&self) -> Vec<u8> {
        self.sandbox.stderr.contents()
    }
}
