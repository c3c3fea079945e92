//! Any wasm module in a cell's sandbox, with the same WASI, grants, limits and `padcell` host
//! functions as the interpreter. The host-function fuzzer drives hostile modules through it.

use super::Maker;
use super::sandbox::Sandbox;
use crate::policy::Policy;
use crate::wasi::control::{Budget, Meters};
use crate::wasi::input::Input;
use crate::wasi::output::Output;
use anyhow::{Result, anyhow};
use wasmtime::{Instance, Module, Val};

/// A module compiled for a supervisor's engine.
pub struct RawModule {
    maker: Maker,
    module: Module,
}

/// One instance of a [`RawModule`] in its own sandbox.
pub struct RawCell {
    sandbox: Sandbox,
    instance: Instance,
}

impl RawModule {
    /// `module`, refused if it imports anything the host does not provide. (`Supervisor`
    /// compiles it: see `supervisor::modules`.)
    pub(crate) fn checked(maker: Maker, module: Module) -> Result<RawModule> {
        super::wasi_module::check_imports(&maker.runtime, &module, "the module")?;
        Ok(RawModule { maker, module })
    }

    /// A new instance under `policy`, with captured stdio and `args` as its WASI arguments.
    pub fn instantiate(&self, policy: &Policy, args: &[String]) -> Result<RawCell> {
        let mut sandbox =
            Sandbox::new(&self.maker, policy, args, Input::Empty, Output::Capture, Output::Capture, &Meters::default())?;
        // A module's start function runs here, under the policy's time and fuel.
        let (linker, module) = (self.maker.runtime.linker(), &self.module);
        let timeout = policy.limits().timeout;
        let instance = sandbox.enter(timeout, &Budget::default(), |store| linker.instantiate(store, module))?;
        sandbox.store.data().fs.auditor().started();
        Ok(RawCell { sandbox, instance })
    }
}

impl RawCell {
    /// Writes `bytes` into the instance's exported `memory` at `offset`.
    pub fn write_memory(&mut self, offset: usize, bytes: &[u8]) -> Result<()> {
        let memory =
            self.instance.get_memory(&mut self.sandbox.store, "memory").ok_or_else(|| anyhow!("the module exports no memory"))?;
        memory.write(&mut self.sandbox.store, offset, bytes).map_err(|e| anyhow!("{e}"))
    }

    /// Calls export `name` with i32 arguments, returning its i32 results. A trap is an `Err`.
    pub fn call(&mut self, name: &str, args: &[i32]) -> Result<Vec<i32>> {
        let func = self
            .instance
            .get_func(&mut self.sandbox.store, name)
            .ok_or_else(|| anyhow!("the module exports no function {name}"))?;
        let params: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
        let mut results = vec![Val::I32(0); func.ty(&self.sandbox.store).results().len()];
        let timeout = self.sandbox.limits.timeout;
        self.sandbox.enter(timeout, &Budget::default(), |store| func.call(store, &params, &mut results))?;
        Ok(results.iter().map(|v| v.i32().unwrap_or_default()).collect())
    }

    /// What the instance wrote to stdout.
    pub fn stdout(&self) -> Vec<u8> {
        self.sandbox.stdout.contents()
    }
}
