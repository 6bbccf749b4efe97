//! Ecosystem names, as OSV spells them, and the version scheme each uses.

use std::cmp::Ordering;
use std::fmt;

use crate::VersionError;

/// How versions of an ecosystem are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
    /// SemVer 2.0 (crates.io and OSV `SEMVER` ranges).
    Semver,
    /// node-semver (npm).
    Npm,
    Pep440,
    Go,
    Maven,
    RubyGems,
    NuGet,
    Packagist,
}

/// An OSV ecosystem (without release).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    Debian,
    Ubuntu,
    Alpine,
    Wolfi,
    Chainguard,
    RedHat,
    AlmaLinux,
    RockyLinux,
    Fedora,
    OpenSuse,
    Suse,
    AmazonLinux,
    AzureLinux,
    Mariner,
    CentOs,
    OracleLinux,
    CratesIo,
    Npm,
    PyPI,
    Go,
    Maven,
    RubyGems,
    NuGet,
    Packagist,
}

impl Ecosystem {
    /// Every ecosystem, for listings and tests.
    pub const ALL: &'static [Ecosystem] = &[
        Self::Debian,
        Self::Ubuntu,
        Self::Alpine,
        Self::Wolfi,
        Self::Chainguard,
        Self::RedHat,
        Self::AlmaLinux,
        Self::RockyLinux,
        Self::Fedora,
        Self::OpenSuse,
        Self::Suse,
        Self::AmazonLinux,
        Self::AzureLinux,
        Self::Mariner,
        Self::CentOs,
        Self::OracleLinux,
        Self::CratesIo,
        Self::Npm,
        Self::PyPI,
        Self::Go,
        Self::Maven,
        Self::RubyGems,
        Self::NuGet,
        Self::Packagist,
    ];

    /// The name as OSV spells it (`crates.io`, `PyPI`, `Rocky Linux`, …). Distros OSV does not
    /// name use the distro feed's spelling.
    pub fn osv_name(self) -> &'static str {
        match self {
            Self::Debian => "Debian",
            Self::Ubuntu => "Ubuntu",
            Self::Alpine => "Alpine",
            Self::Wolfi => "Wolfi",
            Self::Chainguard => "Chainguard",
            Self::RedHat => "Red Hat",
            Self::AlmaLinux => "AlmaLinux",
            Self::RockyLinux => "Rocky Linux",
            Self::Fedora => "Fedora",
            Self::OpenSuse => "openSUSE",
            Self::Suse => "SUSE",
            Self::AmazonLinux => "Amazon Linux",
            Self::AzureLinux => "Azure Linux",
            Self::Mariner => "Mariner",
            Self::CentOs => "CentOS",
            Self::OracleLinux => "Oracle Linux",
            Self::CratesIo => "crates.io",
            Self::Npm => "npm",
            Self::PyPI => "PyPI",
            Self::Go => "Go",
            Self::Maven => "Maven",
            Self::RubyGems => "RubyGems",
            Self::NuGet => "NuGet",
            Self::Packagist => "Packagist",
        }
    }

    /// The version scheme of this ecosystem.
    pub fn scheme(self) -> Scheme {
        match self {
            Self::Debian | Self::Ubuntu => Scheme::Dpkg,
            Self::Alpine | Self::Wolfi | Self::Chainguard => Scheme::Apk,
            Self::RedHat
            | Self::AlmaLinux
            | Self::RockyLinux
            | Self::Fedora
            | Self::OpenSuse
            | Self::Suse
            | Self::AmazonLinux
            | Self::AzureLinux
            | Self::Mariner
            | Self::CentOs
            | Self::OracleLinux => Scheme::Rpm,
            Self::CratesIo => Scheme::Semver,
            Self::Npm => Scheme::Npm,
            Self::PyPI => Scheme::Pep440,
            Self::Go => Scheme::Go,
            Self::Maven => Scheme::Maven,
            Self::RubyGems => Scheme::RubyGems,
            Self::NuGet => Scheme::NuGet,
            Self::Packagist => Scheme::Packagist,
        }
    }

    /// True for OS package ecosystems (advisories are per release).
    pub fn is_os(self) -> bool {
        matches!(self.scheme(), Scheme::Dpkg | Scheme::Rpm | Scheme::Apk)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// An ecosystem with an optional release, as in OSV's `Debian:12`, `Ubuntu:22.04:LTS`,
/// `Alpine:v3.19`, `AlmaLinux:9`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EcosystemName {
    pub ecosystem: Ecosystem,
    /// Everything after the first `:`, verbatim (e.g. `22.04:LTS`).
    pub release: Option<String>,
}

