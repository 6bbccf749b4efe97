//! `--scanners secret` on image, rootfs and vm targets: the issue-15 test image (written here by
//! `sekisho_secret::fixture`) gives every planted key with its layer and `deleted_in`, vendor
//! content at INFO, no decoy; no planted value appears in any output format or on stderr;
//! `.sekishoignore` takes fingerprints and path globs.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{have_tool, sekisho};

fn layout(dir: &Path) -> (String, Vec<String>) {
    let img = sekisho_secret::fixture::issue_image();
    sekisho_secret::fixture::write_oci_layout(&dir.join("oci"), "test", &img.image).unwrap();
    (format!("{}:test", dir.join("oci").display()), img.values())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// No planted value (its distinctive tail: format prefixes such as `ghp_` may show) in `out`.
fn assert_no_leak(what: &str, out: &Output, values: &[String]) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for v in values {
        let tail = &v[v.len().saturating_sub(16)..];
        assert!(tail.len() >= 8, "planted value too short to grep for");
        assert!(
            !all.contains(tail),
            "{what}: planted value …{tail} leaked:\n{all}"
        );
    }
}

fn secrets(report: &Value) -> Vec<&Value> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .filter(|f| f["kind"] == "secret")
        .collect()
}

#[test]
fn image_scan_every_format_no_leak() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, values) = layout(dir.path());
    for fmt in ["table", "json", "sarif", "cyclonedx"] {
        let out = sekisho()
            .args([
                "image",
                "--oci-dir",
                &spec,
                "--scanners",
                "secret",
                "--format",
                fmt,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{fmt}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty());
        assert_no_leak(fmt, &out, &values);
        if fmt == "table" {
            let t = text(&out.stdout);
            assert!(
                t.contains("deleted in layer 2") && t.contains("ghp_****"),
                "{t}"
            );
            assert!(t.contains("files are scanned up to 64 MiB"), "{t}");
        }
    }
    let out = sekisho()
        .args([
            "image",
            "--oci-dir",
            &spec,
            "--scanners",
            "secret",
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = secrets(&report);
    let mut ids: Vec<&str> = found.iter().map(|f| f["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "aws-secret-access-key",
            "database-url-password",
            "github-fine-grained-pat",
            "github-pat",
            "npm-access-token",
            "npmrc-auth",
            "private-key",
            "sendgrid-api-key",
            "slack-bot-token",
            "stripe-secret-key",
        ]
    );
    let key = found.iter().find(|f| f["id"] == "private-key").unwrap();
    assert_eq!(key["location"]["path"], "root/.ssh/id_rsa");
    assert_eq!(key["location"]["layer"]["index"], 1);
    assert_eq!(key["deleted_in"]["index"], 2);
    assert_eq!(key["present"], false);
    let vendor = found.iter().find(|f| f["id"] == "github-pat").unwrap();
    assert_eq!(vendor["severity"], "INFO");
    assert_eq!(vendor["vendor"]["package"], "libfoo 1.2-3");
    assert_eq!(vendor["vendor"]["unchanged"], true);
    let hist = found
        .iter()
        .find(|f| f["id"] == "npm-access-token")
        .unwrap();
    assert_eq!(hist["location"]["logical"], "config:History[2]");
}

#[test]
fn ignore_file_takes_fingerprints_and_path_globs() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, _) = layout(dir.path());
    let scan = |extra: &[&str]| -> Value {
        let out = sekisho()
            .args([
                "image",
                "--oci-dir",
                &spec,
                "--scanners",
                "secret",
                "--format",
                "json",
                "--quiet",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let all = scan(&[]);
    let fp = secrets(&all)
        .iter()
        .find(|f| f["id"] == "slack-bot-token")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let ignore = dir.path().join("ignore");
    std::fs::write(
        &ignore,
        format!("{fp} reason=rotated already\n* path=usr/share/doc/** reason=vendor docs\n"),
    )
    .unwrap();
    let r = scan(&["--ignore-file", ignore.to_str().unwrap()]);
    let ids: Vec<&str> = secrets(&r)
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"slack-bot-token"), "{ids:?}");
    assert!(
        !ids.contains(&"github-pat") && !ids.contains(&"sendgrid-api-key"),
        "{ids:?}"
    );
    assert_eq!(ids.len(), 7, "{ids:?}");
    let suppressed = r["targets"][0]["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 3, "{suppressed:?}");
}

/// A root filesystem holding every rule's sample and every decoy, also as an ext4 VM disk.
fn rootfs(root: &Path) -> Vec<String> {
    let mut values = Vec::new();
    for d in sekisho_secret::DETECTORS {
        if let Some(s) = sekisho_secret::fixture::sample(d.rule.id, 42) {
            let p = root.join(format!("{}.{}", s.file, d.rule.id));
            // File-scoped rules need their file name: one directory per rule.
            let p = if s.file == "app/settings.env" {
                p
            } else {
                root.join(d.rule.id).join(s.file)
            };
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &s.text).unwrap();
            values.push(s.value);
        }
    }
    let decoys: String = sekisho_secret::fixture::decoys()
        .into_iter()
        .map(|(_, t)| t + "\n")
        .collect();
    std::fs::write(root.join("decoys.txt"), decoys).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    values
}

fn check_every_rule(what: &str, out: &Output, values: &[String]) {
    assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
    assert_no_leak(what, out, values);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = secrets(&report);
    let mut ids: Vec<&str> = found.iter().map(|f| f["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut want: Vec<&str> = sekisho_secret::DETECTORS
        .iter()
        .map(|d| d.rule.id)
        .filter(|id| *id != "pkcs12-private-key")
        .collect();
    want.sort_unstable();
    assert_eq!(ids, want, "{what}");
    assert_eq!(
        found.len(),
        want.len(),
        "{what}: one finding per rule, none from decoys"
    );
}

#[test]
fn rootfs_scan_finds_every_rule_and_no_decoy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let values = rootfs(&root);
    let out = sekisho()
        .arg("rootfs")
        .arg(&root)
        .args(["--scanners", "secret", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    check_every_rule("rootfs", &out, &values);
}

#[test]
fn vm_scan_finds_every_rule() {
    if !have_tool("mkfs.ext4") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let values = rootfs(&root);
    let img = dir.path().join("root.ext4");
    let st = std::process::Command::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&root)
        .arg(&img)
        .arg("16M")
        .status()
        .unwrap();
    assert!(st.success());
    let out = sekisho()
        .arg("vm")
        .arg(&img)
        .args(["--scanners", "secret", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    check_every_rule("vm", &out, &values);
}
