//! Clocks (realtime, monotonic, their resolutions, the unsupported CPU clocks) and random_get.

use padcell_conformance_programs::*;

fn main() {
    let mut c = Checks::new("clocks_random");
    let now = unsafe { wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1) };
    // 2024-01-01 < now < 2200-01-01, in nanoseconds.
    c.check(now.is_ok_and(|t| t > 1_704_067_200_000_000_000 && t < 7_258_118_400_000_000_000), &format!("realtime is a plausible date: {now:?}"));
    let a = unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap_or(0);
    let mut last = a;
    for _ in 0..1000 {
        let t = unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap_or(0);
        c.check(t >= last, "monotonic never goes back");
        last = t;
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    let b = unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap_or(0);
    c.check(b - a >= 20_000_000, &format!("monotonic advanced over a 20 ms sleep: {} ns", b - a));
    for (clock, name) in [(wasi::CLOCKID_REALTIME, "realtime"), (wasi::CLOCKID_MONOTONIC, "monotonic")] {
        let res = unsafe { wasi::clock_res_get(clock) };
        c.check(res.is_ok_and(|r| r > 0 && r <= 1_000_000), &format!("{name} resolution is at most 1 ms: {res:?}"));
    }
    // wasi-common does not offer the CPU-time clocks.
    for clock in [wasi::CLOCKID_PROCESS_CPUTIME_ID, wasi::CLOCKID_THREAD_CPUTIME_ID] {
        c.fails(unsafe { wasi::clock_time_get(clock, 1) }, &[wasi::ERRNO_BADF, wasi::ERRNO_NOTSUP, wasi::ERRNO_INVAL], "a CPU-time clock");
    }

    let mut one = [0u8; 4096];
    let mut two = [0u8; 4096];
    c.ok(unsafe { wasi::random_get(one.as_mut_ptr(), one.len()) }, "random_get");
    c.ok(unsafe { wasi::random_get(two.as_mut_ptr(), two.len()) }, "random_get again");
    c.check(one != two, "two draws differ");
    // Every byte value should turn up in 4096 random bytes; a broken source rarely manages it.
    let distinct = one.iter().collect::<std::collections::BTreeSet<_>>().len();
    c.check(distinct > 200, &format!("random bytes are spread: {distinct} distinct values"));
    let ones: u32 = one.iter().map(|b| b.count_ones()).sum();
    c.check((15_000..17_800).contains(&ones), &format!("about half the bits are set: {ones} of 32768"));
    c.ok(unsafe { wasi::random_get(one.as_mut_ptr(), 0) }, "random_get of nothing");
    c.finish();
}
