//! The data a match produces and the data it consumes. Findings are plain data with stable
//! vocabularies (severity, status), so reports can render them without knowing how they were made.

use serde::{Deserialize, Serialize};

pub use sekisho_finding::Severity;
pub use sekisho_finding::vuln::{
    Coverage, Rating, RatingMethod, Status, VexApplied, Vulnerability, choose_severity,
};

/// One advisory as the vulnerability DB gives it for one package in one ecosystem, normalised
/// for matching: the advisory-level fields plus the one `affected[]` entry that names the package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// OSV `upstream` (schema ≥ 1.7): the IDs this record was derived from.
    #[serde(default)]
    pub upstream: Vec<String>,
    /// OSV `related`: related but not the same vulnerability (ALSA lists its CVEs here).
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub modified: Option<String>,
    /// A bug-fix or enhancement erratum (the DB's verdict): never matches.
    #[serde(default)]
    pub non_security: bool,
    /// When set, the advisory was withdrawn and never matches.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Reference URLs, advisory page first when known.
    #[serde(default)]
    pub references: Vec<String>,
    /// Every rating the DB holds for this advisory (advisory-level and for this `affected` entry).
    #[serde(default)]
    pub ratings: Vec<Rating>,
    /// The ecosystem with release as stored (`Debian:12`).
    pub ecosystem: String,
    /// The package name as the advisory names it.
    pub package: String,
    /// The `affected[]` entry (ranges, versions, ecosystem_specific, database_specific).
    pub affected: sekisho_version::osv::Affected,
    /// A status the distro declared for this package (Debian `unimportant` → will_not_fix,
    /// `end-of-life` → end_of_life), when it has one.
    #[serde(default)]
    pub declared_status: Option<Status>,
}

/// Where advisories come from. The vulnerability DB implements this; tests use an in-memory one.
pub trait AdvisorySource {
    /// Every advisory that names `package` in `ecosystem` (with release, e.g. `Debian:12`).
    ///
    /// # Errors
    /// When the store cannot be read.
    fn candidates(&self, ecosystem: &str, package: &str) -> Result<Vec<Candidate>, SourceError>;

    /// Whether the DB holds any advisory data for `ecosystem` (with release). A scan says so when
    /// it does not, instead of showing the packages as clean.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn has_data_for(&self, ecosystem: &str) -> Result<bool, SourceError>;

    /// How many advisories the store holds for `ecosystem` (with release), when it can say
    /// cheaply; reports say "checked against N advisories".
    ///
    /// # Errors
    /// When the store cannot be read.
    fn advisory_count(&self, _ecosystem: &str) -> Result<Option<u64>, SourceError> {
        Ok(None)
    }

    /// The ratings of the record `id` when the store holds it (an alias record such as a GHSA
    /// or NVD record, which may name no package of this ecosystem), each with the record's ID as
    /// its source. Used for findings whose own advisories carry no rating. Distro ratings are
    /// left out: they rate the distro's package, not this one.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn alias_ratings(&self, _id: &str) -> Result<Vec<Rating>, SourceError> {
        Ok(Vec::new())
    }
}

/// What kind of failure an advisory store had, so a caller (the CLI's exit code, a server's
/// HTTP status) can react without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// The store is not there or cannot be opened right now (missing file, locked, I/O).
    Unavailable,
    /// The store holds data this build cannot read (another schema, a row that does not decode).
    Corrupt,
    /// A query the store refused (an ecosystem it cannot evaluate).
    Invalid,
    /// Anything else.
    Other,
}

/// A failure of the advisory store: its kind, what was being done, and the store's own error
/// (kept as the source, not flattened to text).
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct SourceError {
    pub kind: SourceErrorKind,
    /// What the store was asked (`looking up PyPI requests`).
    pub context: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl SourceError {
    pub fn new(
        kind: SourceErrorKind,
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            context: context.into(),
            source: Some(source.into()),
        }
    }
}
