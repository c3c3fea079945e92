//! The sandbox any module runs in: a wasmtime `Store` with the cell's WASI context (stdio, args,
//! env, the filesystem of its grants, the deadline-aware scheduler), its memory limiter, and the
//! epoch callback that enforces its deadline and cancellation.

use super::Maker;
use super::stack::with_wasm_stack;
use super::state::CellState;
use crate::loader::ModuleLoader;
use crate::policy::{LimitKind, Limits, Policy};
use crate::wasi::control::{Budget, CellControl, LimitTrap, MemoryLimiter, Meters};
use crate::wasi::fs::{self, CellFs};
use crate::wasi::input::Input;
use crate::wasi::output::{Output, OutputStream};
use crate::wasi::sched::CellSched;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;
use wasi_common::sync::{clocks_ctx, random_ctx};
use wasi_common::{Table, WasiCtx};
use wasmtime::{Store, UpdateDeadline};

/// Fuel for a call without a fuel limit (wasmtime keeps fuel as a signed 64-bit count).
pub(crate) const UNMETERED: u64 = i64::MAX as u64;

/// One module's store and what the host checks while it runs.
pub(crate) struct Sandbox {
    pub(crate) id: u64,
    pub(crate) store: Store<CellState>,
    pub(crate) control: Arc<CellControl>,
    pub(crate) stdout: Arc<OutputStream>,
    pub(crate) stderr: Arc<OutputStream>,
    /// The byte budgets the cell charges: its own, then its ancestors'.
    pub(crate) meters: Meters,
    pub(crate) limits: Limits,
    /// Whether the store meters fuel (its supervisor is metered).
    pub(crate) metered: bool,
}

impl Sandbox {
    /// A sandbox under `policy`, charging its bytes to `ancestors` too (a nested cell's).
    pub(crate) fn new(
        maker: &Maker,
        policy: &Policy,
        args: &[String],
        stdin: Input,
        stdout: Output,
        stderr: Output,
        ancestors: &Meters,
    ) -> Result<Sandbox> {
        let runtime = &maker.runtime;
        let id = runtime.next_cell_id();
        let limits = *policy.limits();
        if limits.fuel.is_some() && !runtime.is_metered() {
            anyhow::bail!("a fuel limit needs a metered supervisor (Supervisor::builder().metered(true))");
        }
        let control = Arc::new(CellControl::default());
        // The cell's own byte budgets first, then every ancestor's: a child's output and writes
        // are its parent's too.
        let meters = Meters::below(ancestors, &limits);
        let (stdout, stdout_file) = OutputStream::new(stdout, control.clone(), meters.output.clone());
        let (stderr, stderr_file) = OutputStream::new(stderr, control.clone(), meters.output.clone());
        let sched = Box::new(CellSched::new(control.clone()));
        let mut wasi = WasiCtx::new(random_ctx(), clocks_ctx(), sched, Table::new());
        wasi.set_stdin(stdin.into_wasi_file(control.clone()));
        wasi.set_stdout(stdout_file);
        wasi.set_stderr(stderr_file);
        for arg in args {
            wasi.push_arg(arg).context("setting the cell's arguments")?;
        }
        for (key, value) in policy.env_vars() {
            wasi.push_env(key, value).context("setting the cell's environment")?;
        }
        let auditor = crate::policy::audit::Auditor::new(id, runtime.audit_sink());
        let cell_fs = CellFs::new(id, policy, control.clone(), auditor, meters.disk.clone())?;
        wasi.push_preopened_dir(cell_fs.root(), fs::ROOT).context("preopening the cell's root")?;
        let max = usize::try_from(limits.memory).unwrap_or(usize::MAX);
        let limiter = MemoryLimiter { max, control: control.clone() };
        let loader = ModuleLoader::new(cell_fs.clone(), policy.modules(), maker.compiler.clone())?;
        let objects = super::objects::CellObjects::new(cell_fs.clone(), policy.objects());
        let children = super::children::ChildCells::new(Some(maker.clone()), cell_fs.clone(), policy.clone(), id, meters.clone());
        let state = CellState {
            wasi,
            fs: cell_fs,
            loader,
            objects,
            children,
            control: control.clone(),
            limiter,
            reply: None,
            answer: None,
        };

        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|state| &mut state.limiter);
        // Every tick, the running cell checks its deadline and cancellation.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| match ctx.data().control.check() {
            Ok(()) => Ok(UpdateDeadline::Continue(1)),
            Err(kind) => Err(anyhow::Error::new(LimitTrap(kind))),
        });
        if runtime.is_metered() {
            store.set_fuel(UNMETERED)?;
        }
        Ok(Sandbox { id, store, control, stdout, stderr, meters, limits, metered: runtime.is_metered() })
    }

    /// The fuel a call starts with, on a metered supervisor: the policy's limit, or the
    /// caller's allowance if that is smaller; unmetered otherwise.
    pub(crate) fn call_fuel(&self, budget: &Budget) -> Option<u64> {
        self.metered.then(|| match (self.limits.fuel, budget.allowance.fuel) {
            (Some(own), Some(cap)) => own.min(cap),
            (own, cap) => own.or(cap).unwrap_or(UNMETERED),
        })
    }

    /// The one way into wasm, for cells, WASI commands and raw modules alike: sets the call's
    /// deadline (`timeout`, or less if the caller has less), links the caller's cancellation and
    /// deadline, gives the call its fuel, and runs `f` on a stack with room.
    pub(crate) fn enter<T: Send>(
        &mut self,
        timeout: Duration,
        budget: &Budget,
        f: impl FnOnce(&mut Store<CellState>) -> Result<T> + Send,
    ) -> Result<T> {
        let timeout = budget.allowance.time.map_or(timeout, |left| left.min(timeout));
        self.control.start_call(timeout);
        self.control.set_caller(budget.caller.clone());
        if let Some(fuel) = self.call_fuel(budget) {
            self.store.set_fuel(fuel)?;
        }
        let store = &mut self.store;
        with_wasm_stack(|| f(store))
    }

    /// Writes out forwarded output, within the call's deadline; the limit that stopped it.
    pub(crate) fn drain_output(&self) -> Result<(), LimitKind> {
        self.stdout.drain(&self.control).and_then(|()| self.stderr.drain(&self.control))
    }
}
