//! The sandbox any module runs in: a wasmtime `Store` with the cell's WASI context (stdio, args,
//! env, the filesystem of its grants, the deadline-aware scheduler), its memory limiter, and the
//! epoch callback that enforces its deadline and cancellation.

use crate::fs::{self, CellFs};
use crate::input::Input;
use crate::limits::{CellControl, LimitTrap, Limits, MemoryLimiter, Meters};
use crate::output::{Output, OutputStream};
use crate::modules::{BytecodeCache, ModuleLoader};
use crate::policy::Policy;
use crate::sched::CellSched;
use crate::state::CellState;
use crate::supervisor::Supervisor;
use anyhow::{Context, Result};
use std::sync::Arc;
use wasi_common::sync::{clocks_ctx, random_ctx};
use wasi_common::{Table, WasiCtx};
use wasmtime::{Store, UpdateDeadline};

/// Fuel for a call without a fuel limit (wasmtime keeps fuel as a signed 64-bit count).
pub(crate) const UNMETERED: u64 = i64::MAX as u64;

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
    pub(crate) fn new(
        supervisor: &Supervisor,
        policy: &Policy,
        args: &[String],
        stdin: Input,
        stdout: Output,
        stderr: Output,
        bytecode: Option<BytecodeCache>,
        ancestors: &Meters,
    ) -> Result<Sandbox> {
        let id = supervisor.next_cell_id();
        let limits = *policy.limits();
        if limits.fuel.is_some() && !supervisor.is_metered() {
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
        let cell_fs = CellFs::new(id, policy, supervisor.audit_sink(), meters.disk.clone())?;
        wasi.push_preopened_dir(cell_fs.root(), fs::ROOT).context("preopening the cell's root")?;
        let max = usize::try_from(limits.memory).unwrap_or(usize::MAX);
        let limiter = MemoryLimiter { max, control: control.clone() };
        let loader = ModuleLoader::new(cell_fs.clone(), policy.modules(), bytecode)?;
        let objects = crate::objects::CellObjects::new(cell_fs.clone(), policy.objects());
        let children = crate::nested::ChildCells::new(supervisor.downgrade(), cell_fs.clone(), policy.clone(), id, meters.clone());
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

        let mut store = Store::new(supervisor.engine(), state);
        store.limiter(|state| &mut state.limiter);
        // Every tick, the running cell checks its deadline and cancellation.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| match ctx.data().control.check() {
            Ok(()) => Ok(UpdateDeadline::Continue(1)),
            Err(kind) => Err(anyhow::Error::new(LimitTrap(kind))),
        });
        if supervisor.is_metered() {
            store.set_fuel(UNMETERED)?;
        }
        Ok(Sandbox { id, store, control, stdout, stderr, meters, limits, metered: supervisor.is_metered() })
    }

    /// Gives the next call the policy's fuel (on a metered supervisor; unmetered otherwise).
    pub(crate) fn refuel(&mut self) -> Result<()> {
        if self.metered {
            self.store.set_fuel(self.limits.fuel.unwrap_or(UNMETERED))?;
        }
        Ok(())
    }
}
