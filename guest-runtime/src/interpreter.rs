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
        // UTF-8 mode: text I/O and file names are UTF-8 whatever the (absent) locale says.
        let mut preconfig = std::mem::MaybeUninit::<ffi::PyPreConfig>::zeroed();
        ffi::PyPreConfig_InitIsolatedConfig(preconfig.as_mut_ptr());
        let mut preconfig = preconfig.assume_init();
        preconfig.utf8_mode = 1;
        if ffi::PyStatus_Exception(ffi::Py_PreInitialize(&preconfig)) != 0 {
            return false;
        }
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
        // Frozen stdlib modules get `__file__` under this directory, which no cell has: code that
        // looks at its own file name (warnings' skip_file_prefixes) works, and opens nothing.
        let cfg = &raw mut config;
        if ffi::PyStatus_Exception(ffi::PyConfig_SetBytesString(cfg, &raw mut (*cfg).stdlib_dir, c"/<stdlib>".as_ptr())) != 0 {
            ffi::PyConfig_Clear(cfg);
            return false;
        }
        let status = ffi::Py_InitializeFromConfig(&config);
        ffi::PyConfig_Clear(&mut config);
        ffi::PyStatus_Exception(status) == 0 && ffi::Py_IsInitialized() != c_int::from(false)
    }
}

use crate::host::_padcell;

/// Stands in for CPython's `_PyErr_ProgramDecodedTextObject` (the link wraps it, see build.rs),
/// which reopens a file by name to quote the line of a `SyntaxError`. In a cell the source is
/// what the host sent, not a file: the parser then quotes the line from the source it parsed,
/// and a syntax error never makes the cell open a path it was not asked to.
#[unsafe(no_mangle)]
pub extern "C" fn __wrap__PyErr_ProgramDecodedTextObject(
    _filename: *mut ffi::PyObject,
    _lineno: c_int,
    _encoding: *const std::ffi::c_char,
) -> *mut ffi::PyObject {
    std::ptr::null_mut()
}
