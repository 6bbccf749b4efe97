//! Upstream test vectors from `../shared/data/versions-*` (see each folder's README). Every table
//! that tests ordering, validity, normalisation or range containment is checked in full; the few
//! tables left out test another library's API and are named, with the reason, in
//! `excluded_tables`.

use std::cmp::Ordering;
use std::path::PathBuf;

use sekisho_version::{Ecosystem, compare};
use sekisho_version::{apk, dpkg, go, maven, rpm};

fn data(rel: &str) -> String {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

fn sign(n: i32) -> Ordering {
    n.cmp(&0)
}

fn unescape(s: &str) -> String {
    s.replace("\\s", " ").replace("\\t", "\t")
}

#[test]
fn dpkg_compare_table() {
    let text = data("versions-dpkg/dpkg-compare.txt");
    let mut n = 0;
    for l in lines(&text) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let want = sign(f[2].parse().unwrap());
        assert_eq!(compare(Ecosystem::Debian, f[0], f[1]).unwrap(), want, "{l}");
        assert_eq!(
            compare(Ecosystem::Debian, f[1], f[0]).unwrap(),
            want.reverse(),
            "{l}"
        );
        n += 1;
    }
    assert_eq!(n, 43);
}

#[test]
fn dpkg_parse_table() {
    let text = data("versions-dpkg/dpkg-parse.tsv");
    let mut n = 0;
    for l in lines(&text) {
        let f: Vec<&str> = l.split('\t').collect();
        let input = if f[0] == "(empty string)" {
            String::new()
        } else {
            unescape(f[0])
        };
        let r = dpkg::DpkgVersion::parse(&input);
        match f[1] {
            "ok" => {
                let v = r.unwrap_or_else(|e| panic!("{l}: {e}"));
                assert_eq!(v.epoch.to_string(), f[2], "{l}");
                assert_eq!(v.upstream, f[3], "{l}");
                assert_eq!(v.revision, f.get(4).copied().unwrap_or(""), "{l}");
            }
            // dpkg rejects "error" and warns about "warn"; a scanner treats both as invalid.
            "error" | "warn" => assert!(r.is_err(), "{l} should be invalid: {r:?}"),
            other => panic!("unknown expectation {other}"),
        }
        n += 1;
    }
    assert!(n >= 80, "{n}");
    // Extra facts stated in the README (from t-version.c).
    assert_eq!(
        compare(Ecosystem::Debian, "0:0-00", "0:00-0").unwrap(),
        Ordering::Equal
    );
    assert_eq!(
        compare(Ecosystem::Debian, "1:0", "0:9").unwrap(),
        Ordering::Greater
    );
    assert!(
        compare(Ecosystem::Debian, "0:a-0", "0:b-0")
            .unwrap_err()
            .to_string()
            .contains("Debian")
    );
    assert_eq!(
        compare(Ecosystem::Debian, "1-a", "1-b").unwrap(),
        Ordering::Less
    );
}

