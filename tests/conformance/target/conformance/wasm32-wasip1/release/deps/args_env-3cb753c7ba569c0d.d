/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/args_env-3cb753c7ba569c0d.d: src/bin/args_env.rs

/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/deps/args_env-3cb753c7ba569c0d.wasm: src/bin/args_env.rs

src/bin/args_env.rs:
