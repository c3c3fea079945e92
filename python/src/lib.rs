//! `padcell._native`: the padcell host library for CPython supervisors.
//!
//! The seed's supervisors were Python programs; this module lets them be again, with the wall
//! at the wasm boundary instead of inside the interpreter. It wraps the Rust library: a
//! [`supervisor::Supervisor`] makes [`cell::Cell`]s under a [`policy::Policy`], plain data
//! crosses by value ([`convert`]), Python objects are granted through [`objects::Bastion`], and
//! failures are the exceptions of `padcell/errors.py` ([`errors`]). The pure-Python layer
//! (`padcell/__init__.py`, `rexec.py`, the console) is built on these names.

// The workspace's house rules (ARCHITECTURE.md), stated here so the crate builds on its own.
#![deny(missing_docs, unreachable_pub, unsafe_code)]

mod attach;
mod cell;
mod convert;
mod errors;
mod objects;
mod policy;
mod stdio;
mod supervisor;
mod wasi;

use pyo3::prelude::*;

/// An applet directory's `applet.toml`: its entry file (a host path), its arguments and its
/// audit log, for `padcell.Applet`. The policy part is `Policy(applet=DIR)`.
#[pyfunction]
fn read_manifest(py: Python<'_>, dir: std::path::PathBuf) -> PyResult<(std::path::PathBuf, Vec<String>, Option<String>)> {
    let manifest = padcell::Manifest::load(&dir).map_err(|e| errors::policy_error(py, "applet", &e.to_string()))?;
    let main = manifest.main_path(&dir).map_err(|e| errors::policy_error(py, "applet", &e.to_string()))?;
    Ok((main, manifest.args, manifest.audit_log))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<supervisor::Supervisor>()?;
    m.add_class::<cell::Cell>()?;
    m.add_class::<cell::CancelHandle>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<objects::Bastion>()?;
    m.add_class::<wasi::WasiModule>()?;
    m.add_class::<wasi::WasiRun>()?;
    m.add_function(wrap_pyfunction!(read_manifest, m)?)?;
    m.add("DEFAULT_ALLOWED_MODULES", padcell::DEFAULT_ALLOWED.to_vec())?;
    m.add("DEFAULT_SYS_NAMES", padcell::DEFAULT_SYS_NAMES.to_vec())?;
    m.add("DEFAULT_OS_NAMES", padcell::DEFAULT_OS_NAMES.to_vec())?;
    m.add("DEFAULT_HIDDEN_BUILTINS", padcell::DEFAULT_HIDDEN_BUILTINS.to_vec())?;
    m.add("GUEST_HASH", padcell::GUEST_HASH)?;
    Ok(())
}
