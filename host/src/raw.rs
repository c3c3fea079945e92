//! Any wasm module in a cell's sandbox, with the same WASI, grants, limits and `padcell` host
//! functions as the interpreter. The host-function fuzzer drives hostile modules through it.

use crate::input::Input;
use crate::output::Output;
use crate::policy::Policy;
use crate::sandbox::Sandbox;
use crate::supervisor::Supervisor;
use anyhow::{Context, Result, anyhow};
use wasmtime::{Instance, Module, Val};

/// A module compiled for a supervisor's engine.
pub struct RawModule {
    supervisor: Supervisor,
    module: Module,
}

/// One instance of a [`RawModule`] in its own sandbox.
pub struct RawCell {
    sandbox: Sandbox,
    instance: Instance,
}

impl RawModule {
    /// Compiles `wasm` (binary or text). Refused if it imports anything the host does not provide.
    pub fn new(supervisor: &Supervisor, wasm: &[u8]) -> Result<RawModule> {
        let module = Module::new(supervisor.engine(), wasm).context("compiling the module")?;
        crate::wasi_module::check_imports(supervisor, &module, "the module")?;
        Ok(RawModule { supervisor: supervisor.clone(), module })
    }

    /// A new instance under `policy`, with captured stdio and `args` as its WASI arguments.
    pub fn instantiate(&self, policy: &Policy, args: &[String]) -> Result<RawCell> {
        let mut sandbox =
            Sandbox::new(&self.supervisor, policy, args, Input::Empty, Output::Capture, Output::Capture, None, &Default::default())?;
        sandbox.control.start_call(policy.limits().timeout);
        sandbox.refuel()?;
        // A module's start function runs here.
        let (linker, store) = (self.supervisor.linker(), &mut sandbox.store);
        let instance = crate::stack::with_wasm_stack(|| linker.instantiate(store, &self.module))?;
        sandbox.store.data().fs.started();
        Ok(RawCell { sandbox, instance })
    }
}

impl RawCell {
    /// Writes `bytes` into the instance's exported `memory` at `offset`.
    pub fn write_memory(&mut self, offset: usize, bytes: &[u8]) -> Result<()> {
        let memory = self
            .instance
            .get_memory(&mut self.sandbox.store, "memory")
            .ok_or_else(|| anyhow!("the module exports no memory"))?;
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
        self.sandbox.control.start_call(self.sandbox.limits.timeout);
        self.sandbox.refuel()?;
        let store = &mut self.sandbox.store;
        crate::stack::with_wasm_stack(|| func.call(store, &params, &mut results))?;
        Ok(results.iter().map(|v| v.i32().unwrap_or_default()).collect())
    }

    /// What the instance wrote to stdout.
    pub fn stdout(&self) -> Vec<u8> {
        self.sandbox.stdout.contents()
    }
}
