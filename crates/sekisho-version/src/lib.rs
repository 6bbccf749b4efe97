//! Version syntax and ordering for every ecosystem sekisho scans, exactly as each ecosystem's own
//! tools order them, plus OSV range evaluation. Pure: no I/O.
//!
//! The public contract other crates rely on (do not break it):
//! - [`Ecosystem`]: OSV ecosystem names (`Debian`, `Alpine`, `PyPI`, …), parsed case-insensitively
//!   with an optional `:release` suffix via [`EcosystemName::parse`].
//! - [`compare`]: order two version strings of one ecosystem.
//! - [`osv`]: OSV `affected`/`ranges`/`events` data types and [`osv::affects`].

#![forbid(unsafe_code)]

pub mod ecosystem;
pub mod error;
pub mod osv;

pub use ecosystem::{Ecosystem, EcosystemName, Scheme};
pub use error::VersionError;

use std::cmp::Ordering;

/// Order two versions of `ecosystem`.
///
/// # Errors
/// [`VersionError`] naming the ecosystem and the string when either version cannot be parsed.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    ecosystem::compare_scheme(ecosystem.scheme(), ecosystem, a, b)
}
