//! The wasm boundary between the padcell host and the guest interpreter, in one file.
//!
//! Both sides compile this file: the host as `padcell::abi`, the guest through
//! `#[path = "../../host/src/abi.rs"]`. Whatever crosses the boundary is named and encoded here,
//! so a reader finds the whole trust boundary in one place. It has no dependencies.
//!
//! # Imports the guest may have
//! - `wasi_snapshot_preview1.*`: served by the host's wasi-common context, under the cell's policy.
//! - `padcell.reply(ptr: i32, len: i32)`: hands the host the answer to the request being run
//!   (an encoded [`Reply`]). The host copies at most [`MAX_REPLY`] bytes and never trusts the
//!   pointer or length: a bad range traps the guest, not the host.
//! - `padcell.take_denial(ptr: i32, cap: i32) -> i32`: writes the message of the last operation
//!   the host refused (e.g. `'/data/a.txt' is in read-only grant /data`), at most `cap` bytes, and
//!   returns its length, or -1 if nothing was refused since the last call. The guest's `open()`
//!   and `os` functions use it to say why an `OSError` happened; the refusal itself is the host's.
//! - `padcell.ask(what: i32, ptr: i32, len: i32) -> i32`: asks the host a question (an [`Ask`]
//!   with an encoded [`Value`] of at most [`MAX_ASK`] bytes at `ptr`). The host keeps the encoded
//!   [`Answer`] and returns its length, for `padcell.answer`; -1 for an unknown question.
//! - `padcell.answer(ptr: i32, cap: i32) -> i32`: writes the pending answer to `ptr` (at most
//!   `cap` bytes) and forgets it; returns the length written, or -1 if nothing is pending or it
//!   does not fit in `cap` (then it stays pending).
//!
//! Nothing else. The host refuses a guest with any other import.
//!
//! # Exports the guest must have
//! - `memory`: the guest's linear memory.
//! - `padcell_alloc(len: i32) -> i32`: a buffer of `len` bytes for the host to write a request
//!   into; 0 when it cannot allocate.
//! - `padcell_preinit()`: builds the interpreter and everything every cell shares, and nothing
//!   that depends on a cell (no policy, argv, environment or files; it calls no `padcell` import).
//!   The host runs it once under wizer and snapshots the result, so cells start from a ready
//!   interpreter. Optional for a guest: without it `padcell_init` does the whole job.
//! - `padcell_init() -> i32`: makes the (pre-initialized, or not yet built) interpreter this cell's:
//!   `sys.argv` from the WASI args, `os.environ` from the WASI environment, fresh random seeds,
//!   the preopen table read anew, and the import system shaped by the cell's policy. 0 on success.
//! - `padcell_run(op: i32, ptr: i32, len: i32) -> i32`: runs one [`Request`] that the host wrote
//!   into a buffer from `padcell_alloc` (the guest takes the buffer back). Returns a [`Status`];
//!   before returning, the guest calls `padcell.reply` at most once.
//!
//! # Module loading
//! The guest's import statement asks the host before applet code imports a top-level name
//! ([`Ask::Import`]), and its last `sys.meta_path` finder asks the host for modules that are not
//! part of the interpreter ([`Ask::FindModule`]). The host reads module roots through cap-std and
//! sends source, plus bytecode that its own compiler cell made ([`Op::Compile`]): bytecode never
//! comes from a cell that runs applet code, so one cell cannot plant code in another.
//!
//! # Encoding
//! Little-endian throughout. A string is `u32 length` + UTF-8 bytes. A [`Value`] is a tag byte
//! and its payload (see [`Value::encode`]). Decoders take hostile input: every length is checked
//! against what is left, nesting is capped at [`MAX_DEPTH`], and bad bytes are an error, never a
//! panic.

