//! `padcell repl`: rexec's `test()` console, with the wall outside the interpreter. Each line the
//! operator types is sent to one cell, which keeps its state between lines; the cell decides
//! whether the input is complete (as `codeop` does) and runs it in `single` mode, so expressions
//! echo as in python3. Tracebacks print as python3 prints them; `exit()`, `quit()` and Ctrl-D
//! leave. Line editing where stdin is a terminal.

use crate::exit_codes;
use crate::run::{CellArgs, supervisor};
use anyhow::Result;
use padcell::{Cell, CellError, Input, Limits, Output, Policy, Value};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// `padcell repl`'s arguments: the same policy flags as `run`.
#[derive(clap::Args)]
pub(crate) struct ReplArgs {
    #[command(flatten)]
    cell: CellArgs,
}

/// Defined in the cell under a `<padcell ...>` file name, so its frames never show in a
/// traceback. `push(source)` is False while the input is incomplete; otherwise it runs it.
const CONSOLE: &str = r##"
def __padcell_console__():
    class Quitter:
        def __init__(self, name):
            self.name = name
        def __repr__(self):
            return f"Use {self.name}() or Ctrl-D (i.e. EOF) to exit"
        def __call__(self, code=None):
            raise SystemExit(code)
    g = globals()
    for name in ("exit", "quit"):
        try:
            eval(name, g)
        except NameError:
            g[name] = Quitter(name)
    flags = 0x200 | 0x4000  # PyCF_DONT_IMPLY_DEDENT | PyCF_ALLOW_INCOMPLETE_INPUT, as codeop
    def push(source):
        if all(not line.strip() or line.strip().startswith("#") for line in source.split("\n")):
            return True
        try:
            code = compile(source, "<stdin>", "single", flags)
        except SyntaxError as error:
            if type(error).__name__ == "_IncompleteInputError":
                return False
            try:
                compile(source + "\n", "<stdin>", "single", flags)
                return False
            except SyntaxError as again:
                if type(again).__name__ == "_IncompleteInputError":
                    return False
            code = compile(source, "<stdin>", "single")
        exec(code, g)
        return True
    return push
__padcell_push__ = __padcell_console__()
del __padcell_console__
"##;

/// Runs the console until `exit()`, Ctrl-D or the end of stdin; the exit status.
pub(crate) fn repl(cache_dir: Option<PathBuf>, args: ReplArgs) -> Result<i32> {
    let (flags, limit_flags, audit_log) = args.cell.into_parts();
    let policy = flags.apply(Policy::new(), Path::new("."))?.with_limits(limit_flags.apply(Limits::default())?);
    let metered = policy.limits().fuel.is_some();
    let supervisor = supervisor(cache_dir, audit_log.as_deref(), metered, true)?;
    // The console reads stdin itself: the cell's is empty.
    let mut cell = supervisor
        .cell()
        .policy(policy)
        .stdin(Input::Empty)
        .stdout(Output::host_stdout())
        .stderr(Output::host_stderr())
        .build()?;
    cell.exec_source("<padcell console>", CONSOLE)?;
    let mut lines = Lines::new()?;
    if lines.interactive() {
        eprintln!("padcell {} (Python in a WebAssembly cell)", env!("CARGO_PKG_VERSION"));
        eprintln!("Type exit() or Ctrl-D to leave.");
    }
    let mut source = String::new();
    loop {
        let prompt = if source.is_empty() { ">>> " } else { "... " };
        let line = match lines.next(prompt)? {
            Line::Text(line) => line,
            Line::Interrupted => {
                eprintln!("KeyboardInterrupt");
                source.clear();
                continue;
            }
            Line::End => return Ok(0),
        };
        if !source.is_empty() {
            source.push('\n');
        }
        source.push_str(&line);
        match push(&mut cell, &source) {
            Ok(false) => continue,
            Ok(true) => {}
            Err(CellError::Exception(e)) => eprint!("{}", e.traceback),
            Err(err) => {
                exit_codes::report(&err);
                return Ok(err.exit_code());
            }
        }
        source.clear();
        let _ = std::io::stdout().flush();
    }
}

/// Sends the input so far to the cell: `false` while it is incomplete.
fn push(cell: &mut Cell, source: &str) -> Result<bool, CellError> {
    let done = cell.call("__padcell_push__", &[Value::Str(source.to_owned())])?;
    Ok(!matches!(done, Value::Bool(false)))
}

/// One read from the operator.
enum Line {
    Text(String),
    Interrupted,
    End,
}

/// Where lines come from: an editor on a terminal, plain lines otherwise (a pipe, a test).
enum Lines {
    Editor(Box<rustyline::DefaultEditor>),
    Plain(std::io::StdinLock<'static>),
}

impl Lines {
    fn new() -> Result<Lines> {
        if std::io::stdin().is_terminal() {
            Ok(Lines::Editor(Box::new(rustyline::DefaultEditor::new()?)))
        } else {
            Ok(Lines::Plain(std::io::stdin().lock()))
        }
    }

    fn interactive(&self) -> bool {
        matches!(self, Lines::Editor(_))
    }

    fn next(&mut self, prompt: &str) -> Result<Line> {
        match self {
            Lines::Editor(editor) => match editor.readline(prompt) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    Ok(Line::Text(line))
                }
                Err(rustyline::error::ReadlineError::Interrupted) => Ok(Line::Interrupted),
                Err(rustyline::error::ReadlineError::Eof) => Ok(Line::End),
                Err(e) => Err(e.into()),
            },
            Lines::Plain(stdin) => {
                let mut line = String::new();
                match stdin.read_line(&mut line)? {
                    0 => Ok(Line::End),
                    _ => Ok(Line::Text(line.trim_end_matches(['\n', '\r']).to_owned())),
                }
            }
        }
    }
}
