//! The pipeline's one error type: a kind a caller can map (an exit code, an HTTP status) plus
//! what was being done, with the cause kept as the source.

use std::fmt;

/// What kind of failure stopped a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request itself is wrong (an unknown scanner, conflicting options, a bad platform).
    Usage,
    /// The target could not be opened or read (missing file, corrupt archive, digest mismatch).
    Target,
    /// A registry refused or failed (authentication, not found, network).
    Registry,
    /// The vulnerability DB could not be opened, updated or read.
    Database,
    /// A policy input (ignore file, VEX document) could not be read.
    Policy,
    /// A bound was hit (decompression bomb, size cap).
    Limit,
    /// The caller cancelled the scan.
    Cancelled,
    /// An analyzer failed.
    Analyzer,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Usage => "usage",
            Self::Target => "target",
            Self::Registry => "registry",
            Self::Database => "database",
            Self::Policy => "policy",
            Self::Limit => "limit",
            Self::Cancelled => "cancelled",
            Self::Analyzer => "analyzer",
        })
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A scan failure: its [`ErrorKind`], what was being done (`cannot pull image alpine`), and the
/// cause.
#[derive(Debug)]
pub struct ScanError {
    kind: ErrorKind,
    context: String,
    source: Option<Source>,
}

impl ScanError {
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Self {
        Self {
            kind,
            context: context.into(),
            source: None,
        }
    }

    pub fn with_source(
        kind: ErrorKind,
        context: impl Into<String>,
        source: impl Into<Source>,
    ) -> Self {
        Self {
            kind,
            context: context.into(),
            source: Some(source.into()),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    pub(crate) fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "the scan was cancelled")
    }
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for ScanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The kind of an image error: a registry step, a size bound, or the target itself.
pub(crate) fn image_kind(e: &sekisho_artifact::image::ImageError) -> ErrorKind {
    use sekisho_artifact::image::ImageError as E;
    match e {
        E::Registry { .. } => ErrorKind::Registry,
        E::Invalid { message, .. } if message.contains("limit") => ErrorKind::Limit,
        _ => ErrorKind::Target,
    }
}

/// The kind of a walk error.
pub(crate) fn walk_kind(e: &sekisho_artifact::WalkError) -> ErrorKind {
    use sekisho_artifact::WalkError as E;
    match e {
        E::Cancelled => ErrorKind::Cancelled,
        E::Layer { message, .. } if message.contains("limit") => ErrorKind::Limit,
        _ => ErrorKind::Target,
    }
}
