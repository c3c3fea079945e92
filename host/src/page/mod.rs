//! Grail-style pages: HTML whose `<object classid="Clock.py" codebase="...">` tags name applets.
//! Each applet runs in its own cell, with its codebase as its only module root (loader-only: it
//! can import its own modules and read nothing), its `<param>`s as constructor arguments, and a
//! `page` host object as the only way to put anything into the page. The page comes back with
//! each object replaced by what its applet rendered, made safe by the host; where an applet
//! failed, its fallback content stays and the page notes why.

mod applet;
mod codebase;
mod markup_bound;
pub mod serve;
mod slot;
mod svg;
mod tags;

pub use codebase::CodebaseRules;
pub use slot::PAGE_OBJECT;

pub use tags::{AppletTag, MAX_APPLETS, SlotContent, find_applets, replace_applets};

use crate::policy::Limits;
use crate::policy::modules::ModulePolicy;
use crate::supervisor::Supervisor;
use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How a page's applets run.
#[derive(Clone, Debug)]
pub struct PageOptions {
    /// Where codebases may come from.
    pub codebases: CodebaseRules,
    /// Each applet's modules (the allow-list and names); its codebase is its only root.
    pub modules: ModulePolicy,
    /// Each applet's limits, each in its own cell.
    pub limits: Limits,
    /// The most HTML one applet may render.
    pub max_slot_bytes: usize,
    /// How many of a page's applets run at once.
    pub parallel: usize,
}

impl PageOptions {
    /// Options for pages whose local codebases lie inside `root`: the default module policy,
    /// and limits tighter than a cell's default, since a page waits for all its applets.
    pub fn new(root: &Path) -> Result<PageOptions> {
        let codebases = CodebaseRules::new(root).with_context(|| format!("cannot use {} as the site root", root.display()))?;
        let limits = Limits { timeout: Duration::from_secs(5), memory: 128 << 20, output: 1 << 20, ..Limits::default() };
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(PageOptions { codebases, modules: ModulePolicy::default(), limits, max_slot_bytes: 256 << 10, parallel })
    }
}

/// A rendered page, and how each of its applets did.
#[derive(Clone, Debug)]
pub struct RenderedPage {
    /// The page, each applet tag replaced by its applet's output or a failure note.
    pub html: String,
    /// One report per applet tag, in page order.
    pub applets: Vec<AppletReport>,
}

/// One applet's outcome.
#[derive(Clone, Debug)]
pub struct AppletReport {
    /// The tag's `classid`, as written.
    pub classid: String,
    /// Why it failed, as the page notes it.
    pub failure: Option<String>,
    /// For a failure on the host's side, the host's error: for the operator's log, never the
    /// page, since it may name host paths.
    pub host_detail: Option<String>,
    /// How long the applet took, from making its cell to its outcome.
    pub took: Duration,
}

/// One request for a page.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest<'a> {
    /// The page's HTML.
    pub html: &'a str,
    /// The page's directory, inside the options' root: relative codebases start there.
    pub dir: &'a Path,
    /// The request's query fields, which applets read with `page.query()`.
    pub query: &'a [(String, String)],
}

/// Renders a page, running each of its applets in a fresh cell of `supervisor`.
pub fn render_page(supervisor: &Supervisor, options: &PageOptions, request: &PageRequest<'_>) -> Result<RenderedPage> {
    let html = request.html;
    let tags = find_applets(html)?;
    /// An applet's outcome and how long it took.
    type Outcome = (Result<String, applet::Failure>, Duration);
    let results: Vec<Mutex<Option<Outcome>>> = tags.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..options.parallel.clamp(1, tags.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(tag) = tags.get(index) else { break };
                    let started = Instant::now();
                    let outcome = applet::run(supervisor, options, tag, request);
                    *results[index].lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some((outcome, started.elapsed()));
                }
            });
        }
    });
    let mut slots = Vec::new();
    let mut applets = Vec::new();
    for (tag, result) in tags.iter().zip(results) {
        let (outcome, took) = result
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(|| (Err("the applet did not run".to_owned().into()), Duration::ZERO));
        let (failure, host_detail) = match &outcome {
            Ok(_) => (None, None),
            Err(f) => (Some(f.note.clone()), f.host_detail.clone()),
        };
        applets.push(AppletReport { classid: tag.classid.clone(), failure, host_detail, took });
        slots.push(match outcome {
            Ok(html) => SlotContent::Rendered(html),
            Err(why) => SlotContent::Failed(why.note),
        });
    }
    let html = replace_applets(html, &tags, &slots)?;
    Ok(RenderedPage { html, applets })
}

/// Renders the page in host file `path`, which must lie inside the options' root.
#[allow(clippy::disallowed_methods, reason = "the page's directory is a host path the operator names; made canonical here")]
pub fn render_file(supervisor: &Supervisor, options: &PageOptions, path: &Path) -> Result<RenderedPage> {
    let html = crate::config::host_file::read_to_string(path)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).with_context(|| format!("cannot find the directory of {}", path.display()))?;
    render_page(supervisor, options, &PageRequest { html: &html, dir: &dir, query: &[] })
}