/// The name of the host's own import module.
pub const IMPORT_MODULE: &str = "padcell";
/// `padcell.reply(ptr, len)`.
pub const IMPORT_REPLY: &str = "reply";
/// `padcell.take_denial(ptr, cap) -> len`.
pub const IMPORT_TAKE_DENIAL: &str = "take_denial";
/// The longest denial message the host sends.
pub const MAX_DENIAL: usize = 4096;
/// `padcell.ask(what, ptr, len) -> answer length`.
pub const IMPORT_ASK: &str = "ask";
/// `padcell.answer(ptr, cap) -> len`.
pub const IMPORT_ANSWER: &str = "answer";
/// The most bytes one question may carry (a host object call's arguments included).
pub const MAX_ASK: usize = 1 << 20;
/// The most bytes of source one module may have.
pub const MAX_MODULE_SOURCE: usize = 8 << 20;

/// The guest's exported linear memory.
pub const EXPORT_MEMORY: &str = "memory";
/// `padcell_alloc(len) -> ptr`.
pub const EXPORT_ALLOC: &str = "padcell_alloc";
/// `padcell_init() -> i32`.
pub const EXPORT_INIT: &str = "padcell_init";
/// `padcell_preinit()`.
pub const EXPORT_PREINIT: &str = "padcell_preinit";
/// `padcell_run(op, ptr, len) -> status`.
pub const EXPORT_RUN: &str = "padcell_run";

/// The most bytes one reply may carry (an eval result, an exception and its traceback).
pub const MAX_REPLY: usize = 16 << 20;
/// How deep lists and dicts may nest in a [`Value`].
pub const MAX_DEPTH: usize = 64;

/// What `padcell_run` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Op {
    /// Run statements in the cell's `__main__` namespace.
    Exec = 1,
    /// Evaluate one expression in that namespace and reply with its [`Value`].
    Eval = 2,
    /// Compile the source and reply with its code object in `marshal` form ([`Value::Bytes`]).
    /// Only the host's compiler cell, which never runs applet code, is asked this.
    Compile = 3,
    /// Import the module named by the source, as applet code would (rexec's `r_import`), and bind
    /// its top-level name in `__main__`.
    Import = 4,
    /// Drop the module named by the source, and its submodules, from `sys.modules` (`r_unload`).
    Unload = 5,
    /// Call the function `__main__` binds to the name in the source with the request's
    /// arguments, and reply with its result as a [`Value`] (a plugin session's call).
    Call = 6,
}

impl Op {
    /// The operation with this number, if there is one.
    pub fn from_u32(op: u32) -> Option<Op> {
        match op {
            1 => Some(Op::Exec),
            2 => Some(Op::Eval),
            3 => Some(Op::Compile),
            4 => Some(Op::Import),
            5 => Some(Op::Unload),
            6 => Some(Op::Call),
            _ => None,
        }
    }
}

/// The questions a guest may ask with `padcell.ask`, each with the [`Value`] it sends and the
/// [`Answer`] it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Ask {
    /// `None` -> the names the cell may see: a dict with `hidden_builtins`, `sys` and `os`, each a
    /// list of str; `sys` or `os` may be `None`, meaning every name.
    Names = 1,
    /// A top-level module name (str) that applet code imports -> `None` when it may, or
    /// [`Answer::Refused`] with the rule (the host audits it).
    Import = 2,
    /// A dotted module name (str) -> `None` when no module root has it, or a dict with `filename`
    /// (str, as tracebacks show it), `source` (str), `package` (bool) and `code` (bytes in
    /// `marshal` form, or `None` when the guest must compile the source itself).
    FindModule = 3,
    /// A host object's name (str) -> the list of method names the cell may call, or
    /// [`Answer::Refused`] when the object is not granted (audited).
    Object = 4,
    /// `[object (str), method (str), args (list)]` -> a dict with `result`, or with `error` (the
    /// Python exception type: `TypeError`, `KeyError`, `ValueError`, `RuntimeError`) and
    /// `message`; [`Answer::Refused`] for a method the object does not expose (audited).
    CallObject = 5,
    /// A dict of what a child cell asks for (`dirs`, `files`, `modules`, `roots`, `objects`,
    /// `fuel`, `timeout`, `memory`, `output`) -> the child's handle (int), or
    /// [`Answer::Refused`] with the rule it breaks (audited, with the chain of cells).
    NewCell = 6,
    /// `[handle, op, args...]` with op `exec` (code), `eval` (expr), `call` (name, `[args]`),
    /// `stdout`, `stderr` or `close` -> a dict with `result`, or with `error` (`exception`,
    /// `exit`, `limit`, `trap`, `spent`, `host`), `type` and `message`.
    CellOp = 7,
}

impl Ask {
    /// Every question, in the order of their numbers. The guest's `_padcell` module exports
    /// each as `ASK_<NAME>` (see [`Ask::name`]), so its Python never spells a number.
    pub const ALL: [Ask; 7] = [Ask::Names, Ask::Import, Ask::FindModule, Ask::Object, Ask::CallObject, Ask::NewCell, Ask::CellOp];

    /// The question's name as the guest's Python sees it: `_padcell.ASK_<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Ask::Names => "NAMES",
            Ask::Import => "IMPORT",
            Ask::FindModule => "FIND_MODULE",
            Ask::Object => "OBJECT",
            Ask::CallObject => "CALL_OBJECT",
            Ask::NewCell => "NEW_CELL",
            Ask::CellOp => "CELL_OP",
        }
    }

    /// The question with this number, if there is one.
    pub fn from_u32(what: u32) -> Option<Ask> {
        match what {
            1 => Some(Ask::Names),
            2 => Some(Ask::Import),
            3 => Some(Ask::FindModule),
            4 => Some(Ask::Object),
            5 => Some(Ask::CallObject),
            6 => Some(Ask::NewCell),
            7 => Some(Ask::CellOp),
            _ => None,
        }
    }
}

/// The host's answer to an [`Ask`].
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The answer, as plain data.
    Value(Value),
    /// The host refused; the string is the rule, as the applet's exception states it.
    Refused(String),
}

const ANSWER_VALUE: u8 = 1;
const ANSWER_REFUSED: u8 = 2;

impl Answer {
    /// The answer's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Answer::Value(v) => {
                out.push(ANSWER_VALUE);
                v.encode_into(&mut out);
            }
            Answer::Refused(rule) => {
                out.push(ANSWER_REFUSED);
                put_str(&mut out, rule);
            }
        }
        out
    }

    /// Reads an answer from hostile bytes.
    pub fn decode(bytes: &[u8]) -> Result<Answer, DecodeError> {
        let mut r = Reader::new(bytes);
        let answer = match r.u8()? {
            ANSWER_VALUE => Answer::Value(r.value(0)?),
            ANSWER_REFUSED => Answer::Refused(r.string()?),
            tag => return Err(DecodeError::BadTag(tag)),
        };
        r.finish()?;
        Ok(answer)
    }
}

/// What `padcell_run` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Done; for `Eval`, the reply is [`Reply::Value`].
    Ok = 0,
    /// An uncaught exception; the reply is [`Reply::Exception`].
    Exception = 1,
    /// `SystemExit`; the reply is [`Reply::Exit`].
    Exit = 2,
    /// The request itself was malformed, or the interpreter is not initialized.
    BadRequest = 3,
}

impl Status {
    /// The status with this number, if there is one.
    pub fn from_u32(status: u32) -> Option<Status> {
        match status {
            0 => Some(Status::Ok),
            1 => Some(Status::Exception),
            2 => Some(Status::Exit),
            3 => Some(Status::BadRequest),
            _ => None,
        }
    }
}

/// A request: the source to run and the file name it is shown under in tracebacks; for
/// [`Op::Call`], the function's name and its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The file name tracebacks show (for a call, `<call>`).
    pub filename: String,
    /// The source (for a call, the function's name).
    pub source: String,
    /// For [`Op::Call`], a [`Value::List`] of positional arguments; [`Value::None`] otherwise.
    pub args: Value,
}

