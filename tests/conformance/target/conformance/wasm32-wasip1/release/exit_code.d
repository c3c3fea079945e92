/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/exit_code.wasm: /work/main/tests/conformance/programs/src/bin/exit_code.rs /work/main/tests/conformance/programs/src/lib.rs
