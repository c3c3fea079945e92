//! Starting CPython the way a cell needs it: isolated from the environment and from any files,
//! with the frozen standard library, the `_padcell` module, and no site or bytecode writing.

use pyo3::ffi;
use std::ffi::c_int;

/// Starts the interpreter. Returns false if CPython could not start.
pub fn start() -> bool {
    crate::stdlib::install();
    pyo3::append_to_inittab!(_padcell);
    // SAFETY: the PyConfig is initialized by CPython before use and cleared after; the
    // interpreter is started once, on the only thread.
    unsafe {
        let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::zeroed();
        ffi::PyConfig_InitIsolatedConfig(config.as_mut_ptr());
        let mut config = config.assume_init();
        // The cell's world is what the host grants it: no site, no user site, no environment,
        // no search path (modules come from the frozen stdlib and the host's module roots).
        config.site_import = 0;
        config.user_site_directory = 0;
        config.use_environment = 0;
        config.safe_path = 1;
        config.install_signal_handlers = 0;
        config.write_bytecode = 0;
        config.pathconfig_warnings = 0;
        config.parse_argv = 0;
        config.use_frozen_modules = 1;
        config.module_search_paths_set = 1;
        // The cell sees output as it is written, even if its deadline ends it mid-loop.
        config.buffered_stdio = 0;
        let status = ffi::Py_InitializeFromConfig(&config);
        ffi::PyConfig_Clear(&mut config);
        ffi::PyStatus_Exception(status) == 0 && ffi::Py_IsInitialized() != c_int::from(false)
    }
}

use crate::host::_padcell;
