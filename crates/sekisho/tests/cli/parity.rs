//! JSON parity across the move of the scan pipeline into `sekisho-scan` (issue 13): the JSON of
//! every kind of existing scan is compared with the output the CLI gave BEFORE the move
//! (commit 780a90c), committed under `tests/cli/parity/`. The only differences allowed are the
//! fields the finding model added, listed in [`ADDED`]; everything else must be byte-identical
//! after normalising times, temp paths and the tool version.
//!
//! Re-bless (only when a change to the JSON is intended and documented in docs/json-schema.md):
//! `SEKISHO_BLESS_PARITY=1 cargo test -p sekisho --test cli parity`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::db::full_db;
use crate::report::normalize;
use crate::util::{have_tool, sekisho, shared_data, workspace, write};

/// Keys the finding model added to existing documents (issue 13): each finding's `kind` and the
/// stable `package_id` it names its package by.
const ADDED: &[&str] = &["kind", "package_id"];
/// Keys added to each package: its stable `id`.
const ADDED_PACKAGE: &[&str] = &["id"];

fn golden_dir() -> PathBuf {
    workspace().join("crates/sekisho/tests/cli/parity")
}

/// Remove what VM scans added since (issue 19): they judge the installed kernels by default, so
/// they list the `kernel` scanner and say when no kernel package is installed.
fn strip_vm_kernel(v: &mut Value) {
    let Some(o) = v.as_object_mut() else { return };
    if let Some(s) = o.remove("scanners") {
        assert_eq!(s, serde_json::json!(["vuln", "kernel"]), "vm scanners");
    }
    for t in o
        .get_mut("targets")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(ns) = t.get_mut("notes").and_then(Value::as_array_mut) {
            ns.retain(|n| n["subject"] != "kernel");
        }
    }
}

/// Issue 20: informational notices (RustSec unmaintained, unsound) are findings now, suppressed
/// with `{"kind": "informational"}` unless `--show-informational`; before, a note only counted
/// them ("not reported: N informational notice"). Put the old shape back.
fn strip_informational(v: &mut Value) {
    for t in v["targets"].as_array_mut().into_iter().flatten() {
        if let Some(ss) = t.get_mut("suppressed").and_then(Value::as_array_mut) {
            ss.retain(|s| s["reason"]["kind"] != "informational");
        }
    }
    if let Some(o) = v["summary"]["suppressed"].as_object_mut() {
        o.remove("informational");
    }
}

/// The note about advisories not reported, without its informational part (issue 20).
fn strip_informational_note(want: &mut Value) {
    for t in want["targets"].as_array_mut().into_iter().flatten() {
        if let Some(ns) = t.get_mut("notes").and_then(Value::as_array_mut) {
            for n in ns.iter_mut() {
                if n["subject"] == "advisories"
                    && let Some(m) = n["message"].as_str()
                {
                    let rest: Vec<&str> = m
                        .trim_start_matches("not reported: ")
                        .split(", ")
                        .filter(|p| !p.ends_with("informational notice"))
                        .collect();
                    n["message"] = Value::String(format!("not reported: {}", rest.join(", ")));
                }
            }
            ns.retain(|n| n["message"] != "not reported: ");
        }
    }
}

/// Remove the added keys from every finding (shown and suppressed) of a scan document.
fn strip_added(v: &mut Value) {
    let Some(targets) = v.get_mut("targets").and_then(Value::as_array_mut) else {
        return;
    };
    for t in targets {
        // Issue 18: image targets carry the image's identity and build history.
        if let Some(o) = t.as_object_mut() {
            let image = o.remove("image");
            if o.get("kind").and_then(Value::as_str) == Some("image") {
                assert!(
                    image.as_ref().is_some_and(|i| i["id"].is_string()),
                    "image target without its identity: {image:?}"
                );
            }
        }
        // Issue 20: coverage says how many advisories each ecosystem was checked against.
        for c in t
            .get_mut("coverage")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(o) = c.as_object_mut() {
                let n = o.remove("advisories");
                assert!(
                    n.as_ref().is_some_and(Value::is_u64),
                    "coverage without an advisory count: {c}"
                );
            }
        }
        if let Some(ps) = t.get_mut("packages").and_then(Value::as_array_mut) {
            for p in ps {
                if let Some(o) = p.as_object_mut() {
                    let id = o.remove("id");
                    assert!(
                        id.as_ref()
                            .and_then(Value::as_str)
                            .is_some_and(|i| i.starts_with("pkg-")),
                        "package without a stable id: {p}"
                    );
                    for k in &ADDED_PACKAGE[1..] {
                        o.remove(*k);
                    }
                }
            }
        }
        if let Some(fs) = t.get_mut("findings").and_then(Value::as_array_mut) {
            for f in fs {
                if let Some(o) = f.as_object_mut() {
                    for k in ADDED {
                        o.remove(*k);
                    }
                }
            }
        }
        if let Some(ss) = t.get_mut("suppressed").and_then(Value::as_array_mut) {
            for s in ss {
                if let Some(o) = s.get_mut("finding").and_then(Value::as_object_mut) {
                    for k in ADDED {
                        o.remove(*k);
                    }
                }
            }
        }
    }
}

