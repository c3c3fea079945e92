//! The built-in host object: a key-value store kept in one host JSON file (`--object kv=FILE`),
//! with `get(key[, default])`, `set(key, value)`, `delete(key)` and `keys()`.

use crate::abi::Value;
use crate::policy::{HostObject, ObjectError};
use anyhow::{Context, Result};
use cap_std::ambient_authority;
use serde_json::{Map, Number, Value as Json};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The longest key, in bytes.
const MAX_KEY: usize = 1024;
/// The most bytes the store's file may hold. Nothing bigger is ever built in memory: the store is
/// serialized into a writer that stops at this many bytes.
const MAX_STORE: usize = 16 << 20;
/// A store whose compact form is smaller than this is written pretty-printed, for people to read;
/// a bigger one stays compact, so each `set` costs the host one pass over it.
const PRETTY_BELOW: usize = 1 << 20;

struct Kv {
    dir: cap_std::fs::Dir,
    file: String,
    data: Mutex<Map<String, Json>>,
}

/// A key-value store named `name`, kept in the JSON file at `path` (created on the first `set`).
/// The host reads and writes the file through cap-std; the cell never sees its path.
pub fn kv_store(name: &str, path: impl AsRef<Path>) -> Result<HostObject> {
    let path = path.as_ref();
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = path.file_name().context("a key-value store needs a file name")?.to_string_lossy().into_owned();
    let dir = cap_std::fs::Dir::open_ambient_dir(parent, ambient_authority())
        .with_context(|| format!("opening the directory of {}", path.display()))?;
    let data = match dir.read_to_string(&file) {
        Ok(text) if text.trim().is_empty() => Map::new(),
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("{} is not a JSON object", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let kv = Arc::new(Kv { dir, file, data: Mutex::new(data) });
    let (get, set, delete, keys) = (kv.clone(), kv.clone(), kv.clone(), kv);
    Ok(HostObject::new(name)
        .method("get", move |args| get.get(args))
        .method("set", move |args| set.set(args))
        .method("delete", move |args| delete.delete(args))
        .method("keys", move |args| keys.keys(args)))
}

impl Kv {
    fn get(&self, args: &[Value]) -> Result<Value, ObjectError> {
        let (key, default) = match args {
            [key] => (key, Value::None),
            [key, default] => (key, default.clone()),
            _ => return Err(ObjectError::Type(format!("get() takes a key and an optional default ({} given)", args.len()))),
        };
        let key = key_of(key)?;
        Ok(self.lock().get(key).map(to_value).unwrap_or(default))
    }

    fn set(&self, args: &[Value]) -> Result<Value, ObjectError> {
        let [key, value] = args else {
            return Err(ObjectError::Type(format!("set() takes a key and a value ({} given)", args.len())));
        };
        let key = key_of(key)?.to_owned();
        let value = to_json(value)?;
        // The value alone, written compactly, must fit: counted, not kept, and refused before the
        // store is touched.
        if serialized(&value, Form::Compact, Keep::Count).is_none() {
            return Err(too_large());
        }
        let mut data = self.lock();
        let previous = data.insert(key.clone(), value);
        if let Err(e) = self.save(&data) {
            match previous {
                Some(old) => data.insert(key, old),
                None => data.remove(&key),
            };
            return Err(e);
        }
        Ok(Value::None)
    }

    fn delete(&self, args: &[Value]) -> Result<Value, ObjectError> {
        let [key] = args else {
            return Err(ObjectError::Type(format!("delete() takes a key ({} given)", args.len())));
        };
        let key = key_of(key)?;
        let mut data = self.lock();
        let Some(old) = data.remove(key) else {
            return Err(ObjectError::Key(key.to_owned()));
        };
        if let Err(e) = self.save(&data) {
            data.insert(key.to_owned(), old);
            return Err(e);
        }
        Ok(Value::None)
    }

    fn keys(&self, args: &[Value]) -> Result<Value, ObjectError> {
        if !args.is_empty() {
            return Err(ObjectError::Type(format!("keys() takes no arguments ({} given)", args.len())));
        }
        Ok(Value::List(self.lock().keys().cloned().map(Value::Str).collect()))
    }

    /// Writes the whole store to a temporary file and renames it over the old one: compact, and
    /// pretty-printed when that is small ([`PRETTY_BELOW`]) and the pretty form fits in
    /// [`MAX_STORE`] (pretty-printing indents every line by two spaces a level, so deeply nested
    /// values take many times their compact size); refused past [`MAX_STORE`].
    fn save(&self, data: &Map<String, Json>) -> Result<(), ObjectError> {
        let compact = serialized(data, Form::Compact, Keep::Bytes).ok_or_else(too_large)?;
        let pretty = (compact.len() < PRETTY_BELOW).then(|| serialized(data, Form::Pretty, Keep::Bytes)).flatten();
        let text = pretty.unwrap_or(compact);
        let temp = format!(".{}.padcell-tmp", self.file);
        let failed = |_| ObjectError::Failed("the store could not be saved".to_owned());
        self.dir.write(&temp, text).map_err(failed)?;
        self.dir.rename(&temp, &self.dir, &self.file).map_err(failed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Json>> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn too_large() -> ObjectError {
    ObjectError::Value(format!("the store would exceed {} MiB", MAX_STORE >> 20))
}

#[derive(Clone, Copy)]
enum Form {
    Pretty,
    Compact,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Bytes,
    Count,
}

/// `data` as JSON text, if it takes at most [`MAX_STORE`] bytes; serializing stops as soon as it
/// takes more. With `Keep::Count` the bytes are only counted (and come back empty).
fn serialized<T: serde::Serialize + ?Sized>(data: &T, form: Form, keep: Keep) -> Option<Vec<u8>> {
    let mut out = Capped { bytes: Vec::new(), written: 0, keep };
    let done = match form {
        Form::Pretty => serde_json::to_writer_pretty(&mut out, data),
        Form::Compact => serde_json::to_writer(&mut out, data),
    };
    done.ok().map(|()| out.bytes)
}

/// A writer that takes at most [`MAX_STORE`] bytes and fails on the write that would pass them,
/// so a serializer writing into it stops there.
struct Capped {
    bytes: Vec<u8>,
    written: usize,
    keep: Keep,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > MAX_STORE - self.written {
            return Err(std::io::Error::other("past the store's size limit"));
        }
        self.written += buf.len();
        if self.keep == Keep::Bytes {
            self.bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn key_of(key: &Value) -> Result<&str, ObjectError> {
    match key {
        Value::Str(k) if k.len() <= MAX_KEY => Ok(k),
        Value::Str(_) => Err(ObjectError::Value(format!("keys are at most {MAX_KEY} bytes"))),
        _ => Err(ObjectError::Type("keys must be str".to_owned())),
    }
}

/// Plain data as JSON: no bytes, no ints past 64 bits, no infinities, dict keys str.
fn to_json(value: &Value) -> Result<Json, ObjectError> {
    let unstorable = |what: &str| ObjectError::Type(format!("a key-value store cannot hold {what}"));
    Ok(match value {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Json::Number(Number::from_f64(*f).ok_or_else(|| unstorable("nan or infinity"))?),
        Value::Str(s) => Json::String(s.clone()),
        Value::List(items) | Value::Tuple(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Dict(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let Value::Str(k) = k else { return Err(unstorable("dict keys that are not str")) };
                map.insert(k.clone(), to_json(v)?);
            }
            Json::Object(map)
        }
        Value::Bytes(_) => return Err(unstorable("bytes")),
        Value::BigInt(_) => return Err(unstorable("ints beyond 64 bits")),
    })
}

fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(to_value).collect()),
        Json::Object(map) => Value::Dict(map.iter().map(|(k, v)| (Value::Str(k.clone()), to_value(v))).collect()),
    }
}
