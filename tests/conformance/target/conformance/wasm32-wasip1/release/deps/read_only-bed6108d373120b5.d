/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/read_only-bed6108d373120b5.d: src/bin/read_only.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/read_only-bed6108d373120b5.wasm: src/bin/read_only.rs

src/bin/read_only.rs:
