//! Severity: CVSS base scores computed from the vectors ourselves, and one rating scale for CVSS and
//! the distributions' own words.
//!
//! - CVSS v3.0/v3.1 base score: FIRST CVSS v3.1 specification §7.1 (base equations) and Appendix A
//!   (`Roundup`), <https://www.first.org/cvss/v3.1/specification-document>.
//! - CVSS v4.0 base score: FIRST CVSS v4.0 specification §8 (MacroVector lookup and interpolation),
//!   <https://www.first.org/cvss/v4-0/specification-document>; see [`cvss4`].
//! - Qualitative scale (both versions): 0.1–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–8.9 HIGH, 9.0–10.0 CRITICAL.
//!
//! The precedence used by [`assess`] is: the distribution's own rating for OS ecosystems (Debian
//! urgency, Ubuntu priority, Red Hat/AlmaLinux severity), then CVSS v4.0, then CVSS v3.x, then a
//! database-specific word (GHSA `database_specific.severity`), else UNKNOWN.

use serde::Serialize;

use serde_json::Value;

use crate::model::Advisory;
use sekisho_version::osv::Affected;

pub use crate::cvss4::score as cvss4_score;

pub use sekisho_finding::Severity;

/// The rating words of advisory databases and distributions, with their common synonyms
/// (`moderate`, `important`, `negligible`, Debian's `unimportant` and `**` markers); `None` for
/// any other word. One table for every source: [`Severity::from_distro_word`].
pub fn parse_word(s: &str) -> Option<Severity> {
    Severity::from_distro_word(s)
}

