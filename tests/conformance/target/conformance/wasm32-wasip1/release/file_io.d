/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/file_io.wasm: /work/main/tests/conformance/programs/src/bin/file_io.rs /work/main/tests/conformance/programs/src/lib.rs
