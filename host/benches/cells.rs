//! Cell benchmarks: `cargo bench -p padcell --bench cells`.
//!
//! - `new_cell_print_hi`: a new cell in a warm supervisor, `print('hi')`, the captured output.
//! - `exec_in_live_cell`: `print('hi')` in a cell that already exists (the per-request floor).
//! - `workloads/*`: the same Python in a cell and in native `python3` (`$PADCELL_BENCH_PYTHON`,
//!   default `python3`), each timed inside its own interpreter, in the same run:
//!   `fib(25)`, and `open` + `read` + `close` of a 1 KiB file in a read-only grant.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use criterion::{Criterion, criterion_group, criterion_main};
use padcell::{Access, Grant, Policy, Supervisor, Value};
use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

/// Python that defines `fib`, and a statement that uses it.
const FIB: (&str, &str) = ("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)", "fib(25)");

/// Times `iters` runs of `stmt` inside a cell, with the cell's own clock.
fn in_cell(cell: &mut padcell::Cell, stmt: &str, iters: u64) -> Duration {
    let code = format!(
        "import time\n_t = time.perf_counter()\nfor _ in range({iters}):\n    {stmt}\n_elapsed = time.perf_counter() - _t"
    );
    cell.exec(&code).expect("workload");
    match cell.eval("_elapsed").expect("elapsed") {
        Value::Float(s) => Duration::from_secs_f64(s),
        other => panic!("elapsed is {other:?}"),
    }
}

/// Times `iters` runs of `stmt` in native CPython, with its own clock.
fn in_cpython(setup: &str, stmt: &str, iters: u64) -> Duration {
    let python = std::env::var("PADCELL_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let code = format!(
        "{setup}\nimport time\n_t = time.perf_counter()\nfor _ in range({iters}):\n    {stmt}\nprint(time.perf_counter() - _t)"
    );
    let out = Command::new(&python).arg("-c").arg(&code).output().expect("running python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("seconds");
    Duration::from_secs_f64(secs)
}

fn cells(c: &mut Criterion) {
    let supervisor = Supervisor::new().expect("supervisor");

    c.bench_function("new_cell_print_hi", |b| {
        b.iter(|| {
            let mut cell = supervisor.cell().build().expect("cell");
            cell.exec("print('hi')").expect("exec");
            black_box(cell.take_stdout())
        })
    });

    let mut cell = supervisor.cell().build().expect("cell");
    c.bench_function("exec_in_live_cell", |b| {
        b.iter(|| {
            cell.exec("print('hi')").expect("exec");
            black_box(cell.take_stdout())
        })
    });

    let mut group = c.benchmark_group("workloads");
    group.sample_size(10);
    let mut cell = supervisor.cell().build().expect("cell");
    cell.exec(FIB.0).expect("def");
    group.bench_function("fib25/cell", |b| b.iter_custom(|n| in_cell(&mut cell, FIB.1, n)));
    group.bench_function("fib25/cpython", |b| b.iter_custom(|n| in_cpython(FIB.0, FIB.1, n)));

    // 10,000 x open + read + close of 1 KiB, as one sample.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("k.bin"), [7u8; 1024]).expect("file");
    let policy = Policy::new().grant(Grant::dir(dir.path(), "/data", Access::ReadOnly).expect("grant")).expect("policy");
    let mut cell = supervisor.cell().policy(policy).build().expect("cell");
    let read_loop = "for _ in range(10000):\n        with open('/data/k.bin', 'rb') as f: f.read()";
    let native_loop =
        format!("for _ in range(10000):\n        with open('{}', 'rb') as f: f.read()", dir.path().join("k.bin").display());
    group.bench_function("open_read_close_1k_x10000/cell", |b| b.iter_custom(|n| in_cell(&mut cell, read_loop, n)));
    group.bench_function("open_read_close_1k_x10000/cpython", |b| b.iter_custom(|n| in_cpython("", &native_loop, n)));
    group.finish();
}

criterion_group!(benches, cells);
criterion_main!(benches);
