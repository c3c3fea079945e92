//! `padcell serve DIR`: an HTTP server for a directory of pages. Every request for an `.html`
//! page renders it afresh, each applet in a new cell under the page options' limits; other
//! files are served as they are. Files are reached through a cap-std capability on DIR, so no
//! request path can leave it.

use crate::page::{PageOptions, PageRequest, render_page};
use crate::supervisor::Supervisor;
use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cap_std::ambient_authority;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The largest file served.
const MAX_FILE: u64 = 64 << 20;

/// How the server listens and how much it renders at once.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Loopback by default; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Pages rendered at once; further requests wait their turn.
    pub max_concurrent_pages: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), max_concurrent_pages: 4 }
    }
}

struct Site {
    dir: cap_std::fs::Dir,
    root: PathBuf,
    supervisor: Arc<Supervisor>,
    pages: PageOptions,
    rendering: Semaphore,
}

/// Serves `root` until the process ends. `on_listening` gets the bound address (useful with
/// port 0) once the server accepts connections.
#[allow(clippy::disallowed_methods, reason = "opens the site root, a host path the operator names, as the operator")]
pub fn serve(
    supervisor: Arc<Supervisor>,
    root: &Path,
    pages: PageOptions,
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let dir = cap_std::fs::Dir::open_ambient_dir(root, ambient_authority())
        .with_context(|| format!("cannot serve {}", root.display()))?;
    let root = std::fs::canonicalize(root)?;
    let site = Arc::new(Site { dir, root, supervisor, pages, rendering: Semaphore::new(options.max_concurrent_pages.max(1)) });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("cannot listen on {}", options.listen))?;
        on_listening(listener.local_addr()?);
        let app = axum::Router::new().fallback(move |request: Request<Body>| respond(site.clone(), request));
        axum::serve(listener, app).await.context("serving")
    })
}

async fn respond(site: Arc<Site>, request: Request<Body>) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
    }
    let Some(rel) = relative_path(request.uri().path()) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let page = rel.ends_with(".html") || rel.ends_with(".htm");
    let _turn = if page { site.rendering.acquire().await.ok() } else { None };
    let query = query_fields(request.uri().query().unwrap_or(""));
    let blocking = site.clone();
    match tokio::task::spawn_blocking(move || blocking.file(&rel, &query)).await {
        Ok(response) => response,
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    }
}

impl Site {
    /// The response for `rel`, a `/`-separated path below the root (empty for the root).
    fn file(&self, rel: &str, query: &[(String, String)]) -> Response {
        let mut rel = rel.to_owned();
        if rel.is_empty() || self.dir.metadata(&rel).is_ok_and(|m| m.is_dir()) {
            rel = if rel.is_empty() { "index.html".to_owned() } else { format!("{}/index.html", rel.trim_end_matches('/')) };
        }
        let bytes = match self.dir.open(&rel).and_then(|f| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE), &mut bytes).map(|_| bytes)
        }) {
            Ok(bytes) => bytes,
            Err(_) => return plain(StatusCode::NOT_FOUND, "not found"),
        };
        if !(rel.ends_with(".html") || rel.ends_with(".htm")) {
            let kind = mime_guess::from_path(&rel).first_or_octet_stream();
            return with_type(Response::new(Body::from(bytes)), kind.as_ref());
        }
        let Ok(html) = String::from_utf8(bytes) else {
            return plain(StatusCode::UNPROCESSABLE_ENTITY, "the page is not UTF-8");
        };
        let page_dir = self.root.join(Path::new(&rel).parent().unwrap_or(Path::new("")));
        match render_page(&self.supervisor, &self.pages, &PageRequest { html: &html, dir: &page_dir, query }) {
            Ok(page) => {
                // Host-side errors are the operator's: the server's log, not the page.
                for applet in &page.applets {
                    if let Some(detail) = &applet.host_detail {
                        eprintln!("padcell: {rel}: applet {}: {detail}", applet.classid);
                    }
                }
                let failed = page.applets.iter().filter(|a| a.failure.is_some()).count();
                let mut response = with_type(Response::new(Body::from(page.html)), "text/html; charset=utf-8");
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                let summary = format!("{} rendered, {failed} failed", page.applets.len() - failed);
                if let Ok(value) = HeaderValue::from_str(&summary) {
                    headers.insert("x-padcell-applets", value);
                }
                response
            }
            Err(err) => {
                eprintln!("padcell: {rel}: {err:#}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered")
            }
        }
    }
}

/// The request path as a path below the root, or `None` if it tries to leave it.
fn relative_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let mut parts = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p if p.contains('\0') || p.contains('\\') => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A query string's fields (`a=1&b=x+y`), decoded; at most 64 of them.
fn query_fields(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).take(64).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn with_type(mut response: Response, content_type: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
