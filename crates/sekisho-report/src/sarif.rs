//! SARIF 2.1.0 (OASIS, <https://docs.oasis-open.org/sarif/sarif/v2.1.0/>) for code-scanning
//! dashboards, for every kind of finding: one `rule` per ID (reportingDescriptor, spec 3.49) and
//! one `result` per finding. A vulnerability's result is located at the files its package was
//! found in; a misconfiguration's or a secret's at its file, with the exact `startLine` and
//! `startColumn` (spec 3.30) when it has them; a finding with no file (an image config field, an
//! isolation wall) at a `logicalLocation` (spec 3.33). Columns count Unicode scalar values, as
//! everywhere in the finding model, so the run says `columnKind: unicodeCodePoints` (spec
//! 3.14.17): after a non-BMP character such as an emoji, a UTF-16 column would be one more.
//!
//! Levels (spec 3.27.10): `error` for HIGH and CRITICAL, `warning` for MEDIUM, `note` for LOW,
//! INFO and UNKNOWN. Dashboards such as GitHub code scanning read `properties.security-severity`
//! (a CVSS-like score as a string) on each rule and `properties.tags`; results carry
//! `partialFingerprints` so alerts stay stable between runs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use sekisho_catalog::PackageLookup;
use sekisho_finding::{Finding, Location, RatingMethod, Severity, Vulnerability};

use crate::model::{ScanReport, ScanTarget};

/// The SARIF level for a severity (spec 3.27.10).
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info | Severity::Unknown => "note",
    }
}

/// A numeric severity for dashboards: the best CVSS score when there is one, else the middle of
/// the severity's band.
fn security_severity(f: &Vulnerability) -> String {
    let score = f
        .ratings
        .iter()
        .filter(|r| matches!(r.method, RatingMethod::CvssV4 | RatingMethod::CvssV3))
        .filter(|r| Severity::from_cvss_score(r.score.unwrap_or(0.0)) == f.severity)
        .filter_map(|r| r.score)
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    let score = score.unwrap_or_else(|| f.severity.representative_score());
    format!("{score:.1}")
}

use sekisho_finding::advisory_uri as help_uri;

/// Where the documentation of a check lives.
fn check_uri(f: &Finding) -> String {
    format!(
        "https://example.invalid/sekisho/docs/{}#{}",
        f.kind().as_str(),
        f.id()
    )
}

