//! Secrets in every layer of an image, in its config and in its build history: found, traced
//! to the layer and build step that added them, and never printed.
//!
//! - [`rules`]: the rule table (over 100 rules with real token formats, each a published
//!   [`sekisho_finding::Rule`]), [`validate`]: offline checksums and structure checks,
//!   [`decoy`]: example keys, placeholders, templates, digests, UUIDs and data URIs that are
//!   never reported, [`redact`]: the redacted form and the fingerprint.
//! - [`scan`]: the streaming per-file scanner ([`FileScanner`]: `feed` chunks, `finish`), with
//!   the keyword prefilter, binary sniffing and the size cap, and [`scan_bytes`] for whole
//!   buffers.
//!
//! ```
//! use sekisho_secret::{Rules, scan_bytes};
//! let rules = Rules::builtin().unwrap();
//! let r = scan_bytes(rules, "app/.env", b"GITHUB_TOKEN=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\n");
//! assert_eq!(r.matches[0].rule_id(), "github-pat");
//! assert_eq!(r.matches[0].redacted, "ghp_****");
//! assert_eq!((r.matches[0].line, r.matches[0].column), (1, 14));
//! ```
//!
//! The value of a secret lives only inside the scanner, for the moment it is checked: results,
//! `Debug` output and errors carry the redacted form and the fingerprint only.

#![forbid(unsafe_code)]

pub mod config;
pub mod decoy;
pub mod docs;
#[doc(hidden)]
pub mod fixture;
pub mod layers;
pub mod redact;
pub mod rules;
pub mod scan;
pub mod validate;
pub mod vendor;

pub use config::{ConfigMatch, parse_created_by, scan_config};
pub use layers::{
    CAPTURE, RemovalKind, Removals, Report, SecretCapture, Summary, analyze, config_findings,
    layer_findings,
};
pub use rules::{Check, DETECTORS, Detector, RULE_COUNT, RULES, rules};
pub use scan::{
    Digests, FileOptions, FileResult, FileScanner, MAX_FILE_BYTES, Rules, SecretMatch, SkipReason,
    redact_text, scan_bytes, wants,
};
pub use vendor::{VendorIndex, Verdict};

/// Errors of this crate. Messages never hold a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// A rule of the table does not compile (a defect; the tests catch it).
    #[error("secret rule {rule}: {message}")]
    Rule { rule: &'static str, message: String },
}
