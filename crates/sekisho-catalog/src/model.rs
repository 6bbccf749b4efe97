//! The catalog data model: the contract between catalogers and matching/reporting.

use sekisho_artifact::{LayerInfo, Note};
use serde::{Deserialize, Serialize};

/// The operating system found in a filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// os-release `ID` (`debian`, `ubuntu`, `alpine`, `almalinux`, `rhel`, …).
    pub id: String,
    /// os-release `VERSION_ID` (`12`, `22.04`, `3.19.1`, `9.3`), or what a fallback file gave.
    pub version_id: Option<String>,
    /// os-release `VERSION_CODENAME` (`bookworm`).
    pub codename: Option<String>,
    /// os-release `ID_LIKE`, split on whitespace.
    pub id_like: Vec<String>,
    /// os-release `PRETTY_NAME`, or a description of where the answer came from.
    pub pretty_name: Option<String>,
    /// The file the answer came from (`etc/os-release`, `etc/debian_version`, …).
    pub source: String,
    /// The OSV ecosystem with release that advisories for this OS use, e.g. `Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `AlmaLinux:9`. `None` when unknown.
    pub osv_ecosystem: Option<String>,
    /// True when the release is known to be end-of-life.
    pub eol: bool,
    /// False when the distro or release is not one sekisho knows; reported, never fatal.
    pub known: bool,
}

/// What kind of package database or file a package came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    Deb,
    Apk,
    Rpm,
    Python,
    Npm,
    Cargo,
    Go,
    GoStdlib,
    Java,
    Gem,
    Composer,
    Nuget,
}

impl PackageKind {
    pub fn is_os(self) -> bool {
        matches!(self, Self::Deb | Self::Apk | Self::Rpm)
    }
}

/// Language families, for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Python,
    JavaScript,
    Rust,
    Go,
    Java,
    Ruby,
    Php,
    DotNet,
}

/// The source package a binary package was built from (dpkg `Source:`, rpm `SOURCERPM`, apk
/// `origin`). Debian/Ubuntu and Alpine advisories name source packages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    /// The source version when it differs from (or is given separately to) the binary's.
    pub version: Option<String>,
}

/// One installed (or locked) package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// Full version as the ecosystem writes it (dpkg/rpm include epoch as `E:` when non-zero).
    pub version: String,
    pub kind: PackageKind,
    /// The OSV ecosystem name, with release for OS packages (`Debian:12`, `PyPI`, `crates.io`).
    /// `None` for OS packages when the OS is unknown.
    pub ecosystem: Option<String>,
    /// Package URL (<https://github.com/package-url/purl-spec>).
    pub purl: String,
    pub source: Option<SourcePackage>,
    /// Declared licenses, as written (SPDX expression where the package gives one).
    pub licenses: Vec<String>,
    /// rpm: epoch, release, arch; dpkg: arch; kept separately for matching and purls.
    pub arch: Option<String>,
    /// rpm `MODULARITYLABEL` (`name:stream:version:context`); module streams never compare across.
    pub modularity_label: Option<String>,
    /// Files the package was found in (the DB, lockfile, metadata file or binary), normalised.
    pub locations: Vec<String>,
    /// Index of the layer that introduced this package (see [`Catalog::layers`]).
    pub layer: Option<usize>,
    /// Files the package owns, when its database lists them (used to avoid reporting a language
    /// package twice when an OS package owns its files). Not serialised in reports by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// Everything found in one target.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    pub layers: Vec<LayerInfo>,
    /// What was skipped or not understood, and why.
    pub notes: Vec<Note>,
}