impl Request {
    /// The request's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.filename.len() + self.source.len());
        put_str(&mut out, &self.filename);
        put_str(&mut out, &self.source);
        self.args.encode_into(&mut out);
        out
    }

    /// Reads a request from hostile bytes.
    pub fn decode(bytes: &[u8]) -> Result<Request, DecodeError> {
        let mut r = Reader::new(bytes);
        let filename = r.string()?;
        let source = r.string()?;
        let args = r.value(0)?;
        r.finish()?;
        Ok(Request { filename, source, args })
    }
}

/// The guest's answer to a request, sent with `padcell.reply`.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// An `eval`, `call` or `compile` result.
    Value(Value),
    /// An uncaught exception.
    Exception(Exception),
    /// `sys.exit(code)`.
    Exit(i32),
}

const REPLY_VALUE: u8 = 1;
const REPLY_EXCEPTION: u8 = 2;
const REPLY_EXIT: u8 = 3;

impl Reply {
    /// The reply's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Reply::Value(v) => {
                out.push(REPLY_VALUE);
                v.encode_into(&mut out);
            }
            Reply::Exception(e) => {
                out.push(REPLY_EXCEPTION);
                put_str(&mut out, &e.type_name);
                put_str(&mut out, &e.message);
                put_str(&mut out, &e.traceback);
            }
            Reply::Exit(code) => {
                out.push(REPLY_EXIT);
                out.extend_from_slice(&code.to_le_bytes());
            }
        }
        out
    }

    /// Reads a reply from hostile bytes.
    pub fn decode(bytes: &[u8]) -> Result<Reply, DecodeError> {
        let mut r = Reader::new(bytes);
        let reply = match r.u8()? {
            REPLY_VALUE => Reply::Value(r.value(0)?),
            REPLY_EXCEPTION => {
                Reply::Exception(Exception { type_name: r.string()?, message: r.string()?, traceback: r.string()? })
            }
            REPLY_EXIT => Reply::Exit(i32::from_le_bytes(r.array()?)),
            tag => return Err(DecodeError::BadTag(tag)),
        };
        r.finish()?;
        Ok(reply)
    }
}

/// An uncaught Python exception, as the guest describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    /// The exception's class name, e.g. `ZeroDivisionError`.
    pub type_name: String,
    /// `str(exc)`.
    pub message: String,
    /// The full traceback, formatted as CPython prints it.
    pub traceback: String,
}

/// Plain data that crosses the boundary by value. No reference to an object on either side
/// can be expressed in it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `bool`.
    Bool(bool),
    /// An `int` that fits in 64 bits.
    Int(i64),
    /// An int that does not fit in 64 bits, in decimal.
    BigInt(String),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `bytes`.
    Bytes(Vec<u8>),
    /// `list`.
    List(Vec<Value>),
    /// `tuple`.
    Tuple(Vec<Value>),
    /// `dict`, as its items in order.
    Dict(Vec<(Value, Value)>),
}

const V_NONE: u8 = 0;
const V_FALSE: u8 = 1;
const V_TRUE: u8 = 2;
const V_INT: u8 = 3;
const V_BIGINT: u8 = 4;
const V_FLOAT: u8 = 5;
const V_STR: u8 = 6;
const V_BYTES: u8 = 7;
const V_LIST: u8 = 8;
const V_TUPLE: u8 = 9;
const V_DICT: u8 = 10;

impl Value {
    /// The value's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Tag byte, then: nothing (None, bools); i64 (Int); f64 bits (Float); a string (BigInt,
    /// Str); u32 length + bytes (Bytes); u32 count + items (List, Tuple); u32 count + key, value
    /// pairs (Dict).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::None => out.push(V_NONE),
            Value::Bool(false) => out.push(V_FALSE),
            Value::Bool(true) => out.push(V_TRUE),
            Value::Int(i) => {
                out.push(V_INT);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::BigInt(s) => {
                out.push(V_BIGINT);
                put_str(out, s);
            }
            Value::Float(f) => {
                out.push(V_FLOAT);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                out.push(V_STR);
                put_str(out, s);
            }
            Value::Bytes(b) => {
                out.push(V_BYTES);
                put_bytes(out, b);
            }
            Value::List(items) | Value::Tuple(items) => {
                out.push(if matches!(self, Value::List(_)) { V_LIST } else { V_TUPLE });
                put_len(out, items.len());
                for item in items {
                    item.encode_into(out);
                }
            }
            Value::Dict(pairs) => {
                out.push(V_DICT);
                put_len(out, pairs.len());
                for (k, v) in pairs {
                    k.encode_into(out);
                    v.encode_into(out);
                }
            }
        }
    }

    /// Reads a value from hostile bytes.
    pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = r.value(0)?;
        r.finish()?;
        Ok(v)
    }
}

/// Why bytes from the other side were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than a length said.
    Truncated,
    /// Bytes after the message's end.
    TrailingBytes,
    /// A tag byte that names nothing.
    BadTag(u8),
    /// A string that is not UTF-8.
    BadUtf8,
    /// Lists and dicts nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("truncated message"),
            DecodeError::TrailingBytes => f.write_str("trailing bytes after message"),
            DecodeError::BadTag(t) => write!(f, "unknown tag {t}"),
            DecodeError::BadUtf8 => f.write_str("string is not UTF-8"),
            DecodeError::TooDeep => write!(f, "values nested deeper than {MAX_DEPTH}"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Lengths are bounded by a 32-bit guest memory; saturate rather than wrap on the host.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

/// A bounds-checked cursor over hostile bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        String::from_utf8(self.bytes()?).map_err(|_| DecodeError::BadUtf8)
    }

    /// A count of items, each at least one byte: a count larger than what is left is a lie.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.len()?;
        if n > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        Ok(match self.u8()? {
            V_NONE => Value::None,
            V_FALSE => Value::Bool(false),
            V_TRUE => Value::Bool(true),
            V_INT => Value::Int(i64::from_le_bytes(self.array()?)),
            V_BIGINT => Value::BigInt(self.string()?),
            V_FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(self.array()?))),
            V_STR => Value::Str(self.string()?),
            V_BYTES => Value::Bytes(self.bytes()?),
            tag @ (V_LIST | V_TUPLE) => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                if tag == V_LIST { Value::List(items) } else { Value::Tuple(items) }
            }
            V_DICT => {
                let n = self.count()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                }
                Value::Dict(pairs)
            }
            tag => return Err(DecodeError::BadTag(tag)),
        })
    }

    fn finish(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes) }
    }
}

// ---------------------------------------------------------------------------------------------
// Typed messages: every question a guest asks, and every structured answer, has a type. The host
// decodes a question once, here, and its handlers never pick fields out of a raw `Value`. Each
// decoder takes hostile input and says what is wrong, in a sentence the applet sees.

/// A question from the guest, decoded: the typed form of an [`Ask`] and the [`Value`] it sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Question {
    /// [`Ask::Names`].
    Names,
    /// [`Ask::Import`]: a top-level module name.
    Import(String),
    /// [`Ask::FindModule`]: a dotted module name.
    FindModule(String),
    /// [`Ask::Object`]: a host object's name.
    Object(String),
    /// [`Ask::CallObject`].
    CallObject(ObjectCall),
    /// [`Ask::NewCell`].
    NewCell(CellRequest),
    /// [`Ask::CellOp`].
    CellOp(CellOp),
}

impl Question {
    /// Decodes what the guest sent with question `ask`, or says why it is malformed.
    pub fn decode(ask: Ask, value: Value) -> Result<Question, String> {
        Ok(match ask {
            Ask::Names => Question::Names,
            Ask::Import => Question::Import(text(value, "a module name is a str")?),
            Ask::FindModule => Question::FindModule(text(value, "a module name is a str")?),
            Ask::Object => Question::Object(text(value, "host objects are named by str")?),
            Ask::CallObject => Question::CallObject(ObjectCall::decode(value)?),
            Ask::NewCell => Question::NewCell(CellRequest::decode(value)?),
            Ask::CellOp => Question::CellOp(CellOp::decode(value)?),
        })
    }
}

