/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/paths-24da2e8d489d011c.d: src/bin/paths.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/paths-24da2e8d489d011c.wasm: src/bin/paths.rs

src/bin/paths.rs:
