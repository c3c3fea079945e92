//! Hostile: single WASI calls that would make the host, not the cell, pay: one `fd_write` with
//! millions of one-byte iovecs, one `path_open` with a 64 MiB path, one `poll_oneoff` with a
//! million subscriptions. The host must bound each (a short write, ENAMETOOLONG, EINVAL) and stay
//! small and quick. `host_costs CASE`; prints what the call returned on stderr.

fn main() {
    let case = std::env::args().nth(1).unwrap_or_default();
    match case.as_str() {
        "iovecs" => {
            let byte = [b'x'];
            let iovs = vec![wasi::Ciovec { buf: byte.as_ptr(), buf_len: 1 }; 4 << 20];
            let written = unsafe { wasi::fd_write(1, &iovs) };
            eprintln!("fd_write of {} iovecs: {written:?}", iovs.len());
        }
        "long-path" => {
            let path = "a/".repeat(32 << 20);
            let opened = unsafe { wasi::path_open(3, 0, &path, 0, wasi::RIGHTS_FD_READ, 0, 0) };
            eprintln!("path_open of {} bytes: {opened:?}", path.len());
        }
        "poll" => {
            let sub = wasi::Subscription {
                userdata: 0,
                u: wasi::SubscriptionU {
                    tag: wasi::EVENTTYPE_CLOCK.raw(),
                    u: wasi::SubscriptionUU {
                        clock: wasi::SubscriptionClock { id: wasi::CLOCKID_MONOTONIC, timeout: 0, precision: 0, flags: 0 },
                    },
                },
            };
            let subs = vec![sub; 1 << 20];
            let mut events = vec![std::mem::MaybeUninit::<wasi::Event>::uninit(); subs.len()];
            let polled = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr().cast(), subs.len()) };
            eprintln!("poll_oneoff of {} subscriptions: {polled:?}", subs.len());
        }
        other => {
            eprintln!("unknown case {other:?}");
            std::process::exit(2);
        }
    }
}
