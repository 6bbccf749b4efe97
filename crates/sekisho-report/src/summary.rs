//! What a person wants before the rows: counts that agree, why a severity is UNKNOWN, what was
//! checked and what was not (and how to fix that), and which upgrades clear the most. Shared by the
//! table and the HTML report, computed from the report alone (so stored reports re-render the
//! same), never trusting a reference in it.

use std::collections::BTreeMap;

use sekisho_catalog::PackageLookup;
use sekisho_finding::{Finding, Severity, Status, Vulnerability};
use sekisho_version::EcosystemName;

use crate::model::ScanTarget;

/// One vulnerability of one package version, however many copies of the package the target
/// holds (two virtualenvs with the same Flask are one row with two paths).
#[derive(Debug, Clone)]
pub struct VulnRow<'a> {
    pub name: &'a str,
    pub version: &'a str,
    /// The name the advisory used, when it differs from the package's (a source package).
    pub source: Option<&'a str>,
    pub os_package: bool,
    pub finding: &'a Vulnerability,
    /// Where each copy was found (the package files of language packages; empty for OS
    /// packages, whose database is the one place).
    pub paths: Vec<&'a str>,
    /// How many findings (package copies) the row stands for.
    pub copies: usize,
}

/// Lower-case, `-` for `_` and `.`: names that differ only so are the same name.
fn loose(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '_' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Group a target's vulnerability findings: one row per (package name, version, advisory).
/// Rows are sorted by package, then severity (most severe first, UNKNOWN last), then ID.
/// Informational notices are not vulnerabilities: see [`informational_rows`].
pub fn vuln_rows(t: &ScanTarget) -> Vec<VulnRow<'_>> {
    rows_where(t, |f| f.informational.is_none())
}

/// The informational notices shown (`--show-informational`), grouped like [`vuln_rows`].
pub fn informational_rows(t: &ScanTarget) -> Vec<VulnRow<'_>> {
    rows_where(t, |f| f.informational.is_some())
}

fn rows_where(t: &ScanTarget, keep: impl Fn(&Vulnerability) -> bool) -> Vec<VulnRow<'_>> {
    let lookup = PackageLookup::new(&t.target.packages);
    let mut rows: Vec<VulnRow<'_>> = Vec::new();
    let mut index: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for f in t
        .findings
        .iter()
        .filter_map(Finding::as_vulnerability)
        .filter(|f| keep(f))
    {
        let p = lookup.get(&f.package_id, f.package);
        let (name, version) = p
            .map_or((f.matched_name.as_str(), f.matched_version.as_str()), |p| {
                (p.name.as_str(), p.version.as_str())
            });
        let key = (name.to_string(), version.to_string(), f.id.clone());
        let paths: Vec<&str> = match p {
            Some(p) if !p.kind.is_os() => p.locations.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        match index.get(&key) {
            Some(&i) => {
                let r = &mut rows[i];
                r.copies += 1;
                for x in paths {
                    if !r.paths.contains(&x) {
                        r.paths.push(x);
                    }
                }
                // The most severe copy speaks for the row (copies normally agree).
                if f.severity > r.finding.severity {
                    r.finding = f;
                }
            }
            None => {
                index.insert(key, rows.len());
                rows.push(VulnRow {
                    name,
                    version,
                    source: (loose(&f.matched_name) != loose(name))
                        .then_some(f.matched_name.as_str()),
                    os_package: p.is_some_and(|p| p.kind.is_os()),
                    finding: f,
                    paths,
                    copies: 1,
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.name, a.version)
            .cmp(&(b.name, b.version))
            .then(b.finding.severity.cmp(&a.finding.severity))
            .then(a.finding.id.cmp(&b.finding.id))
    });
    rows
}

/// Counts for the summary block.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Findings (one per package copy), as JSON counts them.
    pub findings: usize,
    /// Rows (one per advisory and package version).
    pub distinct: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    /// Distinct rows with a fixed version, and without.
    pub fixable: usize,
    pub unfixable: usize,
    /// Per ecosystem (base name, `Debian` for `Debian:12`): distinct rows and UNKNOWN rows.
    pub by_ecosystem: BTreeMap<String, (usize, usize)>,
}

fn base(eco: &str) -> &str {
    eco.split(':').next().unwrap_or(eco)
}

/// Summary counts of the vulnerability rows.
pub fn counts(rows: &[VulnRow<'_>]) -> Counts {
    let mut c = Counts {
        distinct: rows.len(),
        ..Counts::default()
    };
    for r in rows {
        c.findings += r.copies;
        *c.by_severity.entry(r.finding.severity).or_default() += 1;
        if r.finding.fixed_version.is_some() {
            c.fixable += 1;
        } else {
            c.unfixable += 1;
        }
        let e = c
            .by_ecosystem
            .entry(base(&r.finding.ecosystem).to_string())
            .or_default();
        e.0 += 1;
        if r.finding.severity == Severity::Unknown {
            e.1 += 1;
        }
    }
    c
}

/// Why the advisories of an ecosystem come without a severity, in words.
pub fn unknown_reason(ecosystem: &str) -> &'static str {
    match base(ecosystem) {
        "Go" => "the Go vulnerability database does not rate severity",
        "PyPI" => "PyPA advisories rarely carry a CVSS vector or rating",
        "crates.io" => "these RustSec advisories carry no CVSS vector",
        "npm" | "Maven" | "NuGet" | "RubyGems" | "Packagist" => {
            "these advisories carry no CVSS vector or rating"
        }
        "Debian" | "Ubuntu" => "the distribution has not rated them (urgency \"not yet assigned\")",
        _ => "the advisories carry no rating",
    }
}

/// One upgrade of the fix plan.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The package to upgrade (the source package for Debian/Ubuntu/Alpine).
    pub name: String,
    pub from: String,
    pub to: String,
    pub ecosystem: String,
    /// Distinct advisories the upgrade clears, and how many of them are HIGH or CRITICAL.
    pub clears: usize,
    pub high_or_critical: usize,
    /// Findings (package copies) it clears.
    pub copies: usize,
}

