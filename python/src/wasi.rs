//! `padcell.WasiModule`: a plain WASI preview1 command, run in a cell's sandbox under a policy.
//!
//! The module is compiled once (through the module cache) and run any number of times, each
//! run in a new sandbox. Its stdio, grants, environment and limits are a cell's.

use crate::errors::{cell_error, host_error};
use crate::policy::Policy;
use crate::stdio;
use padcell::CellError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A compiled WASI command; made by `Supervisor.wasi()`.
#[pyclass(module = "padcell", frozen)]
pub(crate) struct WasiModule {
    inner: padcell::WasiModule,
}

/// How one run of a WASI command ended: its exit status and captured output.
#[pyclass(module = "padcell", frozen, get_all)]
pub(crate) struct WasiRun {
    /// 0 when `_start` returned or the module called `proc_exit(0)`, else `proc_exit`'s status.
    code: i32,
    /// What it wrote to stdout (empty when stdout was streamed).
    stdout: Py<PyBytes>,
    /// What it wrote to stderr (empty when stderr was streamed).
    stderr: Py<PyBytes>,
}

#[pymethods]
impl WasiRun {
    fn __repr__(&self) -> String {
        format!("<WasiRun code={}>", self.code)
    }
}

impl WasiModule {
    pub(crate) fn new(inner: padcell::WasiModule) -> WasiModule {
        WasiModule { inner }
    }
}

#[pymethods]
impl WasiModule {
    /// The module's name, its `argv[0]`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The module's imports, as (module, name) pairs.
    fn imports(&self) -> Vec<(String, String)> {
        self.inner.imports()
    }

    /// Runs the command once: `args` after `argv[0]`, under `policy`, with the given stdio (as
    /// `Supervisor.cell` takes them). A limit raises `LimitError`, a crash `TrapError`; an exit
    /// status is returned, not raised, as `subprocess.run` does.
    #[pyo3(signature = (args = None, *, policy = None, stdin = None, stdout = None, stderr = None))]
    fn run(
        &self,
        py: Python<'_>,
        args: Option<Vec<String>>,
        policy: Option<&Bound<'_, Policy>>,
        stdin: Option<&Bound<'_, PyAny>>,
        stdout: Option<&Bound<'_, PyAny>>,
        stderr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<WasiRun> {
        let policy = match policy {
            Some(p) => p.get().inner.clone(),
            None => padcell::Policy::new(),
        };
        let (stdin, stdout, stderr) = (stdio::input(stdin)?, stdio::output(stdout)?, stdio::output(stderr)?);
        let args = args.unwrap_or_default();
        let inner = &self.inner;
        let outcome = py.detach(move || {
            let mut command = inner.command().args(args).policy(policy).stdin(stdin).stdout(stdout).stderr(stderr).build()?;
            let result = command.run();
            Ok::<_, anyhow::Error>((result, command.stdout(), command.stderr()))
        });
        let (result, out, err) = outcome.map_err(|e| host_error(py, &e))?;
        let code = match result {
            Ok(()) => 0,
            Err(CellError::Exit(code)) => code,
            Err(other) => return Err(cell_error(py, other)),
        };
        Ok(WasiRun { code, stdout: PyBytes::new(py, &out).unbind(), stderr: PyBytes::new(py, &err).unbind() })
    }

    fn __repr__(&self) -> String {
        format!("<padcell.WasiModule {:?}>", self.inner.name())
    }
}
