//! Page benchmarks: `cargo bench -p padcell --bench pages`.
//!
//! - `page_5_applets`: render `applets/pages/index.html` (five applets, each in a new cell) in
//!   process;
//! - `serve_page_seq`: one GET of that page from `padcell serve`'s server over loopback at a time;
//! - `serve_page_x4`: four GETs at once; criterion's throughput is requests per second.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use padcell::Supervisor;
use padcell::page::{PageOptions, render_file};
use padcell::serve::{ServeOptions, serve};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

fn get(agent: &ureq::Agent, url: &str) {
    let mut response = agent.get(url).call().expect("GET");
    let mut body = String::new();
    response.body_mut().as_reader().read_to_string(&mut body).expect("body");
    assert!(body.contains("padcell-applet"));
}

fn pages(c: &mut Criterion) {
    let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../applets/pages");
    let supervisor = Arc::new(Supervisor::new().expect("supervisor"));
    let options = PageOptions::new(&site).expect("options");
    c.bench_function("page_5_applets", |b| {
        b.iter(|| {
            let page = render_file(&supervisor, &options, &site.join("index.html")).expect("render");
            assert!(page.applets.iter().all(|a| a.failure.is_none()));
        })
    });

    let (tx, rx) = std::sync::mpsc::channel();
    let (server_supervisor, server_site) = (supervisor.clone(), site.clone());
    std::thread::spawn(move || {
        let listen = ServeOptions { listen: "127.0.0.1:0".parse().unwrap(), max_concurrent_pages: 4 };
        serve(server_supervisor, &server_site, options, listen, |addr| tx.send(addr).unwrap()).expect("serve");
    });
    let url = format!("http://{}/index.html", rx.recv().expect("listening"));
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    c.bench_function("serve_page_seq", |b| b.iter(|| get(&agent, &url)));
    let mut group = c.benchmark_group("serve_page");
    group.throughput(Throughput::Elements(4));
    group.bench_function("x4", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| get(&agent, &url));
                }
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = pages
}
criterion_main!(benches);