/// Every finding of the document carries `kind: "vulnerability"`.
fn assert_kinds(v: &Value, name: &str) {
    for t in v["targets"].as_array().into_iter().flatten() {
        let shown = t["findings"].as_array().into_iter().flatten();
        let hidden = t["suppressed"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| &s["finding"]);
        for f in shown.chain(hidden) {
            assert_eq!(
                f["kind"], "vulnerability",
                "{name}: finding without kind: {f}"
            );
        }
    }
}

/// Replace every run of 64 hex digits (a digest) with `[HEX]`.
fn hide_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if run == 64 {
            out.push_str("[HEX]");
            i += run;
        } else if run > 0 {
            out.push_str(&s[i..i + run]);
            i += run;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Run one scan, normalise it and compare it with (or, blessing, write) its golden file.
fn check(name: &str, args: &[&str], cwd: &Path, roots: &[&Path]) {
    let out = sekisho()
        .args(args)
        .args(["--format", "json", "--offline", "--quiet", "--db"])
        .arg(full_db())
        .current_dir(cwd)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let mut text = String::from_utf8(out.stdout).unwrap();
    assert!(
        code == 0 || code == 1,
        "{name}: exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for r in roots {
        text = text.replace(r.to_str().unwrap(), "[ROOT]");
    }
    let norm = normalize(&text, cwd);
    let mut v: Value = serde_json::from_str(&norm).unwrap();
    // Layer digests and sizes depend on the files' mtimes in the test tree.
    for t in v["targets"].as_array_mut().into_iter().flatten() {
        for l in t["layers"].as_array_mut().into_iter().flatten() {
            if let Some(d) = l["description"].as_str() {
                l["description"] = Value::String(hide_hex(d));
            }
            for k in ["digest", "diff_id", "size"] {
                if l.get(k).is_some_and(|x| !x.is_null()) {
                    l[k] = Value::String(format!("[{}]", k.to_uppercase()));
                }
            }
        }
    }
    let file = golden_dir().join(format!("{name}.json"));
    if std::env::var_os("SEKISHO_BLESS_PARITY").is_some() {
        fs::create_dir_all(golden_dir()).unwrap();
        fs::write(&file, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
        return;
    }
    assert_kinds(&v, name);
    strip_informational(&mut v);
    strip_added(&mut v);
    if name.starts_with("vm-") {
        strip_vm_kernel(&mut v);
    }
    let mut want: Value = serde_json::from_str(
        &fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
    )
    .unwrap();
    strip_informational_note(&mut want);
    if v != want {
        let got = serde_json::to_string_pretty(&v).unwrap();
        let exp = serde_json::to_string_pretty(&want).unwrap();
        let first = got
            .lines()
            .zip(exp.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}: got {a:?}, want {b:?}", i + 1))
            .unwrap_or_else(|| "lengths differ".into());
        panic!("{name}: JSON differs from the pre-pipeline output: {first}");
    }
}

/// A Debian 12 root: the real dpkg status of the shared fixture and an old `requests`.
fn debian_tree(root: &Path) {
    let d = shared_data().join("fixtures-debian12-local");
    write(
        root,
        "etc/os-release",
        &fs::read_to_string(d.join("etc_os-release")).unwrap(),
    );
    write(
        root,
        "var/lib/dpkg/status",
        &fs::read_to_string(d.join("var_lib_dpkg_status")).unwrap(),
    );
    write(
        root,
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\nLicense: Apache-2.0\n\n",
    );
    write(
        root,
        "srv/app/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
}

fn run_ok(c: &mut Command) {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn scan_json_is_unchanged_by_the_pipeline_move() {
    let w = tempfile::tempdir().unwrap();
    let cwd = w.path().join("cwd");
    fs::create_dir_all(&cwd).unwrap();
    let root = w.path().join("root");
    debian_tree(&root);
    let repo = shared_data().join("fixtures-trivy/integration/testdata/fixtures/repo");
    let repo = repo.canonicalize().unwrap();
    let roots: [&Path; 2] = [&root, &repo];

    // rootfs: OS packages (dpkg, source packages) and language packages.
    check(
        "rootfs-debian",
        &["rootfs", root.to_str().unwrap()],
        &cwd,
        &roots,
    );
    // rootfs of lockfiles in every language ecosystem.
    check(
        "rootfs-lockfiles",
        &["rootfs", repo.to_str().unwrap()],
        &cwd,
        &roots,
    );
    // Policy: filters and statuses move suppressed findings; the ignore file and VEX too.
    write(
        &cwd,
        "ignore.txt",
        "CVE-2018-18074 reason=\"parity test\"\nCVE-2023-32681 package=requests exp:2020-01-01\n",
    );
    write(
        &cwd,
        "vex.json",
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex/1","author":"parity","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2018-18074"},"products":[{"@id":"pkg:pypi/requests@2.19.0"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    );
    check(
        "rootfs-debian-vex",
        &["rootfs", root.to_str().unwrap(), "--vex", "vex.json"],
        &cwd,
        &roots,
    );
    check(
        "rootfs-debian-policy",
        &[
            "rootfs",
            root.to_str().unwrap(),
            "--severity",
            "HIGH,CRITICAL,UNKNOWN",
            "--ignore-unfixed",
            "--ignore-file",
            "ignore.txt",
        ],
        &cwd,
        &roots,
    );
    check(
        "rootfs-debian-all-statuses",
        &["rootfs", root.to_str().unwrap(), "--show-all-statuses"],
        &cwd,
        &roots,
    );

    // scan-sbom of the CycloneDX SBOM of the Debian root.
    let bom = cwd.join("bom.json");
    run_ok(
        sekisho()
            .args([
                "sbom",
                "rootfs",
                root.to_str().unwrap(),
                "--quiet",
                "--output",
            ])
            .arg(&bom),
    );
    check("scan-sbom", &["scan-sbom", "bom.json"], &cwd, &roots);

    // Images: an OCI layout (umoci) and a docker-archive (skopeo) of the same root.
    if have_tool("umoci") && have_tool("skopeo") {
        let l = w.path().join("layout");
        let image = format!("{}:t", l.display());
        run_ok(Command::new("umoci").args(["init", "--layout"]).arg(&l));
        run_ok(Command::new("umoci").args(["new", "--image", &image]));
        run_ok(
            Command::new("umoci")
                .args(["insert", "--rootless", "--image", &image])
                .arg(&root)
                .arg("/"),
        );
        run_ok(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--os",
            "linux",
            "--architecture",
            "amd64",
            "--created",
            "2026-01-01T00:00:00Z",
            "--history.created",
            "2026-01-01T00:00:00Z",
        ]));
        let arch = w.path().join("image.docker.tar");
        run_ok(Command::new("skopeo").args([
            "copy",
            "-q",
            &format!("oci:{image}"),
            &format!("docker-archive:{}:parity/debian:t", arch.display()),
        ]));
        let mut roots2 = roots.to_vec();
        roots2.push(w.path());
        check(
            "image-oci-dir",
            &["image", "--no-cache", "--oci-dir", &image],
            &cwd,
            &roots2,
        );
        check(
            "image-input",
            &["image", "--no-cache", "--input", arch.to_str().unwrap()],
            &cwd,
            &roots2,
        );
    }

    // vm: a bare ext4 filesystem made from the root (no partition table).
    if have_tool("mkfs.ext4") || Path::new("/usr/sbin/mkfs.ext4").exists() {
        let disk = w.path().join("root.ext4");
        run_ok(Command::new("truncate").args(["-s", "64M"]).arg(&disk));
        run_ok(
            Command::new("/usr/sbin/mkfs.ext4")
                .args([
                    "-q",
                    "-F",
                    "-L",
                    "root",
                    "-U",
                    "2f6c0e9e-1b8e-4d25-9c1c-000000000001",
                ])
                .env("E2FSPROGS_FAKE_TIME", "1767225600")
                .arg("-d")
                .arg(&root)
                .arg(&disk),
        );
        let mut roots2 = roots.to_vec();
        roots2.push(w.path());
        check("vm-ext4", &["vm", disk.to_str().unwrap()], &cwd, &roots2);
    }
}
