//! The `padcell` command line: `padcell run FILE.py [ARGS...]`, `padcell run -c CODE [ARGS...]`,
//! `padcell run MODULE.wasm [ARGS...]` for a plain WASI command, and `padcell run DIR [ARGS...]`
//! for an applet described by `DIR/applet.toml`; `padcell page FILE.html` and `padcell serve DIR`
//! for Grail-style pages whose `<object>` tags name applets.

mod cli_pages;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use padcell::{
    CacheEvent, CellError, Input, LimitFlags, Limits, Manifest, ModuleKind, Output, Policy, PolicyFlags, Supervisor,
    WasiModule,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const EXIT_CODES: &str = "\
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

/// Run untrusted Python, or a plain WASI module, in a WebAssembly cell.
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
    /// Run a Python file, a WASI module (.wasm/.wat), an applet directory (DIR/applet.toml), or code
    /// given with -c, in a new cell
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),

    /// Render an HTML page: run each <object classid="X.py" codebase="..."> applet in its own cell
    /// and put what it rendered in the object's place (its fallback content where it failed)
    Page {
        /// The page
        #[arg(value_name = "FILE.html")]
        file: PathBuf,

        /// Write the rendered page to FILE [default: stdout]
        #[arg(long = "out", short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,

        #[command(flatten)]
        flags: cli_pages::PageFlags,
    },

    /// Serve the pages in DIR over HTTP, each request's applets in fresh cells
    Serve {
        /// The site: its .html pages are rendered, other files are served as they are
        #[arg(value_name = "DIR")]
        dir: PathBuf,

        /// Address to listen on (loopback by default; port 0 picks a free one)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,

        /// Pages rendered at once; more requests wait their turn
        #[arg(long = "max-concurrent-pages", value_name = "N", default_value_t = 4)]
        max_concurrent_pages: usize,

        #[command(flatten)]
        flags: cli_pages::PageFlags,
    },
}

#[derive(clap::Args)]
struct RunArgs {
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

    /// Grant a key-value store kept in host FILE, reached in the cell as padcell.host(NAME)
    #[arg(long = "object", value_name = "NAME=FILE")]
    object: Vec<String>,

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

    /// Bytes the cell may write to files in its read-write grants, e.g. 100MiB [default: 1GiB]
    #[arg(long = "max-disk", value_name = "SIZE")]
    max_disk: Option<String>,

    /// FILE.py, MODULE.wasm or DIR, then the arguments the program sees after its argv[0]
    #[arg(value_name = "FILE|MODULE|DIR [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
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
    match cli.command {
        Command::Run(args) => run_applet(cli.cache_dir, args),
        Command::Page { file, out, flags } => cli_pages::page(cli.cache_dir, &file, out.as_deref(), &flags),
        Command::Serve { dir, listen, max_concurrent_pages, flags } => {
            cli_pages::serve_dir(cli.cache_dir, &dir, listen, max_concurrent_pages, &flags)
        }
    }
}

/// `padcell run`.
fn run_applet(cache_dir: Option<PathBuf>, run_args: RunArgs) -> Result<i32> {
    let RunArgs {
        code,
        dir,
        file,
        env,
        object,
        modules,
        names,
        audit_log,
        fuel,
        timeout,
        max_memory,
        max_output,
        max_open_files,
        max_disk,
        args,
    } = run_args;
    let flags = PolicyFlags { dir, file, env, object, modules, names };
    let limit_flags = LimitFlags { fuel, timeout, memory: max_memory, output: max_output, open_files: max_open_files, disk: max_disk };
    // What the program is, and the policy and limits it starts from: empty, or its manifest's.
    let (argv, program, base_policy, base_limits, audit_log) = match code {
        Some(code) => {
            let argv = std::iter::once("-c".to_owned()).chain(args).collect();
            (argv, Program::Code(code), Policy::new(), Limits::default(), audit_log)
        }
        None => {
            let Some((target, rest)) = args.split_first() else {
                bail!("run needs FILE.py, MODULE.wasm, DIR or -c CODE (see padcell run --help)");
            };
            let target_path = PathBuf::from(target);
            if target_path.is_dir() {
                let manifest = Manifest::load(&target_path)?;
                let main = manifest.main_path(&target_path)?;
                let policy = manifest.flags.apply(Policy::new(), &target_path)?;
                let limits = manifest.limits.apply(Limits::default())?;
                let audit_log = audit_log.or_else(|| manifest.audit_log.as_ref().map(|f| target_path.join(f)));
                let main_arg = main.to_string_lossy().into_owned();
                let argv = std::iter::once(main_arg).chain(manifest.args.iter().cloned()).chain(rest.iter().cloned());
                (argv.collect(), Program::file(main), policy, limits, audit_log)
            } else {
                (args.clone(), Program::file(target_path), Policy::new(), Limits::default(), audit_log)
            }
        }
    };
    // The command line's flags add to that.
    let policy = flags.apply(base_policy, Path::new("."))?.with_limits(limit_flags.apply(base_limits)?);
    let fuel = policy.limits().fuel.is_some();
    let python = !matches!(program, Program::Wasm(_));
    let supervisor = supervisor(cache_dir, audit_log.as_deref(), fuel, python)?;
    let outcome = match &program {
        Program::Wasm(path) => run_module(&supervisor, path, policy, argv),
        python => run_python(&supervisor, python, policy, argv),
    }?;
    Ok(match outcome {
        Ok(()) => 0,
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    })
}

/// Runs a Python program with the CLI's stdio.
fn run_python(supervisor: &Supervisor, program: &Program, policy: Policy, argv: Vec<String>) -> Result<Result<(), CellError>> {
    let mut cell = supervisor
        .cell()
        .policy(policy)
        .args(argv)
        .stdin(Input::HostStdin)
        .stdout(Output::host_stdout())
        .stderr(Output::host_stderr())
        .build()?;
    Ok(match program {
        Program::Code(code) => cell.exec_source("<string>", code),
        Program::File(path) | Program::Wasm(path) => cell.exec_file(path),
    })
}

/// Runs a WASI command with the CLI's stdio; its argv[0] is the module's file name.
fn run_module(supervisor: &Supervisor, path: &Path, policy: Policy, argv: Vec<String>) -> Result<Result<(), CellError>> {
    let module = WasiModule::from_file(supervisor, path)?;
    let mut command = module
        .command()
        .policy(policy)
        .args(argv.into_iter().skip(1))
        .stdin(Input::HostStdin)
        .stdout(Output::host_stdout())
        .stderr(Output::host_stderr())
        .build()?;
    Ok(command.run())
}

enum Program {
    Code(String),
    File(PathBuf),
    /// A plain WASI command: a `.wasm`/`.wat` file, or one that starts with `\0asm`.
    Wasm(PathBuf),
}

impl Program {
    fn file(path: PathBuf) -> Program {
        if padcell::is_wasm_module(&path) { Program::Wasm(path) } else { Program::File(path) }
    }
}

/// Fuel metering costs every cell time, so the CLI meters only when a fuel limit is set; a WASI
/// module needs no interpreter, so the CLI loads it only for Python.
fn supervisor(cache_dir: Option<PathBuf>, audit_log: Option<&Path>, metered: bool, python: bool) -> Result<Supervisor> {
    // Only the interpreter's compile is slow enough to announce; a module's stderr stays its own.
    let mut builder = Supervisor::builder().metered(metered).interpreter(python).on_cache_event(|event| match event {
        CacheEvent::Compiling { kind: ModuleKind::Interpreter, reason } => eprintln!(
            "padcell: compiling the Python interpreter for this machine ({reason}); this happens once..."
        ),
        CacheEvent::Compiled { kind: ModuleKind::Interpreter, took } => {
            eprintln!("padcell: compiled in {:.1}s", took.as_secs_f64())
        }
        CacheEvent::Preinitializing => {
            eprintln!("padcell: pre-initializing the Python interpreter (a snapshot cells start from); this happens once...")
        }
        CacheEvent::Preinitialized { took } => eprintln!("padcell: pre-initialized in {:.1}s", took.as_secs_f64()),
        _ => {}
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
