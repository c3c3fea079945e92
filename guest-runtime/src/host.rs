//! The guest's side of the `padcell` import module (see abi.rs), and the `_padcell` Python module
//! that exposes it to the prelude.

use crate::abi::{self, Reply};

#[link(wasm_import_module = "padcell")]
unsafe extern "C" {
    #[link_name = "reply"]
    fn host_reply(ptr: *const u8, len: usize);
    #[link_name = "take_denial"]
    fn host_take_denial(ptr: *mut u8, cap: usize) -> i32;
}

/// Sends the answer to the request being run.
pub fn reply(reply: &Reply) {
    let bytes = reply.encode();
    // SAFETY: the host only reads `len` bytes at `ptr` during the call.
    unsafe { host_reply(bytes.as_ptr(), bytes.len()) }
}

/// The message of the last operation the host refused, if any since the last call.
pub fn take_denial() -> Option<String> {
    let mut buf = vec![0u8; abi::MAX_DENIAL];
    // SAFETY: the host writes at most `cap` bytes into `buf` during the call.
    let n = unsafe { host_take_denial(buf.as_mut_ptr(), buf.len()) };
    let n = usize::try_from(n).ok()?;
    buf.truncate(n);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

pub(crate) use _padcell::module_def;

#[rustpython_vm::pymodule]
mod _padcell {
    /// The rule behind the last refused operation, or None.
    #[pyfunction]
    fn take_denial() -> Option<String> {
        super::take_denial()
    }
}
