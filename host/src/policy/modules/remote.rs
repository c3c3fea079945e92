//! A module root served over http (a Grail applet's `CODEBASE="http://..."`). Only the host's
//! loader fetches from it: the cell has no network, and sees the modules' source only once the
//! loader has accepted them. Every fetch is bounded: a size cap per module, one deadline for all
//! of a codebase's fetches, a cap on how many it makes, and optional sha256 pins.

use crate::policy::PolicyError;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How much an http codebase may cost the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchLimits {
    /// The largest module source fetched, in bytes.
    pub max_bytes: u64,
    /// All of one codebase's fetches end within this time, counted from the first.
    pub timeout: Duration,
    /// The most requests one codebase may make (each import the applet tries can cost two).
    pub max_requests: u32,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits { max_bytes: 1 << 20, timeout: Duration::from_secs(10), max_requests: 64 }
    }
}

/// An http codebase. Clones share one cache of what was fetched, so a module is fetched once
/// per codebase however many times it is looked for.
#[derive(Clone)]
pub struct RemoteRoot {
    inner: Arc<Remote>,
}

struct Remote {
    /// Ends with `/`.
    base: String,
    label: String,
    /// Module name to lowercase hex sha256. When any are given, every module must have one.
    pins: BTreeMap<String, String>,
    limits: FetchLimits,
    agent: ureq::Agent,
    state: Mutex<FetchState>,
}

#[derive(Default)]
struct FetchState {
    started: Option<Instant>,
    requests: u32,
    /// Path below the base to its source, `None` for "not there", or why it could not be had.
    fetched: HashMap<String, Result<Option<String>, String>>,
}

impl RemoteRoot {
    /// A codebase at `base`, an `http://` URL, labelled `label` in tracebacks. `pins` maps module
    /// names (`report.parse`) to sha256 digests in hex.
    pub fn new(base: &str, label: &str, pins: BTreeMap<String, String>, limits: FetchLimits) -> Result<RemoteRoot, PolicyError> {
        let url = url::Url::parse(base).map_err(|e| PolicyError::Invalid(format!("codebase {base:?} is not a URL: {e}")))?;
        if url.scheme() != "http" || url.host_str().is_none() {
            return Err(PolicyError::Invalid(format!("codebase {base:?}: only http:// codebases can be fetched")));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(PolicyError::Invalid(format!("codebase {base:?}: a codebase URL has no query, fragment or user")));
        }
        for (module, digest) in &pins {
            if super::name::module_parts(module).is_none() || digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(PolicyError::Invalid(format!("pin {module}={digest}: give MODULE=SHA256 (64 hex digits)")));
            }
        }
        let pins = pins.into_iter().map(|(m, d)| (m, d.to_ascii_lowercase())).collect();
        let mut base = url.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        // No redirects: a codebase is where its modules are, and nowhere else.
        let agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
        let remote = Remote { base, label: label.to_owned(), pins, limits, agent, state: Mutex::default() };
        Ok(RemoteRoot { inner: Arc::new(remote) })
    }

    /// The codebase's URL, ending with `/`.
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    pub(crate) fn label(&self) -> &str {
        &self.inner.label
    }

    /// The source at `rel` (`a/b.py`) below the base: `Ok(None)` if the server has none, or why
    /// it cannot be used.
    pub(crate) fn fetch(&self, rel: &str) -> Result<Option<String>, String> {
        let mut state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = state.fetched.get(rel) {
            return known.clone();
        }
        let result = self.inner.fetch_new(&mut state, rel);
        state.fetched.insert(rel.to_owned(), result.clone());
        result
    }
}

impl Remote {
    fn fetch_new(&self, state: &mut FetchState, rel: &str) -> Result<Option<String>, String> {
        let started = *state.started.get_or_insert_with(Instant::now);
        let left = self.limits.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(format!("the codebase's fetches took longer than {:?}", self.limits.timeout));
        }
        if state.requests >= self.limits.max_requests {
            return Err(format!("the codebase made more than {} requests", self.limits.max_requests));
        }
        state.requests += 1;
        let url = format!("{}{rel}", self.base);
        let request = self.agent.get(&url).config().timeout_global(Some(left)).build();
        let mut response = request.call().map_err(|e| format!("fetching it failed: {e}"))?;
        match response.status().as_u16() {
            200 => {}
            404 | 410 => return Ok(None),
            status => return Err(format!("the codebase answered HTTP {status}")),
        }
        let bytes = response.body_mut().with_config().limit(self.limits.max_bytes).read_to_vec().map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => format!("it is larger than the {} byte limit", self.limits.max_bytes),
            other => format!("reading it failed: {other}"),
        })?;
        self.check_pin(rel, &bytes)?;
        String::from_utf8(bytes).map(Some).map_err(|_| "the source is not UTF-8".to_owned())
    }

    /// With pins, a module's source must hash to its pin, and a module without one is refused.
    fn check_pin(&self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        if self.pins.is_empty() {
            return Ok(());
        }
        let module = rel.trim_end_matches(".py").trim_end_matches("/__init__").replace('/', ".");
        let Some(pin) = self.pins.get(&module) else {
            return Err(format!("the codebase is pinned and module '{module}' has no pin"));
        };
        let digest: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        if &digest != pin {
            return Err(format!("its sha256 {digest} does not match the pin {pin}"));
        }
        Ok(())
    }
}

impl PartialEq for RemoteRoot {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.inner, &other.inner);
        a.base == b.base && a.label == b.label && a.pins == b.pins && a.limits == b.limits
    }
}

impl Eq for RemoteRoot {}

impl fmt::Debug for RemoteRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteRoot").field("base", &self.inner.base).field("pins", &self.inner.pins).finish()
    }
}
