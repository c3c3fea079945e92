/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/symlinks.wasm: /work/main/tests/conformance/programs/src/bin/symlinks.rs /work/main/tests/conformance/programs/src/lib.rs
