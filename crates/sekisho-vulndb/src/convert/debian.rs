//! Debian security-tracker JSON (<https://security-tracker.debian.org/tracker/data/json>) →
//! `DEBIAN-CVE-…` OSV records.
//!
//! Shape: `{ source_package: { CVE: { description, scope, debianbug, releases: { codename: {
//! status, fixed_version, urgency, repositories, nodsa, nodsa_reason } } } } }`.
//!
//! Rules (as osv.dev's converter): one record per CVE, id `DEBIAN-<CVE>`, `upstream: [CVE]`; one
//! `affected` per (source package, numbered release) with ecosystem `Debian:<N>`;
//! `resolved` + `fixed_version` → `[introduced 0, fixed X]`; `resolved` with `"0"` → not affected
//! (omitted); `open`/`undetermined` → `[introduced 0]` (unfixed). Releases without a number
//! (sid, experimental) are skipped. `ecosystem_specific` keeps `urgency` (raw), `status`, and
//! `nodsa`/`nodsa_reason` when present, from which the matcher derives the fix status.

use std::collections::BTreeMap;

use sekisho_version::osv::{Affected, Event, Package, Range, RangeType};
use serde_json::{Map, Value, json};

use crate::model::Advisory;
use crate::normalize::debian_release_number;

/// Whether a JSON value looks like tracker JSON (objects of CVE-ish keys holding `releases`).
pub fn looks_like(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    if o.contains_key("id") || o.is_empty() {
        return false;
    }
    o.values().take(8).all(|p| {
        p.as_object().is_some_and(|cves| {
            cves.values()
                .take(4)
                .all(|c| c.as_object().is_some_and(|c| c.contains_key("releases")))
        })
    })
}

/// Convert a whole tracker document. Malformed entries are skipped and reported in the returned
/// `Vec<String>` (one line each, naming package and CVE).
pub fn convert(v: &Value) -> (Vec<Advisory>, Vec<String>) {
    let mut out: BTreeMap<String, Advisory> = BTreeMap::new();
    let mut bad = Vec::new();
    let Some(pkgs) = v.as_object() else {
        return (Vec::new(), vec!["tracker JSON is not an object".into()]);
    };
    for (pkg, cves) in pkgs {
        let Some(cves) = cves.as_object() else {
            bad.push(format!("{pkg}: not an object"));
            continue;
        };
        for (cve, body) in cves {
            let Some(body) = body.as_object() else {
                bad.push(format!("{pkg}/{cve}: not an object"));
                continue;
            };
            let id = format!("DEBIAN-{cve}");
            let rec = out.entry(id.clone()).or_insert_with(|| Advisory {
                schema_version: Some("1.7.3".into()),
                id,
                upstream: vec![cve.clone()],
                details: body
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                references: vec![crate::model::Reference {
                    kind: "ADVISORY".into(),
                    url: format!("https://security-tracker.debian.org/tracker/{cve}"),
                }],
                ..Advisory::default()
            });
            let releases = match body.get("releases") {
                Some(Value::Object(r)) => r.clone(),
                // `"releases": []` occurs for packages removed from every release.
                Some(Value::Array(a)) if a.is_empty() => Map::new(),
                _ => {
                    bad.push(format!("{pkg}/{cve}: no `releases` object"));
                    continue;
                }
            };
            for (codename, rel) in &releases {
                let Some(num) = debian_release_number(codename) else {
                    continue; // sid, experimental: no numbered OSV ecosystem
                };
                let Some(rel) = rel.as_object() else {
                    bad.push(format!("{pkg}/{cve}/{codename}: not an object"));
                    continue;
                };
                let status = rel.get("status").and_then(Value::as_str).unwrap_or("");
                let fixed = rel.get("fixed_version").and_then(Value::as_str);
                let mut events = vec![Event::Introduced("0".into())];
                match (status, fixed) {
                    ("resolved", Some("0")) => continue, // never affected
                    ("resolved", Some(f)) if !f.is_empty() => events.push(Event::Fixed(f.into())),
                    ("resolved", _) => {
                        bad.push(format!(
                            "{pkg}/{cve}/{codename}: resolved without fixed_version"
                        ));
                        continue;
                    }
                    _ => {}
                }
                let mut es = Map::new();
                for k in ["urgency", "status", "nodsa", "nodsa_reason"] {
                    if let Some(s) = rel.get(k).and_then(Value::as_str)
                        && !s.is_empty()
                    {
                        es.insert(k.into(), json!(s));
                    }
                }
                rec.affected.push(Affected {
                    package: Some(Package {
                        ecosystem: format!("Debian:{num}"),
                        name: pkg.clone(),
                        purl: Some(format!("pkg:deb/debian/{pkg}?arch=source")),
                    }),
                    ranges: vec![Range {
                        kind: RangeType::Ecosystem,
                        repo: None,
                        events,
                        database_specific: None,
                    }],
                    versions: Vec::new(),
                    ecosystem_specific: Some(Value::Object(es)),
                    database_specific: None,
                });
            }
        }
    }
    // Records with no affected release at all (fixed "0" everywhere) carry no information.
    let recs = out
        .into_values()
        .filter(|a| !a.affected.is_empty())
        .collect();
    (recs, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_statuses() {
        let v: Value = serde_json::from_str(
            r#"{"pkg":{"CVE-1":{"description":"d","releases":{
              "bookworm":{"status":"resolved","fixed_version":"1.2-1","urgency":"low"},
              "bullseye":{"status":"open","urgency":"end-of-life"},
              "buster":{"status":"resolved","fixed_version":"0","urgency":"low"},
              "sid":{"status":"resolved","fixed_version":"1.2-1"}}},
              "CVE-2":{"releases":[]}}}"#,
        )
        .unwrap();
        assert!(looks_like(&v));
        let (recs, bad) = convert(&v);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.id, "DEBIAN-CVE-1");
        assert_eq!(r.upstream, vec!["CVE-1"]);
        assert_eq!(r.affected.len(), 2);
        let eco: Vec<_> = r
            .affected
            .iter()
            .map(|a| a.package.as_ref().unwrap().ecosystem.clone())
            .collect();
        assert_eq!(eco, vec!["Debian:12", "Debian:11"]);
        assert_eq!(r.affected[0].ranges[0].events.len(), 2);
        assert_eq!(
            r.affected[1].ranges[0].events,
            vec![Event::Introduced("0".into())]
        );
    }
}
