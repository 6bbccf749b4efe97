//! End-to-end vulnerability scans on real advisory data: rootfs trees built by the test, a DB
//! imported from `../shared/data` (plus records marked SYNTHETIC where the shared data has none),
//! exact IDs and fixed versions derived by hand from the records.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{import, scan_json, sekisho, shared_data, write};

/// (package name, finding id, fixed version, status) of every shown finding, sorted.
fn findings(v: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for t in v["targets"].as_array().unwrap() {
        let pkgs = t["packages"].as_array().unwrap();
        for f in t["findings"].as_array().unwrap() {
            let p = &pkgs[f["package"].as_u64().unwrap() as usize];
            out.push((
                p["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
                f["fixed_version"].as_str().unwrap_or("").to_string(),
                f["status"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

fn t(p: &str, id: &str, fixed: &str, status: &str) -> (String, String, String, String) {
    (p.into(), id.into(), fixed.into(), status.into())
}

fn python_tree(root: &Path) {
    for (name, ver) in [("requests", "2.19.0"), ("Jinja2", "3.1.4")] {
        write(
            root,
            &format!("usr/lib/python3/dist-packages/{name}-{ver}.dist-info/METADATA"),
            &format!(
                "Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\nLicense: Apache-2.0\n\n"
            ),
        );
    }
}

/// PyPI (pypa advisory DB) and crates.io (RustSec) in one tree.
#[test]
fn language_packages_match_their_ecosystems() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    python_tree(&root);
    write(
        &root,
        "srv/app/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let data = shared_data();
    let db = dir.path().join("db.sqlite");
    import(
        &db,
        &[
            data.join("osv-pypa-json/requests"),
            data.join("osv-pypa-json/jinja2"),
            data.join("osv-rustsec/RUSTSEC-2021-0003.json"),
            data.join("osv-rustsec/RUSTSEC-2019-0009.json"),
            data.join("osv-rustsec/RUSTSEC-2019-0012.json"),
            data.join("osv-rustsec/RUSTSEC-2018-0018.json"),
            data.join("osv-rustsec/RUSTSEC-2018-0003.json"),
        ],
    );
    let (code, v) = scan_json(&["rootfs", root.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");
    // requests 2.19.0: PYSEC-2018-28 (introduced 0, fixed 2.20.0) and PYSEC-2023-74 (introduced
    // 2.3.0, fixed 2.31.0); not PYSEC-2014-13/14 (fixed 2.3.0) nor PYSEC-2015-17 (fixed 2.6.0).
    // smallvec 0.6.9: RUSTSEC-2021-0003 (0.6.3..0.6.14), RUSTSEC-2019-0009 (0.6.5..0.6.10),
    // RUSTSEC-2019-0012 (0.6.3..0.6.10); RUSTSEC-2018-0018 is an `unsound` notice (not reported),
    // RUSTSEC-2018-0003 stops at 0.6.3. Jinja2 3.1.4 is newer than every jinja2 record's fix
    // except those fixed in 3.1.5/3.1.6.
    let got = findings(&v);
    let want_req = [
        t("requests", "CVE-2018-18074", "2.20.0", "fixed"),
        t("requests", "CVE-2023-32681", "2.31.0", "fixed"),
    ];
    let want_sv = [
        t("smallvec", "CVE-2019-15551", "0.6.10", "fixed"),
        t("smallvec", "CVE-2019-15554", "0.6.10", "fixed"),
        t("smallvec", "CVE-2021-25900", "0.6.14", "fixed"),
    ];
    for w in want_req.iter().chain(&want_sv) {
        assert!(got.contains(w), "missing {w:?} in {got:#?}");
    }
    let ours: Vec<_> = got
        .iter()
        .filter(|f| f.0 == "requests" || f.0 == "smallvec")
        .cloned()
        .collect();
    assert_eq!(ours.len(), 5, "{got:#?}");
    // Every advisory ID merged into the finding is listed.
    let f = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2018-18074")
        .unwrap();
    assert_eq!(f["advisories"], serde_json::json!(["PYSEC-2018-28"]));
    assert!(
        f["aliases"]
            .as_array()
            .unwrap()
            .contains(&"GHSA-x84v-xcm2-53pg".into())
    );
    // `db query` agrees with the scan for the same package and version.
    let out = sekisho()
        .args([
            "db", "query", "PyPI", "requests", "2.19.0", "--format", "json", "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let q = String::from_utf8_lossy(&out.stdout);
    let mut ids: Vec<&str> = ["PYSEC-2018-28", "PYSEC-2023-74"].to_vec();
    ids.retain(|i| q.contains(i));
    assert_eq!(ids.len(), 2, "db query: {q}");
    for absent in ["PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2015-17"] {
        assert!(!q.contains(absent), "db query lists {absent}: {q}");
    }
}

/// SYNTHETIC records (written for this test, not real advisories) in the shape of osv.dev's
/// DEBIAN-CVE records: source package names, source versions, tracker urgency.
fn synthetic_debian(dir: &Path) -> PathBuf {
    let d = dir.join("synthetic-debian");
    fs::create_dir_all(&d).unwrap();
    let rec = |id: &str, pkg: &str, events: &str, urgency: &str| {
        format!(
            r#"{{"schema_version":"1.7.3","id":"DEBIAN-{id}","modified":"2026-01-01T00:00:00Z","upstream":["{id}"],
              "summary":"SYNTHETIC test record for {pkg}",
              "affected":[{{"package":{{"ecosystem":"Debian:12","name":"{pkg}"}},
                "ranges":[{{"type":"ECOSYSTEM","events":{events}}}],
                "ecosystem_specific":{{"urgency":"{urgency}"}}}}]}}"#
        )
    };
    // openssl: the fix is a stable-security backport (`~deb12u1`), named by SOURCE only.
    fs::write(
        d.join("DEBIAN-CVE-2099-0001.json"),
        rec(
            "CVE-2099-0001",
            "openssl",
            r#"[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]"#,
            "high",
        ),
    )
    .unwrap();
    // glibc: the binary libc6 is a binNMU (`+b1`) of source glibc 2.36-9+deb12u3.
    fs::write(
        d.join("DEBIAN-CVE-2099-0002.json"),
        rec(
            "CVE-2099-0002",
            "glibc",
            r#"[{"introduced":"0"},{"fixed":"2.36-9+deb12u4"}]"#,
            "medium",
        ),
    )
    .unwrap();
    // foo: binary libfoo1 carries an epoch its source lacks; comparing the binary version
    // (1:1.2-3) would wrongly say "fixed".
    fs::write(
        d.join("DEBIAN-CVE-2099-0003.json"),
        rec(
            "CVE-2099-0003",
            "foo",
            r#"[{"introduced":"0"},{"fixed":"1.2-4"}]"#,
            "low",
        ),
    )
    .unwrap();
    // unfixed and unimportant: will_not_fix, hidden by default.
    fs::write(
        d.join("DEBIAN-CVE-2099-0004.json"),
        rec(
            "CVE-2099-0004",
            "glibc",
            r#"[{"introduced":"0"}]"#,
            "unimportant",
        ),
    )
    .unwrap();
    // An advisory naming the BINARY name never matches (Debian advisories name sources).
    fs::write(
        d.join("DEBIAN-CVE-2099-0005.json"),
        rec(
            "CVE-2099-0005",
            "libssl3",
            r#"[{"introduced":"0"},{"fixed":"9.9"}]"#,
            "high",
        ),
    )
    .unwrap();
    // A DSA for the same CVE as DEBIAN-CVE-2099-0001 (merged into one finding).
    fs::write(
        d.join("DSA-9999-1.json"),
        r#"{"schema_version":"1.7.3","id":"DSA-9999-1","modified":"2026-01-01T00:00:00Z","upstream":["CVE-2099-0001"],
           "summary":"SYNTHETIC openssl security update",
           "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}"#,
    )
    .unwrap();
    d
}

fn debian_tree(root: &Path) {
    write(
        root,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    );
    write(root, "etc/debian_version", "12.5\n");
    let para = |pkg: &str, src: &str, ver: &str| {
        format!(
            "Package: {pkg}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 1\nMaintainer: t <t@example.invalid>\nArchitecture: amd64\n{src}Version: {ver}\nDescription: test\n\n"
        )
    };
    let mut status = String::new();
    status += &para("libssl3", "Source: openssl\n", "3.0.11-1~deb12u2");
    status += &para(
        "libc6",
        "Source: glibc (2.36-9+deb12u3)\n",
        "2.36-9+deb12u3+b1",
    );
    status += &para("libfoo1", "Source: foo (1.2-3)\n", "1:1.2-3");
    status += &para("openssl", "", "3.0.13-1~deb12u1");
    write(root, "var/lib/dpkg/status", &status);
}

#[test]
fn debian_matches_source_packages_and_backports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    debian_tree(&root);
    let db = dir.path().join("db.sqlite");
    import(&db, &[synthetic_debian(dir.path())]);
    let (code, v) = scan_json(&["rootfs", root.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        findings(&v),
        vec![
            t("libc6", "CVE-2099-0002", "2.36-9+deb12u4", "fixed"),
            t("libfoo1", "CVE-2099-0003", "1.2-4", "fixed"),
            t("libssl3", "CVE-2099-0001", "3.0.13-1~deb12u1", "fixed"),
        ]
    );
    let t0 = &v["targets"][0];
    let f = t0["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2099-0001")
        .unwrap();
    assert_eq!(
        f["advisories"],
        serde_json::json!(["DEBIAN-CVE-2099-0001", "DSA-9999-1"])
    );
    assert_eq!(f["matched_name"], "openssl");
    assert_eq!(f["severity"], "HIGH");
    let libc = t0["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2099-0002")
        .unwrap();
    assert_eq!(libc["matched_version"], "2.36-9+deb12u3");
    // The unimportant, unfixed one is kept but hidden.
    let sup = t0["suppressed"].as_array().unwrap();
    assert_eq!(sup.len(), 1, "{sup:#?}");
    assert_eq!(sup[0]["finding"]["id"], "CVE-2099-0004");
    assert_eq!(sup[0]["finding"]["status"], "will_not_fix");
    assert_eq!(sup[0]["reason"]["kind"], "status");
    // --show-all-statuses shows it.
    let (_, all) = scan_json(
        &["rootfs", root.to_str().unwrap(), "--show-all-statuses"],
        &db,
    );
    assert!(findings(&all).contains(&t("libc6", "CVE-2099-0004", "", "will_not_fix")));
    // The gate: HIGH trips (libssl3), with the chosen exit code.
    let (code, _) = scan_json(
        &[
            "rootfs",
            root.to_str().unwrap(),
            "--fail-on",
            "high",
            "--exit-code",
            "7",
        ],
        &db,
    );
    assert_eq!(code, 7);
    let (code, _) = scan_json(
        &["rootfs", root.to_str().unwrap(), "--fail-on", "CRITICAL"],
        &db,
    );
    assert_eq!(code, 0);
    // --severity and --ignore-unfixed filter.
    let (_, low) = scan_json(
        &["rootfs", root.to_str().unwrap(), "--severity", "LOW"],
        &db,
    );
    assert_eq!(
        findings(&low),
        vec![t("libfoo1", "CVE-2099-0003", "1.2-4", "fixed")]
    );
}

#[test]
fn vex_and_ignore_file_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    debian_tree(&root);
    let db = dir.path().join("db.sqlite");
    import(&db, &[synthetic_debian(dir.path())]);
    let vex = dir.path().join("app.openvex.json");
    fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex","author":"t","timestamp":"2026-01-01T00:00:00Z","version":1,
           "statements":[{"vulnerability":{"name":"CVE-2099-0002"},"products":[{"@id":"pkg:deb/debian/libc6"}],
             "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let ignore = dir.path().join("ignore");
    fs::write(
        &ignore,
        "# test rules\nCVE-2099-0003 package=foo reason=accepted risk\nCVE-2099-0001 exp:2020-01-01\n",
    )
    .unwrap();
    let (code, v) = scan_json(
        &[
            "rootfs",
            root.to_str().unwrap(),
            "--vex",
            vex.to_str().unwrap(),
            "--ignore-file",
            ignore.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(code, 0);
    assert_eq!(
        findings(&v),
        vec![t("libssl3", "CVE-2099-0001", "3.0.13-1~deb12u1", "fixed")]
    );
    let kinds: Vec<(String, String)> = v["targets"][0]["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["finding"]["id"].as_str().unwrap().to_string(),
                s["reason"]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("CVE-2099-0002".into(), "vex".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("CVE-2099-0003".into(), "ignored".into())),
        "{kinds:?}"
    );
    assert!(
        v["warnings"][0].as_str().unwrap().contains("expired"),
        "{v:#}"
    );
}

#[test]
fn missing_data_is_said_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    debian_tree(&root);
    python_tree(&root);
    // No DB at all, offline: packages listed, exit 3.
    let missing = dir.path().join("none.sqlite");
    let out = sekisho()
        .args(["rootfs", root.to_str().unwrap(), "--offline", "--db"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("No vulnerability data was available"),
        "{text}"
    );
    assert!(text.contains("libssl3"), "{text}");
    // A DB with PyPI only: Debian:12 is reported as not covered.
    let db = dir.path().join("db.sqlite");
    import(&db, &[shared_data().join("osv-pypa-json/requests")]);
    let out = sekisho()
        .args(["rootfs", root.to_str().unwrap(), "--offline", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no advisory data for Debian:12 (4 packages not checked)"),
        "{text}"
    );
}

#[test]
fn scan_sbom_matches_like_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    debian_tree(&root);
    let db = dir.path().join("db.sqlite");
    import(&db, &[synthetic_debian(dir.path())]);
    for format in ["cyclonedx", "spdx-json"] {
        let sbom = dir.path().join(format!("sbom.{format}.json"));
        let out = sekisho()
            .args([
                "sbom",
                "rootfs",
                root.to_str().unwrap(),
                "--quiet",
                "--format",
                format,
                "--output",
            ])
            .arg(&sbom)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (code, v) = scan_json(&["scan-sbom", sbom.to_str().unwrap()], &db);
        assert_eq!(code, 0, "{v:#}");
        let got = findings(&v);
        // sekisho's own properties (CycloneDX) and sourceInfo (SPDX) carry the source package
        // and version, so the SBOM matches exactly like the scan.
        assert_eq!(
            got,
            vec![
                t("libc6", "CVE-2099-0002", "2.36-9+deb12u4", "fixed"),
                t("libfoo1", "CVE-2099-0003", "1.2-4", "fixed"),
                t("libssl3", "CVE-2099-0001", "3.0.13-1~deb12u1", "fixed"),
            ],
            "{format}"
        );
    }
}
