/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/readdir-1c58137918edfe03.d: src/bin/readdir.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/readdir-1c58137918edfe03.wasm: src/bin/readdir.rs

src/bin/readdir.rs:
