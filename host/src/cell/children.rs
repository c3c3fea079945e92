//! Nested cells (rexec's "restricted environments can be nested"): a cell makes child cells of
//! lesser, never greater, privilege. The host checks every request against the parent's policy
//! and budget (`policy::narrow`), keeps the children in the parent's state, and runs them from inside
//! the parent's call, drawing their fuel and time from the parent's.

use super::CellError;
use super::{Cell, CellBuilder, Maker};
use crate::abi::{Answer, CellOp, CellOpKind, CellOpReply, CellRequest, Value};
use crate::policy::narrow;
use crate::policy::{Access, Policy};
use crate::wasi::control::Budget;
use crate::wasi::control::Meters;
use crate::wasi::fs::CellFs;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How deep cells nest: the outermost cell is depth 1.
pub(crate) const MAX_DEPTH: usize = 4;
/// How many children one cell may hold open at once.
pub(crate) const MAX_CHILDREN: usize = 8;

/// One cell's children, and what it needs to make more.
pub(crate) struct ChildCells {
    /// What children are made from (`None` only for the linker's throwaway state).
    maker: Option<Maker>,
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
    pub(crate) fn new(maker: Option<Maker>, fs: Arc<CellFs>, policy: Policy, id: u64, meters: Meters) -> ChildCells {
        ChildCells { maker, fs, policy, chain: vec![id], children: BTreeMap::new(), next: 1, meters }
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
    pub(crate) fn create(&mut self, request: &CellRequest, budget: Budget) -> Answer {
        if self.chain.len() >= MAX_DEPTH {
            return self.refuse("depth", format!("cells nest at most {MAX_DEPTH} deep"));
        }
        if self.children.len() >= MAX_CHILDREN {
            return self.refuse("count", format!("a cell holds at most {MAX_CHILDREN} child cells at once"));
        }
        let policy = match narrow::child_policy(&self.policy, &budget.allowance, request) {
            Ok(policy) => policy,
            Err(rule) => return self.refuse("policy", rule.to_string()),
        };
        let Some(maker) = self.maker.clone() else {
            return Answer::Refused("this sandbox cannot make cells".to_owned());
        };
        match CellBuilder::new(maker).policy(policy).parent_chain(self.chain.clone()).ancestors(self.meters.clone()).build() {
            Ok(cell) => {
                let handle = self.next;
                self.next += 1;
                self.children.insert(handle, cell);
                Answer::Value(Value::Int(handle))
            }
            Err(e) => Answer::Refused(format!("the child cell could not start: {}", first_line(&format!("{e:#}")))),
        }
    }

    /// `CellOp` on a child. Returns the answer and the fuel the child used, which the caller
    /// takes from the parent.
    pub(crate) fn operate(&mut self, op: CellOp, budget: Budget) -> (Answer, u64) {
        if op.kind == CellOpKind::Close {
            return (Answer::Value(Value::Bool(self.children.remove(&op.handle).is_some())), 0);
        }
        let Some(cell) = self.children.get_mut(&op.handle) else {
            return (Answer::Refused("no such child cell (it was closed)".to_owned()), 0);
        };
        cell.set_budget(budget);
        let before = cell.next_call_fuel();
        let outcome = match op.kind {
            CellOpKind::Exec(code) => cell.exec(&code).map(|()| Value::None),
            CellOpKind::Eval(expr) => cell.eval(&expr),
            CellOpKind::Call(name, args) => cell.call(&name, &args),
            CellOpKind::Stdout => Ok(Value::Str(String::from_utf8_lossy(&cell.take_stdout()).into_owned())),
            CellOpKind::Stderr => Ok(Value::Str(String::from_utf8_lossy(&cell.take_stderr()).into_owned())),
            CellOpKind::Close => Ok(Value::None),
        };
        let used = match (before, cell.fuel_left()) {
            (Some(before), Some(after)) => before.saturating_sub(after),
            (Some(before), None) => before,
            _ => 0,
        };
        let reply = match outcome {
            Ok(value) => CellOpReply::Result(value),
            Err(err) => CellOpReply::Error {
                kind: kind(&err).to_owned(),
                type_name: match &err {
                    CellError::Exception(e) => e.type_name.clone(),
                    _ => String::new(),
                },
                message: match &err {
                    CellError::Exception(e) => e.traceback.clone(),
                    other => other.to_string(),
                },
            },
        };
        (Answer::Value(reply.into()), used)
    }

    fn refuse(&self, what: &str, rule: String) -> Answer {
        self.fs.auditor().record("cell", what, Access::ReadOnly, &rule, self.chain.clone());
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

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}
