//! How fast cells start and run, against native CPython on the same machine in the same run:
//! `cargo bench -p padcell --bench fast_cells` (a bench binary: it prints a Markdown table).
//! Set `PADCELL_BENCH_PYTHON` to the CPython to compare with (default `/usr/bin/python3`).
//!
//! - (a) a new cell, `print('hi')`, its output: median and p99;
//! - (b) cells per second (new cell, `print('hi')`, drop) on 1 and 2 threads;
//! - (c) a session's `call` of a small function;
//! - (d) `open` + `read` + `close` of 1 KiB inside a cell;
//! - (e) Python workloads timed inside a cell and inside CPython (the best of 5 alternating
//!   rounds each), with the geometric mean ratio;
//! - (f) `padcell run -c pass` against `python3 -c pass`, as whole processes;
//! - (g) the private memory an idle cell adds to the process.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use padcell::{Access, Grant, Policy, Supervisor, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn python() -> String {
    std::env::var("PADCELL_BENCH_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// (a): new cell + `print('hi')` + output, `n` times.
fn new_cell_print(supervisor: &Supervisor, n: usize) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            let mut cell = supervisor.cell().build().expect("cell");
            cell.exec("print('hi')").expect("exec");
            assert_eq!(cell.take_stdout(), b"hi\n");
            let took = start.elapsed();
            drop(cell);
            took
        })
        .collect()
}

/// (b): cells made, run and dropped per second, on `threads` threads for `secs`.
fn cells_per_second(supervisor: &Supervisor, threads: usize, secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                // Room for wasm's stack on the thread itself (see host/src/stack.rs): a smaller
                // thread would hand every call to a helper thread.
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(s, || {
                        let mut n = 0;
                        while Instant::now() < deadline {
                            let mut cell = supervisor.cell().build().expect("cell");
                            cell.exec("print('hi')").expect("exec");
                            n += 1;
                        }
                        n
                    })
                    .expect("worker thread")
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// Seconds per run of `stmt`, timed by the interpreter's own clock over `iters` runs.
fn timed(setup: &str, stmt: &str, iters: u32) -> String {
    format!(
        "{setup}\nimport time\n_t = time.perf_counter()\nfor _ in range({iters}):\n    {stmt}\n_elapsed = (time.perf_counter() - _t) / {iters}\n"
    )
}

fn in_cell(cell: &mut padcell::Cell, setup: &str, stmt: &str, iters: u32) -> f64 {
    cell.exec(&timed(setup, stmt, iters)).expect("workload");
    match cell.eval("_elapsed").expect("elapsed") {
        Value::Float(s) => s,
        other => panic!("elapsed is {other:?}"),
    }
}

fn in_cpython(setup: &str, stmt: &str, iters: u32) -> f64 {
    let code = format!("{}print(_elapsed)", timed(setup, stmt, iters));
    let out = Command::new(python()).arg("-c").arg(&code).output().expect("running CPython");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("seconds")
}

/// Alternating rounds of each (e) workload in the cell and in CPython; the best of each counts.
const ROUNDS: usize = 5;

/// (e): name, setup, statement, runs.
const WORKLOADS: &[(&str, &str, &str, u32)] = &[
    ("recursion: fib(20)", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)", "fib(20)", 20),
    (
        "floats: 10k mul/add/sqrt",
        "import math\ndef f():\n    x = 0.0\n    for i in range(10000):\n        x = math.sqrt(x * 1.0001 + i)\n    return x",
        "f()",
        50,
    ),
    (
        "strings: join, format, split",
        "def s():\n    parts = [f'{i}:{i * 2}' for i in range(2000)]\n    return len(','.join(parts).split(','))",
        "s()",
        50,
    ),
    (
        "dicts: 10k insert + lookup",
        "def d():\n    m = {}\n    for i in range(10000):\n        m[i] = i\n    return sum(m[i] for i in range(10000))",
        "d()",
        50,
    ),
    (
        "classes: 10k objects + method calls",
        "class P:\n    def __init__(self, x):\n        self.x = x\n    def double(self):\n        return self.x * 2\ndef c():\n    return sum(P(i).double() for i in range(10000))",
        "c()",
        50,
    ),
    (
        "generators: 10k-item pipeline",
        "def g():\n    evens = (i for i in range(20000) if i % 2 == 0)\n    return sum(x * x for x in evens)",
        "g()",
        50,
    ),
];

/// (f): median wall time of `n` runs of a whole process.
fn process_median(program: &str, args: &[&str], n: usize) -> Duration {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(program).args(args).stdin(Stdio::null()).stdout(Stdio::null()).status().expect("run");
            assert!(status.success(), "{program} failed");
            start.elapsed()
        })
        .collect();
    percentile(&mut samples, 0.5)
}

/// The process's private memory (dirty and clean), in bytes, from /proc.
fn private_bytes() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .filter(|l| l.starts_with("Private_Dirty:") || l.starts_with("Private_Clean:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn main() {
    // `cargo bench` passes --bench; a quick run for `cargo test --benches` passes nothing else.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scale = if quick { 0.05 } else { 1.0 };
    let n = |full: usize| ((full as f64 * scale) as usize).max(3);
    let supervisor = Supervisor::new().expect("supervisor");
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut row = |what: &str, cell: String, cpython: String, ratio: String| rows.push((what.into(), cell, cpython, ratio));

    new_cell_print(&supervisor, n(50)); // warm-up
    let mut samples = new_cell_print(&supervisor, n(2000));
    let (median, p99) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99));
    row("(a) new cell + print('hi'), median", us(median), String::new(), String::new());
    row("(a) new cell + print('hi'), p99", us(p99), String::new(), String::new());

    for threads in [1, 2] {
        let rate = cells_per_second(&supervisor, threads, 3.0 * scale);
        row(&format!("(b) cells per second, {threads} thread(s)"), format!("{rate:.0}/s"), String::new(), String::new());
    }

    let mut cell = supervisor.cell().build().expect("cell");
    cell.exec("def f(x):\n    return x + 1").expect("def");
    let mut calls: Vec<Duration> = (0..n(20_000))
        .map(|_| {
            let start = Instant::now();
            cell.call("f", &[Value::Int(1)]).expect("call");
            start.elapsed()
        })
        .collect();
    row("(c) session call of f(x) = x + 1, median", us(percentile(&mut calls, 0.5)), String::new(), String::new());

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("k.bin"), [7u8; 1024]).expect("file");
    let policy = Policy::new().grant(Grant::dir(dir.path(), "/data", Access::ReadOnly).expect("grant")).expect("policy");
    let mut cell = supervisor.cell().policy(policy).build().expect("cell");
    let stmt = "with open(P, 'rb') as f: f.read()";
    let in_cell_s = in_cell(&mut cell, "P = '/data/k.bin'", stmt, n(20_000) as u32);
    let native_s = in_cpython(&format!("P = {:?}", dir.path().join("k.bin").display().to_string()), stmt, n(20_000) as u32);
    row(
        "(d) open + read + close of 1 KiB",
        us(Duration::from_secs_f64(in_cell_s)),
        us(Duration::from_secs_f64(native_s)),
        format!("{:.1}x", in_cell_s / native_s),
    );

    let mut log_ratio = 0.0;
    for (name, setup, stmt, iters) in WORKLOADS {
        let iters = ((*iters as f64 * scale) as u32).max(2);
        let mut cell = supervisor.cell().build().expect("cell");
        in_cell(&mut cell, setup, stmt, 2);
        // The best of alternating rounds: a shared machine's noise only ever adds time.
        let (mut cell_s, mut native_s) = (f64::MAX, f64::MAX);
        for _ in 0..ROUNDS {
            cell_s = cell_s.min(in_cell(&mut cell, setup, stmt, iters));
            native_s = native_s.min(in_cpython(setup, stmt, iters));
        }
        log_ratio += (cell_s / native_s).ln();
        let d = |s: f64| ms(Duration::from_secs_f64(s));
        row(&format!("(e) {name}"), d(cell_s), d(native_s), format!("{:.1}x", cell_s / native_s));
    }
    let geomean = (log_ratio / WORKLOADS.len() as f64).exp();
    row("(e) geometric mean", String::new(), String::new(), format!("{geomean:.2}x"));

    let padcell = env!("CARGO_BIN_EXE_padcell");
    process_median(padcell, &["run", "-c", "pass"], 3); // the cache, warm
    let runs = n(60);
    let ours = process_median(padcell, &["run", "-c", "pass"], runs);
    let theirs = process_median(&python(), &["-c", "pass"], runs);
    row(
        "(f) `run -c pass` as a whole process, median",
        ms(ours),
        ms(theirs),
        format!("{:.2}x", ours.as_secs_f64() / theirs.as_secs_f64()),
    );

    let before = private_bytes();
    let idle: Vec<_> = (0..n(200))
        .map(|_| {
            let mut cell = supervisor.cell().build().expect("cell");
            cell.exec("pass").expect("exec");
            cell
        })
        .collect();
    let per_cell = private_bytes().saturating_sub(before) as f64 / idle.len() as f64;
    row("(g) private memory of an idle cell", format!("{:.0} KiB", per_cell / 1024.0), String::new(), String::new());
    drop(idle);

    println!("| what | padcell | CPython | ratio |\n| --- | --- | --- | --- |");
    for (what, cell, cpython, ratio) in rows {
        println!("| {what} | {cell} | {cpython} | {ratio} |");
    }
}
