//! Issue 20, honest errors: an import that finds nothing fails and says what it looked at; a
//! partial import names what it skipped; a missing DB is never fetched silently, and with
//! `--offline` it is an error; `vm` on something that is not a disk says what it is; `image`
//! without a target names every way to give one; the README's offline path really is offline.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::db::{Mirror, make_zip};
use crate::util::{have_tool, run, sekisho, shared_data, workspace, write};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GOOD: &str = r#"{"id":"SYNTH-HONEST-1","modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"PyPI","name":"synth-pkg"},
  "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#;

#[test]
fn import_that_finds_no_advisory_fails_naming_what_it_looked_at() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    // An empty directory.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = run(&["db", "import", "--db", dbs, empty.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "sekisho: error: no advisory record found in {}: looked at 0 files",
            empty.display()
        )),
        "{err}"
    );
    assert!(err.contains("the database was not changed"), "{err}");
    assert!(!db.exists(), "an empty DB was left behind");
    // Files that are not advisory data: each named, with why.
    let junk = tmp.path().join("junk");
    write(&junk, "README.md", "# not a record");
    write(&junk, "sub/config.json", r#"{"name": "a tool config"}"#);
    write(&junk, "broken.json", r#"{"id": "X", "affected": ["#);
    let o = run(&["db", "import", "--db", dbs, junk.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "no advisory record found in {}: looked at 3 files (1 malformed, 2 not advisory data)",
            junk.display()
        )),
        "{err}"
    );
    for (file, why) in [
        (
            "README.md",
            "not .json, .yaml, .yml, .zip or a sekisho export file",
        ),
        ("sub/config.json", "parses, but is not an OSV record"),
        ("broken.json", "JSON:"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&junk.join(file).display().to_string()))
            .unwrap_or_else(|| panic!("{file} not named: {err}"));
        assert!(line.trim_start().starts_with("skipped "), "{line}");
        assert!(line.contains(why), "{file}: {why:?} not in {line}");
    }
    assert!(!db.exists(), "an empty DB was left behind");
    // An existing DB stays exactly as it was, even with --fresh.
    let good = tmp.path().join("good");
    write(&good, "SYNTH-HONEST-1.json", GOOD);
    let o = run(&["db", "import", "--db", dbs, good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = fs::read(&db).unwrap();
    let o = run(&[
        "db",
        "import",
        "--fresh",
        "--db",
        dbs,
        junk.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(fs::read(&db).unwrap(), before, "the DB changed");
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn partial_import_lists_the_skipped_files_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let recs = tmp.path().join("recs");
    write(&recs, "SYNTH-HONEST-1.json", GOOD);
    write(&recs, "notes.txt", "some notes");
    write(&recs, "tool.json", r#"[1, 2, 3]"#);
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let o = run(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        recs.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: 2 of 3 files were not advisory data and were skipped:"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: not .json, .yaml, .yml, .zip or a sekisho export file",
            recs.join("notes.txt").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: an array, but not of OSV records",
            recs.join("tool.json").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "warning: no advisory record found in {}",
            empty.display()
        )),
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("1 records read (1 new"), "{out}");
}

/// A Debian root with one Python package, for scans.
fn small_root(root: &Path) {
    write(
        root,
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    write(
        root,
        "usr/lib/python3/dist-packages/synth_pkg-0.5.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: synth-pkg\nVersion: 0.5\n",
    );
}

#[test]
fn offline_scan_without_a_db_is_an_error_even_when_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    small_root(&root);
    let missing = tmp.path().join("none.sqlite");
    for quiet in [false, true] {
        let mut c = sekisho();
        c.args(["rootfs", root.to_str().unwrap(), "--offline", "--db"])
            .arg(&missing);
        if quiet {
            c.arg("--quiet");
        }
        let o = c.output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("sekisho: error: "))
            .unwrap_or_else(|| panic!("no error line (quiet={quiet}): {err}"));
        assert!(
            line.contains(&format!(
                "no vulnerability database at {}, and --offline forbids downloading one",
                missing.display()
            )),
            "{line}"
        );
        assert!(line.contains("sekisho db import PATH"), "{line}");
        // The packages are still listed, and nothing was created.
        assert!(String::from_utf8_lossy(&o.stdout).contains("synth-pkg"));
        assert!(!missing.exists());
    }
}

#[test]
fn a_missing_db_is_downloaded_only_after_saying_what_from_where_and_how_big() {
    if !have_tool("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    small_root(&root);
    let mirror_root = tmp.path().join("mirror");
    fs::create_dir_all(mirror_root.join("PyPI")).unwrap();
    let rec = tmp.path().join("SYNTH-HONEST-1.json");
    fs::write(&rec, GOOD).unwrap();
    let zip = mirror_root.join("PyPI/all.zip");
    make_zip(tmp.path(), &[rec], &zip);
    let size = fs::metadata(&zip).unwrap().len();
    let mirror = Mirror::start(mirror_root);
    let cfg = tmp.path().join("config");
    write(
        &cfg,
        "sekisho/config.toml",
        &format!(
            "[db]\nsource = \"{}\"\necosystems = [\"PyPI\"]\n",
            mirror.url()
        ),
    );
    let db = tmp.path().join("cache/db.sqlite");
    let o = sekisho()
        .args(["rootfs", root.to_str().unwrap(), "--quiet", "--db"])
        .arg(&db)
        .env("XDG_CONFIG_HOME", &cfg)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(
            format!(
                "no vulnerability database at {}: running `sekisho db update`, which downloads OSV all.zip of 1 ecosystem (PyPI) from {}",
                db.display(),
                mirror.url()
            )
            .as_str()
        ),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("first download: {}/PyPI/all.zip", mirror.url()))),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == format!("download size: {size} bytes")),
        "{err}"
    );
    // Asked, announced, then fetched: the HEAD comes before the GET of the archive.
    let reqs = mirror.requests();
    assert!(reqs.iter().any(|r| r == "/PyPI/all.zip"), "{reqs:?}");
    assert!(db.is_file());
    assert!(String::from_utf8_lossy(&o.stdout).contains("SYNTH-HONEST-1"));

    // An unreachable source: announced, then the failure is an error, exit 3.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    write(
        &cfg,
        "sekisho/config.toml",
        &format!("[db]\nsource = \"{dead}\"\necosystems = [\"PyPI\"]\n"),
    );
    let db2 = tmp.path().join("cache/db2.sqlite");
    let o = sekisho()
        .args(["rootfs", root.to_str().unwrap(), "--quiet", "--db"])
        .arg(&db2)
        .env("XDG_CONFIG_HOME", &cfg)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "downloads OSV all.zip of 1 ecosystem (PyPI) from {dead}"
        )),
        "{err}"
    );
    assert!(err.contains("download size: unknown"), "{err}");
    assert!(
        err.contains(&format!(
            "sekisho: error: no vulnerability database at {}, and downloading one from {dead} failed",
            db2.display()
        )),
        "{err}"
    );
    assert!(!db2.exists());
}

