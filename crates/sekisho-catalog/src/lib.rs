//! Catalogers: what is installed in a filesystem view, and where it came from.
//!
//! Each [`Cataloger`] registers [`sekisho_artifact::Capture`]s for the files it needs, so a target
//! is streamed once; after the walk it parses what was captured from the
//! [`sekisho_artifact::Inventory`] into [`Package`]s. The result is a [`Catalog`]: the OS, the
//! packages and notes on everything that was skipped or not understood.
//!
//! OS detection ([`os::release`]) registers its own captures and runs first, so every cataloger
//! sees the detected OS in its [`Context`]; the OS package catalogers ([`os::dpkg`], [`os::apk`],
//! [`os::rpm`]) live under [`os`], language catalogers under `lang`.

#![forbid(unsafe_code)]

pub mod cataloger;
pub mod lang;
pub mod model;
pub mod os;
pub mod purl;
pub mod registry;

pub use cataloger::{Cataloger, Context};
pub use model::{
    Catalog, Language, OsInfo, Package, PackageKind, PackageLookup, SourcePackage, assign_ids,
};
pub use registry::{
    all_captures, analyze, catalog_inventory, dedupe_owned, default_catalogers, os_captures,
    os_catalogers, scan, scan_with,
};

/// Why one package database or metadata file could not be read. Catalogers turn these into
/// [`sekisho_artifact::Note`]s (a scan never fails because one file is malformed); the parsers
/// return them so callers and fuzzers can see exactly what was wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    /// The bytes are not in the format the file's name promises.
    #[error("{path}: not a valid {format}: {message}")]
    Format {
        path: String,
        format: &'static str,
        message: String,
    },
    /// The file is in a format (or version of one) sekisho does not read.
    #[error("{path}: unsupported {format}: {message}")]
    Unsupported {
        path: String,
        format: &'static str,
        message: String,
    },
    /// A size or count cap was hit.
    #[error("{path}: {format} exceeds a limit: {message}")]
    Limit {
        path: String,
        format: &'static str,
        message: String,
    },
}

impl CatalogError {
    pub(crate) fn format(path: &str, format: &'static str, message: impl Into<String>) -> Self {
        Self::Format {
            path: path.to_string(),
            format,
            message: message.into(),
        }
    }
}
