//! proc_exit: exits with the code given as its one argument, after writing to stdout, which must
//! still arrive; no argument exits by returning from main.

fn main() {
    let code: Option<u32> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    println!("exiting with {code:?}");
    if let Some(code) = code {
        unsafe { wasi::proc_exit(code) };
        unreachable!("proc_exit returned");
    }
}
