//! The on-disk cache of compiled guest code.
//!
//! Cranelift takes seconds to compile the interpreter; loading the result takes milliseconds. An
//! entry is keyed by the guest's hash and the engine's compatibility hash (wasmtime version,
//! target, and every setting that changes generated code), so a stale entry is never looked up.
//! Each file carries a blake3 checksum of its payload: wasmtime checks a compiled module's header,
//! not its code, so a corrupt file must be caught before it is loaded. A corrupt or unloadable
//! entry is rebuilt. Writers take a lock and rename a finished file into place, so processes that
//! start together compile once and never see half a file.

use anyhow::{Context, Result};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"PADCELL1";
const HEADER: usize = MAGIC.len() + blake3::OUT_LEN;
const LOCK_FILE: &str = ".lock";

/// Where compiled modules live, and what to tell the user while compiling.
pub struct ModuleCache {
    dir: Option<PathBuf>,
}

/// What happened while getting a module; the CLI turns it into a progress line.
#[derive(Clone, Debug)]
pub enum CacheEvent {
    /// Nothing usable was cached; a compile starts now.
    Compiling { reason: &'static str },
    /// The compile finished (and was stored, when the cache has a directory).
    Compiled { took: Duration },
}

impl ModuleCache {
    /// A cache in `dir`, created if missing; `None` compiles every time.
    pub fn new(dir: Option<PathBuf>) -> Self {
        ModuleCache { dir }
    }

    /// The default location: `$PADCELL_CACHE_DIR`, else the user's cache directory
    /// (`~/.cache/padcell` on Linux), else none.
    pub fn default_dir() -> Option<PathBuf> {
        std::env::var_os("PADCELL_CACHE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::cache_dir().map(|d| d.join("padcell")))
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The compiled form of `wasm`, from the cache if a sound entry exists.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_hash: &str,
        on_event: &dyn Fn(CacheEvent),
    ) -> Result<Module> {
        let Some(dir) = &self.dir else {
            return compile(engine, wasm, "no cache directory", on_event).map(|(m, _)| m);
        };
        let file_name = entry_name(engine, wasm_hash);
        let dir = open_cache_dir(dir)?;
        if let Ok(module) = load(engine, &dir, &file_name) {
            return Ok(module);
        }
        // Another process may be compiling the same entry: wait for it, then look again.
        let lock = dir
            .open_with(LOCK_FILE, OpenOptions::new().create(true).write(true))
            .context("opening the module cache's lock file")?
            .into_std();
        lock.lock().context("locking the module cache")?;
        let reason = match load(engine, &dir, &file_name) {
            Ok(module) => return Ok(module),
            Err(Miss::Absent) => "first run with this interpreter",
            Err(Miss::Corrupt) => "the cached copy was corrupt",
        };
        let (module, serialized) = compile(engine, wasm, reason, on_event)?;
        store(&dir, &file_name, &serialized).context("writing the module cache")?;
        Ok(module)
    }
}

enum Miss {
    Absent,
    Corrupt,
}

fn open_cache_dir(dir: &Path) -> Result<Dir> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the module cache directory {}", dir.display()))?;
    Dir::open_ambient_dir(dir, ambient_authority())
        .with_context(|| format!("opening the module cache directory {}", dir.display()))
}

/// `guest-<key>.cwasm`, where the key covers the guest and every engine setting.
fn entry_name(engine: &Engine, wasm_hash: &str) -> String {
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    wasm_hash.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let key = hasher.0.finalize().to_hex();
    format!("guest-{}.cwasm", &key.as_str()[..32])
}

fn load(engine: &Engine, dir: &Dir, file_name: &str) -> Result<Module, Miss> {
    let bytes = match dir.read(file_name) {
        Ok(bytes) => bytes,
        Err(_) => return Err(Miss::Absent),
    };
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Miss::Corrupt);
    }
    let (header, payload) = bytes.split_at(HEADER);
    if blake3::hash(payload).as_bytes() != &header[MAGIC.len()..] {
        return Err(Miss::Corrupt);
    }
    // SAFETY: the payload is byte-for-byte what `Engine::precompile_module` produced for this
    // engine configuration (checked above); wasmtime validates the header and configuration.
    unsafe { Module::deserialize(engine, payload) }.map_err(|_| Miss::Corrupt)
}

fn compile(
    engine: &Engine,
    wasm: &[u8],
    reason: &'static str,
    on_event: &dyn Fn(CacheEvent),
) -> Result<(Module, Vec<u8>)> {
    on_event(CacheEvent::Compiling { reason });
    let start = Instant::now();
    let serialized = engine.precompile_module(wasm).context("compiling the guest interpreter")?;
    // SAFETY: produced just now by this engine.
    let module = unsafe { Module::deserialize(engine, &serialized) }
        .context("loading the freshly compiled guest")?;
    on_event(CacheEvent::Compiled { took: start.elapsed() });
    Ok((module, serialized))
}

fn store(dir: &Dir, file_name: &str, serialized: &[u8]) -> Result<()> {
    let tmp = format!("{file_name}.{}.tmp", std::process::id());
    let mut file = dir.create(&tmp)?;
    file.write_all(MAGIC)?;
    file.write_all(blake3::hash(serialized).as_bytes())?;
    file.write_all(serialized)?;
    file.sync_all()?;
    drop(file);
    dir.rename(&tmp, dir, file_name)?;
    Ok(())
}

/// Feeds `Hash` impls into blake3, so the key is stable across processes and Rust versions.
struct Blake3Hasher(blake3::Hasher);

impl Hasher for Blake3Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0.finalize().as_bytes()[..8]);
        u64::from_le_bytes(first)
    }
}
