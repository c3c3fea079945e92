//! The on-disk cache of compiled code: the interpreter, and every plain WASI module a supervisor
//! runs.
//!
//! Cranelift takes seconds to compile the interpreter; mapping the result takes milliseconds. An
//! entry is keyed by the module bytes' blake3 hash and the engine's compatibility hash (wasmtime version,
//! target, and every setting that changes generated code), so a stale entry is never looked up.
//!
//! wasmtime checks a compiled module's header, not its code, so a corrupt file must be caught
//! before it is loaded. Beside each `.cwasm` lies a `.check` file: the blake3 hash of the
//! `.cwasm`, and the file's stamp (device, inode, size, mtime, ctime) when that hash was last
//! verified. A load whose stamp matches maps the file without reading it; any change to the file
//! changes its ctime, and a changed or missing stamp means a full re-hash. A corrupt or
//! unloadable entry is rebuilt. Writers take a lock and rename finished files into place, so
//! processes that start together compile once and never see half a file.

#![allow(clippy::disallowed_methods, reason = "the module cache is the supervisor's own directory, not a cell's")]

use anyhow::{Context, Result};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::{Engine, Module};

const LOCK_FILE: &str = ".lock";
const PREINIT_LOCK_FILE: &str = ".lock-preinit";
/// Names the pre-initialized guests (see `snapshot`).
const PREINIT_PREFIX: &str = "preinit-";

/// What a cache entry holds; each kind is named and pruned on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleKind {
    /// The Python interpreter (about 75 MB compiled).
    Interpreter,
    /// A plain WASI module run with `padcell run MODULE.wasm` (usually small).
    WasiModule,
}

impl ModuleKind {
    fn prefix(self) -> &'static str {
        match self {
            ModuleKind::Interpreter => "guest-",
            ModuleKind::WasiModule => "module-",
        }
    }

    /// How many entries of this kind a cache directory keeps; older ones are removed when a new
    /// one is stored.
    fn keep(self) -> usize {
        match self {
            ModuleKind::Interpreter => 4,
            ModuleKind::WasiModule => 64,
        }
    }
}

/// Where compiled modules live, and what to tell the user while compiling.
pub struct ModuleCache {
    dir: Option<PathBuf>,
}

