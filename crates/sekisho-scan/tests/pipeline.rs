//! The pipeline as a library, with no CLI code involved: an OCI image layout written here (two
//! gzip layers, a whiteout, a config with history) is scanned against a DB imported here, and the
//! report is checked; a plug-in analyzer shares the one walk with the package catalogers, and
//! every layer is read exactly once.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sekisho_artifact::{
    Capture, CaptureSink, EntryMeta, LayerInfo, LayerSource, Note, Visitor, WalkError,
};
use sekisho_finding::{Finding, Kind, Location, Misconfiguration, Severity};
use sekisho_scan::{
    Analyzer, CacheSettings, Context, DbSource, ImageSource, ImageSpec, Output, ScanOptions,
    ScanRequest, Silent, TargetSpec,
};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_path(path).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn put_blob(layout: &Path, b: &[u8]) -> String {
    let d = sha(b);
    let p = layout.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, b).unwrap();
    d
}

const DPKG_STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 10\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library\n";

/// An OCI layout (tag `t`): layer 0 a Debian 12 base with zlib1g and an /etc/motd, layer 1 an
/// old `requests`, a config file holding "secret", and a whiteout of /etc/motd.
fn layout(dir: &Path) -> PathBuf {
    let l = dir.join("layout");
    std::fs::create_dir_all(&l).unwrap();
    std::fs::write(l.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let t0 = tar_of(&[
        (
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        ),
        ("etc/motd", b"welcome\n"),
        ("var/lib/dpkg/status", DPKG_STATUS.as_bytes()),
    ]);
    let t1 = tar_of(&[
        (
            "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n\n",
        ),
        ("srv/app/settings.conf", b"password = secret\n"),
        ("etc/.wh.motd", b""),
    ]);
    let (g0, g1) = (gzip(&t0), gzip(&t1));
    let (d0, d1) = (put_blob(&l, &g0), put_blob(&l, &g1));
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": "app", "Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(&t0), sha(&t1)]},
        "history": [
            {"created_by": "debootstrap bookworm"},
            {"created_by": "COPY app /srv/app"},
        ],
    });
    let cb = serde_json::to_vec(&config).unwrap();
    let cd = put_blob(&l, &cb);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cb.len()},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d0, "size": g0.len()},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d1, "size": g1.len()},
        ],
    });
    let mb = serde_json::to_vec(&manifest).unwrap();
    let md = put_blob(&l, &mb);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md,
            "size": mb.len(),
            "annotations": {"org.opencontainers.image.ref.name": "t"},
        }],
    });
    std::fs::write(l.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    l
}

/// A DB with one Debian advisory on the `zlib` source package and one PyPI advisory.
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

fn image_target(l: &Path) -> TargetSpec {
    TargetSpec::Image(ImageSpec::new(ImageSource::Layout(format!(
        "{}:t",
        l.display()
    ))))
}

#[test]
fn an_oci_layout_is_scanned_through_the_library() {
    let w = tempfile::tempdir().unwrap();
    let l = layout(w.path());
    let req = ScanRequest::new(image_target(&l), DbSource::Shared(db(w.path())));
    let out = sekisho_scan::scan(&req, &ScanOptions::default()).unwrap();
    assert!(!out.gate_tripped && !out.no_data);
    let r = &out.report;
    assert_eq!(r.targets.len(), 1);
    let t = &r.targets[0];
    assert_eq!(t.target.kind, "image");
    assert_eq!(t.target.layers.len(), 2);
    assert!(t.target.layers.iter().all(|l| l.diff_id.is_some()));
    assert_eq!(
        t.target
            .os
            .as_ref()
            .and_then(|o| o.osv_ecosystem.as_deref()),
        Some("Debian:12")
    );
    let pkgs: Vec<(&str, &str, Option<usize>)> = t
        .target
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.layer))
        .collect();
    assert_eq!(
        pkgs,
        vec![
            ("zlib1g", "1:1.2.13.dfsg-1", Some(0)),
            ("requests", "2.19.0", Some(1))
        ]
    );
    let mut found: Vec<(String, String, Option<String>)> = t
        .findings
        .iter()
        .map(|f| {
            let v = f.as_vulnerability().expect("only vulnerabilities");
            let p = t
                .target
                .packages
                .iter()
                .find(|p| p.id == v.package_id)
                .expect("package_id names a package of the target");
            (v.id.clone(), p.name.clone(), v.fixed_version.clone())
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                "CVE-2099-0001".into(),
                "zlib1g".into(),
                Some("1:1.2.13.dfsg-2".into())
            ),
            (
                "PYSEC-2099-1".into(),
                "requests".into(),
                Some("2.20.0".into())
            ),
        ]
    );
    // The JSON carries `kind` on every finding and reads back.
    let json = serde_json::to_value(r).unwrap();
    assert!(
        json["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] == "vulnerability")
    );
    let back: sekisho_report::ScanReport = serde_json::from_value(json).unwrap();
    assert_eq!(back.summary.total, 2);
}