fn text(value: Value, why: &str) -> Result<String, String> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(why.to_owned()),
    }
}

/// [`Ask::CallObject`]: `[object, method, [args...]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectCall {
    /// The granted object's name.
    pub object: String,
    /// The method called.
    pub method: String,
    /// Its arguments, by value.
    pub args: Vec<Value>,
}

impl ObjectCall {
    fn decode(value: Value) -> Result<ObjectCall, String> {
        const SHAPE: &str = "a host object call is [object, method, args]";
        let Value::List(parts) = value else { return Err(SHAPE.to_owned()) };
        let Ok([Value::Str(object), Value::Str(method), Value::List(args)]) = <[Value; 3]>::try_from(parts) else {
            return Err(SHAPE.to_owned());
        };
        Ok(ObjectCall { object, method, args })
    }
}

impl From<ObjectCall> for Value {
    fn from(call: ObjectCall) -> Value {
        Value::List(vec![Value::Str(call.object), Value::Str(call.method), Value::List(call.args)])
    }
}

/// What a host object call answers: `{"result": v}`, or `{"error": type, "message": m}` with the
/// built-in exception type the applet gets.
#[derive(Clone, Debug, PartialEq)]
pub enum ObjectReply {
    /// The method returned this.
    Result(Value),
    /// The method failed; the applet raises `kind` (`TypeError`, `KeyError`, `ValueError`,
    /// `RuntimeError`) with `message`.
    Error {
        /// The built-in exception type's name.
        kind: String,
        /// Its message.
        message: String,
    },
}

impl From<ObjectReply> for Value {
    fn from(reply: ObjectReply) -> Value {
        match reply {
            ObjectReply::Result(v) => dict([("result", v)]),
            ObjectReply::Error { kind, message } => dict([("error", Value::Str(kind)), ("message", Value::Str(message))]),
        }
    }
}

/// [`Ask::NewCell`]: what a child cell asks for, as `key: value` pairs with str keys. The host
/// checks each key and value against the parent's policy (the narrowing rule).
#[derive(Clone, Debug, PartialEq)]
pub struct CellRequest {
    /// The request's entries, in the order sent.
    pub entries: Vec<(String, Value)>,
}