/// What happened while getting a module; the CLI turns it into a progress line.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CacheEvent {
    /// Nothing usable was cached; a compile starts now.
    Compiling {
        /// What is compiled.
        kind: ModuleKind,
        /// Why the cache could not serve it, in a few words for the user ("the cached copy was
        /// corrupt").
        reason: &'static str,
    },
    /// The compile finished (and was stored, when the cache has a directory).
    Compiled {
        /// What was compiled.
        kind: ModuleKind,
        /// How long the compile took.
        took: Duration,
    },
    /// No pre-initialized interpreter was cached: wizer makes one now.
    Preinitializing,
    /// The snapshot is made (and stored, when the cache has a directory).
    Preinitialized {
        /// How long making the snapshot took.
        took: Duration,
    },
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

    /// The file that holds (or will hold) the compiled form of the module with `wasm_hash`.
    pub fn entry_path(&self, engine: &Engine, kind: ModuleKind, wasm_hash: &str) -> Option<PathBuf> {
        let name = entry_name(engine, kind, wasm_hash);
        self.dir.as_ref().map(|d| d.join(format!("{name}.cwasm")))
    }

    /// The module stored as `preinit-<key>.wasm` (the pre-initialized guest), made by `make`
    /// and stored if no sound copy exists. Stored like compiled code: whole, with a blake3
    /// check; the two newest are kept.
    pub(crate) fn load_or_make(&self, key: &str, make: &dyn Fn() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
        let Some(dir) = &self.dir else { return make() };
        let dir = open_cache_dir(dir)?;
        let (name, check) = (format!("{PREINIT_PREFIX}{key}.wasm"), format!("{PREINIT_PREFIX}{key}.check"));
        let sound = |dir: &Dir| -> Option<Vec<u8>> {
            let bytes = dir.read(&name).ok()?;
            let hash = dir.read_to_string(&check).ok()?;
            (blake3::hash(&bytes).to_hex().as_str() == hash.trim()).then_some(bytes)
        };
        if let Some(bytes) = sound(&dir) {
            return Ok(bytes);
        }
        // Its own lock: this runs while the compiled entry's lock is held.
        let _lock = lock(&dir, PREINIT_LOCK_FILE)?;
        if let Some(bytes) = sound(&dir) {
            return Ok(bytes);
        }
        let bytes = make()?;
        write_atomically(&dir, &name, &bytes).context("writing the module cache")?;
        write_atomically(&dir, &check, blake3::hash(&bytes).to_hex().as_bytes())?;
        prune(&dir, PREINIT_PREFIX, ".wasm", 2);
        Ok(bytes)
    }

    /// The compiled form of `wasm`, from the cache if a sound entry exists.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        kind: ModuleKind,
        wasm: &[u8],
        wasm_hash: &str,
        on_event: &dyn Fn(CacheEvent),
    ) -> Result<Module> {
        self.load_or_build(engine, kind, wasm_hash, &|| Ok(Cow::Borrowed(wasm)), on_event)
    }

    /// The compiled form of the module `make_wasm` makes, whose identity is `key`: `make_wasm`
    /// runs only when no sound entry exists (the pre-initialized interpreter is costly to make).
    pub(crate) fn load_or_build<'w>(
        &self,
        engine: &Engine,
        kind: ModuleKind,
        key: &str,
        make_wasm: &dyn Fn() -> Result<Cow<'w, [u8]>>,
        on_event: &dyn Fn(CacheEvent),
    ) -> Result<Module> {
        let Some(dir) = &self.dir else {
            return compile(engine, kind, &make_wasm()?, "no cache directory", on_event).map(|(m, _)| m);
        };
        let name = entry_name(engine, kind, key);
        let dir = open_cache_dir(dir)?;
        if let Ok(module) = load(engine, &dir, &name) {
            return Ok(module);
        }
        // Another process may be compiling the same entry: wait for it, then look again.
        let _lock = lock(&dir, LOCK_FILE)?;
        let reason = match load(engine, &dir, &name) {
            Ok(module) => return Ok(module),
            Err(Miss::Absent) => match kind {
                ModuleKind::Interpreter => "first run with this interpreter",
                ModuleKind::WasiModule => "first run of this module",
            },
            Err(Miss::Corrupt) => "the cached copy was corrupt",
        };
        let (module, serialized) = compile(engine, kind, &make_wasm()?, reason, on_event)?;
        store(&dir, &name, &serialized).context("writing the module cache")?;
        prune(&dir, kind.prefix(), ".cwasm", kind.keep());
        Ok(module)
    }
}

enum Miss {
    Absent,
    Corrupt,
}

/// Holds the cache's lock file `name` (released when the file is dropped).
fn lock(dir: &Dir, name: &str) -> Result<std::fs::File> {
    let file = dir
        .open_with(name, OpenOptions::new().create(true).write(true))
        .context("opening the module cache's lock file")?
        .into_std();
    file.lock().context("locking the module cache")?;
    Ok(file)
}

fn open_cache_dir(dir: &Path) -> Result<Dir> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the module cache directory {}", dir.display()))?;
    Dir::open_ambient_dir(dir, ambient_authority())
        .with_context(|| format!("opening the module cache directory {}", dir.display()))
}

/// `guest-<key>` or `module-<key>`, where the key covers the module and every engine setting.
fn entry_name(engine: &Engine, kind: ModuleKind, wasm_hash: &str) -> String {
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    wasm_hash.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let key = hasher.0.finalize().to_hex();
    format!("{}{}", kind.prefix(), &key.as_str()[..32])
}

