//! SARIF 2.1.0 (OASIS, <https://docs.oasis-open.org/sarif/sarif/v2.1.0/>) for code-scanning
//! dashboards: one `rule` per vulnerability ID (reportingDescriptor, spec 3.49) and one `result`
//! per (package, vulnerability) whose locations are the files the package was found in.
//!
//! Dashboards such as GitHub code scanning read `properties.security-severity` (a CVSS-like score
//! as a string) and `properties.tags`; results carry `partialFingerprints` so alerts stay stable
//! between runs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use sekisho_match::{Finding, RatingMethod, Severity};

use crate::model::ScanReport;

/// The SARIF level for a severity (spec 3.27.10).
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A numeric severity for dashboards: the best CVSS score when there is one, else the middle of
/// the severity's band.
fn security_severity(f: &Finding) -> String {
    let score = f
        .ratings
        .iter()
        .filter(|r| matches!(r.method, RatingMethod::CvssV4 | RatingMethod::CvssV3))
        .filter(|r| Severity::from_cvss_score(r.score.unwrap_or(0.0)) == f.severity)
        .filter_map(|r| r.score)
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    let score = score.unwrap_or(match f.severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    });
    format!("{score:.1}")
}

fn help_uri(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

/// A stable fingerprint of a result: FNV-1a over target, package and ID.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A SARIF 2.1.0 log of `report`.
pub fn document(report: &ScanReport) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    // First pass: rules, in ID order.
    for t in &report.targets {
        for f in &t.findings {
            rules.entry(f.id.clone()).or_insert_with(|| {
                let title = f
                    .summary
                    .clone()
                    .unwrap_or_else(|| format!("{} in {}", f.id, f.matched_name));
                let mut ids: Vec<&str> = f.advisories.iter().map(String::as_str).collect();
                ids.extend(f.aliases.iter().map(String::as_str));
                let md = format!(
                    "**{}** ({})\n\n{}\n\nAlso known as: {}\n\n[{}]({})",
                    f.id,
                    f.severity,
                    title,
                    if ids.is_empty() { "-".to_string() } else { ids.join(", ") },
                    f.id,
                    help_uri(&f.id)
                );
                json!({
                    "id": f.id,
                    "name": "PackageVulnerability",
                    "shortDescription": {"text": format!("{}: {}", f.id, title)},
                    "fullDescription": {"text": title},
                    "helpUri": help_uri(&f.id),
                    "help": {
                        "text": format!("{} ({}): {}. See {}", f.id, f.severity, title, help_uri(&f.id)),
                        "markdown": md,
                    },
                    "defaultConfiguration": {"level": level(f.severity)},
                    "properties": {
                        "precision": "very-high",
                        "security-severity": security_severity(f),
                        "tags": ["vulnerability", "security", f.severity.as_str()],
                    },
                })
            });
        }
    }
    let rules: Vec<Value> = rules
        .into_iter()
        .enumerate()
        .map(|(i, (id, v))| {
            rule_index.insert(id, i);
            v
        })
        .collect();
    let mut results = Vec::new();
    for t in &report.targets {
        for f in &t.findings {
            let pkg = &t.target.packages[f.package];
            let fixed = f.fixed_version.as_deref().unwrap_or("no fix yet");
            let text = format!(
                "Package: {}\nInstalled version: {}\nVulnerability: {}\nSeverity: {}\nStatus: {}\nFixed version: {}\nTarget: {}",
                pkg.name, pkg.version, f.id, f.severity, f.status, fixed, t.target.name
            );
            let mut locations: Vec<Value> = pkg
                .locations
                .iter()
                .map(|l| {
                    json!({
                        "physicalLocation": {
                            "artifactLocation": {"uri": l.trim_start_matches('/'), "uriBaseId": "ROOTPATH"},
                            "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                        },
                        "message": {"text": format!("{}@{}", pkg.name, pkg.version)},
                    })
                })
                .collect();
            if locations.is_empty() {
                locations.push(json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": t.target.name.trim_start_matches('/'), "uriBaseId": "ROOTPATH"},
                        "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                    },
                    "message": {"text": format!("{}@{}", pkg.name, pkg.version)},
                }));
            }
            results.push(json!({
                "ruleId": f.id,
                "ruleIndex": rule_index.get(&f.id).copied().unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": locations,
                "partialFingerprints": {
                    "sekishoFinding/v1": fingerprint(&[&t.target.name, &pkg.name, &pkg.version, &f.id]),
                },
                "properties": {
                    "package": pkg.name,
                    "installed_version": pkg.version,
                    "fixed_version": f.fixed_version,
                    "status": f.status.as_str(),
                    "severity": f.severity.as_str(),
                    "target": t.target.name,
                },
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "fullName": format!("{} {}", report.tool.name, report.tool.version),
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://example.invalid/sekisho",
                "rules": rules,
            }},
            "results": results,
            // Nothing skipped silently: what was skipped or not understood, as notifications.
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": report.targets.iter().flat_map(|t| {
                    t.target.notes.iter().map(move |n| json!({
                        "level": "note",
                        "message": {"text": format!("{}: {}", t.target.name, crate::model::note_text(n))},
                    }))
                }).collect::<Vec<_>>(),
            }],
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {
                "ROOTPATH": {"uri": "file:///"},
            },
            "properties": {
                "targets": report.targets.iter().map(|t| t.target.name.clone()).collect::<Vec<_>>(),
                "vulnerability_data": report.vulnerability_data,
                "no_data_for": report.summary.no_data_for,
            },
        }],
    })
}
