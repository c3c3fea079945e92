/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/wasi-74aab2e62b066170.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib_generated.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/libwasi-74aab2e62b066170.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib_generated.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/libwasi-74aab2e62b066170.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib_generated.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasi-0.11.1+wasi-snapshot-preview1/src/lib_generated.rs:
