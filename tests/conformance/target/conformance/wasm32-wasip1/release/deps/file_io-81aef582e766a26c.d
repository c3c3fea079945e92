/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/file_io-81aef582e766a26c.d: src/bin/file_io.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/file_io-81aef582e766a26c.wasm: src/bin/file_io.rs

src/bin/file_io.rs:
