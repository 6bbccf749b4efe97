//! The one severity scale every kind of finding uses (see `docs/severity.md`).
//!
//! Ordered for gates (`--fail-on`): `UNKNOWN < INFO < LOW < MEDIUM < HIGH < CRITICAL`. UNKNOWN is
//! the floor because it means "not rated" (most Go and PyPI advisories carry no rating), not
//! "harmless"; INFO is a finding that was rated and judged informational (vendor example keys, a
//! wall that is only advice). Reports list findings from CRITICAL down, UNKNOWN last.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One severity, on the scale shared by every kind of finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Not rated by any source.
    #[default]
    Unknown,
    /// Rated, and informational only.
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most severe first (the order reports list them in).
    pub const ALL: [Severity; 6] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Info,
        Self::Unknown,
    ];

    /// The five severities a vulnerability can have (INFO is never given to an advisory), most
    /// severe first; summaries always show these five.
    pub const VULNERABILITY: [Severity; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Unknown,
    ];

    /// Upper-case name (`HIGH`), as JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Info => "INFO",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// Lower-case name (`high`), as the isolation audit's JSON writes it.
    pub fn as_lower(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The qualitative rating of a CVSS (v3 or v4) base score, per the CVSS v3.1 specification
    /// section 5 ("Qualitative Severity Rating Scale"); v4 uses the same bands. A score of 0.0
    /// ("None") has no rank here: UNKNOWN.
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

    /// Map a distribution's or a database's own rating word to a severity (Debian urgency,
    /// Ubuntu priority, Red Hat / AlmaLinux / Rocky severity, GHSA severity). `None` for words
    /// that carry no rating (`not yet assigned`, empty). Trailing `*` markers (Debian's `low**`)
    /// are ignored. The table is documented in `docs/severity.md`.
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

    /// A representative CVSS-like score for dashboards that want a number (SARIF
    /// `security-severity`): the middle of the severity's band.
    pub fn representative_score(self) -> f64 {
        match self {
            Self::Critical => 9.5,
            Self::High => 8.0,
            Self::Medium => 5.5,
            Self::Low => 2.0,
            Self::Info | Self::Unknown => 0.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    /// Case-insensitive names of the scale, plus `moderate` and `informational`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Ok(Self::Unknown),
            "INFO" | "INFORMATIONAL" => Ok(Self::Info),
            "LOW" => Ok(Self::Low),
            "MEDIUM" | "MODERATE" => Ok(Self::Medium),
            "HIGH" => Ok(Self::High),
            "CRITICAL" => Ok(Self::Critical),
            other => Err(format!(
                "unknown severity {other:?} (expected UNKNOWN, INFO, LOW, MEDIUM, HIGH or CRITICAL)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_names_and_bands() {
        assert!(Severity::Unknown < Severity::Info && Severity::Info < Severity::Low);
        assert!(Severity::High < Severity::Critical);
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
            assert_eq!(s.as_lower().parse::<Severity>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Severity>(&json).unwrap(), s);
        }
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
        // The display order is the reverse of the gate order.
        let mut sorted = Severity::ALL;
        sorted.sort();
        sorted.reverse();
        assert_eq!(sorted, Severity::ALL);
    }
}
