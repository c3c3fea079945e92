/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/symlinks-1daa4f7f513cef28.d: src/bin/symlinks.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/symlinks-1daa4f7f513cef28.wasm: src/bin/symlinks.rs

src/bin/symlinks.rs:
