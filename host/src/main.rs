//! The `padcell` command line: `padcell run FILE.py [ARGS...]` and `padcell run -c CODE [ARGS...]`.

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use padcell::{CacheEvent, CellError, Input, Output, Supervisor};
use std::io::Write;
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit status:
  0    the applet finished
  n    the applet called sys.exit(n)
  1    the applet raised an exception it did not catch (the traceback is on stderr)
  2    usage error, or the host could not do what was asked (one line on stderr)
  134  the cell trapped: it crashed inside the sandbox (the host is unharmed)";

/// Run untrusted Python in a WebAssembly cell.
#[derive(Parser)]
#[command(name = "padcell", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// Where compiled interpreter code is cached [default: $PADCELL_CACHE_DIR, else ~/.cache/padcell]
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Python file, or code given with -c, in a new cell
    #[command(after_help = EXIT_CODES)]
    Run {
        /// Program passed in as a string (sys.argv[0] is '-c')
        #[arg(short = 'c', value_name = "CODE")]
        code: Option<String>,

        /// FILE.py, then the arguments the applet sees in sys.argv[1:]
        #[arg(value_name = "FILE [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("padcell: {err:#}");
            padcell::EXIT_USAGE
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    let Command::Run { code, args } = cli.command;
    let (argv, program) = match code {
        Some(code) => (std::iter::once("-c".to_owned()).chain(args).collect::<Vec<_>>(), Program::Code(code)),
        None => match args.first() {
            Some(file) => (args.clone(), Program::File(PathBuf::from(file))),
            None => bail!("run needs FILE.py or -c CODE (see padcell run --help)"),
        },
    };

    let supervisor = supervisor(cli.cache_dir)?;
    let mut cell = supervisor
        .cell()
        .args(argv)
        .stdin(Input::HostStdin)
        .stdout(Output::host_stdout())
        .stderr(Output::host_stderr())
        .build()?;
    let outcome = match &program {
        Program::Code(code) => cell.exec_source("<string>", code),
        Program::File(path) => cell.exec_file(path),
    };
    Ok(match outcome {
        Ok(()) => 0,
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    })
}

enum Program {
    Code(String),
    File(PathBuf),
}

fn supervisor(cache_dir: Option<PathBuf>) -> Result<Supervisor> {
    let mut builder = Supervisor::builder().on_cache_event(|event| match event {
        CacheEvent::Compiling { reason } => eprintln!(
            "padcell: compiling the Python interpreter for this machine ({reason}); this happens once..."
        ),
        CacheEvent::Compiled { took } => {
            eprintln!("padcell: compiled in {:.1}s", took.as_secs_f64())
        }
    });
    if let Some(dir) = cache_dir {
        builder = builder.cache_dir(dir);
    }
    builder.build()
}

fn report(err: &CellError) {
    match err {
        CellError::Exception(exc) => eprint!("{}", exc.traceback),
        CellError::Exit(_) => {}
        other => eprintln!("padcell: {other:#}"),
    }
}