/// A ustar archive holding `names` (each with a few bytes).
fn tar(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        let mut h = [0u8; 512];
        h[..n.len()].copy_from_slice(n.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(b"00000000002");
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        let mut body = [0u8; 512];
        body[..2].copy_from_slice(b"{}");
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn vm_on_a_file_that_is_not_a_disk_says_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "notes.txt",
            b"just some text\n".to_vec(),
            "a text file".into(),
        ),
        (
            "image.oci.tar",
            tar(&["blobs/sha256/aa", "index.json", "oci-layout"]),
            format!(
                "an OCI archive: try `sekisho image --input {}`",
                d.join("image.oci.tar").display()
            ),
        ),
        (
            "saved.tar",
            tar(&["abc/layer.tar", "manifest.json", "repositories"]),
            format!(
                "a docker-archive (`docker save`): try `sekisho image --input {}`",
                d.join("saved.tar").display()
            ),
        ),
        (
            "bom.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#.to_vec(),
            format!(
                "an SBOM: try `sekisho scan-sbom {}`",
                d.join("bom.json").display()
            ),
        ),
        ("empty.img", Vec::new(), "an empty file".into()),
    ];
    for (name, bytes, what) in cases {
        let p = d.join(name);
        fs::write(&p, bytes).unwrap();
        let o = run(&[
            "vm",
            "--offline",
            "--db",
            "/nonexistent/db",
            p.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(o.stdout.is_empty(), "{name}");
        assert_eq!(
            err.lines().next().unwrap_or(""),
            format!(
                "sekisho: error: {} is not a VM disk image: it is {what}",
                p.display()
            ),
            "{name}: {err}"
        );
    }
}

#[test]
fn image_without_a_target_names_input_and_oci_dir() {
    for args in [
        &["image"][..],
        &["image", "--offline"][..],
        &["sbom", "image"][..],
    ] {
        let o = run(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("sekisho: error: name the image to scan"),
            "{err}"
        );
        for want in [
            "--input FILE",
            "--oci-dir DIR[:TAG]",
            "sekisho image alpine:3.19",
        ] {
            assert!(err.contains(want), "{args:?}: {want:?} not in {err}");
        }
    }
}

/// The README's offline commands pass `--offline`, and they work as written against the shared
/// data: import, then a scan that touches no network.
#[test]
fn readme_offline_quick_start_is_offline() {
    let readme = fs::read_to_string(workspace().join("README.md")).unwrap();
    // Every scan of `/` the README shows (the two-command job and the offline quick start).
    let scans: Vec<&str> = readme
        .lines()
        .filter(|l| {
            let t: Vec<&str> = l
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            t.windows(2)
                .any(|w| w[0].ends_with("sekisho") && w[1] == "rootfs")
                && t.contains(&"/")
        })
        .collect();
    assert!(scans.len() >= 2, "{scans:?}");
    for l in &scans {
        assert!(
            l.contains("--offline"),
            "README scan without --offline: {l}"
        );
    }
    let d = shared_data();
    if !d.join("osv-rustsec").is_dir() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let o = run(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        d.join("osv-rustsec").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let root = tmp.path().join("root");
    small_root(&root);
    let o = run(&[
        "rootfs",
        "--offline",
        "--db",
        db.to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!err.contains("download"), "{err}");
    assert!(matches!(o.status.code(), Some(0 | 3)), "{err}");
}
