//! A supervisor is freed when its owner drops it, with its engine, its pool of slots and its
//! clock thread, even after its compiler cell has run. (Alone in its binary: it counts threads.)

#![allow(clippy::disallowed_methods, reason = "tests set up host files as the operator does")]

mod common;

use padcell::{ModulePolicy, ModuleRoot, Policy, Supervisor};

fn clock_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|task| {
            let comm = std::fs::read_to_string(task.as_ref().unwrap().path().join("comm")).unwrap_or_default();
            comm.trim() == "padcell-clock"
        })
        .count()
}

#[test]
fn a_dropped_supervisor_is_freed_even_after_its_compiler_cell_ran() {
    let codebase = tempfile::tempdir().unwrap();
    std::fs::write(codebase.path().join("greeting.py"), "TEXT = 'hi'\n").unwrap();
    for _ in 0..3 {
        let supervisor = Supervisor::builder().cache_dir(common::cache_dir()).build().unwrap();
        let root = ModuleRoot::loader(codebase.path(), "codebase").unwrap();
        let policy = Policy::new().with_modules(ModulePolicy::default().root(root).unwrap());
        let mut cell = supervisor.cell().policy(policy).build().unwrap();
        cell.exec("import greeting").unwrap();
        assert_eq!(supervisor.modules_compiled(), 1, "the compiler cell compiled the module");
        let cell = cell.reset().unwrap();
        drop(cell);
        drop(supervisor);
    }
    // A clock thread notices within one 10 ms tick that its supervisor is gone.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(clock_threads(), 0);
}
