//! `padcell run`: a Python file, `-c CODE`, a program on stdin (`-`), a WASI module or an applet
//! directory, in a new cell under the flags' policy (and the applet's manifest).

use crate::exit_codes;
use anyhow::{Result, bail};
use padcell::{
    CacheEvent, CellError, Input, LimitFlags, Limits, Manifest, ModuleKind, Output, Policy, PolicyFlags, Supervisor, WasiModule,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `padcell run`'s arguments.
#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Program passed in as a string (sys.argv[0] is '-c')
    #[arg(short = 'c', value_name = "CODE")]
    pub(crate) code: Option<String>,

    #[command(flatten)]
    pub(crate) cell: CellArgs,

    /// FILE.py, MODULE.wasm or DIR (or - for a program on stdin), then the arguments the program
    /// sees after its argv[0]
    #[arg(value_name = "FILE|MODULE|DIR|- [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
}

/// The policy flags of `run` and `repl`: grants, environment, modules, names, host objects,
/// the audit log and the limits.
#[derive(clap::Args)]
pub(crate) struct CellArgs {
    /// Grant a host directory at a guest path, read-only unless ::rw (GUEST defaults to HOST)
    #[arg(long = "dir", value_name = "HOST[::GUEST[::ro|rw]]")]
    pub(crate) dir: Vec<String>,

    /// Grant a single host file at a guest path, read-only unless ::rw
    #[arg(long = "file", value_name = "HOST[::GUEST[::ro|rw]]")]
    pub(crate) file: Vec<String>,

    /// Set an environment variable in the cell (it sees no others)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub(crate) env: Vec<String>,

    #[command(flatten)]
    pub(crate) modules: padcell::ModuleFlags,

    #[command(flatten)]
    pub(crate) names: padcell::NameFlags,

    /// Grant a key-value store kept in host FILE, reached in the cell as padcell.host(NAME)
    #[arg(long = "object", value_name = "NAME=FILE")]
    pub(crate) object: Vec<String>,

    /// Append every refused operation to FILE, one JSON object a line
    #[arg(long = "audit-log", value_name = "FILE")]
    pub(crate) audit_log: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) limits: LimitFlags,
}

impl CellArgs {
    /// The policy flags, the limit flags and the audit log.
    pub(crate) fn into_parts(self) -> (PolicyFlags, LimitFlags, Option<PathBuf>) {
        let CellArgs { dir, file, env, modules, names, object, audit_log, limits } = self;
        (PolicyFlags { dir, file, env, object, modules, names }, limits, audit_log)
    }
}

/// `padcell run`.
pub(crate) fn run_applet(cache_dir: Option<PathBuf>, run_args: RunArgs) -> Result<i32> {
    let RunArgs { code, cell, args } = run_args;
    let (flags, limit_flags, audit_log) = cell.into_parts();
    // What the program is, and the policy and limits it starts from: empty, or its manifest's.
    let (argv, program, base_policy, base_limits, audit_log) = match code {
        Some(code) => {
            let argv = std::iter::once("-c".to_owned()).chain(args).collect();
            (argv, Program::Code { filename: "<string>", code }, Policy::new(), Limits::default(), audit_log)
        }
        None => {
            let Some((target, rest)) = args.split_first() else {
                bail!("run needs FILE.py, MODULE.wasm, DIR or -c CODE (see padcell run --help)");
            };
            let target_path = PathBuf::from(target);
            if target == "-" {
                // As `python3 -`: the program is stdin, read whole; the program's stdin is then empty.
                let argv = std::iter::once("-".to_owned()).chain(rest.iter().cloned()).collect();
                (
                    argv,
                    Program::Code { filename: "<stdin>", code: read_program_from_stdin()? },
                    Policy::new(),
                    Limits::default(),
                    audit_log,
                )
            } else if target_path.is_dir() {
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
            exit_codes::report(&err);
            err.exit_code()
        }
    })
}

/// Runs a Python program with the CLI's stdio.
fn run_python(supervisor: &Supervisor, program: &Program, policy: Policy, argv: Vec<String>) -> Result<Result<(), CellError>> {
    // A program read from stdin has used it up, as python3's does.
    let stdin = if matches!(program, Program::Code { filename: "<stdin>", .. }) { Input::Empty } else { Input::HostStdin };
    let mut cell = supervisor
        .cell()
        .policy(policy)
        .args(argv)
        .stdin(stdin)
        .stdout(Output::host_stdout())
        .stderr(Output::host_stderr())
        .build()?;
    Ok(match program {
        Program::Code { filename, code } => cell.exec_source(filename, code),
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
    /// Source given on the command line (`-c`) or on stdin (`-`), shown as `filename`.
    Code {
        filename: &'static str,
        code: String,
    },
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
pub(crate) fn supervisor(
    cache_dir: Option<PathBuf>,
    audit_log: Option<&Path>,
    metered: bool,
    python: bool,
) -> Result<Supervisor> {
    // Only the interpreter's compile is slow enough to announce; a module's stderr stays its own.
    let mut builder = Supervisor::builder().metered(metered).interpreter(python).on_cache_event(|event| match event {
        CacheEvent::Compiling { kind: ModuleKind::Interpreter, reason } => {
            eprintln!("padcell: compiling the Python interpreter for this machine ({reason}); this happens once...")
        }
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

/// The largest program `padcell run -` reads from stdin.
const MAX_STDIN_PROGRAM: u64 = 64 << 20;

fn read_program_from_stdin() -> Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin().take(MAX_STDIN_PROGRAM + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_STDIN_PROGRAM {
        bail!("the program on stdin is larger than {} bytes", MAX_STDIN_PROGRAM);
    }
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("the program on stdin is not UTF-8"))
}
