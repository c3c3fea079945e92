//! An application that loads a plugin applet once, grants it a host object, and calls it in a
//! loop: `cargo run -p padcell --example plugin_host`.
//!
//! The plugin (`applets/plugin/plugin.py`) keeps a running tally across calls and records the
//! largest order it has seen in the `stats` object, a Rust map it reaches only through its
//! `record` and `top` methods.

use padcell::{HostObject, ObjectError, Policy, Supervisor, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

fn main() -> anyhow::Result<()> {
    let supervisor = Supervisor::new()?;

    // The host object: plain data in, plain data out; `_`-names are never exposed.
    let seen: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let (record, top) = (seen.clone(), seen.clone());
    let stats = HostObject::new("stats")
        .method("record", move |args| match args {
            [Value::Str(customer), Value::Int(amount)] => {
                let mut seen = record.lock().unwrap();
                let best = seen.entry(customer.clone()).or_insert(*amount);
                *best = (*best).max(*amount);
                Ok(Value::None)
            }
            _ => Err(ObjectError::Type("record(customer: str, amount: int)".into())),
        })
        .method("top", move |_| {
            let seen = top.lock().unwrap();
            let best = seen.iter().max_by_key(|(_, amount)| **amount);
            Ok(best.map_or(Value::None, |(c, a)| Value::Tuple(vec![Value::Str(c.clone()), Value::Int(*a)])))
        });

    let mut plugin = supervisor.cell().policy(Policy::new().object(stats)?).build()?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../applets/plugin/plugin.py");
    plugin.exec_file(&source)?;

    let orders = [("ada", 30), ("grace", 120), ("ada", 75), ("linus", 5), ("grace", 10)];
    for (customer, amount) in orders {
        let reply = plugin.call("on_order", &[Value::Str(customer.into()), Value::Int(amount)])?;
        println!("on_order({customer}, {amount}) -> {reply:?}");
    }
    println!("summary -> {:?}", plugin.call("summary", &[])?);
    println!("host's view: {:?}", seen.lock().unwrap());
    Ok(())
}