impl CellRequest {
    fn decode(value: Value) -> Result<CellRequest, String> {
        let Value::Dict(pairs) = value else { return Err("a cell request is a dict".to_owned()) };
        let entries = pairs
            .into_iter()
            .map(|(key, value)| match key {
                Value::Str(key) => Ok((key, value)),
                _ => Err("cell request keys are str".to_owned()),
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CellRequest { entries })
    }
}

impl From<CellRequest> for Value {
    fn from(request: CellRequest) -> Value {
        Value::Dict(request.entries.into_iter().map(|(k, v)| (Value::Str(k), v)).collect())
    }
}

/// [`Ask::CellOp`]: an operation on a child cell, by its handle.
#[derive(Clone, Debug, PartialEq)]
pub struct CellOp {
    /// The handle [`Ask::NewCell`] answered.
    pub handle: i64,
    /// What to do.
    pub kind: CellOpKind,
}

/// What a [`CellOp`] does.
#[derive(Clone, Debug, PartialEq)]
pub enum CellOpKind {
    /// `exec`: run statements.
    Exec(String),
    /// `eval`: evaluate an expression.
    Eval(String),
    /// `call`: call a function of the child's `__main__` with arguments.
    Call(String, Vec<Value>),
    /// `stdout`: take what the child printed.
    Stdout,
    /// `stderr`: take what the child wrote to stderr.
    Stderr,
    /// `close`: end the child.
    Close,
}

impl CellOp {
    fn decode(value: Value) -> Result<CellOp, String> {
        const SHAPE: &str = "a child cell request is [handle, op, args...]";
        let Value::List(parts) = value else { return Err(SHAPE.to_owned()) };
        let mut parts = parts.into_iter();
        let (Some(Value::Int(handle)), Some(Value::Str(op))) = (parts.next(), parts.next()) else {
            return Err(SHAPE.to_owned());
        };
        let rest: Vec<Value> = parts.collect();
        let kind = match (op.as_str(), rest.as_slice()) {
            ("exec", [Value::Str(code)]) => CellOpKind::Exec(code.clone()),
            ("eval", [Value::Str(expr)]) => CellOpKind::Eval(expr.clone()),
            ("call", [Value::Str(name), Value::List(args)]) => CellOpKind::Call(name.clone(), args.clone()),
            ("stdout", []) => CellOpKind::Stdout,
            ("stderr", []) => CellOpKind::Stderr,
            ("close", []) => CellOpKind::Close,
            _ => return Err(SHAPE.to_owned()),
        };
        Ok(CellOp { handle, kind })
    }
}

impl From<CellOp> for Value {
    fn from(op: CellOp) -> Value {
        let s = |t: &str| Value::Str(t.to_owned());
        let mut parts = vec![Value::Int(op.handle)];
        match op.kind {
            CellOpKind::Exec(code) => parts.extend([s("exec"), Value::Str(code)]),
            CellOpKind::Eval(expr) => parts.extend([s("eval"), Value::Str(expr)]),
            CellOpKind::Call(name, args) => parts.extend([s("call"), Value::Str(name), Value::List(args)]),
            CellOpKind::Stdout => parts.push(s("stdout")),
            CellOpKind::Stderr => parts.push(s("stderr")),
            CellOpKind::Close => parts.push(s("close")),
        }
        Value::List(parts)
    }
}

/// What a [`CellOp`] answers: `{"result": v}`, or `{"error": kind, "type": name, "message": m}`
/// where `kind` is `exception`, `exit`, `limit`, `trap`, `spent` or `host`.
#[derive(Clone, Debug, PartialEq)]
pub enum CellOpReply {
    /// The operation's value (`None` for `exec`).
    Result(Value),
    /// The child failed.
    Error {
        /// How it failed: `exception`, `exit`, `limit`, `trap`, `spent` or `host`.
        kind: String,
        /// For an exception, its class name; empty otherwise.
        type_name: String,
        /// For an exception, its traceback; otherwise what stopped the child.
        message: String,
    },
}

impl From<CellOpReply> for Value {
    fn from(reply: CellOpReply) -> Value {
        match reply {
            CellOpReply::Result(v) => dict([("result", v)]),
            CellOpReply::Error { kind, type_name, message } => {
                dict([("error", Value::Str(kind)), ("type", Value::Str(type_name)), ("message", Value::Str(message))])
            }
        }
    }
}

/// [`Ask::FindModule`]'s answer when a root has the module.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundModule {
    /// The file name tracebacks show.
    pub filename: String,
    /// The module's source.
    pub source: String,
    /// Whether it is a package (`__init__.py`).
    pub package: bool,
    /// Code in `marshal` form from the host's compiler cell, or `None`: the guest compiles.
    pub code: Option<Vec<u8>>,
}

impl From<FoundModule> for Value {
    fn from(found: FoundModule) -> Value {
        dict([
            ("filename", Value::Str(found.filename)),
            ("source", Value::Str(found.source)),
            ("package", Value::Bool(found.package)),
            ("code", found.code.map_or(Value::None, Value::Bytes)),
        ])
    }
}