/// CVSS v3.1 `Roundup`: smallest number with one decimal ≥ the input, avoiding float artefacts.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// Base score of a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/AC:L/...`). `None` when the vector is
/// not a complete, valid v3 base vector.
pub fn cvss3_score(vector: &str) -> Option<f64> {
    let mut parts = vector.trim().split('/');
    let head = parts.next()?;
    if head != "CVSS:3.1" && head != "CVSS:3.0" {
        return None;
    }
    let mut m = [None::<char>; 8];
    const NAMES: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    for p in parts {
        let (k, v) = p.split_once(':')?;
        let mut vc = v.chars();
        let c = vc.next()?;
        if vc.next().is_some() {
            return None;
        }
        if let Some(i) = NAMES.iter().position(|n| *n == k) {
            if m[i].is_some() {
                return None;
            }
            m[i] = Some(c);
        }
        // Temporal/environmental metrics do not change the base score.
    }
    let [av, ac, pr, ui, s, c, i, a] = m;
    let changed = match s? {
        'U' => false,
        'C' => true,
        _ => return None,
    };
    let av = match av? {
        'N' => 0.85,
        'A' => 0.62,
        'L' => 0.55,
        'P' => 0.2,
        _ => return None,
    };
    let ac = match ac? {
        'L' => 0.77,
        'H' => 0.44,
        _ => return None,
    };
    let pr = match (pr?, changed) {
        ('N', _) => 0.85,
        ('L', false) => 0.62,
        ('L', true) => 0.68,
        ('H', false) => 0.27,
        ('H', true) => 0.5,
        _ => return None,
    };
    let ui = match ui? {
        'N' => 0.85,
        'R' => 0.62,
        _ => return None,
    };
    let cia = |x: Option<char>| -> Option<f64> {
        match x? {
            'H' => Some(0.56),
            'L' => Some(0.22),
            'N' => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia(c)?, cia(i)?, cia(a)?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let expl = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    Some(if changed {
        roundup((1.08 * (impact + expl)).min(10.0))
    } else {
        roundup((impact + expl).min(10.0))
    })
}

/// Base score of a CVSS vector of any version sekisho computes (v3.0, v3.1, v4.0).
pub fn cvss_score(vector: &str) -> Option<f64> {
    let v = vector.trim();
    if v.starts_with("CVSS:4.0/") {
        cvss4_score(v)
    } else {
        cvss3_score(v)
    }
}

/// Debian security-tracker urgency (`low`, `medium`, `high`, `unimportant`, `end-of-life`,
/// `not yet assigned`; a `**` suffix marks an NVD-derived value) to the rating scale.
pub fn debian_urgency(u: &str) -> Severity {
    parse_word(u).unwrap_or(Severity::Unknown)
}

/// Ubuntu CVE-tracker priority (`negligible`, `low`, `medium`, `high`, `critical`, `untriaged`).
pub fn ubuntu_priority(p: &str) -> Severity {
    parse_word(p).unwrap_or(Severity::Unknown)
}

/// Red Hat / AlmaLinux / Rocky severity (`Low`, `Moderate`, `Important`, `Critical`).
pub fn redhat_severity(s: &str) -> Severity {
    parse_word(s).unwrap_or(Severity::Unknown)
}

/// One severity judgement with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub rating: Severity,
    /// The computed CVSS base score, when the rating came from a vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// `debian`, `ubuntu`, `redhat`, `cvss_v4`, `cvss_v3`, `database_specific`, or `none`.
    pub source: &'static str,
}

/// Every CVSS vector of the record (top-level `severity[]`) with its computed score.
pub fn cvss_scores(adv: &Advisory) -> Vec<(String, String, Option<f64>)> {
    adv.severity
        .iter()
        .filter(|s| s.kind.starts_with("CVSS"))
        .map(|s| (s.kind.clone(), s.score.clone(), cvss_score(&s.score)))
        .collect()
}

fn str_at<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a str> {
    v?.get(key)?.as_str()
}

/// The severity of `adv` as it applies to `affected` (distribution ratings first for OS
/// ecosystems; see the module docs for the precedence).
pub fn assess(adv: &Advisory, affected: Option<&Affected>) -> Assessment {
    let es = affected.and_then(|a| a.ecosystem_specific.as_ref());
    if let Some(u) = str_at(es, "urgency") {
        let r = debian_urgency(u);
        if r != Severity::Unknown {
            return Assessment {
                rating: r,
                score: None,
                vector: None,
                source: "debian",
            };
        }
    }
    if let Some(p) = adv.severity.iter().find(|s| s.kind == "Ubuntu") {
        let r = ubuntu_priority(&p.score);
        if r != Severity::Unknown {
            return Assessment {
                rating: r,
                score: None,
                vector: None,
                source: "ubuntu",
            };
        }
    }
    if let Some(s) =
        str_at(es, "severity").or_else(|| str_at(adv.database_specific.as_ref(), "severity"))
        && adv.id.starts_with(|c: char| c.is_ascii_uppercase())
        && ["ALSA-", "RLSA-", "RHSA-", "ELSA-"]
            .iter()
            .any(|p| adv.id.starts_with(p))
    {
        let r = redhat_severity(s);
        if r != Severity::Unknown {
            return Assessment {
                rating: r,
                score: None,
                vector: None,
                source: "redhat",
            };
        }
    }
    // AlmaLinux/Rocky/Red Hat advisories state their severity as the summary's first word
    // ("Important: openssl security update").
    if ["ALSA-", "RLSA-", "RHSA-", "ELSA-"]
        .iter()
        .any(|p| adv.id.starts_with(p))
        && let Some((word, _)) = adv.summary.as_deref().and_then(|s| s.split_once(':'))
        && let Some(r) = parse_word(word)
    {
        return Assessment {
            rating: r,
            score: None,
            vector: None,
            source: "redhat",
        };
    }
    for kind in ["CVSS_V4", "CVSS_V3"] {
        let best = adv
            .severity
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| cvss_score(&s.score).map(|sc| (sc, &s.score)))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((sc, v)) = best {
            return Assessment {
                rating: Severity::from_cvss_score(sc),
                score: Some(sc),
                vector: Some(v.clone()),
                source: if kind == "CVSS_V4" {
                    "cvss_v4"
                } else {
                    "cvss_v3"
                },
            };
        }
    }
    if let Some(s) = str_at(adv.database_specific.as_ref(), "severity")
        && let Some(r) = parse_word(s)
    {
        return Assessment {
            rating: r,
            score: None,
            vector: None,
            source: "database_specific",
        };
    }
    Assessment {
        rating: Severity::Unknown,
        score: None,
        vector: None,
        source: "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss3_examples() {
        // Examples from the CVSS v3.1 specification's user guide / NVD.
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
            ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
        ];
        for (v, want) in cases {
            assert_eq!(cvss3_score(v), Some(want), "{v}");
        }
        assert_eq!(cvss3_score("CVSS:3.1/AV:N/AC:L"), None);
        assert_eq!(cvss3_score("CVSS:2.0/AV:N"), None);
        assert_eq!(
            cvss3_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
    }

    #[test]
    fn scales() {
        // The score bands are sekisho_finding's (tested there); the words are one table too.
        assert_eq!(debian_urgency("high**"), Severity::High);
        assert_eq!(debian_urgency("unimportant"), Severity::Low);
        assert_eq!(debian_urgency("end-of-life"), Severity::Low);
        assert_eq!(debian_urgency("not yet assigned"), Severity::Unknown);
        assert_eq!(ubuntu_priority("negligible"), Severity::Low);
        assert_eq!(redhat_severity("Important"), Severity::High);
    }
}
