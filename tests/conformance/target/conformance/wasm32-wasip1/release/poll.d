/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/poll.wasm: /work/main/tests/conformance/programs/src/bin/poll.rs /work/main/tests/conformance/programs/src/lib.rs