fn dict<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Dict(entries.into_iter().map(|(k, v)| (Value::Str(k.to_owned()), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn every_question_has_its_number_and_a_name() {
        for (i, ask) in Ask::ALL.iter().enumerate() {
            assert_eq!(*ask as u32, i as u32 + 1);
            assert_eq!(Ask::from_u32(*ask as u32), Some(*ask));
            assert!(ask.name().chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        }
        assert_eq!(Ask::from_u32(0), None);
        assert_eq!(Ask::from_u32(8), None);
    }

    #[test]
    fn typed_questions_round_trip_through_their_values() {
        let call = ObjectCall { object: "acct".into(), method: "deposit".into(), args: vec![Value::Int(5)] };
        assert_eq!(Question::decode(Ask::CallObject, call.clone().into()), Ok(Question::CallObject(call)));
        let request = CellRequest { entries: vec![("timeout".into(), Value::Float(1.0)), ("dirs".into(), Value::List(vec![]))] };
        assert_eq!(Question::decode(Ask::NewCell, request.clone().into()), Ok(Question::NewCell(request)));
        let kinds = [
            CellOpKind::Exec("x = 1".into()),
            CellOpKind::Eval("x".into()),
            CellOpKind::Call("f".into(), vec![Value::None]),
            CellOpKind::Stdout,
            CellOpKind::Stderr,
            CellOpKind::Close,
        ];
        for kind in kinds {
            let op = CellOp { handle: 3, kind };
            assert_eq!(Question::decode(Ask::CellOp, op.clone().into()), Ok(Question::CellOp(op)));
        }
        assert_eq!(Question::decode(Ask::Import, s("csv")), Ok(Question::Import("csv".into())));
        assert_eq!(Question::decode(Ask::Names, Value::Int(9)), Ok(Question::Names));
    }

    #[test]
    fn hostile_questions_are_refused_with_a_reason() {
        let refused = [
            (Ask::Import, Value::Int(1)),
            (Ask::FindModule, Value::None),
            (Ask::Object, Value::Bytes(b"acct".to_vec())),
            (Ask::CallObject, Value::List(vec![s("acct"), s("m")])),
            (Ask::CallObject, Value::List(vec![s("acct"), s("m"), Value::List(vec![]), Value::None])),
            (Ask::CallObject, Value::Tuple(vec![s("acct"), s("m"), Value::List(vec![])])),
            (Ask::NewCell, Value::List(vec![])),
            (Ask::NewCell, Value::Dict(vec![(Value::Int(1), Value::None)])),
            (Ask::CellOp, Value::List(vec![s("1"), s("exec"), s("x")])),
            (Ask::CellOp, Value::List(vec![Value::Int(1), s("exec")])),
            (Ask::CellOp, Value::List(vec![Value::Int(1), s("close"), s("extra")])),
            (Ask::CellOp, Value::List(vec![Value::Int(1), s("call"), s("f"), s("not a list")])),
            (Ask::CellOp, Value::List(vec![Value::Int(1), s("rm -rf")])),
        ];
        for (ask, value) in refused {
            let outcome = Question::decode(ask, value.clone());
            assert!(outcome.as_ref().is_err_and(|why| !why.is_empty()), "{ask:?} {value:?} -> {outcome:?}");
        }
    }

    #[test]
    fn answers_have_the_shapes_the_guest_reads() {
        let ok: Value = ObjectReply::Result(Value::Int(1)).into();
        assert_eq!(ok, Value::Dict(vec![(s("result"), Value::Int(1))]));
        let err: Value = CellOpReply::Error { kind: "limit".into(), type_name: String::new(), message: "time".into() }.into();
        assert_eq!(err, Value::Dict(vec![(s("error"), s("limit")), (s("type"), s("")), (s("message"), s("time"))]));
        let found: Value =
            FoundModule { filename: "<codebase>/m.py".into(), source: "x = 1".into(), package: false, code: None }.into();
        let Value::Dict(entries) = found else { panic!("a dict") };
        assert_eq!(
            entries.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            [s("filename"), s("source"), s("package"), s("code")]
        );
        // Every answer survives the wire.
        let answer = Answer::Value(ok);
        assert_eq!(Answer::decode(&answer.encode()), Ok(answer));
    }
}
