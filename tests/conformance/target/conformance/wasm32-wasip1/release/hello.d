/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/hello.wasm: /work/main/tests/conformance/programs/src/bin/hello.rs /work/main/tests/conformance/programs/src/lib.rs