/// A plug-in analyzer: reports files holding the word "secret", reading them through a push
/// sink that shares the walk's one read.
struct Marker {
    bytes: Arc<AtomicUsize>,
}

struct MarkerCapture {
    bytes: Arc<AtomicUsize>,
}

struct MarkerSink {
    bytes: Arc<AtomicUsize>,
    seen: Vec<u8>,
}

impl CaptureSink for MarkerSink {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<bool> {
        self.bytes.fetch_add(chunk.len(), Ordering::Relaxed);
        self.seen.extend_from_slice(&chunk[..chunk.len().min(4096)]);
        Ok(true)
    }
    fn finish(self: Box<Self>) -> std::io::Result<Option<Vec<u8>>> {
        let hit = self.seen.windows(6).any(|w| w == b"secret");
        Ok(hit.then(Vec::new))
    }
}

impl Capture for MarkerCapture {
    fn id(&self) -> &'static str {
        "test-marker-v1"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        m.is_file()
    }
    fn sink(&self, _: &EntryMeta) -> Option<Box<dyn CaptureSink>> {
        Some(Box::new(MarkerSink {
            bytes: self.bytes.clone(),
            seen: Vec::new(),
        }))
    }
}

impl Analyzer for Marker {
    fn id(&self) -> &'static str {
        "test-marker"
    }
    fn kind(&self) -> Kind {
        Kind::Misconfiguration
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![Box::new(MarkerCapture {
            bytes: self.bytes.clone(),
        })]
    }
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), sekisho_scan::ScanError> {
        for c in cx.inventory.visible("test-marker-v1") {
            out.findings
                .push(Finding::Misconfiguration(Misconfiguration {
                    id: "test-marker".into(),
                    aliases: vec![],
                    severity: Severity::Low,
                    title: "a file says secret".into(),
                    why: "w".into(),
                    fix: "f".into(),
                    location: Location::file(c.meta.path.clone()),
                    file_type: "text".into(),
                    object: None,
                    value: None,
                }));
        }
        Ok(())
    }
}

/// Wraps a layer and counts its walks and the bytes read from it.
struct Counting {
    inner: Box<dyn LayerSource>,
    walks: Arc<AtomicUsize>,
    read: Arc<AtomicUsize>,
}

struct CountRead<'a> {
    inner: &'a mut dyn Read,
    n: &'a AtomicUsize,
}

impl Read for CountRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k, Ordering::Relaxed);
        Ok(k)
    }
}

/// Counted reads are streamed (no random access), so every byte read is counted.
impl sekisho_artifact::EntryRead for CountRead<'_> {}

impl LayerSource for Counting {
    fn info(&self) -> &LayerInfo {
        self.inner.info()
    }
    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError> {
        self.walks.fetch_add(1, Ordering::Relaxed);
        let read = self.read.clone();
        let mut v = |m: &EntryMeta, r: &mut dyn sekisho_artifact::EntryRead| {
            let mut c = CountRead { inner: r, n: &read };
            visit(m, &mut c)
        };
        self.inner.walk(&mut v, notes)
    }
    fn threads(&self) -> usize {
        self.inner.threads()
    }
}

fn counted(
    l: &Path,
) -> (
    sekisho_scan::OpenedTarget,
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
) {
    let spec = ImageSpec::new(ImageSource::Layout(format!("{}:t", l.display())));
    let mut opened = sekisho_scan::target::open_image(&spec, &Silent).unwrap();
    let walks = Arc::new(AtomicUsize::new(0));
    let read = Arc::new(AtomicUsize::new(0));
    opened.layers = opened
        .layers
        .into_iter()
        .map(|inner| {
            Box::new(Counting {
                inner,
                walks: walks.clone(),
                read: read.clone(),
            }) as Box<dyn LayerSource>
        })
        .collect();
    (opened, walks, read)
}

#[test]
fn one_walk_feeds_every_analyzer_and_the_cache_is_per_analyzer() {
    let w = tempfile::tempdir().unwrap();
    let l = layout(w.path());
    let db = db(w.path());
    let cache = CacheSettings {
        dir: w.path().join("cache"),
        max_bytes: 1 << 30,
    };
    let opts = |cache: &Option<CacheSettings>| ScanOptions {
        cache: cache.clone(),
        ..ScanOptions::default()
    };
    let plain = ScanRequest::new(image_target(&l), DbSource::Shared(db.clone()));
    let marker_bytes = Arc::new(AtomicUsize::new(0));
    let mut with_marker = plain.clone();
    with_marker.extra_analyzers = vec![Arc::new(Marker {
        bytes: marker_bytes.clone(),
    })];

    // Two analyzers (the package catalogers and the marker), one walk of each layer, and each
    // file's bytes read from the layer once though both consumers want some of them.
    let (opened, walks, read) = counted(&l);
    let out = sekisho_scan::scan_opened(vec![opened], &with_marker, &opts(&None)).unwrap();
    assert_eq!(walks.load(Ordering::Relaxed), 2, "one walk per layer");
    let total = read.load(Ordering::Relaxed);
    assert_eq!(
        marker_bytes.load(Ordering::Relaxed),
        total,
        "the marker saw every byte read, and no byte was read twice"
    );
    let marks: Vec<String> = out.report.targets[0]
        .findings
        .iter()
        .filter(|f| f.kind() == Kind::Misconfiguration)
        .filter_map(|f| f.location().and_then(|l| l.path.clone()))
        .collect();
    assert_eq!(marks, vec!["srv/app/settings.conf".to_string()]);
    assert_eq!(
        out.report.targets[0]
            .findings
            .iter()
            .filter(|f| f.kind() == Kind::Vulnerability)
            .count(),
        2
    );

    // With the cache: a first scan without the marker fills it.
    let cached = Some(cache);
    let (opened, walks, _) = counted(&l);
    sekisho_scan::scan_opened(vec![opened], &plain, &opts(&cached)).unwrap();
    assert_eq!(walks.load(Ordering::Relaxed), 2);
    // The same scan again walks nothing.
    let (opened, walks, _) = counted(&l);
    let again = sekisho_scan::scan_opened(vec![opened], &plain, &opts(&cached)).unwrap();
    assert_eq!(walks.load(Ordering::Relaxed), 0);
    assert_eq!(again.report.targets[0].findings.len(), 2);
    // A newly enabled analyzer is not hidden by the cached layers: they are walked (once each)
    // for it alone, and its finding is there.
    let (opened, walks, _) = counted(&l);
    let more = sekisho_scan::scan_opened(vec![opened], &with_marker, &opts(&cached)).unwrap();
    assert_eq!(walks.load(Ordering::Relaxed), 2);
    assert_eq!(more.report.targets[0].findings.len(), 3);
    // And now both are cached.
    let (opened, walks, _) = counted(&l);
    let last = sekisho_scan::scan_opened(vec![opened], &with_marker, &opts(&cached)).unwrap();
    assert_eq!(walks.load(Ordering::Relaxed), 0);
    assert_eq!(last.report.targets[0].findings.len(), 3);
}