/// `run-as-root` → `RunAsRoot` (SARIF `name` is a short PascalCase label).
fn pascal(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The rule of a finding that is not a vulnerability.
fn check_rule(f: &Finding) -> Value {
    let title = f.title();
    let why = f.why();
    let fix = f.fix();
    let sev = f.severity();
    json!({
        "id": f.id(),
        "name": pascal(f.id()),
        "shortDescription": {"text": title},
        "fullDescription": {"text": why},
        "helpUri": check_uri(f),
        "help": {
            "text": format!("{} ({sev}): {why} Fix: {fix}", f.id()),
            "markdown": format!("**{}** ({sev}): {title}\n\n{why}\n\n**Fix:** {fix}", f.id()),
        },
        "defaultConfiguration": {"level": level(sev)},
        "properties": {
            "precision": "high",
            "security-severity": format!("{:.1}", sev.representative_score()),
            "tags": [f.kind().as_str(), "security", sev.as_str()],
        },
    })
}

/// SARIF locations of a finding with a [`Location`]: physical when it names a file (with the
/// region when a line is known), logical otherwise (and in addition, when both are known).
fn locations(loc: &Location, target: &str) -> Vec<Value> {
    let logical = loc
        .logical
        .as_ref()
        .map(|l| json!([{"fullyQualifiedName": l, "name": l, "kind": "element"}]));
    match &loc.path {
        Some(p) => {
            let mut region = serde_json::Map::new();
            if let Some(l) = loc.line {
                region.insert("startLine".into(), json!(l));
                if let Some(c) = loc.column {
                    region.insert("startColumn".into(), json!(c));
                }
                if let Some(el) = loc.end_line {
                    region.insert("endLine".into(), json!(el));
                }
                if let Some(ec) = loc.end_column {
                    region.insert("endColumn".into(), json!(ec));
                }
            }
            let mut phys = json!({
                "artifactLocation": {"uri": uri_of(p), "uriBaseId": "ROOTPATH"},
            });
            if !region.is_empty() {
                phys["region"] = Value::Object(region);
            }
            let mut l = json!({"physicalLocation": phys});
            if let Some(lg) = logical {
                l["logicalLocations"] = lg;
            }
            vec![l]
        }
        None => vec![json!({
            "logicalLocations": logical.unwrap_or_else(|| json!([{"fullyQualifiedName": target, "name": target}])),
        })],
    }
}

/// A relative URI reference for a path (spec 3.4.3): percent-encode what a URI cannot hold.
fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every finding of a target, shown ones only.
fn shown(t: &ScanTarget) -> impl Iterator<Item = &Finding> {
    t.findings.iter()
}

/// The result of a finding that is not a vulnerability.
fn check_result(f: &Finding, t: &ScanTarget, rule_index: usize) -> Value {
    let loc = f.location().cloned().unwrap_or_default();
    let mut text = format!("{}: {}", f.id(), f.title());
    let mut props = serde_json::Map::new();
    props.insert("kind".into(), json!(f.kind().as_str()));
    props.insert("severity".into(), json!(f.severity().as_str()));
    props.insert("target".into(), json!(t.target.name));
    match f {
        Finding::Misconfiguration(m) => {
            if let Some(o) = &m.object {
                text.push_str(&format!(" ({o})"));
            }
            if let Some(v) = &m.value {
                text.push_str(&format!("; value: {v}"));
                props.insert("value".into(), json!(v));
            }
            props.insert("file_type".into(), json!(m.file_type));
            if !m.aliases.is_empty() {
                props.insert("aliases".into(), json!(m.aliases));
            }
        }
        Finding::Secret(s) => {
            text.push_str(&format!("; match: {}", s.redacted));
            props.insert("redacted".into(), json!(s.redacted));
            props.insert("fingerprint".into(), json!(s.fingerprint));
            props.insert("present".into(), json!(s.present));
            if let Some(d) = &s.deleted_in {
                props.insert("deleted_in_layer".into(), json!(d.index));
            }
            if let Some(v) = &s.vendor {
                props.insert("vendor_package".into(), json!(v.package));
            }
        }
        Finding::Drift(d) => {
            text.push_str(&format!(
                "; {}: {}",
                serde_json::to_value(d.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                d.detail
            ));
            props.insert("class".into(), json!(d.class));
        }
        Finding::Isolation(i) => {
            props.insert("wall".into(), json!(i.wall));
            if !i.evidence.is_empty() {
                text.push_str(&format!("; evidence: {}", i.evidence.join("; ")));
            }
            if !i.caught_by.is_empty() {
                text.push_str(&format!(
                    "; caught before it runs by sekisho config: {}",
                    i.caught_by.join(", ")
                ));
                props.insert("caught_by".into(), json!(i.caught_by));
            }
        }
        Finding::Vulnerability(_) => {}
    }
    if let Some(l) = &loc.layer {
        props.insert("layer".into(), json!(l.index));
        if let Some(d) = &l.digest {
            props.insert("layer_digest".into(), json!(d));
        }
    }
    text.push_str(&format!(". Fix: {}", f.fix()));
    json!({
        "ruleId": f.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity()),
        "message": {"text": text},
        "locations": locations(&loc, &t.target.name),
        "partialFingerprints": {"sekishoFinding/v1": f.fingerprint(&t.target.name, None)},
        "properties": Value::Object(props),
    })
}

/// A SARIF 2.1.0 log of `report`.
pub fn document(report: &ScanReport) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    // First pass: rules, in ID order.
    for t in &report.targets {
        for f in shown(t) {
            let Finding::Vulnerability(f) = f else {
                rules
                    .entry(f.id().to_string())
                    .or_insert_with(|| check_rule(f));
                continue;
            };
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
        let lookup = PackageLookup::new(&t.target.packages);
        for f in shown(t) {
            let Finding::Vulnerability(f) = f else {
                results.push(check_result(
                    f,
                    t,
                    rule_index.get(f.id()).copied().unwrap_or(0),
                ));
                continue;
            };
            let Some(pkg) = lookup.get(&f.package_id, f.package) else {
                // A stored report naming a package it does not hold: still a result, located at
                // the target, never a panic.
                results.push(json!({
                    "ruleId": f.id,
                    "ruleIndex": rule_index.get(&f.id).copied().unwrap_or(0),
                    "level": level(f.severity),
                    "message": {"text": format!("{} in {} (package not in the report)", f.id, f.matched_name)},
                    "locations": [{"logicalLocations": [{"fullyQualifiedName": t.target.name, "name": t.target.name}]}],
                }));
                continue;
            };
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
                    "sekishoFinding/v1": sekisho_finding::fnv_hex(&[&t.target.name, &pkg.name, &pkg.version, &f.id]),
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
            "columnKind": "unicodeCodePoints",
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
