/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/exit_code-edbe5cae11be809d.d: src/bin/exit_code.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/exit_code-edbe5cae11be809d.wasm: src/bin/exit_code.rs

src/bin/exit_code.rs:
