//! OSV range evaluation against real records from `../shared/data/osv-*`: pinned cases for every
//! rule (introduced/fixed pairs, `last_affected`, "0" and `0.0.0-0`, SEMVER vs ECOSYSTEM,
//! enumerated `versions`, GIT-only records, epochs), and a sweep over every record checking
//! that each range's own bounds evaluate the way the range says.

use std::path::{Path, PathBuf};

use sekisho_version::osv::{self, Affected, Event, RangeType};
use sekisho_version::{Ecosystem, EcosystemName};

fn data() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
}

fn record(rel: &str) -> Vec<Affected> {
    let p = data().join(rel);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}")))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_value(v["affected"].clone()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn eco(a: &Affected) -> Ecosystem {
    EcosystemName::parse(&a.package.as_ref().unwrap().ecosystem)
        .unwrap()
        .ecosystem
}

#[test]
fn go_stdlib_two_pairs_and_prerelease_floor() {
    let a = &record("osv-go-vulndb/GO-2024-2610.json")[0];
    let e = eco(a);
    assert_eq!(e, Ecosystem::Go);
    for (v, want) in [
        ("1.0.0", true),
        ("1.21.7", true),
        ("go1.21.7", true),
        ("v1.21.8", false),
        ("1.21.99", false),
        ("1.22.0-rc.1", true), // above the 1.22.0-0 floor
        ("go1.22rc1", true),
        ("1.22.0", true),
        ("1.22.1", false),
        ("1.23.0", false),
    ] {
        assert_eq!(osv::affects(e, v, a).unwrap(), want, "{v}");
    }
    assert_eq!(osv::fixed_for(e, "1.21.0", a).unwrap(), ["1.21.8"]);
    assert_eq!(osv::fixed_for(e, "1.22.0", a).unwrap(), ["1.22.1"]);
    assert_eq!(osv::fixed_versions(a), ["1.21.8", "1.22.1"]);
}

#[test]
fn rustsec_zero_floor_unfixed() {
    let a = &record("osv-rustsec/RUSTSEC-2025-0156.json")[0];
    let e = eco(a);
    assert_eq!(e, Ecosystem::CratesIo);
    assert_eq!(a.ranges[0].kind, RangeType::Semver);
    for v in ["0.0.0-alpha", "0.0.0", "0.1.0", "99.0.0"] {
        assert!(osv::affects(e, v, a).unwrap(), "{v}");
        assert!(osv::fixed_for(e, v, a).unwrap().is_empty());
    }
}

#[test]
fn almalinux_epoch_in_fixed() {
    let a = &record("osv-almalinux/almalinux9/ALSA-2022:5099.json")[0];
    let e = eco(a);
    assert_eq!(e, Ecosystem::AlmaLinux);
    // fixed "1:2.06-27.el9_0.7.alma": an installed version without epoch is epoch 0, so lower.
    assert!(osv::affects(e, "2.06-27.el9_0.7.alma", a).unwrap());
    assert!(osv::affects(e, "1:2.06-27.el9_0.6.alma", a).unwrap());
    assert!(!osv::affects(e, "1:2.06-27.el9_0.7.alma", a).unwrap());
    assert!(!osv::affects(e, "1:2.06-46.el9.alma", a).unwrap());
    assert!(!osv::affects(e, "2:1.0-1.el9", a).unwrap());
}

#[test]
fn psf_cpython_git_only_without_package() {
    let dir = data().join("osv-psf-cpython/advisories/python");
    let mut n = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let rel = p
            .strip_prefix(data())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for a in record(&rel) {
            assert!(a.package.is_none(), "{rel}");
            assert!(a.ranges.iter().all(|r| r.kind == RangeType::Git), "{rel}");
            // GIT ranges play no part in package matching: nothing is affected, and no error
            // even for a version string that is not a version.
            assert!(
                !osv::affects(Ecosystem::PyPI, "3.8.0", &a).unwrap(),
                "{rel}"
            );
            assert!(
                !osv::affects(Ecosystem::PyPI, "not a version", &a).unwrap(),
                "{rel}"
            );
            n += 1;
        }
    }
    assert!(n > 50, "{n}");
}

#[test]
fn debian_and_ubuntu_from_osv_dev_testdata() {
    let a = &record("osv-dev-testdata/gcp/workers/oss_fuzz_worker/testdata/DSA-3029-1.json")[0];
    let e = eco(a);
    assert_eq!(e, Ecosystem::Debian);
    assert!(osv::affects(e, "1.2.1-2.2+wheezy2", a).unwrap());
    assert!(osv::affects(e, "1.2.1-2.2", a).unwrap());
    assert!(!osv::affects(e, "1.2.1-2.2+wheezy3", a).unwrap());
    assert!(!osv::affects(e, "1.2.1-2.2+wheezy3+deb7u1", a).unwrap());
    assert!(osv::affects(e, "1.2.1-2.2+wheezy3~bpo1", a).unwrap());
    assert_eq!(
        osv::fixed_for(e, "1.0-1", a).unwrap(),
        ["1.2.1-2.2+wheezy3"]
    );
    // Ubuntu, unfixed (introduced 0 only) with an enumerated versions list.
    let a =
        &record("osv-dev-testdata/gcp/workers/oss_fuzz_worker/testdata/UBUNTU-CVE-2025-38094.json")
            [0];
    let e = eco(a);
    assert_eq!(e, Ecosystem::Ubuntu);
    assert!(osv::affects(e, "3.13.0-206.257", a).unwrap());
    assert!(osv::affects(e, "99.0-1", a).unwrap());
    assert!(osv::fixed_for(e, "3.13.0-1.16", a).unwrap().is_empty());
    // Records with `affected: []` (DLA-3623-1) affect nothing.
    assert!(record("osv-dev-testdata/gcp/website/testdata/osv/DLA-3623-1.json").is_empty());
}

#[test]
fn pypa_versions_list_and_ecosystem_ranges() {
    // Every PyPI record: each enumerated version is affected; each `fixed` bound of a
    // single-pair range is not.
    let mut checked = 0;
    walk(&data().join("osv-pypa-json"), &mut |rel, a| {
        let e = eco(a);
        for v in &a.versions {
            assert!(osv::affects(e, v, a).unwrap(), "{rel}: listed {v}");
            checked += 1;
        }
    });
    assert!(checked > 10_000, "{checked}");
}

fn walk(dir: &Path, f: &mut dyn FnMut(&str, &Affected)) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                let rel = p
                    .strip_prefix(data())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&p).unwrap();
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                if v.get("withdrawn").is_some() {
                    continue;
                }
                let affected: Vec<Affected> = serde_json::from_value(v["affected"].clone())
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                for a in &affected {
                    if a.package.is_some() {
                        f(&rel, a);
                    }
                }
            }
        }
    }
}

/// For every single introduced/fixed or introduced/last_affected range in the Go, RustSec,
/// PyPI and AlmaLinux records: its bounds parse, `introduced` (when not "0") is affected,
/// `fixed` is not, `last_affected` is.
#[test]
fn every_record_agrees_with_its_own_bounds() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for dir in [
        "osv-go-vulndb",
        "osv-rustsec",
        "osv-pypa-json",
        "osv-almalinux",
    ] {
        walk(&data().join(dir), &mut |rel, a| {
            let e = eco(a);
            let notes = osv::range_notes(e, a);
            if !notes.is_empty() {
                problems.push(format!("{rel}: {notes:?}"));
            }
            for r in a.ranges.iter().filter(|r| r.kind != RangeType::Git) {
                // Only ranges that are the sole non-GIT range and have no enumerated versions
                // can be checked bound by bound.
                if a.ranges.iter().filter(|r| r.kind != RangeType::Git).count() != 1
                    || !a.versions.is_empty()
                {
                    continue;
                }
                let mut intro = None;
                let mut end = None;
                if r.events.len() != 2 {
                    continue;
                }
                for ev in &r.events {
                    match ev {
                        Event::Introduced(v) => intro = Some(v.as_str()),
                        Event::Fixed(v) => end = Some((v.as_str(), false)),
                        Event::LastAffected(v) => end = Some((v.as_str(), true)),
                        Event::Limit(_) => {}
                    }
                }
                let (Some(i), Some((f, inclusive))) = (intro, end) else {
                    continue;
                };
                let only = Affected {
                    package: a.package.clone(),
                    ranges: vec![r.clone()],
                    ..Default::default()
                };
                if sekisho_version::compare(e, i, f).is_ok_and(|o| o.is_ge()) && i != "0" {
                    continue; // an empty range, checked elsewhere
                }
                if i != "0" && !osv::affects(e, i, &only).unwrap_or(false) {
                    problems.push(format!("{rel}: introduced {i} not affected"));
                }
                match osv::affects(e, f, &only) {
                    Ok(got) if got == inclusive => {}
                    other => problems.push(format!(
                        "{rel}: bound {f} (last_affected={inclusive}) gave {other:?}"
                    )),
                }
                checked += 1;
            }
        });
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 5_000, "{checked}");
}
