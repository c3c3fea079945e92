//! Cell benchmarks: `cargo bench -p padcell --bench cells`.
//!
//! - `new_cell_print_hi`: a new cell in a warm supervisor, `print('hi')`, the captured output.
//! - `exec_in_live_cell`: `print('hi')` in a cell that already exists (the per-request floor).
//! - `fib25_in_cell`: a CPU-bound workload, to compare with `python3 -c` on the same machine.

use criterion::{Criterion, criterion_group, criterion_main};
use padcell::Supervisor;
use std::hint::black_box;

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
    cell.exec("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)").expect("def");
    group.bench_function("fib25_in_cell", |b| b.iter(|| cell.eval("fib(25)").expect("fib")));
    group.finish();
}

criterion_group!(benches, cells);
criterion_main!(benches);
