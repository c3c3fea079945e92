/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/poll-d132d6425c60569f.d: src/bin/poll.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/poll-d132d6425c60569f.wasm: src/bin/poll.rs

src/bin/poll.rs:
