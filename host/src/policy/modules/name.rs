//! Module and attribute names, as the host accepts them from a policy or a guest.

/// The longest dotted module name the host looks up.
pub(crate) const MAX_MODULE_NAME: usize = 256;

/// A Python identifier: a letter or `_`, then letters, digits or `_`.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic()) && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A dotted module name (`pkg.sub.mod`) of identifiers, no longer than [`MAX_MODULE_NAME`].
/// Its parts are safe as path components: no `.`, `..`, `/` or NUL can appear.
pub(crate) fn module_parts(name: &str) -> Option<Vec<&str>> {
    if name.len() > MAX_MODULE_NAME {
        return None;
    }
    let parts: Vec<&str> = name.split('.').collect();
    parts.iter().all(|p| is_identifier(p)).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert_eq!(module_parts("pkg.sub"), Some(vec!["pkg", "sub"]));
        assert_eq!(module_parts("_x1"), Some(vec!["_x1"]));
        for bad in ["", ".", "a..b", "../etc", "a/b", "1a", "a.", "a\0b", "a b"] {
            assert_eq!(module_parts(bad), None, "{bad:?}");
        }
        assert_eq!(module_parts(&"a".repeat(MAX_MODULE_NAME + 1)), None);
    }
}
