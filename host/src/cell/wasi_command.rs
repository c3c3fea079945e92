//! One run of a [`WasiModule`]: its sandbox (policy, arguments, stdio, limits) and the outcome of
//! calling `_start`, reported as the interpreter's cells report theirs.

use super::error::{CellError, stopped};
use super::launch::{Launch, launch_setters};
use super::sandbox::Sandbox;
use super::wasi_module::{START, WasiModule};
use crate::policy::Limits;
use crate::wasi::control::{Budget, CancelHandle, Meters};
use anyhow::Result;
use wasmtime::InstancePre;

/// Configures one run of a [`WasiModule`]: its policy, arguments and stdio.
pub struct WasiCommandBuilder<'m> {
    module: &'m WasiModule,
    launch: Launch,
}

/// A WASI command in its own sandbox, ready to run once.
pub struct WasiCommand {
    sandbox: Sandbox,
    pre: InstancePre<crate::cell::state::CellState>,
    ran: bool,
}

impl<'m> WasiCommandBuilder<'m> {
    /// A run of `module` with no grants, no arguments and captured output.
    pub(crate) fn new(module: &'m WasiModule) -> Self {
        WasiCommandBuilder { module, launch: Launch::default() }
    }

    launch_setters!("The arguments after `argv[0]`, which is the module's name.");

    /// Makes the sandbox (opening the grants); nothing of the module runs yet.
    pub fn build(self) -> Result<WasiCommand> {
        let argv: Vec<String> = std::iter::once(self.module.name().to_owned()).chain(self.launch.args).collect();
        let sandbox = Sandbox::new(
            self.module.maker(),
            &self.launch.policy,
            &argv,
            self.launch.stdin,
            self.launch.stdout,
            self.launch.stderr,
            &Meters::default(),
        )?;
        // Every refusal from here on is the module's own: audit it.
        sandbox.store.data().fs.auditor().started();
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
        let timeout = self.sandbox.limits.timeout;
        let pre = &self.pre;
        let outcome = self.sandbox.enter(timeout, &Budget::default(), |store| {
            let instance = pre.instantiate(&mut *store)?;
            let start = instance.get_typed_func::<(), ()>(&mut *store, START)?;
            start.call(&mut *store, ())
        });
        // Forwarded output is written by the time the run returns, within its deadline.
        let drained = self.sandbox.drain_output();
        let limits = &self.sandbox.limits;
        match outcome {
            Ok(()) => drained.map_err(|kind| CellError::Limit(limits.exceeded(kind))),
            Err(err) => match stopped(err, &self.sandbox.control, limits) {
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

    /// The limits this command runs under (the policy's).
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
