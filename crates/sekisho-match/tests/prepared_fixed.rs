//! Whether a version is affected and the fix a match reports are the same whether the affected
//! entry was prepared once for many versions (`osv::Prepared` with a `Probe`, what the matcher
//! uses) or is worked out afresh (`osv::affects`, and for the fix the plain definition below): swept over every affected entry of the real Go, RustSec, PyPI and
//! AlmaLinux records in `../shared/data`, at each of the entry's own bounds and listed versions
//! and at versions just around them.

use std::path::{Path, PathBuf};

use std::cmp::Ordering;

use sekisho_match::engine::fixed_version;
use sekisho_version::osv::{self, Affected, Event, Prepared, Probe, RangeType};
use sekisho_version::{Ecosystem, EcosystemName};

/// The fix by its definition, one range at a time: the lowest `fixed` event above `version`
/// (the ecosystem's comparison; the first of equal ones) among the non-`GIT` ranges that
/// contain `version`.
fn reference_fix(
    eco: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<Option<String>, sekisho_version::VersionError> {
    let mut best: Option<String> = None;
    for range in affected.ranges.iter().filter(|r| r.kind != RangeType::Git) {
        let single = Affected {
            package: None,
            ranges: vec![range.clone()],
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: None,
        };
        if !osv::affects(eco, version, &single)? {
            continue;
        }
        for ev in &range.events {
            let Event::Fixed(f) = ev else { continue };
            let Ok(Ordering::Less) = sekisho_version::compare(eco, version, f) else {
                continue;
            };
            let better = best
                .as_ref()
                .is_none_or(|b| matches!(sekisho_version::compare(eco, f, b), Ok(Ordering::Less)));
            if better {
                best = Some(f.clone());
            }
        }
    }
    Ok(best)
}

fn data() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
}

fn each_entry(dir: &Path, f: &mut dyn FnMut(&str, Ecosystem, &Affected)) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let name = p.display().to_string();
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let Ok(affected) = serde_json::from_value::<Vec<Affected>>(v["affected"].clone())
            else {
                continue;
            };
            for a in &affected {
                let Some(eco) = a
                    .package
                    .as_ref()
                    .and_then(|p| EcosystemName::parse(&p.ecosystem).ok())
                else {
                    continue;
                };
                f(&name, eco.ecosystem, a);
            }
        }
    }
}

/// The versions to try against an entry: its bounds and some listed versions, each also with a
/// suffix that sorts it just above or below, and a few that are not versions at all.
fn probes(a: &Affected) -> Vec<String> {
    let mut out: Vec<String> = vec![
        "0".into(),
        "0.0.1".into(),
        "99999.0".into(),
        String::new(),
        "not a version".into(),
    ];
    let bounds = a.ranges.iter().flat_map(|r| &r.events).map(|e| match e {
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
    });
    // Some entries list hundreds of versions, each a fresh evaluation parses: a spread of them.
    let step = a.versions.len().div_ceil(8).max(1);
    for v in bounds.chain(a.versions.iter().step_by(step)) {
        out.push(v.clone());
        out.push(format!("{v}.1"));
        out.push(format!("{v}-1"));
        out.push(format!("{v}rc1"));
    }
    out
}

#[test]
fn prepared_entries_report_the_same_fix() {
    let mut entries = 0;
    let mut fixes = 0;
    let mut compared = 0;
    for dir in [
        "osv-go-vulndb",
        "osv-rustsec",
        "osv-pypa-json",
        "osv-almalinux",
    ] {
        each_entry(&data().join(dir), &mut |name, eco, a| {
            let prepared = Prepared::new(eco, a);
            entries += 1;
            for v in probes(a) {
                let fresh = reference_fix(eco, &v, a).map_err(|e| e.to_string());
                let kept = prepared.fixed_version(&v).map_err(|e| e.to_string());
                assert_eq!(kept, fresh, "{name}: {eco:?} {v:?}");
                let once = fixed_version(eco, &v, a).map_err(|e| e.to_string());
                assert_eq!(once, fresh, "{name}: {eco:?} {v:?}");
                // A probe used for both questions, as the matcher does.
                let mut probe = Probe::new(eco, &v);
                let affected = osv::affects(eco, &v, a).map_err(|e| e.to_string());
                let kept = prepared.affects_with(&mut probe).map_err(|e| e.to_string());
                assert_eq!(kept, affected, "{name}: {eco:?} {v:?}");
                let kept = prepared
                    .fixed_version_with(&mut probe)
                    .map_err(|e| e.to_string());
                assert_eq!(kept, fresh, "{name}: {eco:?} {v:?}");
                fixes += usize::from(matches!(fresh, Ok(Some(_))));
                compared += 1;
            }
        });
    }
    // Enough real data to mean something, and versions that do have a fix among them.
    assert!(entries > 50_000, "{entries} entries");
    assert!(fixes > 500_000, "{fixes} fixes in {compared} comparisons");
}
