//! The guest's side of the `padcell` import module (see abi.rs), and the `_padcell` Python module
//! that exposes it to the prelude.

use crate::abi::{self, Reply};

#[link(wasm_import_module = "padcell")]
unsafe extern "C" {
    #[link_name = "reply"]
    fn host_reply(ptr: *const u8, len: usize);
    #[link_name = "take_denial"]
    fn host_take_denial(ptr: *mut u8, cap: usize) -> i32;
    #[link_name = "ask"]
    fn host_ask(what: u32, ptr: *const u8, len: usize) -> i32;
    #[link_name = "answer"]
    fn host_answer(ptr: *mut u8, cap: usize) -> i32;
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

/// Asks the host a question (see `abi::Ask`); `None` if the host did not understand it or the
/// question is larger than `abi::MAX_ASK`.
pub fn ask(what: abi::Ask, question: &abi::Value) -> Option<abi::Answer> {
    let bytes = question.encode();
    if bytes.len() > abi::MAX_ASK {
        return None;
    }
    // SAFETY: the host only reads `len` bytes at `ptr` during the call.
    let len = unsafe { host_ask(what as u32, bytes.as_ptr(), bytes.len()) };
    let mut buf = vec![0u8; usize::try_from(len).ok()?];
    // SAFETY: the host writes at most `cap` bytes into `buf` during the call.
    let n = unsafe { host_answer(buf.as_mut_ptr(), buf.len()) };
    buf.truncate(usize::try_from(n).ok()?);
    abi::Answer::decode(&buf).ok()
}

/// The `_padcell` module: the prelude's and loader's way to the host. Applet code that imports
/// it directly gains nothing: every answer is the host's, under the cell's policy.
#[pyo3::pymodule]
pub mod _padcell {
    use pyo3::exceptions::{PyRuntimeError, PyValueError};
    use pyo3::prelude::*;

    /// Exports each question's number as `ASK_<NAME>` (see `abi::Ask::ALL`): the prelude and
    /// loader use these names and never spell a number.
    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        for ask in crate::abi::Ask::ALL {
            m.add(format!("ASK_{}", ask.name()), ask as u32)?;
        }
        Ok(())
    }

    /// The rule behind the last refused operation, or None.
    #[pyfunction]
    fn take_denial() -> Option<String> {
        super::take_denial()
    }

    /// Asks the host question `what` (see abi.rs) about plain data `question`. Returns
    /// `(True, answer)`, or `(False, rule)` when the host refused.
    #[pyfunction]
    fn ask<'py>(py: Python<'py>, what: u32, question: &Bound<'py, PyAny>) -> PyResult<(bool, Bound<'py, PyAny>)> {
        let what = crate::abi::Ask::from_u32(what).ok_or_else(|| PyValueError::new_err("unknown question"))?;
        let question = crate::value::to_value(question)?;
        if question.encode().len() > crate::abi::MAX_ASK {
            return Err(PyValueError::new_err(format!(
                "the arguments are larger than the {} KiB that may cross to the host",
                crate::abi::MAX_ASK >> 10
            )));
        }
        match super::ask(what, &question) {
            Some(crate::abi::Answer::Value(v)) => Ok((true, crate::value::from_value(py, &v)?)),
            Some(crate::abi::Answer::Refused(rule)) => Ok((false, rule.into_pyobject(py)?.into_any())),
            None => Err(PyRuntimeError::new_err("the host did not answer")),
        }
    }
}
