//! `padcell page FILE.html` and `padcell serve DIR`: Grail-style pages from the command line.

use anyhow::{Context, Result, bail};
use padcell::page::{PageOptions, RenderedPage, render_file};
use padcell::serve::{ServeOptions, serve};
use padcell::{LimitFlags, PolicyError};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a page's applets run: shared by `page` and `serve`.
#[derive(clap::Args)]
pub(crate) struct PageFlags {
    /// Local codebases must lie inside DIR [default: the page's directory, or the served DIR]
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,

    /// Let http codebases be fetched from ORIGIN, e.g. http://127.0.0.1:8000 [default: none]
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    origins: Vec<String>,

    /// Let applets import this interpreter module too (`*`: every one)
    #[arg(long = "allow-module", value_name = "NAME")]
    allow_module: Vec<String>,

    /// Refuse this module to applets, whatever allows it
    #[arg(long = "deny-module", value_name = "NAME")]
    deny_module: Vec<String>,

    /// Each applet's CPU budget in wasmtime fuel units [default: unmetered]
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,

    /// Each applet's wall-clock limit [default: 5s]
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,

    /// Each applet's memory limit [default: 128MiB]
    #[arg(long = "max-memory", value_name = "SIZE")]
    max_memory: Option<String>,

    /// All of one http codebase's fetches end within this time [default: 10s]
    #[arg(long = "fetch-timeout", value_name = "DURATION")]
    fetch_timeout: Option<String>,

    /// The largest module fetched from an http codebase [default: 1MiB]
    #[arg(long = "max-fetch", value_name = "SIZE")]
    max_fetch: Option<String>,

    /// Append every refused operation to FILE, one JSON object a line
    #[arg(long = "audit-log", value_name = "FILE")]
    audit_log: Option<PathBuf>,
}

impl PageFlags {
    fn options(&self, default_root: &Path) -> Result<PageOptions> {
        let mut options = PageOptions::new(self.root.as_deref().unwrap_or(default_root))?;
        let limits = LimitFlags {
            fuel: self.fuel,
            timeout: self.timeout.clone(),
            memory: self.max_memory.clone(),
            ..LimitFlags::default()
        };
        options.limits = limits.apply(options.limits)?;
        for name in &self.allow_module {
            options.modules = options.modules.allow(name)?;
        }
        for name in &self.deny_module {
            options.modules = options.modules.deny(name)?;
        }
        for origin in &self.origins {
            let url = url::Url::parse(origin).map_err(|e| PolicyError::Invalid(format!("--allow-origin {origin:?}: {e}")))?;
            if url.scheme() != "http" {
                bail!("--allow-origin {origin:?}: only http:// origins can be fetched from");
            }
            options.codebases.origins.push(url.origin().ascii_serialization());
        }
        if let Some(timeout) = &self.fetch_timeout {
            options.codebases.fetch.timeout = humantime::parse_duration(timeout)
                .map_err(|e| PolicyError::Invalid(format!("--fetch-timeout {timeout:?}: {e}")))?;
        }
        if let Some(size) = &self.max_fetch {
            let bytes: bytesize::ByteSize =
                size.parse().map_err(|e| PolicyError::Invalid(format!("--max-fetch {size:?}: {e}")))?;
            options.codebases.fetch.max_bytes = bytes.as_u64();
        }
        Ok(options)
    }

    fn supervisor(&self, cache_dir: Option<PathBuf>) -> Result<padcell::Supervisor> {
        crate::run::supervisor(cache_dir, self.audit_log.as_deref(), self.fuel.is_some(), true)
    }
}

/// Renders one page to `out` (stdout by default); a line on stderr for each applet that failed.
pub(crate) fn page(cache_dir: Option<PathBuf>, file: &Path, out: Option<&Path>, flags: &PageFlags) -> Result<i32> {
    let page_dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let options = flags.options(page_dir)?;
    let supervisor = flags.supervisor(cache_dir)?;
    let RenderedPage { html, applets } = render_file(&supervisor, &options, file)?;
    for applet in &applets {
        if let Some(why) = &applet.failure {
            eprintln!("padcell: applet {} failed: {why}", applet.classid);
        }
        if let Some(detail) = &applet.host_detail {
            eprintln!("padcell: applet {}: {detail}", applet.classid);
        }
    }
    match out {
        Some(path) => std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(html.as_bytes())?,
    }
    Ok(0)
}

/// Serves `dir` until the process is stopped.
pub(crate) fn serve_dir(
    cache_dir: Option<PathBuf>,
    dir: &Path,
    listen: SocketAddr,
    max_concurrent: usize,
    flags: &PageFlags,
) -> Result<i32> {
    let options = flags.options(dir)?;
    let supervisor = Arc::new(flags.supervisor(cache_dir)?);
    let serve_options = ServeOptions { listen, max_concurrent_pages: max_concurrent };
    serve(supervisor, dir, options, serve_options, |addr| {
        eprintln!("padcell: serving {} on http://{addr}/", dir.display());
    })?;
    Ok(0)
}
