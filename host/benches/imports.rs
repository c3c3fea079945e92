//! Module loader benchmarks: `cargo bench -p padcell --bench imports`.
//!
//! A 1,000-line module in a loader-only root, imported:
//! - `first`: a source the supervisor has not seen, so its compiler cell compiles it (in a live
//!   cell; the compiler cell itself starts once, before timing);
//! - `cached`: again in the same cell after `unload`, with the code from the supervisor's cache;
//! - `second_cell`: a new cell that imports it, with the code cached, against a new cell alone;
//! - `compiled_in_cell`: the same source compiled and run by the cell itself, which is what
//!   every import would cost without the cache.

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

use criterion::{Criterion, criterion_group, criterion_main};
use padcell::{ModulePolicy, ModuleRoot, Policy, Supervisor};
use std::fmt::Write;
use std::path::Path;

/// 1,000 lines of ordinary Python: functions, a class, constants.
fn thousand_lines(salt: u64) -> String {
    let mut source = format!("SALT = {salt}\n");
    for i in 0..110 {
        write!(
            source,
            "def f{i}(x, y=1):\n    total = 0\n    for k in range(x):\n        total += k * y + {i}\n    \
             if total % 2:\n        return total // 2\n    return [total, str(x), {{'k': {i}}}]\n\n"
        )
        .unwrap();
    }
    write!(source, "class Thing:\n    def __init__(self, a):\n        self.a = a\n").unwrap();
    while source.lines().count() < 1000 {
        writeln!(source, "CONST_{} = ('value', {}, 3.5)", source.len(), source.len()).unwrap();
    }
    source
}

fn policy(root: &Path) -> Policy {
    let modules = ModulePolicy::default().root(ModuleRoot::loader(root, "codebase").unwrap()).unwrap();
    Policy::new().with_modules(modules)
}

fn imports(c: &mut Criterion) {
    let supervisor = Supervisor::new().expect("supervisor");
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("big.py");
    std::fs::write(&module, thousand_lines(0)).unwrap();
    assert_eq!(thousand_lines(0).lines().count(), 1000);
    let mut cell = supervisor.cell().policy(policy(dir.path())).build().expect("cell");
    cell.exec("import big").expect("warm-up import");

    let mut salt = 0;
    c.bench_function("import_1000_lines/first", |b| {
        b.iter(|| {
            salt += 1;
            std::fs::write(&module, thousand_lines(salt)).unwrap();
            cell.unload("big").unwrap();
            cell.import("big").unwrap();
        })
    });
    std::fs::write(&module, thousand_lines(0)).unwrap();
    cell.unload("big").unwrap();
    cell.import("big").unwrap();
    c.bench_function("import_1000_lines/cached", |b| {
        b.iter(|| {
            cell.unload("big").unwrap();
            cell.import("big").unwrap();
        })
    });
    c.bench_function("import_1000_lines/second_cell", |b| {
        b.iter(|| {
            let mut cell = supervisor.cell().policy(policy(dir.path())).build().expect("cell");
            cell.import("big").unwrap();
        })
    });
    c.bench_function("import_1000_lines/new_cell_alone", |b| {
        b.iter(|| supervisor.cell().policy(policy(dir.path())).build().expect("cell"))
    });
    let source = thousand_lines(0);
    c.bench_function("import_1000_lines/compiled_in_cell", |b| b.iter(|| cell.exec_source("big.py", &source).unwrap()));
    println!("modules compiled by the supervisor: {}", supervisor.modules_compiled());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = imports
}
criterion_main!(benches);
