//! The limit flags: the CLI's `--fuel`, `--timeout` and `--max-*` options and the manifest's
//! `[limits]` table are one type, turned into [`Limits`]. Defaults are not repeated here: the
//! help text reads them from [`Limits::DEFAULT`].

use crate::policy::{Limits, PolicyError};
use serde::Deserialize;
use std::time::Duration;

/// The limit flags, from the command line or the manifest's `[limits]` table (whose keys are
/// the flags' names without `--max-`: `memory`, `output`, `open-files`, `disk`, `file-size`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitFlags {
    /// CPU budget in wasmtime fuel units (about one per wasm instruction) [default: unmetered]
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Wall-clock limit per call: `500ms`, `2s`, `1m`.
    #[arg(long, value_name = "DURATION", help = with_default("Wall-clock limit, e.g. 500ms, 2s, 1m", duration(Limits::DEFAULT.timeout)))]
    pub timeout: Option<String>,
    /// Memory limit: `64MiB`, `1GB`, `1048576`.
    #[arg(long = "max-memory", value_name = "SIZE", help = with_default("Memory limit, e.g. 64MiB", size(Limits::DEFAULT.memory)))]
    pub memory: Option<String>,
    /// Limit on stdout and stderr together.
    #[arg(long = "max-output", value_name = "SIZE", help = with_default("Limit on stdout and stderr together, e.g. 1MiB", size(Limits::DEFAULT.output)))]
    pub output: Option<String>,
    /// Files and directories the cell may hold open at once.
    #[arg(long = "max-open-files", value_name = "N", help = with_default("Files and directories the cell may hold open at once", Limits::DEFAULT.open_files.to_string()))]
    pub open_files: Option<u32>,
    /// Bytes the cell may write to files in its read-write grants, over its life.
    #[arg(long = "max-disk", value_name = "SIZE", help = with_default("Bytes the cell may write to files in its read-write grants, e.g. 100MiB", size(Limits::DEFAULT.disk)))]
    pub disk: Option<String>,
    /// The size one file may reach through the cell's writes.
    #[arg(long = "max-file-size", value_name = "SIZE", help = with_default("The size one file may reach through the cell's writes, e.g. 10MiB", size(Limits::DEFAULT.file_size)))]
    pub file_size: Option<String>,
}

impl LimitFlags {
    /// `limits` with every flag that is set applied.
    pub fn apply(&self, mut limits: Limits) -> Result<Limits, PolicyError> {
        if let Some(fuel) = self.fuel {
            limits.fuel = Some(fuel);
        }
        if let Some(t) = &self.timeout {
            limits.timeout = humantime::parse_duration(t)
                .map_err(|e| PolicyError::Invalid(format!("timeout {t:?}: {e} (use e.g. 500ms, 2s, 1m)")))?;
        }
        if let Some(n) = self.open_files {
            limits.open_files = n;
        }
        let sizes = [
            ("memory", &self.memory, &mut limits.memory),
            ("output", &self.output, &mut limits.output),
            ("disk", &self.disk, &mut limits.disk),
            ("file-size", &self.file_size, &mut limits.file_size),
        ];
        for (what, flag, value) in sizes {
            if let Some(text) = flag {
                *value = parse_size(what, text)?;
            }
        }
        Ok(limits)
    }
}

fn parse_size(what: &str, s: &str) -> Result<u64, PolicyError> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| PolicyError::Invalid(format!("{what} size {s:?}: {e} (use e.g. 64MiB, 1GB)")))
}

fn with_default(help: &str, default: String) -> String {
    format!("{help} [default: {default}]")
}

fn size(bytes: u64) -> String {
    bytesize::ByteSize(bytes).to_string()
}

fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}
