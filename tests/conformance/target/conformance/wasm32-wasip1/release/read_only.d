/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/read_only.wasm: /work/main/tests/conformance/programs/src/bin/read_only.rs /work/main/tests/conformance/programs/src/lib.rs
