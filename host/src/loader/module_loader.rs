//! A cell's module loader: answers the guest's [`Ask::Import`] and [`Ask::FindModule`] from the
//! cell's [`ModulePolicy`], reading sources through cap-std.

use super::ModuleCompiler;
use crate::abi::{Answer, FoundModule, MAX_MODULE_SOURCE, Value};
use crate::policy::modules::name::module_parts;
use crate::policy::modules::{AllowList, ModulePolicy, ModuleRoot};
use crate::policy::{Access, PolicyError};
use crate::wasi::control::Budget;
use crate::wasi::fs::{CellFs, Mount, OpenHow, Opened, Route, open_below};
use anyhow::Result;
use std::io::Read;
use std::sync::Arc;

/// The module the guest runtime gives applets: host objects (and, later, nested cells).
const APPLET_API: &str = "padcell";

pub(crate) struct ModuleLoader {
    fs: Arc<CellFs>,
    allow_list: AllowList,
    roots: Vec<OpenRoot>,
    names: Value,
    compiler: Option<Arc<dyn ModuleCompiler>>,
}

/// A module root, opened for one cell.
enum OpenRoot {
    /// Inside directory grant `mount`, at `rel` below it; shown as `shown`.
    Guest { shown: String, mount: Arc<Mount>, rel: String },
    /// A loader-only host directory, shown as `<label>`.
    Loader { shown: String, dir: cap_std::fs::Dir },
    /// An http codebase, shown as `<label>`.
    Remote { shown: String, remote: crate::policy::modules::RemoteRoot },
}

/// A module file found in a root.
struct Found<'r> {
    root: &'r OpenRoot,
    /// Relative to the root, `/`-separated.
    rel: String,
    package: bool,
}

impl ModuleLoader {
    /// Opens `policy`'s roots for the cell whose filesystem is `fs`. A guest root must lie inside
    /// a directory grant.
    pub(crate) fn new(fs: Arc<CellFs>, policy: &ModulePolicy, compiler: Option<Arc<dyn ModuleCompiler>>) -> Result<ModuleLoader> {
        let mut roots = Vec::new();
        for root in &policy.roots {
            roots.push(match root {
                ModuleRoot::Guest(path) => match fs.route(path) {
                    Route::Grant { mount, rel } => OpenRoot::Guest { shown: path.to_string(), mount, rel },
                    _ => {
                        return Err(
                            PolicyError::Grant(format!("module root {path} does not lie inside a directory grant")).into()
                        );
                    }
                },
                ModuleRoot::Loader(root) => {
                    let dir =
                        root.dir().try_clone().map_err(|e| anyhow::anyhow!("opening module root <{}>: {e}", root.label()))?;
                    OpenRoot::Loader { shown: format!("<{}>", root.label()), dir }
                }
                ModuleRoot::Remote(remote) => OpenRoot::Remote { shown: root.to_string(), remote: remote.clone() },
            });
        }
        Ok(ModuleLoader { fs, allow_list: policy.allow_list.clone(), roots, names: policy.names.to_value(), compiler })
    }

    /// `Names`: the names the cell may see of builtins, `sys` and `os`.
    pub(crate) fn names(&self) -> Answer {
        Answer::Value(self.names.clone())
    }

    /// `Import`: may applet code import module `name`? `padcell`, the cell's own API, always.
    pub(crate) fn check_import(&self, name: &str) -> Answer {
        let Some(parts) = module_parts(name) else {
            return Answer::Refused(format!("{:?} is not a module name", truncate(name)));
        };
        let top = parts[0];
        if top == APPLET_API {
            return Answer::Value(Value::None);
        }
        if self.allow_list.is_denied(top) {
            return self.refuse(name, format!("import of '{top}' refused: the cell's policy denies module '{top}'"));
        }
        if self.allow_list.is_allowed(top) || self.find_top(top).is_some() {
            return Answer::Value(Value::None);
        }
        self.refuse(
            name,
            format!("import of '{top}' refused: it is not on the cell's module allow-list and no module root has it"),
        )
    }

    /// `FindModule`: module `name` from the first root that has its top-level package, with
    /// code compiled for the cell under its `budget`; `None` when no root has it.
    pub(crate) fn find_module(&self, name: &str, budget: Budget) -> Answer {
        let Some(parts) = module_parts(name) else {
            return Answer::Refused(format!("{:?} is not a module name", truncate(name)));
        };
        if self.allow_list.is_denied(parts[0]) {
            return self
                .refuse(name, format!("import of '{}' refused: the cell's policy denies module '{}'", parts[0], parts[0]));
        }
        let Some(root) = self.find_top(parts[0]) else {
            return Answer::Value(Value::None);
        };
        let dir = parts.join("/");
        let found = [(format!("{dir}/__init__.py"), true), (format!("{dir}.py"), false)]
            .into_iter()
            .find(|(rel, _)| root.is_file(rel))
            .map(|(rel, package)| Found { root, rel, package });
        match found {
            Some(found) => self.load(name, &found, budget),
            None => Answer::Value(Value::None),
        }
    }

