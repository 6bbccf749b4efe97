//! Issue 20, the first run as a new user meets it: a root filesystem holding the same Python
//! package three times (system, a virtualenv, a user install), a Debian package list and an npm
//! package the DB has no data for. The report shows one row per advisory, fits 80 columns when
//! piped, starts with the summary, and says which ecosystems were not checked and how to fix
//! that; JSON keeps every copy's location.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::report::normalize;
use crate::util::{sekisho, shared_data, write};

const FLASK_COPIES: [&str; 3] = [
    "usr/lib/python3/dist-packages/Flask-0.12.dist-info/METADATA",
    "opt/app/venv/lib/python3.11/site-packages/Flask-0.12.dist-info/METADATA",
    "root/.local/lib/python3.11/site-packages/Flask-0.12.dist-info/METADATA",
];

fn first_run_root(root: &Path) {
    write(
        root,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    );
    write(
        root,
        "var/lib/dpkg/status",
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nDescription: z\n\n",
    );
    for p in FLASK_COPIES {
        write(
            root,
            p,
            "Metadata-Version: 2.1\nName: Flask\nVersion: 0.12\nLicense: BSD\n\n",
        );
    }
    write(
        root,
        "opt/app/web/node_modules/left-pad/package.json",
        r#"{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}"#,
    );
}

fn scan(root: &Path, db: &Path, extra: &[&str]) -> std::process::Output {
    sekisho()
        .args([
            "rootfs",
            root.to_str().unwrap(),
            "--offline",
            "--quiet",
            "--db",
        ])
        .arg(db)
        .args(extra)
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

#[test]
fn first_run_on_duplicated_packages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    first_run_root(&root);
    let db = dir.path().join("db.sqlite");
    let o = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(shared_data().join("osv-pypa-json/flask"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The table, piped: 80 columns, the summary first, one row per advisory.
    let o = scan(&root, &db, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "wider than 80: {l:?}\n{text}");
    }
    let summary = text.find("Summary:").expect("no summary");
    let table = text.find('┌').expect("no table");
    assert!(summary < table, "the summary comes first:\n{text}");
    for id in ["CVE-2018-1000656", "CVE-2019-1010083", "CVE-2023-30861"] {
        assert_eq!(text.matches(id).count(), 1, "{id} not shown once:\n{text}");
    }
    assert!(
        text.contains("(+2 more)"),
        "the other copies are counted:\n{text}"
    );
    // Coverage: PyPI checked; Debian and npm not, each with how to get the data.
    assert!(text.contains("checked      PyPI"), "{text}");
    assert!(text.contains("no advisory data for Debian:12"), "{text}");
    assert!(text.contains("no advisory data for npm"), "{text}");
    insta::assert_snapshot!("first_run_table", normalize(&text, dir.path()));

    // JSON keeps every copy.
    let o = scan(&root, &db, &["--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["targets"][0];
    let flask: Vec<&Value> = t["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "Flask")
        .collect();
    let paths: BTreeSet<String> = flask
        .iter()
        .flat_map(|p| p["locations"].as_array().unwrap())
        .map(|l| l.as_str().unwrap().trim_start_matches('/').to_string())
        .collect();
    let want: BTreeSet<String> = FLASK_COPIES.iter().map(|p| (*p).to_string()).collect();
    assert_eq!(paths, want, "{t:#}");
    let ids: BTreeSet<&str> = flask.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let per_copy = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ids.contains(f["package_id"].as_str().unwrap()))
        .count();
    assert_eq!(per_copy, 3 * flask.len(), "{t:#}");
}

/// Issue 20: where none of a finding's advisories is rated but an alias record in the DB is (a
/// GHSA record naming no package here), the finding takes that rating and names its source: the
/// table says `(GHSA)` under the severity, the JSON rating's `source` is the record's ID.
#[test]
fn severity_from_an_alias_record_names_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    first_run_root(&root);
    let ghsa = dir.path().join("ghsa");
    write(
        &ghsa,
        "GHSA-562c-5r94-xh97.json",
        r#"{"id":"GHSA-562c-5r94-xh97","modified":"2024-01-01T00:00:00Z",
 "aliases":["CVE-2018-1000656"],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}"#,
    );
    let db = dir.path().join("db.sqlite");
    let o = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(shared_data().join("osv-pypa-json/flask"))
        .arg(&ghsa)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = scan(&root, &db, &[]);
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("CVE-2018-1000656"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lines[at + 1].contains("HIGH (GHSA)"), "{text}");
    // The others stay UNKNOWN, and the summary counts the rated one.
    assert!(text.contains("HIGH 1"), "{text}");
    assert!(text.contains("UNKNOWN 2"), "{text}");
    let o = scan(&root, &db, &["--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2018-1000656")
        .unwrap();
    assert_eq!(f["severity"], "HIGH", "{f:#}");
    assert_eq!(f["ratings"][0]["source"], "GHSA-562c-5r94-xh97", "{f:#}");
    assert_eq!(f["ratings"][0]["method"], "cvss_v3", "{f:#}");
}
