//! Grail-style pages: a page with `<object>` tags, the applets' codebases, and the page that comes
//! back, from the library, from `padcell page`, and over HTTP from `padcell serve`.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use common::{padcell, supervisor, workspace};
use padcell::page::{PageOptions, PageRequest, RenderedPage, render_page};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A site in a temporary directory: `files` are (path, contents) pairs.
fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

fn render(options: &PageOptions, root: &Path, html: &str) -> RenderedPage {
    render_page(supervisor(), options, &PageRequest { html, dir: root, query: &[] }).unwrap()
}

fn failures(page: &RenderedPage) -> Vec<(String, String)> {
    page.applets.iter().filter_map(|a| a.failure.clone().map(|f| (a.classid.clone(), f))).collect()
}

const GREETER: &str = r#"
from .words import greeting

class Greeter:
    def __init__(self, page, name="world", times="1"):
        for _ in range(int(times)):
            page.text(f"{greeting()}, {name}! ")
"#;

#[test]
fn applets_get_their_params_and_import_their_own_codebase() {
    let root = site(&[
        ("greet/hello/__init__.py", GREETER),
        ("greet/hello/words.py", "def greeting():\n    return 'Hello'\n"),
        (
            "counter/Count.py",
            "class Count:\n    def __init__(self, page, n):\n        page.html('<b>' + ', '.join(str(i) for i in range(int(n))) + '</b>')\n",
        ),
    ]);
    let html = r#"<p>top</p>
<object classid="hello.Greeter" codebase="greet/"><param name="name" value="Ada &amp; Grace"><param name="times" value="2">no greeter</object>
<object classid="Count.py" codebase="/counter"><param name="n" value="3">no counter</object>"#;
    let options = PageOptions::new(root.path()).unwrap();
    let page = render(&options, root.path(), html);
    assert_eq!(failures(&page), vec![]);
    assert!(page.html.starts_with("<p>top</p>"));
    assert!(
        page.html.contains(
            r#"<div data-applet="hello.Greeter" class="padcell-applet">Hello, Ada &amp; Grace! Hello, Ada &amp; Grace! </div>"#
        ),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"<div data-applet="Count.py" class="padcell-applet"><b>0, 1, 2</b></div>"#), "{}", page.html);
    assert!(!page.html.contains("<object") && !page.html.contains("<param") && !page.html.contains("no greeter"));
}

#[test]
fn a_codebase_is_for_the_loader_only_and_stays_inside_the_site() {
    let root = site(&[
        ("site/app/Peek.py", "class Peek:\n    def __init__(self, page):\n        page.text(open('Peek.py').read())\n"),
        ("site/app/Other.py", "import secret\nclass Other:\n    def __init__(self, page):\n        pass\n"),
        ("site/page.html", ""),
        ("outside/Evil.py", "class Evil:\n    def __init__(self, page):\n        page.text('escaped')\n"),
        ("secret.py", "KEY = 'hunter2'\n"),
    ]);
    let html = r#"<object classid="Peek.py" codebase="app/">peek fallback</object>
<object classid="Other.py" codebase="app/">other fallback</object>
<object classid="Evil.py" codebase="../outside/">dotdot fallback</object>
<object classid="Evil.py" codebase="/../outside/">rooted dotdot fallback</object>
<object classid="passwd.py" codebase="https://example.com/">scheme fallback</object>"#;
    std::os::unix::fs::symlink(root.path().join("outside"), root.path().join("site/link")).unwrap();
    let html = format!("{html}\n<object classid=\"Evil.py\" codebase=\"link/\">symlink fallback</object>");
    let site_root = root.path().join("site");
    let options = PageOptions::new(&site_root).unwrap();
    let page = render(&options, &site_root, &html);
    let failed = failures(&page);
    assert_eq!(failed.len(), 6, "{failed:?}");
    assert!(failed[0].1.contains("'/Peek.py' is outside every grant"), "open() cannot read a loader-only codebase: {failed:?}");
    assert!(failed[1].1.starts_with("ImportError") && failed[1].1.contains("secret"), "{failed:?}");
    assert!(failed[2].1.contains("may not use '..'"), "{failed:?}");
    assert!(failed[3].1.contains("may not use '..'"), "{failed:?}");
    assert!(failed[4].1.contains("only local and http:// codebases"), "{failed:?}");
    assert!(failed[5].1.contains("is not a directory inside the site"), "{failed:?}");
    for fallback in ["peek", "other", "dotdot", "rooted dotdot", "scheme", "symlink"] {
        assert!(page.html.contains(&format!("{fallback} fallback")), "{fallback}: {}", page.html);
    }
    let host = root.path().to_string_lossy();
    assert!(!page.html.contains(&*host) && !page.html.contains("escaped") && !page.html.contains("hunter2"), "{}", page.html);
}

#[test]
fn a_failed_applet_leaves_its_fallback_and_a_note_and_the_page_goes_on() {
    let root = site(&[(
        "a/apps.py",
        "class Raises:\n    def __init__(self, page, **params):\n        raise ValueError('no <data>')\n\
         class Spins:\n    def __init__(self, page):\n        while True: pass\n\
         class Good:\n    def __init__(self, page):\n        page.text('fine')\n",
    )]);
    let html = r#"<object classid="apps.Raises" codebase="a/"><param name="p" value="1"><em>raises fallback</em></object>
<object classid="apps.Spins" codebase="a/">spins fallback</object>
<object classid="apps.Missing" codebase="a/">missing fallback</object>
<object classid="not a class!" codebase="a/">bad classid fallback</object>
<object classid="apps.Good" codebase="a/">good fallback</object>"#;
    let mut options = PageOptions::new(root.path()).unwrap();
    options.limits.timeout = Duration::from_millis(500);
    let page = render(&options, root.path(), html);
    let failed = failures(&page);
    assert_eq!(failed[0].1, "ValueError: no <data>");
    assert!(failed[1].1.contains("time limit"), "{failed:?}");
    assert!(failed[2].1.starts_with("AttributeError"), "{failed:?}");
    assert!(failed[3].1.contains("names no Python module and class"), "{failed:?}");
    assert_eq!(failed.len(), 4);
    assert!(page.html.contains(
        r#"<div data-applet="apps.Raises" class="padcell-applet padcell-failed" data-padcell-error="ValueError: no &lt;data&gt;"><em>raises fallback</em></div>"#
    ), "{}", page.html);
    assert!(page.html.contains("<!-- padcell: applet apps.Raises failed: ValueError: no  data  -->"), "{}", page.html);
    assert!(page.html.contains("spins fallback") && page.html.contains("missing fallback"));
    assert!(page.html.contains(r#"class="padcell-applet">fine</div>"#), "{}", page.html);
}

#[test]
fn deeply_nested_markup_is_refused_before_the_sanitizer_parses_it() {
    let root = site(&[(
        "m/markup.py",
        "class Deep:\n    def __init__(self, page):\n        page.html('<div>' * 50000)\n\
         class Wide:\n    def __init__(self, page):\n        page.html('<p>x</p>' * 5000)\n",
    )]);
    let html = r#"<object classid="markup.Deep" codebase="m/">deep fallback</object>
<object classid="markup.Wide" codebase="m/">wide fallback</object>"#;
    let mut options = PageOptions::new(root.path()).unwrap();
    options.limits.timeout = Duration::from_secs(10);
    let page = render(&options, root.path(), html);
    let failed = failures(&page);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "markup.Deep");
    assert!(failed[0].1.starts_with("ValueError") && failed[0].1.contains("deeper than"), "{failed:?}");
    assert!(page.applets[0].took < Duration::from_secs(5), "refused at once, not at the time limit: {:?}", page.applets[0].took);
    assert!(
        page.html.contains("deep fallback") && !page.html.contains("<div><div><div>"),
        "{}",
        page.html.chars().take(2000).collect::<String>()
    );
    assert_eq!(page.html.matches("<p>x</p>").count(), 5000, "siblings are not nesting");
}

#[test]
fn a_failed_applets_note_is_bounded_whatever_its_exception_is_named() {
    let root = site(&[(
        "e/raises.py",
        "class Huge:\n    def __init__(self, page):\n        raise type('E' * (1 << 20), (Exception,), {})('x')\n",
    )]);
    let html = r#"<p>before</p><object classid="raises.Huge" codebase="e/">huge fallback</object><p>after</p>"#;
    let options = PageOptions::new(root.path()).unwrap();
    let page = render(&options, root.path(), html);
    let failed = failures(&page);
    assert_eq!(failed.len(), 1);
    // Only the start of the note, the page and the like is ever printed: without the bound they
    // run to megabytes.
    let (note, chars) = (&failed[0].1, failed[0].1.chars().count());
    let start = |text: &str| text.chars().take(300).collect::<String>();
    assert!(
        note.starts_with("EEEE") && note.ends_with(": x") && chars <= 1000,
        "a note of {chars} chars: {}",
        start(note.as_str())
    );
    assert!(page.html.len() < 64 << 10, "a page of {} bytes: {}", page.html.len(), start(page.html.as_str()));
    assert!(page.html.contains("huge fallback") && page.html.ends_with("<p>after</p>"), "{}", start(page.html.as_str()));
}

#[test]
fn what_an_applet_renders_is_made_safe_by_the_host() {
    let pages = workspace().join("applets/pages");
    let options = PageOptions::new(&pages).unwrap();
    let html = r#"<object classid="Inject.py" codebase="hostile/">fallback</object>"#;
    let page = render(&options, &pages, html);
    assert_eq!(failures(&page), vec![]);
    let out = page.html.to_lowercase();
    for bad in ["<script", " onerror=", " onload=", "javascript:", "<iframe", "srcdoc=", "<style", "formaction=", " action="] {
        assert!(!out.contains(bad), "{bad} got through: {out}");
    }
    assert!(out.contains("&lt;/p&gt;&lt;script&gt;"), "text is escaped: {out}");
    assert!(out.contains("<a rel=\"noopener noreferrer\">a link</a>"), "the link stays, without its URL: {out}");
    assert!(out.contains("refused: onload href style script _slot"), "{out}");
    assert!(out.contains("<p>unclosed <b>markup</b></p>"), "markup is balanced: {out}");
}

#[test]
fn the_hostile_page_fails_safely_and_its_good_applet_still_renders() {
    let pages = workspace().join("applets/pages");
    let mut options = PageOptions::new(&pages).unwrap();
    options.limits.timeout = Duration::from_secs(2);
    options.limits.memory = 64 << 20;
    let html = std::fs::read_to_string(pages.join("hostile.html")).unwrap();
    let page = render(&options, &pages, &html);
    let failed = failures(&page);
    let failed_ids: Vec<&str> = failed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(failed_ids, ["Spin.py", "Hog.py", "Flood.py", "passwd.py", "secrets.py"], "{failed:?}");
    assert!(failed[0].1.contains("time limit"), "{failed:?}");
    assert!(failed[1].1.contains("memory limit") || failed[1].1.starts_with("MemoryError"), "{failed:?}");
    assert!(failed[2].1.contains("slot is full"), "{failed:?}");
    assert!(failed[4].1.contains("origin http://169.254.169.254 is not allowed"), "{failed:?}");
    assert_eq!(page.html.matches("ALLOWED").count(), 0, "{}", page.html);
    assert_eq!(page.html.matches("<li class=\"attempt\">").count(), 7, "{}", page.html);
    for fallback in ["spin", "hog", "flood", "dotdot", "remote"] {
        assert!(page.html.contains(&format!("{fallback} fallback")), "{fallback}");
    }
    assert!(page.html.contains("still ticking") && page.html.contains("<svg"), "{}", page.html);
}

/// A codebase server on 127.0.0.1: serves `files`, answers 404 otherwise, and sleeps before
/// answering `/slow/...`. Returns its origin.
fn codebase_server(files: Vec<(&'static str, String)>) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let url = request.url().to_owned();
            if url.starts_with("/slow/") {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(5));
                    let _ = request.respond(tiny_http::Response::from_string("class Slow: pass"));
                });
                continue;
            }
            let _ = match files.iter().find(|(path, _)| *path == url) {
                Some((_, body)) => request.respond(tiny_http::Response::from_string(body.clone())),
                None => request.respond(tiny_http::Response::from_string("no").with_status_code(404)),
            };
        }
    });
    origin
}

fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_http_codebase_is_fetched_by_the_host_within_its_limits_and_pins() {
    let main =
        "from util import shout\nclass Remote:\n    def __init__(self, page, word='hi'):\n        page.text(shout(word))\n";
    let util = "def shout(w):\n    return w.upper() + '!'\n";
    let origin = codebase_server(vec![
        ("/cb/Remote.py", main.to_owned()),
        ("/cb/util.py", util.to_owned()),
        ("/big/Big.py", format!("class Big: pass\n#{}", "x".repeat(4096))),
    ]);
    let root = site(&[]);
    let tag = |classid: &str, path: &str, pin: &str| {
        format!(
            r#"<object classid="{classid}" codebase="{origin}/{path}/" {pin}><param name="word" value="remote">{classid} fallback</object>"#
        )
    };
    let good_pins = format!(r#"data-sha256="Remote={} util={}""#, sha256(main), sha256(util));
    let html = [
        tag("Remote.py", "cb", ""),
        tag("Remote.py", "cb", &good_pins),
        tag("Remote.py", "cb", &format!(r#"data-sha256="{}""#, sha256(main))),
        tag("Remote.py", "cb", &format!(r#"data-sha256="{}""#, sha256("something else"))),
        tag("Big.py", "big", ""),
        tag("Slow.py", "slow", ""),
    ]
    .join("\n");

    let mut options = PageOptions::new(root.path()).unwrap();
    let refused = render(&options, root.path(), &html);
    assert!(
        failures(&refused).iter().all(|(_, why)| why.contains("is not allowed (allow it with --allow-origin")),
        "{:?}",
        failures(&refused)
    );

    options.codebases.origins.push(origin.clone());
    options.codebases.fetch.max_bytes = 1024;
    options.codebases.fetch.timeout = Duration::from_secs(1);
    let page = render(&options, root.path(), &html);
    let failed = failures(&page);
    assert_eq!(page.html.matches(">REMOTE!</div>").count(), 2, "unpinned and fully pinned: {}", page.html);
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed[0].1.contains("module 'util' has no pin"), "{failed:?}");
    assert!(failed[1].1.contains("does not match the pin"), "{failed:?}");
    assert!(failed[2].1.contains("larger than the 1024 byte limit"), "{failed:?}");
    assert!(failed[3].1.contains("fetching it failed") || failed[3].1.contains("took longer"), "{failed:?}");
    assert!(page.applets[5].took < Duration::from_secs(4), "the fetch deadline held: {:?}", page.applets[5].took);
}

#[test]
fn padcell_page_renders_a_page_file() {
    let run = padcell(&["page", "../applets/pages/index.html"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches(r#"class="padcell-applet""#).count(), 5, "{}", run.stdout);
    assert_eq!(run.stdout.matches("<svg").count(), 4);
    assert!(run.stdout.contains("Sales by quarter") && run.stdout.contains("Nothing sent yet."));
    assert!(run.stdout.contains(r#"<input name="name" type="text">"#), "{}", run.stdout);

    let run = padcell(&["page", "--timeout", "1s", "../applets/pages/hostile.html"], b"", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("padcell: applet Spin.py failed: the applet's cell exceeded its time limit (1s)"),
        "{}",
        run.stderr
    );
}

/// A `padcell serve` process on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    #[allow(
        clippy::zombie_processes,
        reason = "`Server`'s drop reaps it; only a failed start, whose process already ended, leaves it to the test's exit"
    )]
    let mut child = Command::new(env!("CARGO_BIN_EXE_padcell"))
        .arg("serve")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env_clear()
        .env("PADCELL_CACHE_DIR", common::cache_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting padcell serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "padcell serve ended before listening");
        if let Some(at) = line.find("http://") {
            let base = line[at..].trim().trim_end_matches('/').to_owned();
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            return Server { child, base };
        }
    }
}

fn get(url: &str) -> (u16, String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(url).call().unwrap();
    let applets = response.headers().get("x-padcell-applets").map(|v| v.to_str().unwrap().to_owned());
    let mut body = String::new();
    response.body_mut().as_reader().read_to_string(&mut body).unwrap();
    (response.status().as_u16(), body, applets)
}

#[test]
fn padcell_serve_renders_each_request_in_fresh_cells_concurrently() {
    let server = serve(&workspace().join("applets/pages"), &[]);
    let (status, body, applets) = get(&format!("{}/", server.base));
    assert_eq!((status, applets.as_deref()), (200, Some("5 rendered, 0 failed")), "{body}");
    assert!(body.contains("Nothing sent yet."));

    let (status, body, _) = get(&format!("{}/index.html?name=%3Cscript%3Ealert(1)%3C/script%3E", server.base));
    assert_eq!(status, 200);
    assert!(body.contains("You said: &lt;script&gt;alert(1)&lt;/script&gt;"), "{body}");

    let (status, body, _) = get(&format!("{}/chart/scale.py", server.base));
    assert_eq!(status, 200, "other files are served as they are");
    assert!(body.contains("def nice_max"));
    for escape in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/clock/../../../README.md", "/nope.html"] {
        assert_eq!(get(&format!("{}{escape}", server.base)).0, 404, "{escape}");
    }

    // Eight requests at once: each renders its five applets in cells of its own.
    let base = server.base.clone();
    let requests: Vec<_> = (0..8)
        .map(|i| {
            let url = format!("{base}/index.html?name=visitor{i}");
            std::thread::spawn(move || get(&url))
        })
        .collect();
    for (i, request) in requests.into_iter().enumerate() {
        let (status, body, applets) = request.join().unwrap();
        assert_eq!((status, applets.as_deref()), (200, Some("5 rendered, 0 failed")));
        assert!(body.contains(&format!("You said: visitor{i}<")), "request {i} sees only its own fields");
    }
}

/// Debian's Chromium, as `.ci/run` installs it. Without it the browser test says so and passes,
/// unless PADCELL_REQUIRE_BROWSER is set (as CI sets it).
fn chromium() -> Option<&'static str> {
    let path = "/usr/bin/chromium";
    if Path::new(path).exists() {
        return Some(path);
    }
    assert!(std::env::var_os("PADCELL_REQUIRE_BROWSER").is_none(), "PADCELL_REQUIRE_BROWSER is set and {path} is missing");
    eprintln!("skipping the browser test: {path} is not installed (apt-get install chromium)");
    None
}

/// The DOM of `url` after Chromium loaded it and ran its scripts.
fn dump_dom(chromium: &str, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=2000", "--dump-dom", url])
        .stdin(Stdio::null())
        .output()
        .expect("running chromium");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn in_a_browser_the_applets_render_and_injected_script_does_not_run() {
    let Some(chromium) = chromium() else { return };
    let server = serve(&workspace().join("applets/pages"), &["--timeout", "2s", "--max-memory", "64MiB"]);

    let dom = dump_dom(chromium, &format!("{}/index.html?name=Ada", server.base));
    assert!(dom.contains(r#"data-js="ran""#), "the page's own script runs: {dom}");
    assert_eq!(dom.matches("<svg").count(), 4, "{dom}");
    assert!(dom.contains("You said: Ada"), "{dom}");

    let dom = dump_dom(chromium, &format!("{}/hostile.html", server.base));
    assert!(dom.contains(r#"data-js="ran""#), "the page's own script runs: {dom}");
    let body = &dom[dom.find("<body").unwrap()..];
    let body_tag = &body[..body.find('>').unwrap()];
    assert!(!body_tag.contains("data-pwned") && !dom.contains("data-pwned=\""), "an injected script ran: {body_tag}");
    assert!(dom.contains("refused: onload href style script _slot"), "{dom}");
    assert!(dom.contains("spin fallback") && dom.contains("still ticking"), "{dom}");
    assert!(!dom.contains("ALLOWED"), "{dom}");
}
