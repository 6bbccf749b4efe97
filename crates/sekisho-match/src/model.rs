//! The data a match produces and the data it consumes. Findings are plain data with stable
//! vocabularies (severity, status), so reports can render them without knowing how they were made.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The five severities every report uses (see `docs/severity.md`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// The qualitative rating of a CVSS (v3 or v4) base score, per the CVSS v3.1 specification
    /// section 5 ("Qualitative Severity Rating Scale"); v4 uses the same bands.
    pub fn from_cvss_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::Unknown
        }
    }

    /// Map a distro's own rating word to a severity (Debian urgency, Ubuntu priority, Red Hat /
    /// AlmaLinux / Rocky severity, GHSA severity). `None` for words that carry no rating
    /// (`not yet assigned`, empty). The table is documented in `docs/severity.md`.
    pub fn from_distro_word(word: &str) -> Option<Self> {
        let w = word
            .trim()
            .trim_end_matches('*')
            .trim()
            .to_ascii_lowercase();
        Some(match w.as_str() {
            "unimportant" | "negligible" | "low" | "end-of-life" => Self::Low,
            "medium" | "moderate" => Self::Medium,
            "high" | "important" => Self::High,
            "critical" => Self::Critical,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Ok(Self::Unknown),
            "LOW" => Ok(Self::Low),
            "MEDIUM" | "MODERATE" => Ok(Self::Medium),
            "HIGH" => Ok(Self::High),
            "CRITICAL" => Ok(Self::Critical),
            other => Err(format!(
                "unknown severity {other:?} (expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)"
            )),
        }
    }
}

/// The status of one finding (vocabulary of `docs/architecture.md`).
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
}

/// A failure of the advisory store, as text (the store's own error type stays in its crate).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// One vulnerability in one package: every advisory ID that describes it, merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The ID shown first: a CVE when one is known, else the first advisory ID.
    pub id: String,
    /// Every advisory ID merged into this finding (the advisories the DB matched).
    pub advisories: Vec<String>,
    /// Every other ID that names the same vulnerability (aliases ∪ upstream), sorted.
    pub aliases: Vec<String>,
    /// Related IDs (OSV `related`), sorted; not the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Index into the target's package list.
    pub package: usize,
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
}

impl Finding {
    /// Every ID of the finding: the advisories and their aliases.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.advisories.iter().map(String::as_str))
            .chain(self.aliases.iter().map(String::as_str))
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

    #[test]
    fn cvss_bands_and_words() {
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Unknown);
        assert_eq!(Severity::from_distro_word("high**"), Some(Severity::High));
        assert_eq!(
            Severity::from_distro_word("Important"),
            Some(Severity::High)
        );
        assert_eq!(Severity::from_distro_word("not yet assigned"), None);
        assert_eq!("moderate".parse::<Severity>(), Ok(Severity::Medium));
        assert!("bogus".parse::<Severity>().is_err());
    }
}
