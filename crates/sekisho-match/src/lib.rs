//! Matching: the package catalog joined with the vulnerability DB.
//!
//! - [`engine`]: which name/version/ecosystem each package is looked up under (source packages for
//!   Debian/Ubuntu/Alpine, binary names for RPM distros, `stdlib` for the Go toolchain), range
//!   evaluation through `sekisho-version`, fixed versions, statuses, and the merge of advisories
//!   that describe the same vulnerability.
//! - [`model`]: findings, severities, statuses and ratings as plain data for reports; the
//!   [`AdvisorySource`] trait the DB implements.
//! - [`policy`]: VEX, ignore rules and filters; nothing is dropped silently.
//! - [`vex`], [`ignore`], [`sbom_input`], [`purl`]: the input formats a scan reads besides the
//!   target.
//!
//! Flow: catalog → (this crate) findings → report. This crate never depends on a later stage.

#![forbid(unsafe_code)]

pub mod engine;
pub mod ignore;
pub mod model;
pub mod policy;
pub mod purl;
pub mod sbom_input;
pub mod vex;
#[cfg(feature = "vulndb")]
pub mod vulndb_source;

pub use engine::{MatchOutput, match_catalog, match_key};
pub use model::{
    AdvisorySource, Candidate, Coverage, Finding, Rating, RatingMethod, Severity, SourceError,
    Status, VexApplied, choose_severity,
};
pub use policy::{Applied, Policy, SuppressReason, Suppressed};
