//! Cross-check the curated data against the records it was copied from, where the shared data
//! holds them: the Debian security tracker's DSA/DLA lists, AlmaLinux's OSV advisories and the
//! Go vulnerability database. Every Debian, RHEL-family and runtime range in
//! `data/escapes.toml` must match its record exactly, and no record of these packages that names
//! one of our CVEs may be missing from the data.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sekisho_kernel::data::{Component, embedded};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if p.join("MANIFEST.md").is_file() {
        return Some(p);
    }
    sekisho_testutil::require(
        false,
        &format!(
            "shared data at {} (../shared beside the repository)",
            p.display()
        ),
    );
    None
}

/// Advisory → (CVEs, [(suite, package, version)]).
type Advisories = BTreeMap<String, (Vec<String>, Vec<(String, String, String)>)>;

fn debian_lists(root: &std::path::Path) -> Advisories {
    let mut out = Advisories::new();
    for l in ["DSA/list", "DLA/list"] {
        let text = std::fs::read_to_string(root.join("feeds-debian-security-tracker-2023").join(l))
            .unwrap();
        let mut cur: Option<String> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix('[') {
                // [20 Jan 2022] DSA-5050-1 linux - security update
                cur = rest.split_whitespace().nth(3).map(str::to_string);
                if let Some(c) = &cur {
                    out.entry(c.clone()).or_default();
                }
            } else if let (Some(c), Some(cves)) = (&cur, line.strip_prefix("\t{")) {
                out.get_mut(c).unwrap().0 = cves
                    .trim_end_matches('}')
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
            } else if let (Some(c), Some(rest)) = (&cur, line.strip_prefix("\t[")) {
                // [bullseye] - linux 5.10.92-1
                let (suite, rest) = rest.split_once("] - ").unwrap();
                let mut w = rest.split_whitespace();
                let (pkg, ver) = (w.next().unwrap(), w.next().unwrap_or(""));
                out.get_mut(c)
                    .unwrap()
                    .1
                    .push((suite.into(), pkg.into(), ver.into()));
            }
        }
    }
    out
}

#[test]
fn debian_entries_match_the_dsa_and_dla_lists() {
    let Some(root) = shared() else { return };
    let lists = debian_lists(&root);
    let db = embedded();
    let mut checked = 0;
    for e in &db.escapes {
        for d in &e.debian {
            if !(d.advisory.starts_with("DSA-") || d.advisory.starts_with("DLA-")) {
                assert!(d.advisory.contains("changelog"), "{}: {}", e.id, d.advisory);
                continue;
            }
            let (cves, fixes) = lists
                .get(&d.advisory)
                .unwrap_or_else(|| panic!("{}: {} not in the lists", e.id, d.advisory));
            assert!(
                cves.contains(&e.id),
                "{} does not list {}",
                d.advisory,
                e.id
            );
            assert!(
                fixes.contains(&(d.suite.clone(), d.package.clone(), d.fixed.clone())),
                "{}: {} says {fixes:?}, the data {} {} {}",
                e.id,
                d.advisory,
                d.suite,
                d.package,
                d.fixed
            );
            checked += 1;
        }
        // Completeness: every advisory for these packages naming the CVE is in the data (the
        // earliest per suite; later ones are regressions or re-releases).
        let pkgs: &[&str] = match e.component {
            Component::Kernel => &["linux"],
            Component::Runtime => &["runc", "containerd", "docker.io"],
        };
        for (adv, (cves, fixes)) in &lists {
            if !cves.contains(&e.id) {
                continue;
            }
            for (suite, pkg, _) in fixes {
                if pkgs.contains(&pkg.as_str()) && e.only_distro.is_none() {
                    assert!(
                        e.debian
                            .iter()
                            .any(|d| &d.suite == suite && &d.package == pkg),
                        "{}: {adv} fixes {pkg} in {suite}, not in the data",
                        e.id
                    );
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} Debian entries checked");
}

#[test]
fn rhel_entries_match_almalinux_osv() {
    let Some(root) = shared() else { return };
    let db = embedded();
    let mut checked = 0;
    for e in &db.escapes {
        for r in &e.rhel {
            let p = root
                .join("osv-almalinux")
                .join(format!("almalinux{}", r.major))
                .join(format!("{}.json", r.advisory));
            let v: serde_json::Value = serde_json::from_slice(
                &std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
            .unwrap();
            let related: Vec<&str> = v["related"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| x.as_str())
                .collect();
            assert!(
                related.contains(&e.id.as_str()),
                "{} does not relate {}",
                r.advisory,
                e.id
            );
            let fixed: Vec<String> = v["affected"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| {
                    a["package"]["name"] == r.package.as_str()
                        && a["package"]["ecosystem"] == format!("AlmaLinux:{}", r.major).as_str()
                })
                .flat_map(|a| a["ranges"].as_array().cloned().unwrap_or_default())
                .flat_map(|rg| rg["events"].as_array().cloned().unwrap_or_default())
                .filter_map(|ev| ev["fixed"].as_str().map(str::to_string))
                .collect();
            assert!(
                fixed.contains(&r.fixed),
                "{}: {} fixes {fixed:?}, the data {}",
                e.id,
                r.advisory,
                r.fixed
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} RHEL entries checked");
}

#[test]
fn runtime_ranges_match_the_go_vulndb() {
    let Some(root) = shared() else { return };
    let db = embedded();
    let mut by_cve: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for f in std::fs::read_dir(root.join("osv-go-vulndb")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for a in v["aliases"].as_array().cloned().unwrap_or_default() {
            if let Some(a) = a.as_str().filter(|a| a.starts_with("CVE-")) {
                by_cve.entry(a.to_string()).or_default().push(v.clone());
            }
        }
    }
    let mut checked = 0;
    for e in db
        .escapes
        .iter()
        .filter(|e| e.component == Component::Runtime)
    {
        let Some(module) = &e.upstream.module else {
            continue;
        };
        let Some(recs) = by_cve.get(&e.id) else {
            assert!(
                e.notes
                    .iter()
                    .any(|n| n.contains("Go vulnerability database")),
                "{}: no Go record and no note",
                e.id
            );
            continue;
        };
        let events: Vec<serde_json::Value> = recs
            .iter()
            .flat_map(|r| r["affected"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["package"]["name"] == module.as_str())
            .flat_map(|a| a["ranges"].as_array().cloned().unwrap_or_default())
            .flat_map(|r| r["events"].as_array().cloned().unwrap_or_default())
            .collect();
        let mut ours = Vec::new();
        for r in &e.upstream.ranges {
            ours.push(serde_json::json!({"introduced": r.introduced}));
            if let Some(f) = &r.fixed {
                ours.push(serde_json::json!({"fixed": f}));
            }
        }
        assert_eq!(ours, events, "{} {module}", e.id);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} runtime ranges checked");
}
