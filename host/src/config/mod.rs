//! The operator's forms of a policy: the CLI's flags and `applet.toml`, the kv-file host object,
//! and the constructors that take host paths (grants, loader module roots). This is the one
//! layer that touches the host filesystem with ambient authority (with the module cache);
//! `clippy.toml` refuses it everywhere else.

#![allow(clippy::disallowed_methods, reason = "the one layer that opens host paths as the operator")]

mod grants;
pub mod host_file;
mod kv_file;
mod limit_flags;
mod manifest;
mod module_roots;

pub use host_file::is_wasm_module;
pub use kv_file::kv_store;
pub use limit_flags::LimitFlags;
pub use manifest::{MANIFEST_FILE, MANIFEST_KEYS, Manifest, ModuleFlags, NameFlags, PolicyFlags};