#[allow(unsafe_code, reason = "wasmtime's deserialize_open_file: a checked cache file (see SAFETY)")]
fn load(engine: &Engine, dir: &Dir, name: &str) -> Result<Module, Miss> {
    let code_name = format!("{name}.cwasm");
    let Ok(file) = dir.open(&code_name) else {
        return Err(Miss::Absent);
    };
    let file = file.into_std();
    let stamp = file.metadata().map(|m| stamp(&m)).map_err(|_| Miss::Corrupt)?;
    let check = dir.read_to_string(format!("{name}.check")).map_err(|_| Miss::Corrupt)?;
    let (hash, verified) = check.split_once('\n').ok_or(Miss::Corrupt)?;
    if verified.trim_end() != stamp {
        let bytes = dir.read(&code_name).map_err(|_| Miss::Corrupt)?;
        if blake3::hash(&bytes).to_hex().as_str() != hash {
            return Err(Miss::Corrupt);
        }
        // Verified again: remember it, so the next start maps the file without reading it.
        let _ = write_atomically(dir, &format!("{name}.check"), format!("{hash}\n{stamp}\n").as_bytes());
    }
    // SAFETY: the file is byte-for-byte what `Engine::precompile_module` produced for this
    // engine configuration (its hash was verified while it had this very stamp); wasmtime
    // validates the header and configuration, and maps the file copy-on-write.
    unsafe { Module::deserialize_open_file(engine, file) }.map_err(|_| Miss::Corrupt)
}

/// What identifies one version of a file on disk: any write changes its ctime.
fn stamp(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{}:{}:{}:{}.{}:{}.{}",
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        )
    }
    #[cfg(not(unix))]
    {
        format!("{}:{:?}", meta.len(), meta.modified().ok())
    }
}

#[allow(unsafe_code, reason = "wasmtime's deserialize: the bytes were produced by this engine just now")]
fn compile(
    engine: &Engine,
    kind: ModuleKind,
    wasm: &[u8],
    reason: &'static str,
    on_event: &dyn Fn(CacheEvent),
) -> Result<(Module, Vec<u8>)> {
    on_event(CacheEvent::Compiling { kind, reason });
    let start = Instant::now();
    let serialized = engine.precompile_module(wasm).context(match kind {
        ModuleKind::Interpreter => "compiling the guest interpreter",
        ModuleKind::WasiModule => "compiling the module",
    })?;
    // SAFETY: produced just now by this engine.
    let module = unsafe { Module::deserialize(engine, &serialized) }.context("loading the freshly compiled module")?;
    on_event(CacheEvent::Compiled { kind, took: start.elapsed() });
    Ok((module, serialized))
}

fn store(dir: &Dir, name: &str, serialized: &[u8]) -> Result<()> {
    let code_name = format!("{name}.cwasm");
    write_atomically(dir, &code_name, serialized)?;
    let stamp = stamp(&dir.open(&code_name)?.into_std().metadata()?);
    let hash = blake3::hash(serialized).to_hex();
    write_atomically(dir, &format!("{name}.check"), format!("{hash}\n{stamp}\n").as_bytes())
}

/// Removes all but the `keep` newest `<prefix><stem><ext>` files, with their checks. Best effort:
/// a cache that cannot be pruned still works.
fn prune(dir: &Dir, prefix: &str, ext: &str, keep: usize) {
    let Ok(entries) = dir.entries() else { return };
    let mut codes: Vec<(cap_std::time::SystemTime, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_prefix(prefix)?.strip_suffix(ext)?.to_owned();
            Some((e.metadata().ok()?.modified().ok()?, stem))
        })
        .collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, stem) in codes.into_iter().skip(keep) {
        let _ = dir.remove_file(format!("{prefix}{stem}{ext}"));
        let _ = dir.remove_file(format!("{prefix}{stem}.check"));
    }
}

/// Writes `bytes` to a temporary file and renames it over `name`, so readers see all or nothing.
fn write_atomically(dir: &Dir, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = format!("{name}.{}.tmp", std::process::id());
    let mut file = dir.create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    dir.rename(&tmp, dir, name)?;
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
