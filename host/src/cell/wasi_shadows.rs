//! WASI calls the host answers before, or instead of, wasi-common: they shadow wasi-common's
//! functions in the linker.
//!
//! Bounds: wasi-common copies every iovec descriptor of an `fd_write` / `fd_read` (and their
//! positioned forms) into host vectors before the call, so one call with millions of one-byte
//! iovecs costs the host gigabytes and runs, in one host call, past the cell's deadline;
//! `poll_oneoff` does the same per subscription. At most [`MAX_IOVS`] iovecs are passed on (a
//! short read or write, which every caller must handle, as `readv`/`writev` may return less than
//! asked), and more than [`MAX_SUBSCRIPTIONS`] subscriptions are refused with `EINVAL`, as
//! Linux's `poll` refuses more descriptors than it may hold. The older `wasi_unstable` names get
//! the same bounds.
//!
//! Answers: a cell has no sockets, so `sock_shutdown` of an open file is `ENOTSOCK` (wasi-common
//! says `EBADF`); and `fd_fdstat_set_rights` is `ENOTSUP`, as wasmtime's own WASI answers since
//! version 37: wasi-common ignores the rights it is given, and saying it narrowed them when it
//! did not would be a lie about a security property.

use crate::cell::state::CellState;
use anyhow::{Result, bail};
use preview_1::types::Filetype;
use wasi_common::snapshots::{preview_0, preview_1};
use wasmtime::{Caller, Extern, Linker};

/// The most iovecs one call passes on (Linux's `IOV_MAX`).
pub(crate) const MAX_IOVS: i32 = 1024;
/// The most subscriptions one `poll_oneoff` may name.
pub(crate) const MAX_SUBSCRIPTIONS: i32 = 4096;

/// Errno values, the same in both WASI snapshots.
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOTSOCK: i32 = 57;
const ENOTSUP: i32 = 58;

/// Runs one wasi-common call with the guest's memory and the cell's WASI context.
macro_rules! delegate {
    ($caller:ident, $module:path, $func:ident ( $($arg:expr),* )) => {{
        let Some(Extern::Memory(memory)) = $caller.get_export("memory") else {
            bail!("missing required memory export");
        };
        let (mem, state) = memory.data_and_store_mut(&mut $caller);
        let mut mem = wiggle::GuestMemory::Unshared(mem);
        let call = {
            use $module as module;
            module::$func(&mut state.wasi, &mut mem $(, $arg)*)
        };
        wiggle::run_in_dummy_executor(call)??
    }};
}

/// Shadows `$func(fd, iovs, len, ...)` of `$module` with one that passes at most [`MAX_IOVS`] on.
macro_rules! bounded_iovs {
    ($linker:ident, $module:ident, $preview1:ident, $func:ident ($($arg:ident: $ty:ty),*)) => {
        $linker.func_wrap(
            $module,
            stringify!($func),
            move |mut caller: Caller<'_, CellState>, fd: i32, iovs: i32, len: i32, $($arg: $ty),*| -> Result<i32> {
                let len = len.clamp(0, MAX_IOVS);
                Ok(if $preview1 {
                    delegate!(caller, preview_1::wasi_snapshot_preview1, $func(fd, iovs, len $(, $arg)*))
                } else {
                    delegate!(caller, preview_0::wasi_unstable, $func(fd, iovs, len $(, $arg)*))
                })
            },
        )?;
    };
}

/// Shadows the iovec and poll calls of both snapshots with bounded ones.
pub(crate) fn add_to_linker(linker: &mut Linker<CellState>) -> Result<()> {
    linker.allow_shadowing(true);
    for module in ["wasi_snapshot_preview1", "wasi_unstable"] {
        let preview1 = module == "wasi_snapshot_preview1";
        bounded_iovs!(linker, module, preview1, fd_write(out: i32));
        bounded_iovs!(linker, module, preview1, fd_read(out: i32));
        bounded_iovs!(linker, module, preview1, fd_pwrite(offset: i64, out: i32));
        bounded_iovs!(linker, module, preview1, fd_pread(offset: i64, out: i32));
        linker.func_wrap(
            module,
            "poll_oneoff",
            move |mut caller: Caller<'_, CellState>, subs: i32, events: i32, count: i32, out: i32| -> Result<i32> {
                if !(0..=MAX_SUBSCRIPTIONS).contains(&count) {
                    return Ok(EINVAL);
                }
                Ok(if preview1 {
                    delegate!(caller, preview_1::wasi_snapshot_preview1, poll_oneoff(subs, events, count, out))
                } else {
                    delegate!(caller, preview_0::wasi_unstable, poll_oneoff(subs, events, count, out))
                })
            },
        )?;
    }
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "sock_shutdown",
        |mut caller: Caller<'_, CellState>, fd: i32, _how: i32| -> Result<i32> {
            // Directories (fd 3 is always the root) are EBADF, as before; other open fds are not sockets.
            Ok(match open_kind(&mut caller, fd) {
                Some(Filetype::Directory) | None => EBADF,
                Some(_) => ENOTSOCK,
            })
        },
    )?;
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "fd_fdstat_set_rights",
        |mut caller: Caller<'_, CellState>, fd: i32, _base: i64, _inheriting: i64| -> Result<i32> {
            Ok(if open_kind(&mut caller, fd).is_some() { ENOTSUP } else { EBADF })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// What open descriptor `fd` is, or `None` if it is not open.
fn open_kind(caller: &mut Caller<'_, CellState>, fd: i32) -> Option<Filetype> {
    use preview_1::wasi_snapshot_preview1::WasiSnapshotPreview1;
    // fd_fdstat_get reads no guest memory.
    let mut no_memory = wiggle::GuestMemory::Unshared(&mut []);
    let stat = caller.data_mut().wasi.fd_fdstat_get(&mut no_memory, preview_1::types::Fd::from(fd as u32));
    wiggle::run_in_dummy_executor(stat).ok()?.ok().map(|s| s.fs_filetype)
}
