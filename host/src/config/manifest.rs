//! `applet.toml`: an applet's entry file and policy, in the same words as the CLI's flags.
//!
//! ```toml
//! main = "clock.py"               # the entry file, relative to this manifest
//! args = ["--utc"]                # sys.argv[1:] before any given on the command line
//! dir = ["data::/data", "out::/out::rw"]   # as --dir, host paths relative to this manifest
//! file = ["config.json::/etc/app.json"]    # as --file
//! env = ["LANG=C"]                # as --env
//! object = ["kv=store.json"]      # as --object: a key-value store the applet reaches as padcell.host("kv")
//! audit-log = "audit.jsonl"       # as --audit-log
//!
//! [modules]                       # as --allow-module, --deny-module, --module-root
//! allow = ["csv"]
//! deny = ["random"]
//! roots = ["lib::loader", "/data/plugins"]  # a host directory for the loader alone, a guest directory
//!
//! [names]                         # as --hide-builtin, --show-builtin, --allow-sys, --deny-sys, --allow-os, --deny-os
//! hide-builtin = ["input"]
//! allow-sys = ["getrefcount"]
//! deny-os = ["environ"]
//!
//! [limits]                        # as --fuel, --timeout, --max-memory, --max-output, --max-open-files, --max-disk
//! fuel = 100000000
//! timeout = "2s"
//! memory = "64MiB"
//! output = "1MiB"
//! open-files = 32
//! disk = "100MiB"
//! ```

use crate::config::LimitFlags;
use crate::policy::modules::{ModulePolicy, ModuleRoot, RestrictedNames};
use crate::policy::{GrantKind, Policy, PolicyError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file name `padcell run DIR` looks for.
pub const MANIFEST_FILE: &str = "applet.toml";

/// The flags that shape a policy, whether they come from the command line or a manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyFlags {
    /// `HOST[::GUEST[::ro|rw]]` directory grants.
    #[serde(default)]
    pub dir: Vec<String>,
    /// `HOST[::GUEST[::ro|rw]]` file grants.
    #[serde(default)]
    pub file: Vec<String>,
    /// `KEY=VALUE` environment variables.
    #[serde(default)]
    pub env: Vec<String>,
    /// `NAME=FILE` key-value stores granted as host objects.
    #[serde(default)]
    pub object: Vec<String>,
    /// The `[modules]` table.
    #[serde(default)]
    pub modules: ModuleFlags,
    /// The `[names]` table.
    #[serde(default)]
    pub names: NameFlags,
}

/// What a cell may import: `--allow-module`, `--deny-module`, `--module-root`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ModuleFlags {
    /// Let applet code import this interpreter module too (`*`: every one)
    #[serde(default)]
    #[arg(long = "allow-module", value_name = "NAME")]
    pub allow: Vec<String>,
    /// Refuse this module to applet code, whatever allows it
    #[serde(default)]
    #[arg(long = "deny-module", value_name = "NAME")]
    pub deny: Vec<String>,
    /// Import modules from a guest directory inside a grant, or from a host directory that only
    /// the loader reads (searched in order)
    #[serde(default)]
    #[arg(long = "module-root", value_name = "/GUEST/DIR|HOST::loader")]
    pub roots: Vec<String>,
}

/// Which names applet code sees: `--hide-builtin`, `--show-builtin`, `--allow-sys`,
/// `--deny-sys`, `--allow-os`, `--deny-os`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NameFlags {
    /// Remove this builtin from the cell [default hidden: breakpoint]
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub hide_builtin: Vec<String>,
    /// Keep a builtin the defaults hide
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub show_builtin: Vec<String>,
    /// Let applet code see sys.NAME too (`*`: all of sys)
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub allow_sys: Vec<String>,
    /// Hide sys.NAME from applet code
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub deny_sys: Vec<String>,
    /// Let applet code see os.NAME too (`*`: all of os)
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub allow_os: Vec<String>,
    /// Hide os.NAME from applet code
    #[serde(default)]
    #[arg(long, value_name = "NAME")]
    pub deny_os: Vec<String>,
}

