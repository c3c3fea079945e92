//! Plugin session, host object and nested cell benchmarks: `cargo bench -p padcell --bench sessions`.
//!
//! - `session_call`: `cell.call("f", [1])` on a small function in a live cell;
//! - `session_eval`: `cell.eval("f(1)")`, the same through the compiler, for comparison;
//! - `bastion_call`: 1,000 calls of a host object's method from inside a cell, per call;
//! - `child_cell_new`: a child cell made from inside a cell (`padcell.Cell()`), and closed.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use criterion::{Criterion, criterion_group, criterion_main};
use padcell::{HostObject, Policy, Supervisor, Value};
use std::hint::black_box;
use std::time::Duration;

fn sessions(c: &mut Criterion) {
    let supervisor = Supervisor::new().expect("supervisor");
    let echo = HostObject::new("echo").method("same", |args| Ok(args.first().cloned().unwrap_or(Value::None)));
    let mut cell = supervisor.cell().policy(Policy::new().object(echo).unwrap()).build().expect("cell");
    cell.exec("import padcell\ndef f(x):\n    return x + 1\necho = padcell.host('echo')").unwrap();

    c.bench_function("session_call", |b| b.iter(|| black_box(cell.call("f", &[Value::Int(1)]).unwrap())));
    c.bench_function("session_eval", |b| b.iter(|| black_box(cell.eval("f(1)").unwrap())));
    c.bench_function("bastion_call_x1000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                cell.exec("import time\n_t = time.perf_counter()\nfor _ in range(1000):\n    echo.same(1)\n_e = time.perf_counter() - _t").unwrap();
                let Value::Float(secs) = cell.eval("_e").unwrap() else { panic!("elapsed") };
                total += Duration::from_secs_f64(secs);
            }
            total
        })
    });
    c.bench_function("child_cell_new", |b| b.iter(|| cell.exec("padcell.Cell().close()").unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = sessions
}
criterion_main!(benches);
