//! The `padcell` command line: `padcell run FILE.py [ARGS...]`, `padcell run -c CODE [ARGS...]`
//! and `padcell run DIR [ARGS...]` for an applet described by `DIR/applet.toml`.

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use padcell::{CacheEvent, CellError, Input, LimitFlags, Limits, Manifest, Output, Policy, PolicyFlags, Supervisor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const EXIT_CODES: &str = "\
Exit status:
  0    the applet finished
  n    the applet called sys.exit(n)
  1    the applet raised an exception it did not catch (the traceback is on stderr)
  2    usage error, or the host could not do what was asked (one line on stderr)
  120  the cell was cancelled
  121  the cell ran out of fuel (--fuel)
  122  the cell exceeded its memory limit (--max-memory)
  123  the cell exceeded its output limit (--max-output)
  124  the cell exceeded its time limit (--timeout)
  125  the cell exhausted its stack (recursion too deep)
  134  the cell trapped: it crashed inside the sandbox (the host is unharmed)
A limit prints one line naming it, e.g. `padcell: cell exceeded its time limit (2s)`.";

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
    /// Run a Python file, an applet directory (DIR/applet.toml), or code given with -c, in a new cell
    #[command(after_help = EXIT_CODES)]
    Run {
        /// Program passed in as a string (sys.argv[0] is '-c')
        #[arg(short = 'c', value_name = "CODE")]
        code: Option<String>,

        /// Grant a host directory at a guest path, read-only unless ::rw (GUEST defaults to HOST)
        #[arg(long = "dir", value_name = "HOST[::GUEST[::ro|rw]]")]
        dir: Vec<String>,

        /// Grant a single host file at a guest path, read-only unless ::rw
        #[arg(long = "file", value_name = "HOST[::GUEST[::ro|rw]]")]
        file: Vec<String>,

        /// Set an environment variable in the cell (it sees no others)
        #[arg(long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,

        #[command(flatten)]
        modules: padcell::ModuleFlags,

        #[command(flatten)]
        names: padcell::NameFlags,

        /// Append every refused operation to FILE, one JSON object a line
        #[arg(long = "audit-log", value_name = "FILE")]
        audit_log: Option<PathBuf>,

        /// CPU budget in wasmtime fuel units (about one per wasm instruction) [default: unmetered]
        #[arg(long, value_name = "N")]
        fuel: Option<u64>,

        /// Wall-clock limit, e.g. 500ms, 2s, 1m [default: 30s]
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,

        /// Memory limit, e.g. 64MiB [default: 256MiB]
        #[arg(long = "max-memory", value_name = "SIZE")]
        max_memory: Option<String>,

        /// Limit on stdout and stderr together, e.g. 1MiB [default: 64MiB]
        #[arg(long = "max-output", value_name = "SIZE")]
        max_output: Option<String>,

        /// Files and directories the cell may hold open at once [default: 256]
        #[arg(long = "max-open-files", value_name = "N")]
        max_open_files: Option<u32>,

        /// FILE.py or DIR, then the arguments the applet sees in sys.argv[1:]
        #[arg(value_name = "FILE|DIR [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
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
    let Command::Run {
        code,
        dir,
        file,
        env,
        modules,
        names,
        audit_log,
        fuel,
        timeout,
        max_memory,
        max_output,
        max_open_files,
        args,
    } = cli.command;
    let flags = PolicyFlags { dir, file, env, modules, names };
    let limit_flags = LimitFlags { fuel, timeout, memory: max_memory, output: max_output, open_files: max_open_files };
    // What the program is, and the policy and limits it starts from: empty, or its manifest's.
    let (argv, program, base_policy, base_limits, audit_log) = match code {
        Some(code) => {
            let argv = std::iter::once("-c".to_owned()).chain(args).collect();
            (argv, Program::Code(code), Policy::new(), Limits::default(), audit_log)
        }
        None => {
            let Some((target, rest)) = args.split_first() else {
                bail!("run needs FILE.py, DIR or -c CODE (see padcell run --help)");
            };
            let target_path = PathBuf::from(target);
            if target_path.is_dir() {
                let manifest = Manifest::load(&target_path)?;
                let main = manifest.main_path(&target_path)?;
                let policy = manifest.flags.apply(Policy::new(), &target_path)?;
                let limits = manifest.limits.apply(Limits::default())?;
                let audit_log = audit_log.or_else(|| manifest.audit_log.as_ref().map(|f| target_path.join(f)));
                let argv = std::iter::once(main.to_string_lossy().into_owned())
                    .chain(manifest.args.iter().cloned())
                    .chain(rest.iter().cloned())
                    .collect();
                (argv, Program::File(main), policy, limits, audit_log)
            } else {
                (args.clone(), Program::File(target_path), Policy::new(), Limits::default(), audit_log)
            }
        }
    };
    // The command line's flags add to that.
    let policy = flags.apply(base_policy, Path::new("."))?.with_limits(limit_flags.apply(base_limits)?);

    let supervisor = supervisor(cli.cache_dir, audit_log.as_deref(), policy.limits().fuel.is_some())?;
    let mut cell = supervisor
        .cell()
        .policy(policy)
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

/// Fuel metering costs every cell time, so the CLI meters only when a fuel limit is set.
fn supervisor(cache_dir: Option<PathBuf>, audit_log: Option<&Path>, metered: bool) -> Result<Supervisor> {
    let mut builder = Supervisor::builder().metered(metered).on_cache_event(|event| match event {
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
    if let Some(path) = audit_log {
        let log = Mutex::new(padcell::host_file::open_append(path)?);
        builder = builder.on_audit(move |event| {
            let mut log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // An audit line that cannot be written is reported, not lost silently.
            if writeln!(log, "{}", event.to_json_line()).is_err() {
                eprintln!("padcell: cannot write the audit log");
            }
        });
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
