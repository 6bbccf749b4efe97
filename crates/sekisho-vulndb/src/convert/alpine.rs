//! Alpine secdb (`secdb.alpinelinux.org/vX.Y/{main,community}.json`, formerly YAML) →
//! `ALPINE-…` OSV records.
//!
//! Shape: `{ distroversion: "v3.19", reponame, packages: [ { pkg: { name, secfixes: { "<fixed
//! version>": ["CVE-… [OTHER-ID…]", …] } } } ] }`. Rules: a fixed version of `"0"` means "not
//! affected in this branch" (no range emitted); one string may hold several ids separated by
//! whitespace; non-CVE ids (XSA-, wnpa-sec-) are kept as their own records. One record per id,
//! id `ALPINE-<ID>`, `upstream: [ID]`, one `affected` per (package, branch) with
//! `[introduced 0, fixed X]` in ecosystem `Alpine:vX.Y` (the `v` is mandatory in OSV).

use std::collections::BTreeMap;

use sekisho_version::osv::{Affected, Event, Package, Range, RangeType};
use serde_json::Value;

use crate::model::Advisory;

/// Whether a JSON/YAML value looks like a secdb document.
pub fn looks_like(v: &Value) -> bool {
    v.get("packages").is_some_and(Value::is_array)
        && (v.get("distroversion").is_some() || v.get("reponame").is_some())
}

/// A secfixes key or value may be parsed by YAML as a number (`1.10`); take it back as text.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Convert one secdb document; entries that cannot be understood are skipped and described.
pub fn convert(v: &Value) -> (Vec<Advisory>, Vec<String>) {
    let mut bad = Vec::new();
    let Some(branch) = v.get("distroversion").and_then(text) else {
        return (Vec::new(), vec!["secdb: no `distroversion`".into()]);
    };
    let branch = if branch.starts_with('v') {
        branch
    } else {
        format!("v{branch}")
    };
    let eco = format!("Alpine:{branch}");
    let mut out: BTreeMap<String, Advisory> = BTreeMap::new();
    for (i, p) in v
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let pkg = p.get("pkg").unwrap_or(p);
        let Some(name) = pkg.get("name").and_then(Value::as_str) else {
            bad.push(format!("{eco}: packages[{i}] has no name"));
            continue;
        };
        let Some(fixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (fixed, ids) in fixes {
            let fixed = fixed.trim();
            if fixed.is_empty() {
                bad.push(format!("{eco}/{name}: empty fixed version"));
                continue;
            }
            let ids: Vec<String> = match ids {
                Value::Array(a) => a.iter().filter_map(text).collect(),
                Value::Null => Vec::new(),
                other => text(other).into_iter().collect(),
            };
            for s in ids {
                for id in s.split_whitespace() {
                    let id = id.trim_matches(|c: char| c == ',' || c == ';');
                    if id.is_empty() {
                        continue;
                    }
                    let rid = format!("ALPINE-{id}");
                    let rec = out.entry(rid.clone()).or_insert_with(|| Advisory {
                        schema_version: Some("1.7.3".into()),
                        id: rid,
                        upstream: vec![id.to_string()],
                        ..Advisory::default()
                    });
                    if fixed == "0" {
                        // Not affected in this branch: recorded as a range-less entry would
                        // wrongly match nothing anyway; emit nothing.
                        continue;
                    }
                    rec.affected.push(Affected {
                        package: Some(Package {
                            ecosystem: eco.clone(),
                            name: name.to_string(),
                            purl: Some(format!("pkg:apk/alpine/{name}?arch=source")),
                        }),
                        ranges: vec![Range {
                            kind: RangeType::Ecosystem,
                            repo: None,
                            events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
                            database_specific: None,
                        }],
                        ..Affected::default()
                    });
                }
            }
        }
    }
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
    fn multi_ids_and_zero() {
        let v: Value = serde_json::json!({
            "distroversion": "v3.10", "reponame": "main",
            "packages": [
                {"pkg": {"name": "wireshark", "secfixes": {
                    "2.6.3-r0": ["CVE-2018-1 wnpa-sec-2018-44"],
                    "0": ["CVE-2018-2"]}}}
            ]
        });
        assert!(looks_like(&v));
        let (recs, bad) = convert(&v);
        assert!(bad.is_empty());
        let ids: Vec<_> = recs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["ALPINE-CVE-2018-1", "ALPINE-wnpa-sec-2018-44"]);
        assert_eq!(
            recs[0].affected[0].package.as_ref().unwrap().ecosystem,
            "Alpine:v3.10"
        );
    }
}