#[test]
fn unknown_scanners_and_cancellation_are_errors_with_kinds() {
    let w = tempfile::tempdir().unwrap();
    let l = layout(w.path());
    let mut req = ScanRequest::new(image_target(&l), DbSource::None);
    req.scanners = vec!["vuln,nosuch".into()];
    let e = sekisho_scan::scan(&req, &ScanOptions::default()).unwrap_err();
    assert_eq!(e.kind(), sekisho_scan::ErrorKind::Usage);
    assert!(e.to_string().contains("nosuch"), "{e}");
    req.scanners = vec![];
    let opts = ScanOptions::default();
    opts.cancel.cancel();
    let e = sekisho_scan::scan(&req, &opts).unwrap_err();
    assert_eq!(e.kind(), sekisho_scan::ErrorKind::Cancelled);
    // A target that is not there is a target error naming it.
    let req = ScanRequest::new(
        TargetSpec::Image(ImageSpec::new(ImageSource::Layout(
            w.path().join("nope").display().to_string(),
        ))),
        DbSource::None,
    );
    let e = sekisho_scan::scan(&req, &ScanOptions::default()).unwrap_err();
    assert_eq!(e.kind(), sekisho_scan::ErrorKind::Target);
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn without_a_db_the_packages_are_listed_and_the_outcome_says_no_data() {
    let w = tempfile::tempdir().unwrap();
    let l = layout(w.path());
    let req = ScanRequest::new(
        image_target(&l),
        DbSource::Path {
            path: w.path().join("missing.sqlite"),
            update: None,
            max_age: std::time::Duration::from_secs(86_400),
        },
    );
    let out = sekisho_scan::scan(&req, &ScanOptions::default()).unwrap();
    assert!(out.no_data);
    assert!(!out.report.vulnerability_data);
    assert_eq!(out.report.targets[0].target.packages.len(), 2);
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.contains("missing.sqlite")),
        "{:?}",
        out.report.warnings
    );
}

/// A Debian 11 golden image with two kernels: the old default one is affected by escapes fixed
/// after it, the newer one is not the default.
fn kernel_root(dir: &Path) -> PathBuf {
    let root = dir.join("golden");
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\nPRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\n",
    );
    w(
        "var/lib/dpkg/status",
        "Package: linux-image-5.10.0-11-amd64\nStatus: install ok installed\nArchitecture: amd64\nSource: linux-signed-amd64 (5.10.92+1)\nVersion: 5.10.92-1\nDescription: Linux 5.10\n\nPackage: linux-image-5.10.0-13-amd64\nStatus: install ok installed\nArchitecture: amd64\nSource: linux-signed-amd64 (5.10.106+1)\nVersion: 5.10.106-1\nDescription: Linux 5.10\n",
    );
    w(
        "boot/grub/grub.cfg",
        "set default=\"0\"\nmenuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-x' {\n\tlinux\t/boot/vmlinuz-5.10.0-11-amd64 root=UUID=x ro quiet\n}\nsubmenu 'Advanced options' {\n\tmenuentry 'Debian, with Linux 5.10.0-13-amd64' {\n\t\tlinux\t/boot/vmlinuz-5.10.0-13-amd64 root=UUID=x ro\n\t}\n}\n",
    );
    root
}

#[test]
fn the_kernel_scanner_judges_installed_kernels_and_the_default_boot() {
    let w = tempfile::tempdir().unwrap();
    let root = kernel_root(w.path());
    let mut req = ScanRequest::new(TargetSpec::Rootfs(root), DbSource::None);
    req.scanners = vec!["kernel".into()];
    let out = sekisho_scan::scan(&req, &ScanOptions::default()).unwrap();
    assert!(!out.no_data, "no vulnerability scan was asked for");
    let t = &out.report.targets[0];
    let escapes: Vec<(&str, Severity)> = t
        .findings
        .iter()
        .filter(|f| f.id() == "known-escape")
        .map(|f| {
            let Finding::Isolation(i) = f else {
                panic!("known escapes are isolation findings")
            };
            (i.title.as_str(), i.severity)
        })
        .collect();
    let dirty_pipe = escapes
        .iter()
        .find(|(t, _)| t.starts_with("CVE-2022-0847"))
        .unwrap_or_else(|| panic!("Dirty Pipe not reported: {escapes:?}"));
    assert!(
        dirty_pipe
            .0
            .contains("linux-image-5.10.0-11-amd64 5.10.92-1 (the default boot kernel)"),
        "{dirty_pipe:?}"
    );
    assert_eq!(dirty_pipe.1, Severity::High);
    // The newer kernel has the fixes: none of its escapes is reported for Dirty Pipe.
    assert!(
        !escapes
            .iter()
            .any(|(t, _)| t.starts_with("CVE-2022-0847") && t.contains("5.10.0-13")),
        "{escapes:?}"
    );
    let f = t
        .findings
        .iter()
        .find(|f| f.id() == "known-escape")
        .unwrap();
    assert!(f.why().contains("Debian 5.10.92-1 < fixed"), "{}", f.why());
    assert_eq!(out.report.scanners, vec!["kernel".to_string()]);
}
