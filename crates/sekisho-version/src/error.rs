//! The one error type of this crate.

use thiserror::Error;

/// A version (or range, or ecosystem name) that could not be understood.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum VersionError {
    /// `version` is not a valid version of `ecosystem`.
    #[error("invalid {ecosystem} version {version:?}: {reason}")]
    Invalid {
        ecosystem: String,
        version: String,
        reason: String,
    },
    /// An npm/semver range expression that could not be parsed.
    #[error("invalid {ecosystem} range {range:?}: {reason}")]
    InvalidRange {
        ecosystem: String,
        range: String,
        reason: String,
    },
    /// An ecosystem name sekisho does not know.
    #[error("unknown ecosystem {0:?}")]
    UnknownEcosystem(String),
}

impl VersionError {
    pub fn invalid(
        ecosystem: impl std::fmt::Display,
        version: &str,
        reason: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            ecosystem: ecosystem.to_string(),
            version: version.to_string(),
            reason: reason.into(),
        }
    }
}
