//! The host's own import module, `padcell`, as abi.rs defines it. Every argument here comes from
//! the guest and is hostile: pointers and lengths are checked against the guest's memory and the
//! size caps, and a bad call traps the guest, never the host.

use crate::abi::{self, Question};
use crate::cell::state::CellState;
use crate::wasi::control::LimitTrap;
use anyhow::{Result, anyhow, bail};
use wasmtime::{Caller, Extern, Linker};

/// Adds WASI preview1 (wasi-common) and the `padcell` module to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<CellState>) -> Result<()> {
    wasi_common::sync::add_to_linker(linker, |state: &mut CellState| &mut state.wasi)?;
    crate::cell::wasi_shadows::add_to_linker(linker)?;
    linker.func_wrap(abi::IMPORT_MODULE, abi::IMPORT_REPLY, reply)?;
    linker.func_wrap(abi::IMPORT_MODULE, abi::IMPORT_TAKE_DENIAL, take_denial)?;
    linker.func_wrap(abi::IMPORT_MODULE, abi::IMPORT_ASK, ask)?;
    linker.func_wrap(abi::IMPORT_MODULE, abi::IMPORT_ANSWER, answer)?;
    Ok(())
}

/// `padcell.ask(what, ptr, len) -> len`: answers a question (see `abi::Ask`) and keeps the
/// encoded answer for `padcell.answer`. A question the host cannot decode gets a refusal.
fn ask(mut caller: Caller<'_, CellState>, what: u32, ptr: u32, len: u32) -> Result<i32> {
    let bytes = read_guest(&mut caller, ptr, len, abi::MAX_ASK)?;
    let Some(what) = abi::Ask::from_u32(what) else {
        return Ok(-1);
    };
    let question = abi::Value::decode(&bytes)
        .map_err(|e| format!("the host could not read the question: {e}"))
        .and_then(|value| Question::decode(what, value));
    let answer = match question {
        Err(why) => abi::Answer::Refused(why),
        Ok(Question::Object(name)) => caller.data().objects.describe(&name),
        Ok(Question::CallObject(call)) => {
            let data = caller.data();
            data.objects.call(&call, &data.control).map_err(|kind| anyhow::Error::new(LimitTrap(kind)))?
        }
        Ok(Question::NewCell(request)) => {
            let budget = budget(&mut caller);
            caller.data_mut().children.create(&request, budget)
        }
        Ok(Question::CellOp(op)) => {
            let budget = budget(&mut caller);
            let fuel = budget.allowance.fuel;
            let (answer, used) = caller.data_mut().children.operate(op, budget);
            // The child's fuel was the parent's.
            if let Some(left) = fuel {
                caller.set_fuel(left.saturating_sub(used))?;
            }
            answer
        }
        Ok(Question::Names) => caller.data().loader.names(),
        Ok(Question::Import(name)) => caller.data().loader.check_import(&name),
        Ok(Question::FindModule(name)) => {
            // Compiling a module for the cell is the cell's work: it gets the cell's budget.
            let budget = budget(&mut caller);
            caller.data().loader.find_module(&name, budget)
        }
    };
    let encoded = answer.encode();
    let len = i32::try_from(encoded.len()).map_err(|_| anyhow!("answer too large"))?;
    caller.data_mut().answer = Some(encoded);
    Ok(len)
}

/// What the calling cell has left to give a child: its fuel, if it has a fuel limit, and the
/// time to its deadline.
fn budget(caller: &mut Caller<'_, CellState>) -> crate::wasi::control::Budget {
    let fuel = if caller.data().children.has_fuel_limit() { caller.get_fuel().ok() } else { None };
    let used = match caller.get_export(abi::EXPORT_MEMORY) {
        Some(Extern::Memory(memory)) => memory.data_size(&*caller) as u64,
        _ => 0,
    };
    let children = &caller.data().children;
    let memory = children.memory_limit().saturating_sub(used).saturating_sub(children.children_memory());
    let control = caller.data().control.clone();
    let allowance = crate::policy::Allowance { fuel, time: control.remaining(), memory: Some(memory) };
    crate::wasi::control::Budget { allowance, caller: Some(control) }
}

/// `padcell.answer(ptr, cap) -> len`: writes the pending answer to `ptr`; -1 if there is none
/// or it does not fit in `cap` bytes (then it stays pending).
fn answer(mut caller: Caller<'_, CellState>, ptr: u32, cap: u32) -> Result<i32> {
    let Some(bytes) = caller.data_mut().answer.take() else {
        return Ok(-1);
    };
    if bytes.len() > cap as usize {
        caller.data_mut().answer = Some(bytes);
        return Ok(-1);
    }
    let Some(Extern::Memory(memory)) = caller.get_export(abi::EXPORT_MEMORY) else {
        bail!("guest exports no memory");
    };
    memory
        .write(&mut caller, ptr as usize, &bytes)
        .map_err(|_| anyhow!("guest passed a range outside its memory ({ptr:#x} + {})", bytes.len()))?;
    Ok(bytes.len() as i32)
}

/// `padcell.reply(ptr, len)`: copies the guest's answer out of its memory.
fn reply(mut caller: Caller<'_, CellState>, ptr: u32, len: u32) -> Result<()> {
    let bytes = read_guest(&mut caller, ptr, len, abi::MAX_REPLY)?;
    if caller.data().reply.is_some() {
        bail!("padcell.reply called twice for one request");
    }
    caller.data_mut().reply = Some(bytes);
    Ok(())
}

/// `padcell.take_denial(ptr, cap) -> len`: writes the last refusal's message (at most `cap`
/// bytes, cut at a character boundary) to `ptr`; -1 when nothing was refused since the last call.
fn take_denial(mut caller: Caller<'_, CellState>, ptr: u32, cap: u32) -> Result<i32> {
    let Some(message) = caller.data().fs.auditor().take_denial() else {
        return Ok(-1);
    };
    let mut end = message.len().min(cap as usize).min(abi::MAX_DENIAL);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = message.as_bytes().get(..end).unwrap_or_default();
    let Some(Extern::Memory(memory)) = caller.get_export(abi::EXPORT_MEMORY) else {
        bail!("guest exports no memory");
    };
    memory
        .write(&mut caller, ptr as usize, bytes)
        .map_err(|_| anyhow!("guest passed a range outside its memory ({ptr:#x} + {end})"))?;
    Ok(end as i32)
}

/// Copies `len` bytes at `ptr` out of the guest's memory, refusing ranges outside it and lengths
/// over `cap`.
fn read_guest(caller: &mut Caller<'_, CellState>, ptr: u32, len: u32, cap: usize) -> Result<Vec<u8>> {
    let len = len as usize;
    if len > cap {
        bail!("guest passed {len} bytes; the limit is {cap}");
    }
    let Some(Extern::Memory(memory)) = caller.get_export(abi::EXPORT_MEMORY) else {
        bail!("guest exports no memory");
    };
    let start = ptr as usize;
    let range = start.checked_add(len).map(|end| start..end);
    range
        .and_then(|r| memory.data(&caller).get(r))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| anyhow!("guest passed a range outside its memory ({ptr:#x} + {len})"))
}
