/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/clocks_random-d767ca713d651d93.d: src/bin/clocks_random.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/clocks_random-d767ca713d651d93.wasm: src/bin/clocks_random.rs

src/bin/clocks_random.rs:
