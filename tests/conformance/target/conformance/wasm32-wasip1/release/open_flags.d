/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/open_flags.wasm: /work/main/tests/conformance/programs/src/bin/open_flags.rs /work/main/tests/conformance/programs/src/lib.rs
