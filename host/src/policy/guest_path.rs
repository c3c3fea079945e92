//! Paths as the guest names them: absolute, `/`-separated, normalized lexically.

use std::fmt;

/// A normalized absolute guest path: no `.`, no `..`, no empty components. `/` has no components.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GuestPath {
    parts: Vec<String>,
}

impl GuestPath {
    /// `/`, the path with no components.
    pub fn root() -> GuestPath {
        GuestPath::default()
    }

    /// Parses a grant's guest path, which must be absolute and must not climb (`..`).
    pub fn parse_absolute(path: &str) -> Result<GuestPath, String> {
        if !path.starts_with('/') {
            return Err(format!("guest path {path:?} is not absolute"));
        }
        let mut parts = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(format!("guest path {path:?} contains '..'")),
                p => parts.push(p.to_owned()),
            }
        }
        Ok(GuestPath { parts })
    }

    /// `rel` resolved against `self` lexically, as the guest's libc would see it: an absolute
    /// `rel` starts over at `/`, and `..` at `/` stays at `/`. Symlinks are left to the host
    /// filesystem layer, which resolves them inside the grant.
    pub fn join(&self, rel: &str) -> GuestPath {
        let mut parts = if rel.starts_with('/') { Vec::new() } else { self.parts.clone() };
        for part in rel.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p.to_owned()),
            }
        }
        GuestPath { parts }
    }

    /// Like [`GuestPath::join`], but `None` when `rel` or the result is longer than `max` bytes:
    /// a hostile path is refused before the host allocates per component for it.
    pub fn join_bounded(&self, rel: &str, max: usize) -> Option<GuestPath> {
        if rel.len() > max {
            return None;
        }
        let joined = self.join(rel);
        (joined.display_len() <= max).then_some(joined)
    }

    /// The length of the path as displayed, in bytes.
    pub fn display_len(&self) -> usize {
        self.parts.iter().map(|p| p.len() + 1).sum::<usize>().max(1)
    }

    /// The components from the root down, without separators.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// Whether this is `/`.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &GuestPath) -> bool {
        self.parts.starts_with(&other.parts)
    }

    /// The components of `self` below `base` (which it must start with), as a relative path.
    pub fn relative_to(&self, base: &GuestPath) -> Option<String> {
        self.parts.strip_prefix(base.parts.as_slice()).map(|rest| rest.join("/"))
    }
}

impl fmt::Display for GuestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.is_empty() {
            return f.write_str("/");
        }
        for part in &self.parts {
            write!(f, "/{part}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_a_libc_would_but_never_climbs_past_root() -> Result<(), String> {
        let data = GuestPath::parse_absolute("/data//sub/.")?;
        assert_eq!(data.to_string(), "/data/sub");
        assert_eq!(data.join("../x/./y/").to_string(), "/data/x/y");
        assert_eq!(data.join("../../../../etc").to_string(), "/etc");
        assert_eq!(data.join("/abs").to_string(), "/abs");
        assert!(GuestPath::parse_absolute("rel").is_err());
        assert!(GuestPath::parse_absolute("/a/../b").is_err());
        assert_eq!(data.join_bounded("x", 12).map(|p| p.to_string()), Some("/data/sub/x".into()));
        assert_eq!(data.join_bounded("xy", 10), None);
        assert_eq!(data.join_bounded(&"a/".repeat(5000), 4096), None);
        assert_eq!(data.join("f").relative_to(&GuestPath::parse_absolute("/data")?), Some("sub/f".into()));
        Ok(())
    }
}
