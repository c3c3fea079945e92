//! Why a policy cannot be built, typed so that callers can tell a bad flag from a refused
//! escalation. Each variant is shown as one line.

/// A policy that cannot be built: a bad value, a grant that cannot be made, two rules that
/// conflict, or a child asking for more than its parent has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A value that does not parse or is out of range (a flag, a name, a size).
    #[error("{0}")]
    Invalid(String),
    /// A host path that cannot be granted (missing, of the wrong kind, a link leading out).
    #[error("{0}")]
    Grant(String),
    /// Two rules that cannot stand together (two grants at one guest path, a read-only grant
    /// inside a read-write one, a name given twice).
    #[error("{0}")]
    Conflict(String),
    /// A child cell asked for more than its parent has (see `policy::narrow`).
    #[error("{0}")]
    Escalation(String),
}
