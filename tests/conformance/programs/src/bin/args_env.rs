//! Arguments and environment: exactly what the runner passed, nothing of the host. The test runs
//! `args_env.wasm one "two words" "" ünï` with `--env GREETING=hello --env EMPTY=`.

use padcell_conformance_programs::*;

fn main() {
    let mut c = Checks::new("args_env");
    let args: Vec<String> = std::env::args().collect();
    c.eq(args, ["args_env.wasm", "one", "two words", "", "ünï"].map(String::from).to_vec(), "argv");
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    env.sort();
    c.eq(env, vec![("EMPTY".into(), "".into()), ("GREETING".into(), "hello".into())], "environ");
    let sizes = unsafe { wasi::args_sizes_get() };
    c.eq(sizes, Ok((5, "args_env.wasm\0one\0two words\0\0ünï\0".len())), "args_sizes_get");
    let sizes = unsafe { wasi::environ_sizes_get() };
    c.eq(sizes, Ok((2, "GREETING=hello\0EMPTY=\0".len())), "environ_sizes_get");
    c.eq(std::env::current_dir().ok(), Some("/".into()), "the working directory is the root");
    c.finish();
}
