/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/open_flags-93804c85203ed424.d: src/bin/open_flags.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/open_flags-93804c85203ed424.wasm: src/bin/open_flags.rs

src/bin/open_flags.rs:
