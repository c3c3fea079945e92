/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/readdir.wasm: /work/main/tests/conformance/programs/src/bin/readdir.rs /work/main/tests/conformance/programs/src/lib.rs