impl EcosystemName {
    /// Parse an ecosystem name, case-insensitively, with an optional `:release` suffix. Accepts
    /// the scheme aliases `dpkg`, `rpm`, `apk`, `semver` and `pep440` (and common spellings such
    /// as `cargo`, `pip`, `golang`, `redhat`, `rocky`).
    ///
    /// # Errors
    /// [`VersionError::UnknownEcosystem`] for a name sekisho does not know.
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let s = s.trim();
        let (base, release) = match s.split_once(':') {
            Some((b, r)) if !r.is_empty() => (b, Some(r.to_string())),
            Some((b, _)) => (b, None),
            None => (s, None),
        };
        let key: String = base
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let ecosystem = match key.as_str() {
            "debian" | "dpkg" | "deb" => Ecosystem::Debian,
            "ubuntu" => Ecosystem::Ubuntu,
            "alpine" | "apk" | "alpinelinux" => Ecosystem::Alpine,
            "wolfi" => Ecosystem::Wolfi,
            "chainguard" => Ecosystem::Chainguard,
            "redhat" | "rhel" | "rpm" => Ecosystem::RedHat,
            "almalinux" | "alma" => Ecosystem::AlmaLinux,
            "rockylinux" | "rocky" => Ecosystem::RockyLinux,
            "fedora" => Ecosystem::Fedora,
            "opensuse" => Ecosystem::OpenSuse,
            "suse" | "sles" => Ecosystem::Suse,
            "amazonlinux" | "amzn" | "amazon" => Ecosystem::AmazonLinux,
            "azurelinux" | "azure" => Ecosystem::AzureLinux,
            "mariner" | "cblmariner" => Ecosystem::Mariner,
            "centos" => Ecosystem::CentOs,
            "oraclelinux" | "oracle" | "ol" => Ecosystem::OracleLinux,
            "crates.io" | "cratesio" | "cargo" | "rust" | "semver" => Ecosystem::CratesIo,
            "npm" | "node" | "nodesemver" => Ecosystem::Npm,
            "pypi" | "pip" | "python" | "pep440" => Ecosystem::PyPI,
            "go" | "golang" => Ecosystem::Go,
            "maven" | "java" => Ecosystem::Maven,
            "rubygems" | "gem" | "ruby" => Ecosystem::RubyGems,
            "nuget" | "dotnet" => Ecosystem::NuGet,
            "packagist" | "composer" | "php" => Ecosystem::Packagist,
            _ => return Err(VersionError::UnknownEcosystem(s.to_string())),
        };
        Ok(Self { ecosystem, release })
    }
}

impl fmt::Display for EcosystemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(r) => write!(f, "{}:{r}", self.ecosystem.osv_name()),
            None => f.write_str(self.ecosystem.osv_name()),
        }
    }
}

/// Dispatch to the comparator of `scheme`. `ecosystem` is used in error messages.
pub(crate) fn compare_scheme(
    scheme: Scheme,
    ecosystem: Ecosystem,
    a: &str,
    b: &str,
) -> Result<Ordering, VersionError> {
    let va = crate::Version::parse_scheme(scheme, ecosystem, a)?;
    let vb = crate::Version::parse_scheme(scheme, ecosystem, b)?;
    Ok(va.try_cmp(&vb).unwrap_or(Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_releases_and_aliases() {
        let n = EcosystemName::parse("debian:12").unwrap();
        assert_eq!(n.ecosystem, Ecosystem::Debian);
        assert_eq!(n.release.as_deref(), Some("12"));
        assert_eq!(n.to_string(), "Debian:12");
        let n = EcosystemName::parse("Ubuntu:22.04:LTS").unwrap();
        assert_eq!(n.release.as_deref(), Some("22.04:LTS"));
        assert_eq!(
            EcosystemName::parse("Rocky Linux:9").unwrap().ecosystem,
            Ecosystem::RockyLinux
        );
        assert_eq!(
            EcosystemName::parse("PEP440").unwrap().ecosystem,
            Ecosystem::PyPI
        );
        assert_eq!(
            EcosystemName::parse("crates.io").unwrap().ecosystem,
            Ecosystem::CratesIo
        );
        assert!(EcosystemName::parse("cobol").is_err());
        for e in Ecosystem::ALL {
            assert_eq!(EcosystemName::parse(e.osv_name()).unwrap().ecosystem, *e);
        }
    }
}
