//! poll_oneoff on clocks (relative, absolute, the earliest of several) and on stdio: stdout is
//! writable at once; stdin is readable when data is there and at end of file. The test gives
//! stdin `ping\n` and grants `/rw`.

use padcell_conformance_programs::*;
use std::time::{Duration, Instant};

fn clock(userdata: u64, timeout: u64, absolute: bool) -> wasi::Subscription {
    let flags = if absolute { wasi::SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME } else { 0 };
    let clock = wasi::SubscriptionClock { id: wasi::CLOCKID_MONOTONIC, timeout, precision: 0, flags };
    wasi::Subscription { userdata, u: wasi::SubscriptionU { tag: wasi::EVENTTYPE_CLOCK.raw(), u: wasi::SubscriptionUU { clock } } }
}

fn fd_event(userdata: u64, fd: Fd, kind: wasi::Eventtype) -> wasi::Subscription {
    let rw = wasi::SubscriptionFdReadwrite { file_descriptor: fd };
    let u = if kind == wasi::EVENTTYPE_FD_READ { wasi::SubscriptionUU { fd_read: rw } } else { wasi::SubscriptionUU { fd_write: rw } };
    wasi::Subscription { userdata, u: wasi::SubscriptionU { tag: kind.raw(), u } }
}

/// The events and how long the poll took.
fn poll(subs: &[wasi::Subscription]) -> (Result<Vec<wasi::Event>, Errno>, Duration) {
    let start = Instant::now();
    let mut events: Vec<wasi::Event> = Vec::with_capacity(subs.len());
    let n = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), subs.len()) };
    let took = start.elapsed();
    (n.map(|n| unsafe { events.set_len(n); events }), took)
}

fn ids(events: &[wasi::Event]) -> Vec<(u64, u8, u16)> {
    events.iter().map(|e| (e.userdata, e.type_.raw(), e.error.raw())).collect()
}

fn main() {
    let mut c = Checks::new("poll");
    let ms = |n: u64| n * 1_000_000;
    let ok = wasi::ERRNO_SUCCESS.raw();
    let (clock_t, read_t, write_t) = (wasi::EVENTTYPE_CLOCK.raw(), wasi::EVENTTYPE_FD_READ.raw(), wasi::EVENTTYPE_FD_WRITE.raw());

    let (events, took) = poll(&[clock(7, ms(30), false)]);
    c.eq(events.map(|e| ids(&e)), Ok(vec![(7, clock_t, ok)]), "one relative clock");
    c.check(took >= Duration::from_millis(30), &format!("it waited 30 ms: {took:?}"));

    let (events, took) = poll(&[clock(1, ms(2000), false), clock(2, ms(30), false)]);
    c.eq(events.map(|e| ids(&e)), Ok(vec![(2, clock_t, ok)]), "the earlier of two clocks fires alone");
    c.check(took >= Duration::from_millis(30) && took < Duration::from_millis(1000), &format!("two clocks took {took:?}"));

    let now = unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.unwrap_or(0);
    let (events, took) = poll(&[clock(3, now + ms(40), true), clock(4, ms(3000), false)]);
    c.eq(events.map(|e| ids(&e)), Ok(vec![(3, clock_t, ok)]), "an absolute clock");
    c.check(took >= Duration::from_millis(30) && took < Duration::from_millis(1500), &format!("the absolute clock took {took:?}"));

    let (events, took) = poll(&[fd_event(5, 1, wasi::EVENTTYPE_FD_WRITE), clock(6, ms(3000), false)]);
    c.eq(events.map(|e| ids(&e)), Ok(vec![(5, write_t, ok)]), "stdout is writable");
    c.check(took < Duration::from_millis(1000), &format!("at once: {took:?}"));

    // stdin: readable once data is there, with a byte count.
    let (events, took) = poll(&[fd_event(8, 0, wasi::EVENTTYPE_FD_READ), clock(9, ms(5000), false)]);
    let events = events.unwrap_or_default();
    c.eq(ids(&events), vec![(8, read_t, ok)], "stdin with data is readable");
    c.check(events.first().is_some_and(|e| e.fd_readwrite.nbytes >= 1), "it reports bytes to read");
    c.check(took < Duration::from_millis(4000), &format!("stdin readiness took {took:?}"));
    let mut input = Vec::new();
    loop {
        match read(0, 64) {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) => input.extend(chunk),
            Err(e) => {
                c.check(false, &format!("reading stdin: {}", e.name()));
                break;
            }
        }
    }
    c.eq(input, b"ping\n".to_vec(), "stdin's content");
    // At end of file, stdin stays readable (a read returns 0) rather than waiting for the clock.
    let (events, took) = poll(&[fd_event(10, 0, wasi::EVENTTYPE_FD_READ), clock(11, ms(3000), false)]);
    c.eq(events.map(|e| ids(&e)), Ok(vec![(10, read_t, ok)]), "stdin at end of file is readable");
    c.check(took < Duration::from_millis(1500), &format!("at once: {took:?}"));

    // A regular file is always ready.
    c.ok(put(ROOT, "rw/poll.txt", b"12345"), "writing rw/poll.txt");
    let file = open(ROOT, "rw/poll.txt", 0, RO, 0).expect("open rw/poll.txt");
    let (events, _) = poll(&[fd_event(12, file, wasi::EVENTTYPE_FD_READ), fd_event(13, file, wasi::EVENTTYPE_FD_WRITE)]);
    let mut got = events.map(|e| ids(&e)).unwrap_or_default();
    got.sort();
    c.eq(got, vec![(12, read_t, ok), (13, write_t, ok)], "a file is readable and writable at once");
    close(file);

    let (events, _) = poll(&[]);
    c.fails(events.map(|e| e.len()), &[wasi::ERRNO_INVAL], "no subscriptions");
    let (events, _) = poll(&[fd_event(14, 99, wasi::EVENTTYPE_FD_READ)]);
    let bad = events.map(|e| ids(&e));
    c.check(bad == Err(wasi::ERRNO_BADF) || bad == Ok(vec![(14, read_t, wasi::ERRNO_BADF.raw())]), &format!("an unknown descriptor: {bad:?}"));
    c.finish();
}