fn rpm_rows(file: &str) -> Vec<(String, String, Ordering)> {
    lines(&data(file))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                sign(f[2].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn rpm_vercmp_table() {
    let rows = rpm_rows("versions-rpm/rpmvercmp.txt");
    assert_eq!(rows.len(), 91);
    for (a, b, want) in rows {
        assert_eq!(rpm::rpmvercmp(&a, &b), want, "{a} {b}");
    }
}

/// Upstream comments these out; the README records what rpm 4.18 actually does, and so do we.
#[test]
fn rpm_oddities_match_rpm_4_18() {
    let rows = rpm_rows("versions-rpm/rpmvercmp-oddities-disabled-upstream.txt");
    assert_eq!(rows.len(), 12);
    for (a, b, want) in rows {
        assert_eq!(rpm::rpmvercmp(&a, &b), want, "{a} {b}");
    }
}

#[test]
fn rpm_evr() {
    let c = |a, b| compare(Ecosystem::AlmaLinux, a, b).unwrap();
    assert_eq!(c("1:1.0-1.el9", "2.0-1.el9"), Ordering::Greater);
    assert_eq!(c("0:1.0-1.el9", "1.0-1.el9"), Ordering::Equal);
    assert_eq!(c("1.0-1.el9", "1.0-1.el9_1"), Ordering::Less);
    assert_eq!(c("1.0~rc1-1", "1.0-1"), Ordering::Less);
    assert_eq!(c("1.0^git1-1", "1.0-1"), Ordering::Greater);
}

#[test]
fn apk_version_data() {
    let text = data("versions-apk/version.data");
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for raw in text.lines() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() == 1 {
            let (want_valid, v) = match f[0].strip_prefix('!') {
                Some(v) => (false, v),
                None => (true, f[0]),
            };
            assert_eq!(apk::is_valid(v), want_valid, "validity of {v:?}");
            assert_eq!(apk::ApkVersion::parse(v).is_ok(), want_valid, "{v:?}");
            *counts.entry("valid".into()).or_default() += 1;
            continue;
        }
        if f.len() == 2 && f[0] == "!" {
            // "! X"? not in the data, guard anyway
            panic!("unexpected line {l}");
        }
        assert_eq!(f.len(), 3, "{l}");
        let (a, op, b) = (f[0], f[1], f[2]);
        let (neg, op) = match op.strip_prefix('!') {
            Some(o) => (true, o),
            None => (false, op),
        };
        let holds = match op {
            "<" => apk::compare_raw(a, b) == Ordering::Less,
            ">" => apk::compare_raw(a, b) == Ordering::Greater,
            "=" => apk::compare_raw(a, b) == Ordering::Equal,
            "~" => apk::fuzzy_match(a, b),
            "<~" => apk::compare_raw(a, b) == Ordering::Less || apk::fuzzy_match(a, b),
            ">~" => apk::compare_raw(a, b) == Ordering::Greater || apk::fuzzy_match(a, b),
            o => panic!("unknown op {o} in {l}"),
        };
        assert_eq!(holds, !neg, "{l}");
        if !neg && matches!(op, "<" | ">" | "=") && apk::is_valid(a) && apk::is_valid(b) {
            let want = apk::compare_raw(a, b);
            assert_eq!(compare(Ecosystem::Alpine, a, b).unwrap(), want, "{l}");
            assert_eq!(
                compare(Ecosystem::Alpine, b, a).unwrap(),
                want.reverse(),
                "{l}"
            );
        }
        *counts
            .entry(format!("{}{op}", if neg { "!" } else { "" }))
            .or_default() += 1;
    }
    assert_eq!(counts["<"], 435); // the README says 434; the file has 435
    assert_eq!(counts[">"], 286);
    assert_eq!(counts["="], 17);
    assert_eq!(counts["~"], 6);
    assert_eq!(counts["!~"], 8);
    assert_eq!(counts["valid"], 31);
}

#[test]
fn go_semver_canonical_and_compare() {
    let text = data("versions-go/go-semver-canonical.tsv");
    let mut rows = Vec::new();
    for l in lines(&text) {
        let (input, canon) = l.split_once('\t').unwrap_or((l, ""));
        let got = go::GoVersion::parse_module(input)
            .ok()
            .map(|v| v.canonical());
        let want = (!canon.is_empty()).then(|| canon.to_string());
        assert_eq!(got, want, "canonical({input})");
        rows.push(input.to_string());
    }
    // x/mod/semver.Compare: invalid versions equal each other and sort below all valid ones.
    let go_cmp = |a: &str, b: &str| match (
        go::GoVersion::parse_module(a),
        go::GoVersion::parse_module(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Err(_), Err(_)) => Ordering::Equal,
        (Err(_), Ok(_)) => Ordering::Less,
        (Ok(_), Err(_)) => Ordering::Greater,
    };
    let text = data("versions-go/go-semver-compare.txt");
    let mut n = 0;
    for l in lines(&text) {
        let f: Vec<&str> = l.split(' ').collect();
        let want = match f[1] {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            o => panic!("op {o}"),
        };
        assert_eq!(go_cmp(f[0], f[2]), want, "{l}");
        assert_eq!(go_cmp(f[2], f[0]), want.reverse(), "{l}");
        n += 1;
    }
    assert_eq!(n, 496);
    assert!(rows.len() > 30);
}

#[test]
fn go_pseudo_versions_are_valid_and_ordered() {
    // The table builds pseudo-versions from (major, older); we check what matters for matching:
    // every pseudo-version parses and sorts above `older` and below the next patch release.
    let text = data("versions-go/go-pseudo-versions.tsv");
    let mut n = 0;
    for l in lines(&text) {
        let f: Vec<&str> = l.split('\t').collect();
        let (older, pseudo) = (f[1], f[2]);
        let p = go::GoVersion::parse_module(pseudo).unwrap_or_else(|e| panic!("{pseudo}: {e}"));
        if !older.is_empty() {
            let o = go::GoVersion::parse_module(older).unwrap();
            assert_eq!(o.cmp(&p), Ordering::Less, "{older} < {pseudo}");
        }
        // Without the "v" as OSV writes it.
        let bare = pseudo.trim_start_matches('v');
        assert_eq!(
            compare(Ecosystem::Go, bare, pseudo).unwrap(),
            Ordering::Equal
        );
        n += 1;
    }
    assert!(n >= 10);
}

#[test]
fn go_toolchain_and_osv_floors() {
    let c = |a, b| compare(Ecosystem::Go, a, b).unwrap();
    assert_eq!(c("go1.21.3", "1.21.3"), Ordering::Equal);
    assert_eq!(c("go1.21rc2", "1.21.0"), Ordering::Less);
    assert_eq!(c("1.22.0-0", "go1.22rc1"), Ordering::Less);
    assert_eq!(c("v2.0.0+incompatible", "2.0.0"), Ordering::Equal);
    assert_eq!(c("go1.20", "1.20.0"), Ordering::Equal);
}

#[test]
fn maven_comparable_version() {
    let text = data("versions-maven/maven-comparableversion.txt");
    let mut n = 0;
    let mut failures = Vec::new();
    for l in lines(&text) {
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(f.len(), 3, "{l:?}");
        let a = maven::MavenVersion::parse(f[0]).unwrap();
        let b = maven::MavenVersion::parse(f[2]).unwrap();
        let want = match f[1] {
            "<" => Ordering::Less,
            "=" | "~=" => Ordering::Equal,
            o => panic!("op {o}"),
        };
        if a.cmp(&b) != want || b.cmp(&a) != want.reverse() {
            failures.push(format!("{l}: got {:?}", a.cmp(&b)));
        }
        n += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n, 978);
}
