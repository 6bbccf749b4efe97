//! [`AdvisorySource`] over the sekisho vulnerability DB ([`sekisho_vulndb::Db`]): candidates with
//! every rating the record carries (distro word, CVSS v4/v3/v2 scored from the vector by the DB's
//! severity module, advisory-database word).

use sekisho_vulndb::severity;
use sekisho_vulndb::{Advisory, Db};
use serde_json::Value;

use crate::model::{
    AdvisorySource, Candidate, Rating, RatingMethod, Severity, SourceError, SourceErrorKind,
};

/// The kind of a DB error.
fn kind_of(e: &sekisho_vulndb::DbError) -> SourceErrorKind {
    use sekisho_vulndb::DbError as E;
    match e {
        E::Missing(_) | E::Io { .. } | E::Sqlite { .. } => SourceErrorKind::Unavailable,
        E::Incompatible { .. } => SourceErrorKind::Corrupt,
        E::Ecosystem(_) => SourceErrorKind::Invalid,
        _ => SourceErrorKind::Other,
    }
}

fn str_at<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a str> {
    v?.get(key)?.as_str()
}

/// Every rating of `adv` as it applies to `affected`.
pub fn ratings(
    adv: &Advisory,
    affected: &sekisho_version::osv::Affected,
    ecosystem: &str,
) -> Vec<Rating> {
    let mut out = Vec::new();
    let es = affected.ecosystem_specific.as_ref();
    let distro = ecosystem
        .split(':')
        .next()
        .unwrap_or("distro")
        .to_ascii_lowercase();
    if let Some(u) = str_at(es, "urgency") {
        let r = severity::debian_urgency(u);
        if r != Severity::Unknown {
            out.push(Rating {
                source: distro.clone(),
                method: RatingMethod::Distro,
                score: None,
                severity: r,
                vector: Some(u.to_string()),
            });
        }
    }
    for s in adv.severity.iter().filter(|s| s.kind == "Ubuntu") {
        let r = severity::ubuntu_priority(&s.score);
        if r != Severity::Unknown {
            out.push(Rating {
                source: "ubuntu".into(),
                method: RatingMethod::Distro,
                score: None,
                severity: r,
                vector: Some(s.score.clone()),
            });
        }
    }
    if ["ALSA-", "RLSA-", "RHSA-", "ELSA-"]
        .iter()
        .any(|p| adv.id.starts_with(p))
    {
        // The erratum's severity: ecosystem/database_specific, else the summary's leading word
        // ("Important: openssl security update").
        let word = str_at(es, "severity")
            .or_else(|| str_at(adv.database_specific.as_ref(), "severity"))
            .map(str::to_string)
            .or_else(|| {
                adv.summary
                    .as_deref()
                    .and_then(|s| s.split_once(':'))
                    .map(|(w, _)| w.trim().to_string())
            });
        if let Some(w) = word {
            let r = severity::redhat_severity(&w);
            if r != Severity::Unknown {
                out.push(Rating {
                    source: distro.clone(),
                    method: RatingMethod::Distro,
                    score: None,
                    severity: r,
                    vector: Some(w),
                });
            }
        }
    }
    for s in &adv.severity {
        let method = match s.kind.as_str() {
            "CVSS_V4" => RatingMethod::CvssV4,
            "CVSS_V3" => RatingMethod::CvssV3,
            "CVSS_V2" => RatingMethod::CvssV2,
            _ => continue,
        };
        let score = severity::cvss_score(&s.score);
        let severity = score.map_or(Severity::Unknown, Severity::from_cvss_score);
        out.push(Rating {
            source: adv.id.clone(),
            method,
            score,
            severity,
            vector: Some(s.score.clone()),
        });
    }
    if let Some(w) = str_at(adv.database_specific.as_ref(), "severity")
        && !out.iter().any(|r| r.method == RatingMethod::Distro)
        && let Some(r) = severity::parse_word(w)
    {
        out.push(Rating {
            source: adv.id.clone(),
            method: RatingMethod::Advisory,
            score: None,
            severity: r,
            vector: Some(w.to_string()),
        });
    }
    out
}

/// The advisory page first, then the other references.
fn references(adv: &Advisory) -> Vec<String> {
    let mut refs: Vec<String> = adv
        .references
        .iter()
        .filter(|r| r.kind == "ADVISORY")
        .map(|r| r.url.clone())
        .collect();
    for r in &adv.references {
        if !refs.contains(&r.url) && !r.url.is_empty() {
            refs.push(r.url.clone());
        }
    }
    refs.truncate(20);
    refs
}

impl AdvisorySource for Db {
    fn candidates(&self, ecosystem: &str, package: &str) -> Result<Vec<Candidate>, SourceError> {
        let list = self.lookup(ecosystem, package).map_err(|e| {
            SourceError::new(kind_of(&e), format!("looking up {ecosystem} {package}"), e)
        })?;
        Ok(list
            .iter()
            .map(|c| {
                let adv = &c.advisory;
                let mut withdrawn = adv.withdrawn.clone().filter(|w| !w.is_empty());
                if c.withdrawn && withdrawn.is_none() {
                    withdrawn = Some("withdrawn".into());
                }
                Candidate {
                    id: adv.id.clone(),
                    non_security: !c.security,
                    aliases: adv.aliases.clone(),
                    upstream: adv.upstream.clone(),
                    related: adv.related.clone(),
                    summary: adv.summary.clone().or_else(|| {
                        adv.details
                            .as_deref()
                            .map(|d| d.lines().next().unwrap_or("").to_string())
                    }),
                    published: adv.published.clone(),
                    modified: Some(adv.modified.clone()).filter(|m| !m.starts_with("0001-")),
                    withdrawn,
                    references: references(adv),
                    ratings: ratings(adv, &c.affected, &c.ecosystem),
                    ecosystem: c.ecosystem.clone(),
                    package: package.to_string(),
                    affected: (*c.affected).clone(),
                    declared_status: None,
                }
            })
            .collect())
    }

    fn has_data_for(&self, ecosystem: &str) -> Result<bool, SourceError> {
        self.has_data(ecosystem)
            .map_err(|e| SourceError::new(kind_of(&e), format!("checking for {ecosystem} data"), e))
    }

    fn alias_ratings(&self, id: &str) -> Result<Vec<Rating>, SourceError> {
        let adv = self
            .advisory(id)
            .map_err(|e| SourceError::new(kind_of(&e), format!("reading alias record {id}"), e))?;
        Ok(adv.map_or_else(Vec::new, |a| {
            ratings(&a, &sekisho_version::osv::Affected::default(), "")
                .into_iter()
                .filter(|r| r.method != RatingMethod::Distro && r.severity != Severity::Unknown)
                .collect()
        }))
    }

    fn advisory_count(&self, ecosystem: &str) -> Result<Option<u64>, SourceError> {
        self.advisories_for(ecosystem).map(Some).map_err(|e| {
            SourceError::new(kind_of(&e), format!("counting {ecosystem} advisories"), e)
        })
    }
}