impl PolicyFlags {
    /// Adds these grants and variables to `policy`; relative host paths are taken from `base`.
    pub fn apply(&self, mut policy: Policy, base: &Path) -> Result<Policy, PolicyError> {
        for spec in &self.dir {
            policy = policy.grant(crate::policy::Grant::parse(spec, GrantKind::Dir, base)?)?;
        }
        for spec in &self.file {
            policy = policy.grant(crate::policy::Grant::parse(spec, GrantKind::File, base)?)?;
        }
        for pair in &self.env {
            policy = policy.env_pair(pair)?;
        }
        for spec in &self.object {
            let Some((name, file)) =
                spec.split_once('=').filter(|(n, f)| crate::policy::modules::name::is_identifier(n) && !f.is_empty())
            else {
                return Err(PolicyError::Invalid(format!("--object {spec:?}: expected NAME=FILE, NAME a Python name")));
            };
            let store = crate::config::kv_store(name, base.join(file))
                .map_err(|e| PolicyError::Invalid(format!("--object {spec:?}: {e:#}")))?;
            policy = policy.object(store)?;
        }
        let modules = self.names.apply(self.modules.apply(policy.modules().clone(), base)?)?;
        Ok(policy.with_modules(modules))
    }
}

impl ModuleFlags {
    fn apply(&self, mut modules: ModulePolicy, base: &Path) -> Result<ModulePolicy, PolicyError> {
        for name in &self.allow {
            modules = modules.allow(name)?;
        }
        for name in &self.deny {
            modules = modules.deny(name)?;
        }
        for spec in &self.roots {
            let n = modules.roots.iter().filter(|r| matches!(r, ModuleRoot::Loader(_))).count() + 1;
            modules = modules.root(ModuleRoot::parse(spec, base, n)?)?;
        }
        Ok(modules)
    }
}

impl NameFlags {
    fn apply(&self, mut modules: ModulePolicy) -> Result<ModulePolicy, PolicyError> {
        /// One builder step of [`RestrictedNames`], applied to each name of a flag.
        type Step = fn(RestrictedNames, &str) -> Result<RestrictedNames, PolicyError>;
        let mut names = modules.names.clone();
        let steps: [(&Vec<String>, Step); 6] = [
            (&self.hide_builtin, RestrictedNames::hide_builtin),
            (&self.show_builtin, RestrictedNames::show_builtin),
            (&self.allow_sys, RestrictedNames::allow_sys),
            (&self.deny_sys, RestrictedNames::deny_sys),
            (&self.allow_os, RestrictedNames::allow_os),
            (&self.deny_os, RestrictedNames::deny_os),
        ];
        for (list, step) in steps {
            for name in list {
                names = step(names, name)?;
            }
        }
        modules.names = names;
        Ok(modules)
    }
}

/// Every key `applet.toml` may hold.
pub const MANIFEST_KEYS: &[&str] = &["main", "args", "dir", "file", "env", "object", "audit-log", "limits", "modules", "names"];

/// A parsed `applet.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    /// The entry file, relative to the manifest.
    pub main: String,
    /// `sys.argv` after the entry file, before any arguments from the command line.
    #[serde(default)]
    pub args: Vec<String>,
    /// The same grants and variables as the command line's flags.
    #[serde(flatten)]
    pub flags: PolicyFlags,
    /// The audit log (JSON lines), relative to the manifest; the command line's `--audit-log`
    /// wins over it.
    pub audit_log: Option<String>,
    /// The `[limits]` table.
    #[serde(default)]
    pub limits: LimitFlags,
}

impl Manifest {
    /// Parses a manifest's text. Unknown keys are errors, so a typo never drops a rule.
    pub fn parse(text: &str) -> Result<Manifest, PolicyError> {
        let error = |e: &dyn std::fmt::Display| PolicyError::Invalid(format!("{MANIFEST_FILE}: {}", one_line(&e.to_string())));
        let table: toml::Table = toml::from_str(text).map_err(|e| error(&e))?;
        if let Some(key) = table.keys().find(|k| !MANIFEST_KEYS.contains(&k.as_str())) {
            return Err(PolicyError::Invalid(format!(
                "{MANIFEST_FILE}: unknown key `{key}` (expected one of: {})",
                MANIFEST_KEYS.join(", ")
            )));
        }
        table.try_into().map_err(|e| error(&e))
    }

    /// Reads `DIR/applet.toml`.
    pub fn load(dir: &Path) -> Result<Manifest, PolicyError> {
        let text = crate::config::host_file::read_to_string(&dir.join(MANIFEST_FILE))
            .map_err(|e| PolicyError::Invalid(format!("{e:#}")))?;
        Manifest::parse(&text)
    }

    /// The entry file's host path; it must stay inside the manifest's directory.
    pub fn main_path(&self, dir: &Path) -> Result<PathBuf, PolicyError> {
        let main = Path::new(&self.main);
        if main.is_absolute() || main.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(PolicyError::Invalid(format!(
                "{MANIFEST_FILE}: main {:?} must lie inside the applet's directory",
                self.main
            )));
        }
        Ok(dir.join(main))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
