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
    /// Stable ID inside its target (`pkg-` and 16 hex digits), set by [`assign_ids`]: the same
    /// package at the same place gets the same ID in every scan, so findings, stored reports and
    /// the server can name it without relying on list positions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
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

impl Package {
    /// The ID this package would get: a hash of what identifies it (kind, name, version, arch,
    /// purl, where it was found). [`assign_ids`] makes it unique within a list.
    pub fn natural_id(&self) -> String {
        let locs = self.locations.join("\n");
        let kind = format!("{:?}", self.kind);
        format!(
            "pkg-{}",
            sekisho_finding::fnv_hex(&[
                &kind,
                &self.name,
                &self.version,
                self.arch.as_deref().unwrap_or(""),
                &self.purl,
                &locs,
            ])
        )
    }
}

/// Give every package without one a stable ID, unique within `packages` (a repeat of an
/// identical package gets `-2`, `-3`, … in list order). IDs already set are kept.
pub fn assign_ids(packages: &mut [Package]) {
    let mut seen = std::collections::HashSet::new();
    for p in packages.iter() {
        if !p.id.is_empty() {
            seen.insert(p.id.clone());
        }
    }
    for p in packages.iter_mut() {
        if !p.id.is_empty() {
            continue;
        }
        let base = p.natural_id();
        let mut id = base.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        p.id = id;
    }
}

/// Find a target's packages by the names findings use: the stable ID first; a list index only
/// when the finding has no ID (documents written before IDs) and that package agrees. Never
/// panics on a hostile or stale reference: a miss is `None`.
pub struct PackageLookup<'a> {
    packages: &'a [Package],
    by_id: std::collections::HashMap<&'a str, usize>,
}

impl<'a> PackageLookup<'a> {
    pub fn new(packages: &'a [Package]) -> Self {
        let by_id = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.id.is_empty())
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        Self { packages, by_id }
    }

    /// The package `id` names, or (without an ID) the one at `index`.
    pub fn get(&self, id: &str, index: usize) -> Option<&'a Package> {
        self.position(id, index).map(|i| &self.packages[i])
    }

    /// The position of the package [`Self::get`] finds.
    pub fn position(&self, id: &str, index: usize) -> Option<usize> {
        if !id.is_empty() {
            return self.by_id.get(id).copied();
        }
        (index < self.packages.len()).then_some(index)
    }
}
