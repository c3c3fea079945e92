//! The per-open hook (rexec's `r_open` override): the supervisor is asked about every open a
//! cell makes inside its grants, with the guest path and what the open asks for, and may refuse.

use super::{Access, GuestPath};
use std::sync::Arc;

/// What a per-open hook is asked about.
#[derive(Clone, Debug)]
pub struct OpenRequest<'a> {
    /// The cell's id within its supervisor.
    pub cell: u64,
    /// The path as the guest sees it.
    pub path: &'a GuestPath,
    /// What the open asks for: `ReadWrite` for any open that can change the file.
    pub access: Access,
    /// The open as a Python mode string (`r`, `w`, `a`, `x`, each with `+` where the open also
    /// reads or writes), derived by the host from the open's flags: never what the applet claims.
    pub mode: &'static str,
}

/// Refuses an open with a rule the applet and the audit log will see; `Ok` lets it through to
/// the grant's own rules.
pub type OpenHook = Arc<dyn Fn(&OpenRequest<'_>) -> Result<(), String> + Send + Sync>;

/// The Python mode string for an open with these flags (see [`OpenRequest::mode`]).
pub fn open_mode(read: bool, write: bool, create: bool, exclusive: bool, truncate: bool, append: bool) -> &'static str {
    let plus = |mode: &'static str, with_read: &'static str| if read { with_read } else { mode };
    if create && exclusive {
        plus("x", "x+")
    } else if append {
        plus("a", "a+")
    } else if truncate || create {
        plus("w", "w+")
    } else if write {
        "r+"
    } else {
        "r"
    }
}

#[cfg(test)]
mod tests {
    use super::open_mode;

    #[test]
    fn modes_follow_the_flags_not_the_applet() {
        //          read   write  create excl   trunc  append
        assert_eq!(open_mode(true, false, false, false, false, false), "r");
        assert_eq!(open_mode(true, true, false, false, false, false), "r+");
        assert_eq!(open_mode(false, true, true, false, true, false), "w");
        assert_eq!(open_mode(true, true, true, false, true, false), "w+");
        assert_eq!(open_mode(false, true, true, false, false, true), "a");
        assert_eq!(open_mode(true, true, true, false, false, true), "a+");
        assert_eq!(open_mode(false, true, true, true, false, false), "x");
        assert_eq!(open_mode(true, true, true, true, false, false), "x+");
        // A write with no create or truncate changes the file in place: r+, whatever else.
        assert_eq!(open_mode(false, true, false, false, false, false), "r+");
    }
}
