//! A plain WASI "hello", for the tests of `padcell run MODULE.wasm` and the start-up comparison
//! with the Python hello: greets its first argument, then reports its argv[0], its environment
//! and how much stdin it got, and exits with `$HELLO_EXIT` if set.

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("Hello, {}!", args.get(1).map(String::as_str).unwrap_or("world"));
    println!("argv0={}", args.first().map(String::as_str).unwrap_or(""));
    let mut env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    env.sort();
    println!("env={}", env.join(","));
    let mut input = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut input);
    println!("stdin={}", input.len());
    if let Some(code) = std::env::var("HELLO_EXIT").ok().and_then(|c| c.parse().ok()) {
        std::process::exit(code);
    }
}
