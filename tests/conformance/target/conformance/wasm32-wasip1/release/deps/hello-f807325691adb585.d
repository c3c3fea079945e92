/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/hello-f807325691adb585.d: src/bin/hello.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/hello-f807325691adb585.wasm: src/bin/hello.rs

src/bin/hello.rs:
