/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/libpadcell_conformance_programs.rlib: /work/main/tests/conformance/programs/src/lib.rs
