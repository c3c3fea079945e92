//! An applet's codebase: where its modules come from, as a loader-only module root. A page's
//! tags are not trusted to name any host path: a local codebase must lie inside the renderer's
//! root directory, and an http codebase must be on an origin the supervisor allowed.

use super::AppletTag;
use crate::policy::modules::{FetchLimits, LoaderRoot, ModuleRoot, RemoteRoot};
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Where codebases may come from.
#[derive(Clone, Debug)]
pub struct CodebaseRules {
    /// Local codebases lie inside this directory (canonical).
    pub(crate) root: PathBuf,
    /// The same directory, opened: codebases are opened below it, so no link or rename can
    /// lead one outside the site.
    root_dir: Arc<Dir>,
    /// Origins (`http://host:port`) http codebases may be fetched from; none by default.
    pub origins: Vec<String>,
    /// What fetching one http codebase may cost the host.
    pub fetch: FetchLimits,
}

/// The label tracebacks show for a codebase's files: `<codebase>/Clock.py`.
const LABEL: &str = "codebase";

impl CodebaseRules {
    /// Local codebases must lie inside `root`.
    #[allow(clippy::disallowed_methods, reason = "the site root is a host path the operator names; opened here")]
    pub fn new(root: &Path) -> std::io::Result<CodebaseRules> {
        let root = std::fs::canonicalize(root)?;
        let root_dir = Arc::new(Dir::open_ambient_dir(&root, cap_std::ambient_authority())?);
        Ok(CodebaseRules { root, root_dir, origins: Vec::new(), fetch: FetchLimits::default() })
    }

    /// The module root for `tag`, on a page in directory `page_dir` (below the root). A
    /// relative codebase is relative to the page, `/x` to the root; none means the page's own
    /// directory. The error names the rule and never a host path.
    pub(crate) fn module_root(&self, tag: &AppletTag, page_dir: &Path, module: &str) -> Result<ModuleRoot, String> {
        let codebase = tag.codebase.as_deref().unwrap_or("").trim();
        if let Some((scheme, _)) = codebase.split_once(':').filter(|(s, _)| s.chars().all(|c| c.is_ascii_alphanumeric())) {
            if !scheme.eq_ignore_ascii_case("http") {
                return Err(format!("codebase {codebase:?}: only local and http:// codebases can be used"));
            }
            return self.remote(codebase, tag.sha256.as_deref(), module);
        }
        if tag.sha256.is_some() {
            return Err("data-sha256 pins only an http codebase".to_owned());
        }
        let relative = Path::new(codebase);
        if relative.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))) {
            return Err(format!("codebase {codebase:?} may not use '..'"));
        }
        let not_inside = || format!("codebase {codebase:?} is not a directory inside the site");
        // Relative to the site root: the page's directory (canonical, below the root) for a
        // relative codebase, the root itself for `/x`.
        let base = match codebase.starts_with('/') {
            true => PathBuf::new(),
            false => page_dir.strip_prefix(&self.root).map_err(|_| not_inside())?.to_path_buf(),
        };
        let rel = base.join(codebase.trim_start_matches('/'));
        // Opened below the site's own handle: cap-std follows links only while they stay inside.
        let shown = if rel.as_os_str().is_empty() { Path::new(".") } else { rel.as_path() };
        let dir = self.root_dir.open_dir(shown).map_err(|_| not_inside())?;
        Ok(ModuleRoot::Loader(LoaderRoot { host: self.root.join(&rel), label: LABEL.to_owned(), dir: Arc::new(dir) }))
    }

    fn remote(&self, url: &str, sha256: Option<&str>, module: &str) -> Result<ModuleRoot, String> {
        let origin =
            url::Url::parse(url).map_err(|e| format!("codebase {url:?} is not a URL: {e}"))?.origin().ascii_serialization();
        if !self.origins.iter().any(|allowed| allowed.trim_end_matches('/') == origin) {
            return Err(format!("codebase origin {origin} is not allowed (allow it with --allow-origin {origin})"));
        }
        let pins = pins(sha256.unwrap_or(""), module)?;
        Ok(ModuleRoot::Remote(RemoteRoot::new(url, LABEL, pins, self.fetch).map_err(|e| e.to_string())?))
    }
}

/// `data-sha256`: one digest, for the classid's module, or `module=digest` pairs.
fn pins(spec: &str, module: &str) -> Result<BTreeMap<String, String>, String> {
    let mut pins = BTreeMap::new();
    for word in spec.split_whitespace() {
        let (name, digest) = word.split_once('=').unwrap_or((module, word));
        if pins.insert(name.to_owned(), digest.to_owned()).is_some() {
            return Err(format!("data-sha256 pins module {name:?} twice"));
        }
    }
    Ok(pins)
}
