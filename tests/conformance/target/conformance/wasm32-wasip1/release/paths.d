/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/paths.wasm: /work/main/tests/conformance/programs/src/bin/paths.rs /work/main/tests/conformance/programs/src/lib.rs
