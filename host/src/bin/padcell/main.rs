//! The `padcell` command line: `padcell run FILE.py [ARGS...]`, `padcell run -c CODE [ARGS...]`,
//! `padcell run MODULE.wasm [ARGS...]` for a plain WASI command, and `padcell run DIR [ARGS...]`
//! for an applet described by `DIR/applet.toml`; `padcell page FILE.html` and `padcell serve DIR`
//! for Grail-style pages whose `<object>` tags name applets.

#![allow(clippy::disallowed_methods, reason = "the command line is the operator: it names host paths")]

mod exit_codes;
mod pages;
mod repl;
mod run;

use anyhow::Result;
use clap::{Parser, Subcommand};
use exit_codes::EXIT_CODES;
use std::io::Write;
use std::path::PathBuf;

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
    Run(run::RunArgs),

    /// An interactive Python console inside a cell, under the same flags as run (line editing,
    /// exit() or Ctrl-D to leave)
    Repl(repl::ReplArgs),

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
        flags: pages::PageFlags,
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
        flags: pages::PageFlags,
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
    match cli.command {
        Command::Run(args) => run::run_applet(cli.cache_dir, args),
        Command::Repl(args) => repl::repl(cli.cache_dir, args),
        Command::Page { file, out, flags } => pages::page(cli.cache_dir, &file, out.as_deref(), &flags),
        Command::Serve { dir, listen, max_concurrent_pages, flags } => {
            pages::serve_dir(cli.cache_dir, &dir, listen, max_concurrent_pages, &flags)
        }
    }
}
