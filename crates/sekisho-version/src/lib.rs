//! Version syntax and ordering for every ecosystem sekisho scans, exactly as each ecosystem's own
//! tools order them, plus OSV range evaluation. Pure: no I/O.
//!
//! The public contract other crates rely on (do not break it):
//! - [`Ecosystem`]: OSV ecosystem names (`Debian`, `Alpine`, `PyPI`, …), parsed case-insensitively
//!   with an optional `:release` suffix via [`EcosystemName::parse`].
//! - [`compare`]: order two version strings of one ecosystem.
//! - [`Version`]: a version parsed once, for comparing many times (same ordering as [`compare`]).
//! - [`osv`]: OSV `affected`/`ranges`/`events` data types, [`osv::affects`] and
//!   [`osv::fixed_for`].
//!
//! One module per scheme ([`dpkg`], [`rpm`], [`apk`], [`semver`], [`npm`], [`pep440`], [`go`],
//! [`maven`], [`rubygems`], [`nuget`], [`packagist`]); each documents the upstream behaviour it
//! follows. Every parser rejects strings longer than [`MAX_VERSION_LEN`] bytes and never panics.
//!
//! ```
//! use std::cmp::Ordering;
//! use sekisho_version::{compare, Ecosystem};
//! assert_eq!(compare(Ecosystem::Debian, "1.0~rc1-1", "1.0-1").unwrap(), Ordering::Less);
//! assert_eq!(compare(Ecosystem::PyPI, "1.0.post1", "1.0").unwrap(), Ordering::Greater);
//! ```

#![forbid(unsafe_code)]

pub mod apk;
pub mod dpkg;
pub mod ecosystem;
pub mod error;
pub mod go;
pub mod maven;
pub mod name;
pub mod npm;
pub mod nuget;
pub mod osv;
pub mod packagist;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

mod memo;

pub use ecosystem::{Ecosystem, EcosystemName, Scheme};
pub use error::VersionError;

use std::cmp::Ordering;

/// Longest version string any parser accepts (bytes).
pub const MAX_VERSION_LEN: usize = 1024;

/// A version parsed according to its scheme.
#[derive(Debug, Clone)]
pub enum Version {
    Dpkg(dpkg::DpkgVersion),
    Rpm(rpm::RpmVersion),
    Apk(apk::ApkVersion),
    Semver(semver::SemVer),
    Npm(semver::SemVer),
    Pep440(pep440::PyVersion),
    Go(go::GoVersion),
    Maven(maven::MavenVersion),
    RubyGems(rubygems::GemVersion),
    NuGet(nuget::NuGetVersion),
    Packagist(packagist::PackagistVersion),
}

impl Version {
    /// Parse `s` as a version of `ecosystem`.
    ///
    /// # Errors
    /// [`VersionError::Invalid`] naming the ecosystem and the string.
    pub fn parse(ecosystem: Ecosystem, s: &str) -> Result<Self, VersionError> {
        Self::parse_scheme(ecosystem.scheme(), ecosystem, s)
    }

    /// Parse with an explicit scheme (e.g. [`Scheme::Semver`] for OSV `SEMVER` ranges);
    /// `ecosystem` names the ecosystem in errors.
    ///
    /// # Errors
    /// [`VersionError::Invalid`] naming the ecosystem and the string.
    pub fn parse_scheme(
        scheme: Scheme,
        ecosystem: Ecosystem,
        s: &str,
    ) -> Result<Self, VersionError> {
        if s.len() > MAX_VERSION_LEN {
            let shown: String = s.chars().take(64).collect();
            return Err(VersionError::invalid(
                ecosystem,
                &format!("{shown}…"),
                format!("longer than {MAX_VERSION_LEN} bytes"),
            ));
        }
        let r = memo::parse(scheme, s, || Self::parse_uncached(scheme, s));
        r.map_err(|reason| VersionError::invalid(ecosystem, s, reason))
    }

    /// [`Version::parse_scheme`] without the memo (the parsers themselves).
    fn parse_uncached(scheme: Scheme, s: &str) -> Result<Self, String> {
        match scheme {
            Scheme::Dpkg => dpkg::DpkgVersion::parse(s).map(Self::Dpkg),
            Scheme::Rpm => rpm::RpmVersion::parse(s).map(Self::Rpm),
            Scheme::Apk => apk::ApkVersion::parse(s).map(Self::Apk),
            Scheme::Semver => semver::SemVer::parse(s).map(Self::Semver),
            Scheme::Npm => npm::parse_version(s).map(Self::Npm),
            Scheme::Pep440 => pep440::PyVersion::parse(s).map(Self::Pep440),
            Scheme::Go => go::GoVersion::parse(s).map(Self::Go),
            Scheme::Maven => maven::MavenVersion::parse(s).map(Self::Maven),
            Scheme::RubyGems => rubygems::GemVersion::parse(s).map(Self::RubyGems),
            Scheme::NuGet => nuget::NuGetVersion::parse(s).map(Self::NuGet),
            Scheme::Packagist => packagist::PackagistVersion::parse(s).map(Self::Packagist),
        }
    }

    /// Order two versions of the same scheme; `None` when the schemes differ.
    pub fn try_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(match (self, other) {
            (Self::Dpkg(a), Self::Dpkg(b)) => a.cmp(b),
            (Self::Rpm(a), Self::Rpm(b)) => a.cmp(b),
            (Self::Apk(a), Self::Apk(b)) => a.cmp(b),
            (Self::Semver(a), Self::Semver(b)) | (Self::Npm(a), Self::Npm(b)) => a.cmp(b),
            (Self::Pep440(a), Self::Pep440(b)) => a.cmp(b),
            (Self::Go(a), Self::Go(b)) => a.cmp(b),
            (Self::Maven(a), Self::Maven(b)) => a.cmp(b),
            (Self::RubyGems(a), Self::RubyGems(b)) => a.cmp(b),
            (Self::NuGet(a), Self::NuGet(b)) => a.cmp(b),
            (Self::Packagist(a), Self::Packagist(b)) => a.cmp(b),
            _ => return None,
        })
    }
}

/// Order two versions of `ecosystem`.
///
/// # Errors
/// [`VersionError`] naming the ecosystem and the string when either version cannot be parsed.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    ecosystem::compare_scheme(ecosystem.scheme(), ecosystem, a, b)
}