    /// The first root that has `top` as a package or a module: the one it is imported from, with
    /// all its submodules.
    fn find_top(&self, top: &str) -> Option<&OpenRoot> {
        self.roots.iter().find(|root| root.is_file(&format!("{top}/__init__.py")) || root.is_file(&format!("{top}.py")))
    }

    fn load(&self, name: &str, found: &Found<'_>, budget: Budget) -> Answer {
        let filename = format!("{}/{}", found.root.shown(), found.rel);
        if let OpenRoot::Guest { .. } = found.root
            && let Ok(path) = crate::policy::GuestPath::parse_absolute(&filename)
        {
            match self.fs.ask_hook(&path, Access::ReadOnly, "r") {
                Ok(Ok(())) => {}
                Ok(Err(rule)) => return self.refuse(name, rule),
                // The cell is past its deadline (or cancelled): it stops at its next tick.
                Err(_) => return Answer::Refused(format!("cannot import '{name}': the cell must stop")),
            }
        }
        let source = match found.root.read(&found.rel) {
            Ok(source) => source,
            Err(why) => return self.refuse(name, format!("cannot import '{name}' from {filename}: {why}")),
        };
        let code = self.compiler.as_ref().and_then(|compiler| compiler.compile(&filename, &source, budget)).map(|c| c.to_vec());
        Answer::Value(FoundModule { filename, source, package: found.package, code }.into())
    }

    /// Audits a refused import and returns the rule for the guest's `ImportError`.
    fn refuse(&self, name: &str, rule: String) -> Answer {
        self.fs.auditor().record("import", name, Access::ReadOnly, &rule, Vec::new());
        Answer::Refused(rule)
    }
}

impl OpenRoot {
    fn shown(&self) -> &str {
        match self {
            OpenRoot::Guest { shown, .. } | OpenRoot::Loader { shown, .. } | OpenRoot::Remote { shown, .. } => shown,
        }
    }

    /// Whether `rel` is there. A remote module that could not be fetched counts as there, so
    /// that importing it reports why.
    fn is_file(&self, rel: &str) -> bool {
        match self {
            OpenRoot::Remote { remote, .. } => return !matches!(remote.fetch(rel), Ok(None)),
            OpenRoot::Guest { mount, rel: base, .. } => mount.cap.metadata(format!("{base}/{rel}")),
            OpenRoot::Loader { dir, .. } => dir.metadata(rel),
        }
        .is_ok_and(|m| m.is_file())
    }

    /// Reads a module's source: UTF-8, at most [`MAX_MODULE_SOURCE`] bytes.
    fn read(&self, rel: &str) -> Result<String, String> {
        // Opened without blocking, and only if it is a regular file: a FIFO named like a module
        // must not hold the host.
        let opened = match self {
            OpenRoot::Guest { mount, rel: base, .. } => open_below(&mount.cap, &format!("{base}/{rel}"), OpenHow::READ),
            OpenRoot::Loader { dir, .. } => open_below(dir, rel, OpenHow::READ),
            OpenRoot::Remote { remote, .. } => {
                return remote.fetch(rel)?.ok_or_else(|| "the codebase has no such file".to_owned());
            }
        };
        let file = match opened {
            Ok(Opened::File(file)) => file,
            Ok(_) => return Err("it is not a regular file".to_owned()),
            Err(e) => {
                let errno: Option<&wasi_common::snapshots::preview_1::types::Errno> = e.downcast_ref();
                return Err(errno.map_or_else(|| "it cannot be read".to_owned(), |errno| format!("{errno:?}").to_lowercase()));
            }
        };
        let mut bytes = Vec::new();
        file.take(MAX_MODULE_SOURCE as u64 + 1).read_to_end(&mut bytes).map_err(|e| e.kind().to_string())?;
        if bytes.len() > MAX_MODULE_SOURCE {
            return Err(format!("the source is larger than the {} MiB limit", MAX_MODULE_SOURCE >> 20));
        }
        String::from_utf8(bytes).map_err(|_| "the source is not UTF-8".to_owned())
    }
}

/// A hostile name, cut short for a message.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}
