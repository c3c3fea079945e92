//! Nested cells (rexec's "restricted environments can be nested"): a cell makes child cells of
//! lesser, never greater, privilege. The host checks every request against the parent's policy
//! and budget ([`subset`]), keeps the children in the parent's state, and runs them from inside
//! the parent's call, drawing their fuel and time from the parent's.

mod subset;

use crate::abi::{Answer, Value};
use crate::cell::{CallCaps, Cell};
use crate::error::CellError;
use crate::fs::CellFs;
use crate::limits::Meters;
use crate::policy::{Access, Policy};
use crate::supervisor::WeakSupervisor;
use std::collections::BTreeMap;
use std::sync::Arc;
pub(crate) use subset::Budget;

/// How deep cells nest: the outermost cell is depth 1.
pub const MAX_DEPTH: usize = 4;
/// How many children one cell may hold open at once.
pub const MAX_CHILDREN: usize = 8;

/// One cell's children, and what it needs to make more.
pub(crate) struct ChildCells {
    supervisor: WeakSupervisor,
    fs: Arc<CellFs>,
    policy: Policy,
    /// The cells from the outermost to this one.
    chain: Vec<u64>,
    children: BTreeMap<i64, Cell>,
    next: i64,
    /// This cell's byte budgets (its own, then its ancestors'), which its children charge too.
    meters: Meters,
}

impl ChildCells {
    /// The children of cell `id`, which runs under `policy`.
    pub(crate) fn new(supervisor: WeakSupervisor, fs: Arc<CellFs>, policy: Policy, id: u64, meters: Meters) -> ChildCells {
        ChildCells { supervisor, fs, policy, chain: vec![id], children: BTreeMap::new(), next: 1, meters }
    }

    /// The memory this cell's open children may use between them.
    pub(crate) fn children_memory(&self) -> u64 {
        self.children.values().map(|c| c.limits().memory).sum()
    }

    /// This cell's memory limit.
    pub(crate) fn memory_limit(&self) -> u64 {
        self.policy.limits().memory
    }

    /// Whether this cell has a fuel limit, so its children's fuel is drawn from it.
    pub(crate) fn has_fuel_limit(&self) -> bool {
        self.policy.limits().fuel.is_some()
    }

    /// Puts the cells above this one in front of it in the chain.
    pub(crate) fn set_parent_chain(&mut self, mut chain: Vec<u64>) {
        chain.append(&mut self.chain);
        self.chain = chain;
    }

    /// `NewCell`: makes a child from the request, or refuses (and audits) an escalation.
    pub(crate) fn create(&mut self, request: &Value, budget: Budget) -> Answer {
        if self.chain.len() >= MAX_DEPTH {
            return self.refuse("depth", format!("cells nest at most {MAX_DEPTH} deep"));
        }
        if self.children.len() >= MAX_CHILDREN {
            return self.refuse("count", format!("a cell holds at most {MAX_CHILDREN} child cells at once"));
        }
        let policy = match subset::child_policy(&self.policy, &budget, request) {
            Ok(policy) => policy,
            Err(rule) => return self.refuse("policy", rule),
        };
        let Some(supervisor) = self.supervisor.upgrade() else {
            return Answer::Refused("the supervisor is gone".to_owned());
        };
        match supervisor.cell().policy(policy).parent_chain(self.chain.clone()).ancestors(self.meters.clone()).build() {
            Ok(cell) => {
                let handle = self.next;
                self.next += 1;
                self.children.insert(handle, cell);
                Answer::Value(Value::Int(handle))
            }
            Err(e) => Answer::Refused(format!("the child cell could not start: {}", first_line(&format!("{e:#}")))),
        }
    }

    /// `CellOp`: `[handle, op, args...]` on a child. Returns the answer and the fuel the child
    /// used, which the caller takes from the parent.
    pub(crate) fn operate(&mut self, request: &Value, budget: Budget) -> (Answer, u64) {
        let Value::List(parts) = request else { return (bad(), 0) };
        let (Some(Value::Int(handle)), Some(Value::Str(op))) = (parts.first(), parts.get(1)) else { return (bad(), 0) };
        if op == "close" {
            return (Answer::Value(Value::Bool(self.children.remove(handle).is_some())), 0);
        }
        let Some(cell) = self.children.get_mut(handle) else {
            return (Answer::Refused("no such child cell (it was closed)".to_owned()), 0);
        };
        let text = |i: usize| match parts.get(i) {
            Some(Value::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        cell.set_caps(CallCaps { fuel: budget.fuel, time: budget.time, caller: budget.caller });
        let before = cell.next_call_fuel();
        let outcome = match (op.as_str(), text(2)) {
            ("exec", Some(code)) => cell.exec(code).map(|()| Value::None),
            ("eval", Some(expr)) => cell.eval(expr),
            ("call", Some(name)) => match parts.get(3) {
                Some(Value::List(args)) => cell.call(name, args),
                _ => return (bad(), 0),
            },
            ("stdout", None) => Ok(Value::Str(String::from_utf8_lossy(&cell.take_stdout()).into_owned())),
            ("stderr", None) => Ok(Value::Str(String::from_utf8_lossy(&cell.take_stderr()).into_owned())),
            _ => return (bad(), 0),
        };
        let used = match (before, cell.fuel_left()) {
            (Some(before), Some(after)) => before.saturating_sub(after),
            (Some(before), None) => before,
            _ => 0,
        };
        let entry = |k: &str, v: Value| (Value::Str(k.to_owned()), v);
        let answer = match outcome {
            Ok(value) => Answer::Value(Value::Dict(vec![entry("result", value)])),
            Err(err) => Answer::Value(Value::Dict(vec![
                entry("error", Value::Str(kind(&err).to_owned())),
                entry("type", Value::Str(match &err { CellError::Exception(e) => e.type_name.clone(), _ => String::new() })),
                entry("message", Value::Str(match &err { CellError::Exception(e) => e.traceback.clone(), other => other.to_string() })),
            ])),
        };
        (answer, used)
    }

    fn refuse(&self, what: &str, rule: String) -> Answer {
        self.fs.audit_chain("cell", what, Access::ReadOnly, &rule, self.chain.clone());
        Answer::Refused(rule)
    }
}

fn kind(err: &CellError) -> &'static str {
    match err {
        CellError::Exception(_) => "exception",
        CellError::Exit(_) => "exit",
        CellError::Limit(_) => "limit",
        CellError::Trap(_) => "trap",
        CellError::Spent(_) => "spent",
        CellError::Host(_) => "host",
    }
}

fn bad() -> Answer {
    Answer::Refused("a child cell request is [handle, op, args...]".to_owned())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}
