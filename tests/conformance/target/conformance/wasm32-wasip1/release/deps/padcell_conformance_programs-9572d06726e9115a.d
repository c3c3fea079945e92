/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/padcell_conformance_programs-9572d06726e9115a.d: src/lib.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/libpadcell_conformance_programs-9572d06726e9115a.rlib: src/lib.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/libpadcell_conformance_programs-9572d06726e9115a.rmeta: src/lib.rs

src/lib.rs:
