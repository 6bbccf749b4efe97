//! Vulnerability findings: one vulnerability in one package, with every advisory ID that describes
//! it merged, its fix status, its ratings and the version that fixes it. `sekisho-match` makes
//! them; `sekisho-policy` applies VEX and ignore rules to them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// The status of one vulnerability finding (vocabulary of `docs/architecture.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Affected and no fix exists yet.
    Affected,
    /// Affected, and a fixed version exists.
    Fixed,
    /// The distro declared it will not fix this (Debian `unimportant`, Red Hat "Will not fix").
    WillNotFix,
    /// The distro deferred the fix.
    FixDeferred,
    /// The release is end-of-life for this package; no fix will come.
    EndOfLife,
    /// A VEX statement says the product is not affected.
    NotAffected,
    /// Unknown.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Affected => "affected",
            Self::Fixed => "fixed",
            Self::WillNotFix => "will_not_fix",
            Self::FixDeferred => "fix_deferred",
            Self::EndOfLife => "end_of_life",
            Self::NotAffected => "not_affected",
            Self::Unknown => "unknown",
        }
    }

    /// Statuses hidden unless the user asks for every status.
    pub fn hidden_by_default(self) -> bool {
        matches!(self, Self::WillNotFix | Self::EndOfLife | Self::NotAffected)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a rating was obtained, in precedence order (first wins when choosing a severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingMethod {
    /// The distro's own word (Debian urgency, Ubuntu priority, Red Hat/Alma severity).
    Distro,
    /// A CVSS v4.0 vector, scored.
    CvssV4,
    /// A CVSS v3.x vector, scored.
    CvssV3,
    /// A severity word given by the advisory database (e.g. GHSA `database_specific.severity`).
    Advisory,
    /// A CVSS v2 vector, scored.
    CvssV2,
}

/// One rating of one advisory. JSON output shows every rating available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Who rated: `debian`, `ubuntu`, `almalinux`, `nvd`, or the advisory ID it came from.
    pub source: String,
    pub method: RatingMethod,
    /// The numeric base score, when computed from a vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub severity: Severity,
    /// The CVSS vector, or the distro's word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// Choose the severity of a set of ratings: distro rating first, then CVSS v4, then CVSS v3, then
/// an advisory's word, then CVSS v2; within one method the highest wins.
pub fn choose_severity(ratings: &[Rating]) -> Severity {
    let mut best: Option<(RatingMethod, Severity)> = None;
    for r in ratings {
        if r.severity == Severity::Unknown {
            continue;
        }
        best = match best {
            None => Some((r.method, r.severity)),
            Some((m, s)) if r.method < m || (r.method == m && r.severity > s) => {
                Some((r.method, r.severity))
            }
            keep => keep,
        };
    }
    best.map_or(Severity::Unknown, |(_, s)| s)
}

/// One vulnerability in one package: every advisory ID that describes it, merged.
///
/// The package is named by `package_id` (stable: [`crate::package_id`] of the package); the
/// older `package` index into the target's package list is kept for documents written before
/// package IDs, and renderers never trust either blindly (a stored report may be hostile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The ID shown first: a CVE when one is known, else the first advisory ID.
    pub id: String,
    /// Every advisory ID merged into this finding (the advisories the DB matched).
    pub advisories: Vec<String>,
    /// Every other ID that names the same vulnerability (aliases ∪ upstream), sorted.
    pub aliases: Vec<String>,
    /// Related IDs (OSV `related`), sorted; not the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Index into the target's package list (kept for older readers; prefer `package_id`).
    pub package: usize,
    /// The stable ID of the package (`Package::id`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package_id: String,
    /// The name the advisory used (the source package for Debian/Ubuntu/Alpine).
    pub matched_name: String,
    /// The version that was compared (the source version for Debian/Ubuntu).
    pub matched_version: String,
    /// The ecosystem the match happened in (`Debian:12`, `PyPI`, …).
    pub ecosystem: String,
    pub status: Status,
    /// The version that fixes it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    /// Every rating available, from every merged advisory.
    pub ratings: Vec<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Why the status was set by a VEX statement or the finding is suppressed, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexApplied>,
    /// An informational notice, not a vulnerability (RustSec `unmaintained`, `unsound`,
    /// `notice`): the notice's kind. Listed apart, shown with `--show-informational`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
}

impl Vulnerability {
    /// Every ID of the finding: the advisories and their aliases.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.advisories.iter().map(String::as_str))
            .chain(self.aliases.iter().map(String::as_str))
    }

    /// The ID of the alias record the severity came from, when none of the merged advisories
    /// rated it but a record of an alias (GHSA, NVD…) in the DB did.
    pub fn severity_source(&self) -> Option<&str> {
        if self.severity == Severity::Unknown || self.severity == Severity::Info {
            return None;
        }
        let own = |s: &str| self.advisories.iter().any(|a| a == s) || !s.contains('-');
        if self
            .ratings
            .iter()
            .any(|r| own(&r.source) && r.severity != Severity::Unknown)
        {
            return None;
        }
        self.ratings
            .iter()
            .find(|r| r.severity == self.severity && !own(&r.source))
            .map(|r| r.source.as_str())
    }

    /// The advisory page: NVD for CVEs, GitHub for GHSA, OSV.dev otherwise.
    pub fn help_uri(&self) -> String {
        advisory_uri(&self.id)
    }
}

/// The public page of an advisory ID.
pub fn advisory_uri(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

/// A VEX statement that changed a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexApplied {
    /// The VEX document (file) it came from.
    pub document: String,
    /// The status the statement gave (`not_affected`, `fixed`).
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// How much advisory data one ecosystem of a target had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub ecosystem: String,
    /// Number of packages of the target in this ecosystem.
    pub packages: usize,
    /// False when the DB has no advisory data at all for this ecosystem/release.
    pub has_data: bool,
    /// How many advisories the DB holds for this ecosystem/release, when the source can say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisories: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: RatingMethod, severity: Severity) -> Rating {
        Rating {
            source: "t".into(),
            method,
            score: None,
            severity,
            vector: None,
        }
    }

    #[test]
    fn precedence_distro_then_v4_then_v3() {
        assert_eq!(
            choose_severity(&[
                r(RatingMethod::CvssV3, Severity::Critical),
                r(RatingMethod::Distro, Severity::Low),
                r(RatingMethod::CvssV4, Severity::High),
            ]),
            Severity::Low
        );
        assert_eq!(
            choose_severity(&[
                r(RatingMethod::CvssV3, Severity::Critical),
                r(RatingMethod::CvssV4, Severity::Medium),
            ]),
            Severity::Medium
        );
        assert_eq!(
            choose_severity(&[
                r(RatingMethod::CvssV3, Severity::Medium),
                r(RatingMethod::CvssV3, Severity::High),
                r(RatingMethod::Distro, Severity::Unknown),
            ]),
            Severity::High
        );
        assert_eq!(choose_severity(&[]), Severity::Unknown);
    }
}
