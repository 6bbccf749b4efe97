//! Matching: the package catalog joined with the vulnerability DB.
//!
//! - [`engine`]: which name/version/ecosystem each package is looked up under (source packages for
//!   Debian/Ubuntu/Alpine, binary names for RPM distros, `stdlib` for the Go toolchain), range
//!   evaluation through `sekisho-version`, fixed versions, statuses, and the merge of advisories
//!   that describe the same vulnerability.
//! - [`model`]: findings, severities, statuses and ratings as plain data for reports; the
//!   [`AdvisorySource`] trait the DB implements.
//! - [`sbom_input`]: CycloneDX and SPDX SBOMs read back into a catalog.
//!
//! VEX, ignore rules and filters are `sekisho-policy`'s; purls are `sekisho_catalog::purl`.
//!
//! Flow: catalog → (this crate) findings → report. This crate never depends on a later stage.

#![forbid(unsafe_code)]

pub mod engine;
pub mod model;
pub mod sbom_input;
#[cfg(feature = "vulndb")]
pub mod vulndb_source;

pub use engine::{MatchOutput, MatchState, match_catalog, match_catalog_with, match_key};
pub use model::{
    AdvisorySource, Candidate, Coverage, Rating, RatingMethod, Severity, SourceError,
    SourceErrorKind, Status, VexApplied, Vulnerability, choose_severity,
};