/// The upgrades that clear the most, ranked by HIGH/CRITICAL findings cleared, then by findings
/// cleared. The target version is the highest fixed version among the package's findings (in
/// the ecosystem's own order), which clears every finding that has a fix.
pub fn fix_plan(rows: &[VulnRow<'_>]) -> Vec<Upgrade> {
    let mut by: BTreeMap<(String, String, String), Vec<&VulnRow<'_>>> = BTreeMap::new();
    for r in rows {
        let f = r.finding;
        if f.fixed_version.is_none() || matches!(f.status, Status::NotAffected) {
            continue;
        }
        by.entry((
            f.matched_name.clone(),
            f.matched_version.clone(),
            f.ecosystem.clone(),
        ))
        .or_default()
        .push(r);
    }
    let mut plan: Vec<Upgrade> = by
        .into_iter()
        .map(|((name, from, eco), rs)| {
            let kind = EcosystemName::parse(&eco).ok().map(|e| e.ecosystem);
            let to = rs
                .iter()
                .filter_map(|r| r.finding.fixed_version.as_deref())
                .fold(None::<&str>, |best, v| match (best, kind) {
                    (None, _) => Some(v),
                    (Some(b), Some(k)) => match sekisho_version::compare(k, v, b) {
                        Ok(std::cmp::Ordering::Greater) => Some(v),
                        _ => Some(b),
                    },
                    (Some(b), None) => Some(if v > b { v } else { b }),
                })
                .unwrap_or_default()
                .to_string();
            let mut ids: Vec<&str> = rs.iter().map(|r| r.finding.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            Upgrade {
                name,
                from,
                to,
                ecosystem: eco,
                clears: ids.len(),
                high_or_critical: rs
                    .iter()
                    .filter(|r| r.finding.severity >= Severity::High)
                    .map(|r| r.finding.id.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                copies: rs.iter().map(|r| r.copies).sum(),
            }
        })
        .collect();
    plan.sort_by(|a, b| {
        b.high_or_critical
            .cmp(&a.high_or_critical)
            .then(b.clears.cmp(&a.clears))
            .then(a.name.cmp(&b.name))
    });
    plan
}

/// How to get advisory data for an ecosystem the DB has none of.
pub fn coverage_hint(ecosystem: &str) -> String {
    let b = base(ecosystem);
    match b {
        "Debian" => "`sekisho db update --ecosystem Debian`, or offline `sekisho db import` the Debian security tracker JSON".to_string(),
        "Alpine" => "`sekisho db update --ecosystem Alpine`, or offline `sekisho db import` Alpine's secdb YAML".to_string(),
        _ => format!("`sekisho db update --ecosystem {b}`, or offline `sekisho db import` its OSV records"),
    }
}
