/work/main/tests/conformance/target/conformance/wasm32-wasip1/release/args_env.wasm: /work/main/tests/conformance/programs/src/bin/args_env.rs /work/main/tests/conformance/programs/src/lib.rs
