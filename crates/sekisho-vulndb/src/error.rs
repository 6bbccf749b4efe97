//! The crate's one error type. Every message names the file, URL or record it is about.

use std::path::PathBuf;

/// Errors from opening, building, importing or updating the vulnerability DB.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No DB file at the path (run `sekisho db update` or `sekisho db import`).
    #[error(
        "no vulnerability database at {0} (run `sekisho db update` or `sekisho db import PATH`)"
    )]
    Missing(PathBuf),
    /// The file exists but is not a sekisho DB, or its schema is one this build cannot read.
    #[error("{path}: {reason}")]
    Incompatible { path: PathBuf, reason: String },
    /// SQLite failed.
    #[cfg(feature = "db")]
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input was refused as a whole (zip bomb, over a size cap, bad checksum, unknown format).
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
    /// An import found no advisory record in any of its inputs; nothing was written.
    #[error("{0}")]
    NothingImported(String),
    /// A download failed.
    #[error("download {url}: {reason}")]
    Download { url: String, reason: String },
    /// A configuration file could not be read.
    #[error("config {path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// An ecosystem name sekisho does not know.
    #[error(transparent)]
    Ecosystem(#[from] sekisho_version::VersionError),
}

impl DbError {
    #[allow(dead_code, reason = "used with the `db` feature")]
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
    #[cfg(feature = "db")]
    pub(crate) fn sql(path: impl Into<PathBuf>, source: rusqlite::Error) -> Self {
        Self::Sqlite {
            path: path.into(),
            source,
        }
    }
    #[allow(dead_code, reason = "used with the `db` feature")]
    pub(crate) fn refused(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Refused {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Result alias.
pub type Result<T, E = DbError> = std::result::Result<T, E>;
