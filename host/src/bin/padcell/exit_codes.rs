//! What `padcell run` exits with, and how it reports a cell's failure on stderr.

use padcell::CellError;

/// The exit statuses, for `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit status:
  0    the applet finished
  n    the applet called sys.exit(n), or the WASI module called proc_exit(n)
  1    the applet raised an exception it did not catch (the traceback is on stderr)
  2    usage error, or the host could not do what was asked (one line on stderr)
  120  the cell was cancelled
  121  the cell ran out of fuel (--fuel)
  122  the cell exceeded its memory limit (--max-memory)
  123  the cell exceeded its output limit (--max-output)
  124  the cell exceeded its time limit (--timeout)
  125  the cell exhausted its stack (recursion too deep)
  134  the cell trapped: it crashed inside the sandbox (the host is unharmed); the wasm
       backtrace is on stderr
A limit prints one line naming it, e.g. `padcell: cell exceeded its time limit (2s)`.";

/// Prints why a cell failed: an applet's traceback as python3 prints it, else one line.
pub(crate) fn report(err: &CellError) {
    match err {
        CellError::Exception(exc) => eprint!("{}", exc.traceback),
        CellError::Exit(_) => {}
        other => eprintln!("padcell: {other:#}"),
    }
}
