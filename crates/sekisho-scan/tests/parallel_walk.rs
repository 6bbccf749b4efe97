//! `sekisho rootfs` walks the tree on several threads: the report (packages, findings, notes,
//! their order) is the one a walk on one thread gives, byte for byte.

use std::path::Path;
use std::sync::Arc;

use sekisho_scan::{DbSource, ScanOptions, ScanRequest, TargetSpec};

const DPKG_STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 10\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library\n\nPackage: bash\nStatus: install ok installed\nPriority: required\nSection: shells\nInstalled-Size: 10\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nVersion: 5.2.15-2+b2\nDescription: shell\n";

/// A Debian 12 root with dpkg packages, 30 copies of an old `requests` (one in a directory wide
/// enough to be split between threads), Cargo and npm lock files, planted secrets, a Dockerfile,
/// and symlinks, one of them pointing out of the root.
fn rootfs(dir: &Path, outside: &Path) -> std::path::PathBuf {
    let root = dir.join("root");
    let w = |rel: &str, body: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    w(
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    w("var/lib/dpkg/status", DPKG_STATUS);
    for i in 0..30 {
        w(
            &format!(
                "srv/app{i:02}/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"
            ),
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n\n",
        );
        w(
            &format!("srv/app{i:02}/.env"),
            "GITHUB_TOKEN=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\n",
        );
    }
    for i in 0..100 {
        w(
            &format!("opt/wide/file{i:03}.conf"),
            &format!("value = {i}\n"),
        );
    }
    w(
        "opt/wide/zz/site-packages/urllib3-1.24.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n\n",
    );
    w(
        "srv/rust/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.0\"\n",
    );
    w(
        "srv/web/package-lock.json",
        r#"{"name":"web","lockfileVersion":3,"packages":{"":{"name":"web"},"node_modules/lodash":{"version":"4.17.20"}}}"#,
    );
    w(
        "srv/web/Dockerfile",
        "FROM debian:12\nUSER root\nRUN curl http://example.invalid/x | sh\n",
    );
    std::os::unix::fs::symlink(outside, root.join("escape")).unwrap();
    std::os::unix::fs::symlink("../srv/app00", root.join("opt/app")).unwrap();
    root
}

fn db(dir: &Path) -> Arc<sekisho_vulndb::Db> {
    let recs = dir.join("osv");
    std::fs::create_dir_all(&recs).unwrap();
    std::fs::write(
        recs.join("DEBIAN-CVE-2099-0001.json"),
        r#"{"id":"DEBIAN-CVE-2099-0001","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"zlib overflow","affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-2"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        recs.join("PYSEC-2099-1.json"),
        r#"{"id":"PYSEC-2099-1","modified":"2026-01-01T00:00:00Z","summary":"requests leaks credentials","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.20.0"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        recs.join("PYSEC-2099-2.json"),
        r#"{"id":"PYSEC-2099-2","modified":"2026-01-01T00:00:00Z","summary":"urllib3 header injection","affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.2"}]}]}]}"#,
    )
    .unwrap();
    let path = dir.join("db.sqlite");
    sekisho_vulndb::import_paths(
        &path,
        &[recs],
        &sekisho_vulndb::ImportOptions {
            fresh: true,
            progress: false,
        },
    )
    .unwrap();
    Arc::new(sekisho_vulndb::Db::open(&path).unwrap())
}

fn options(threads: usize) -> ScanOptions<'static> {
    ScanOptions {
        threads,
        created: "2026-12-04T00:00:00Z".into(),
        ..ScanOptions::default()
    }
}

#[test]
fn a_rootfs_scan_on_many_threads_reports_what_one_thread_reports() {
    let w = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join(".env"),
        "GITHUB_TOKEN=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\n",
    )
    .unwrap();
    let root = rootfs(w.path(), outside.path());
    let mut req = ScanRequest::new(
        TargetSpec::Rootfs(root.clone()),
        DbSource::Shared(db(w.path())),
    );
    req.scanners = vec!["vuln,secret,config".into()];
    let one = sekisho_scan::scan(&req, &options(1)).unwrap();
    let t = &one.report.targets[0];
    // The report holds what the tree holds, so equal reports below are not two empty ones.
    let names: std::collections::BTreeSet<&str> =
        t.target.packages.iter().map(|p| p.name.as_str()).collect();
    for n in [
        "zlib1g", "bash", "requests", "urllib3", "smallvec", "lodash",
    ] {
        assert!(names.contains(n), "{n} missing: {names:?}");
    }
    assert_eq!(
        t.target
            .packages
            .iter()
            .filter(|p| p.name == "requests")
            .map(|p| p.locations.len())
            .sum::<usize>(),
        30
    );
    let kinds = |k: &str| {
        t.findings
            .iter()
            .filter(|f| serde_json::to_value(f).unwrap()["kind"] == k)
            .count()
    };
    assert!(kinds("vulnerability") >= 3, "{:?}", t.findings);
    assert!(kinds("secret") >= 30, "{:?}", t.findings);
    assert!(kinds("misconfiguration") >= 1, "{:?}", t.findings);
    // Nothing behind the symlink out of the root was read.
    let json = serde_json::to_string(&one.report).unwrap();
    assert!(
        !json.contains("escape/"),
        "read behind the symlink out of the root"
    );
    for threads in [2, 3, 6, 16] {
        let par = sekisho_scan::scan(&req, &options(threads)).unwrap();
        assert_eq!(
            serde_json::to_string(&par.report).unwrap(),
            json,
            "{threads} threads"
        );
    }
    // The package listing (`sekisho sbom rootfs`) too.
    let spec = TargetSpec::Rootfs(root);
    let one = serde_json::to_string(&sekisho_scan::inventory(&spec, &options(1)).unwrap()).unwrap();
    for threads in [2, 8] {
        let par = sekisho_scan::inventory(&spec, &options(threads)).unwrap();
        assert_eq!(
            serde_json::to_string(&par).unwrap(),
            one,
            "{threads} threads"
        );
    }
}
