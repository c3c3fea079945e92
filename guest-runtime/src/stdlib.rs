//! The standard library, frozen into the guest: CPython's pure-Python modules as marshalled code
//! (made at build time by cpython/pack_stdlib.py), handed to CPython as `PyImport_FrozenModules`.
//! It belongs to the interpreter, not to a cell: no grant is needed to import it, and nothing a
//! cell can open or list reaches it.

use pyo3::ffi;
use std::ffi::{c_char, c_int};

static FROZEN: &[u8] = include_bytes!(env!("PADCELL_STDLIB_FROZEN"));

/// Points CPython at the frozen modules. Must run before the interpreter is initialized; the
/// table lives as long as the module (it is leaked once, and the snapshot keeps it).
pub fn install() {
    let mut table = parse(FROZEN).expect("the frozen standard library is malformed");
    // CPython's table ends with an entry whose name is NULL.
    table.push(ffi::_frozen { name: std::ptr::null(), code: std::ptr::null(), size: 0, is_package: 0 });
    let table: &'static [ffi::_frozen] = Box::leak(table.into_boxed_slice());
    // SAFETY: set once, before Py_Initialize, to a table that is never freed.
    unsafe { ffi::PyImport_FrozenModules = table.as_ptr() };
}

/// The entries of the packed file, pointing into it (it is static, so they stay valid).
fn parse(bytes: &'static [u8]) -> Option<Vec<ffi::_frozen>> {
    let mut rest = bytes.strip_prefix(b"PCFROZEN")?;
    let count = take_u32(&mut rest)?;
    let mut table = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let name_len = take_u32(&mut rest)? as usize;
        let name = take(&mut rest, name_len)?;
        if name.last() != Some(&0) {
            return None;
        }
        let is_package = take(&mut rest, 1)?[0];
        let code_len = take_u32(&mut rest)?;
        let code = take(&mut rest, code_len as usize)?;
        table.push(ffi::_frozen {
            name: name.as_ptr() as *const c_char,
            code: code.as_ptr(),
            size: c_int::try_from(code_len).ok()?,
            is_package: c_int::from(is_package),
        });
    }
    rest.is_empty().then_some(table)
}

fn take(rest: &mut &'static [u8], n: usize) -> Option<&'static [u8]> {
    if rest.len() < n {
        return None;
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Some(head)
}

fn take_u32(rest: &mut &'static [u8]) -> Option<u32> {
    Some(u32::from_le_bytes(take(rest, 4)?.try_into().ok()?))
}
