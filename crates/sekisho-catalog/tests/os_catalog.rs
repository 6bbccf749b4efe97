//! OS detection and OS package catalogers against shared fixtures, layered in-memory images and
//! oracles (dpkg-query, rpm).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use sekisho_artifact::{
    CollectOptions, EntryKind, EntryMeta, LayerInfo, LayerSource, Note, Visitor, WalkError,
    rootfs::DirLayer,
};
use sekisho_catalog::os::{apk, dpkg, rpm};
use sekisho_catalog::{Catalog, Package, PackageKind, scan};

fn shared() -> PathBuf {
    std::env::var_os("SEKISHO_SHARED_DATA").map_or_else(
        || Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf(),
        PathBuf::from,
    )
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A missing oracle fails in CI and skips locally.
fn need(tool: &str) -> bool {
    sekisho_testutil::require(have(tool), &format!("{tool} (.ci/apt-packages.txt)"))
}

/// A layer made of in-memory entries.
struct Mem {
    info: LayerInfo,
    entries: Vec<(EntryMeta, Vec<u8>)>,
}

impl LayerSource for Mem {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn walk(&mut self, visit: &mut Visitor<'_>, _notes: &mut Vec<Note>) -> Result<(), WalkError> {
        for (m, d) in &self.entries {
            visit(m, &mut d.as_slice()).map_err(|e: io::Error| WalkError::Io {
                layer: self.info.index.to_string(),
                path: m.path.clone(),
                source: e,
            })?;
        }
        Ok(())
    }
}

fn file(path: &str, data: &[u8]) -> (EntryMeta, Vec<u8>) {
    (EntryMeta::file(path, data.len() as u64), data.to_vec())
}

fn link(path: &str, target: &str) -> (EntryMeta, Vec<u8>) {
    (
        EntryMeta {
            kind: EntryKind::Symlink {
                target: target.into(),
            },
            ..EntryMeta::file(path, 0)
        },
        Vec::new(),
    )
}

fn layers(ls: Vec<Vec<(EntryMeta, Vec<u8>)>>) -> Vec<Box<dyn LayerSource>> {
    ls.into_iter()
        .enumerate()
        .map(|(i, entries)| {
            Box::new(Mem {
                info: LayerInfo {
                    index: i,
                    ..LayerInfo::default()
                },
                entries,
            }) as Box<dyn LayerSource>
        })
        .collect()
}

fn opts() -> CollectOptions<'static> {
    CollectOptions {
        threads: 2,
        cache_dir: None,
        ..CollectOptions::default()
    }
}

fn os_pkgs(c: &Catalog) -> BTreeSet<(String, String)> {
    c.packages
        .iter()
        .filter(|p| p.kind.is_os())
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `dpkg-query` on a status file: (name, version) of installed packages.
fn dpkg_query(status: &[u8]) -> BTreeSet<(String, String)> {
    dpkg_query_strict(status).expect("dpkg-query accepts the status file")
}

/// `dpkg-query`, or `None` when dpkg refuses the database (it stops at the first bad paragraph,
/// where sekisho reports that paragraph and reads the rest).
fn dpkg_query_strict(status: &[u8]) -> Option<BTreeSet<(String, String)>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("status"), status).unwrap();
    std::fs::create_dir_all(dir.path().join("info")).unwrap();
    std::fs::create_dir_all(dir.path().join("updates")).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", dir.path().display()))
        .args(["-W", "-f=${db:Status-Status}\t${Package}\t${Version}\n"])
        .output()
        .unwrap();
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split('\t');
                let st = it.next()?;
                let n = it.next()?;
                let v = it.next()?;
                (st == "installed").then(|| (n.to_string(), v.to_string()))
            })
            .collect(),
    )
}

#[test]
fn debian12_rootfs_matches_its_known_package_list() {
    let src = shared().join("fixtures-debian12-local");
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::create_dir_all(r.join("usr/lib")).unwrap();
    std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
    // etc/os-release is a relative symlink into usr/lib, as on a real Debian.
    std::fs::write(
        r.join("usr/lib/os-release"),
        read(&src.join("etc_os-release")),
    )
    .unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", r.join("etc/os-release")).unwrap();
    std::fs::write(
        r.join("etc/debian_version"),
        read(&src.join("etc_debian_version")),
    )
    .unwrap();
    let status = read(&src.join("var_lib_dpkg_status"));
    std::fs::write(r.join("var/lib/dpkg/status"), &status).unwrap();

    let cat = scan(vec![Box::new(DirLayer::new(r).unwrap())], &opts()).unwrap();
    let os = cat.os.as_ref().expect("OS detected");
    assert_eq!(os.id, "debian");
    assert_eq!(os.osv_ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(os.source, "etc/os-release");
    assert!(os.known && !os.eol);
    let got = os_pkgs(&cat);
    assert_eq!(got.len(), 189, "debian12-full has 189 packages");
    // The known list: every `Package:`/`Version:` pair of the fixture (all are installed).
    let text = String::from_utf8_lossy(&status);
    let mut known = BTreeSet::new();
    let mut name = String::new();
    for l in text.lines() {
        if let Some(n) = l.strip_prefix("Package: ") {
            name = n.to_string();
        } else if let Some(v) = l.strip_prefix("Version: ") {
            known.insert((name.clone(), v.to_string()));
        }
    }
    assert_eq!(got, known);
    if need("dpkg-query") {
        assert_eq!(got, dpkg_query(&status), "dpkg-query oracle");
    }
    let libc = cat.packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(libc.kind, PackageKind::Deb);
    assert_eq!(libc.ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(libc.arch.as_deref(), Some("amd64"));
    assert_eq!(libc.source.as_ref().unwrap().name, "glibc");
    assert!(
        libc.purl.starts_with("pkg:deb/debian/libc6@") && libc.purl.contains("distro=debian-12"),
        "{}",
        libc.purl
    );
    assert_eq!(libc.layer, Some(0));
    assert!(
        cat.packages
            .iter()
            .filter(|p| p.source.as_ref().is_some_and(|s| s.version.is_some()))
            .count()
            > 0,
        "some Source: fields carry their own version"
    );
}

#[test]
fn dpkg_layers_ownership_licenses_and_dedupe() {
    let st0 = b"Package: base\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\nPackage: gone\nStatus: install ok installed\nVersion: 9\n";
    let st1 = b"Package: base\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\nPackage: python3-foo\nStatus: install ok installed\nArchitecture: all\nVersion: 2.0-1\nSource: foo (2.0)\n\nPackage: libx\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 3\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 9\n";
    let list = b"/.\n/usr\n/usr/lib/python3/dist-packages/foo-2.0.dist-info/METADATA\n";
    let cat = scan(
        layers(vec![
            vec![
                file(
                    "usr/lib/os-release",
                    b"ID=ubuntu\nVERSION_ID=\"22.04\"\nID_LIKE=debian\n",
                ),
                link("etc/os-release", "../usr/lib/os-release"),
                file("var/lib/dpkg/status", st0),
            ],
            vec![
                file("var/lib/dpkg/status", st1),
                file("var/lib/dpkg/info/python3-foo.list", list),
                file("var/lib/dpkg/info/libx:amd64.list", b"/usr/lib/x86_64-linux-gnu/libx.so.3\n"),
                file(
                    "usr/share/doc/python3-foo/copyright",
                    b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n",
                ),
            ],
        ]),
        &opts(),
    )
    .unwrap();
    assert_eq!(
        cat.os.as_ref().unwrap().osv_ecosystem.as_deref(),
        Some("Ubuntu:22.04:LTS")
    );
    let get = |n: &str| cat.packages.iter().find(|p| p.name == n).unwrap();
    assert_eq!(get("base").layer, Some(0));
    assert_eq!(get("python3-foo").layer, Some(1));
    assert_eq!(get("python3-foo").licenses, vec!["MIT"]);
    assert_eq!(
        get("python3-foo")
            .source
            .as_ref()
            .unwrap()
            .version
            .as_deref(),
        Some("2.0")
    );
    assert_eq!(
        get("libx").files,
        vec!["usr/lib/x86_64-linux-gnu/libx.so.3"]
    );
    assert!(get("base").purl.starts_with("pkg:deb/ubuntu/base@1.0"));
    assert!(!cat.packages.iter().any(|p| p.name == "gone"));

    // One report per package: a PyPI package whose metadata dpkg owns is dropped.
    let mut c2 = cat.clone();
    let py = |loc: &str| Package {
        id: String::new(),
        name: "foo".into(),
        version: "2.0".into(),
        kind: PackageKind::Python,
        ecosystem: Some("PyPI".into()),
        purl: "pkg:pypi/foo@2.0".into(),
        source: None,
        licenses: vec![],
        arch: None,
        modularity_label: None,
        locations: vec![loc.into()],
        layer: Some(1),
        files: vec![],
    };
    c2.packages.push(py(
        "usr/lib/python3/dist-packages/foo-2.0.dist-info/METADATA",
    ));
    c2.packages.push(py(
        "usr/local/lib/python3.11/dist-packages/foo-2.0.dist-info/METADATA",
    ));
    sekisho_catalog::dedupe_owned(&mut c2, None);
    let pys: Vec<&Package> = c2
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Python)
        .collect();
    assert_eq!(pys.len(), 1);
    assert!(pys[0].locations[0].starts_with("usr/local"));
}

#[test]
fn release_fallbacks_and_distroless() {
    let detect =
        |entries: Vec<(EntryMeta, Vec<u8>)>| scan(layers(vec![entries]), &opts()).unwrap().os;
    let a = detect(vec![file("etc/alpine-release", b"3.20.3\n")]).unwrap();
    assert_eq!(a.osv_ecosystem.as_deref(), Some("Alpine:v3.20"));
    let r = detect(vec![file(
        "etc/redhat-release",
        b"Rocky Linux release 9.3 (Blue Onyx)\n",
    )])
    .unwrap();
    assert_eq!(r.osv_ecosystem.as_deref(), Some("Rocky Linux:9"));
    let am = detect(vec![file(
        "etc/system-release",
        b"Amazon Linux release 2023 (Amazon Linux)\n",
    )])
    .unwrap();
    assert_eq!(am.osv_ecosystem.as_deref(), Some("Amazon Linux:2023"));
    let u = detect(vec![file(
        "etc/lsb-release",
        b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_CODENAME=focal\n",
    )])
    .unwrap();
    assert_eq!(u.osv_ecosystem.as_deref(), Some("Ubuntu:20.04:LTS"));
    assert!(u.eol);
    let d = detect(vec![file("etc/debian_version", b"11.9\n")]).unwrap();
    assert_eq!(d.osv_ecosystem.as_deref(), Some("Debian:11"));
    let bb = detect(vec![file(
        "bin/busybox",
        b"\x7fELF....BusyBox v1.36.1 (2024-01-01) multi-call binary",
    )])
    .unwrap();
    assert_eq!(
        (bb.id.as_str(), bb.version_id.as_deref()),
        ("busybox", Some("1.36.1"))
    );
    assert!(!bb.known);
    let unknown = detect(vec![file("etc/os-release", b"ID=plan9\nVERSION_ID=4\n")]).unwrap();
    assert!(!unknown.known);
    assert!(detect(vec![file("etc/hostname", b"x")]).is_none());

    // Distroless: status.d only; the release comes from base-files.
    let sd = shared().join("fixtures-syft/syft/pkg/cataloger/debian/testdata/image-distroless-deb");
    let cat = scan(
        layers(vec![vec![
            file(
                "var/lib/dpkg/status.d/libsqlite3-0",
                &read(&sd.join("var/lib/dpkg/status.d/libsqlite3-0")),
            ),
            file(
                "var/lib/dpkg/status.d/libsqlite3-0.md5sums",
                &read(&sd.join("var/lib/dpkg/status.d/libsqlite3-0.md5sums")),
            ),
            file(
                "var/lib/dpkg/status.d/base-files",
                b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
            ),
        ]]),
        &opts(),
    )
    .unwrap();
    let os = cat.os.as_ref().unwrap();
    assert_eq!(os.osv_ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(os.source, "var/lib/dpkg/status.d/");
    let names: BTreeSet<&str> = cat.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["base-files", "libsqlite3-0"]));
}

/// Sections of a txtar archive (`-- path --` headers).
fn txtar(data: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in data.split_inclusive('\n') {
        let t = line.trim_end();
        if let Some(name) = t.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
            out.push((name.to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
        }
    }
    out
}

fn deliberately_bad(p: &Path) -> bool {
    let s = p.to_string_lossy();
    [
        "invalid",
        "corrupt",
        "empty",
        "bad",
        "nopackage",
        "noversion",
    ]
    .iter()
    .any(|w| s.contains(w))
}

#[test]
fn every_shared_dpkg_fixture_parses_or_fails_clearly() {
    let d = shared();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        "fixtures-osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg",
        "fixtures-osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/status.d",
        "fixtures-syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d",
        "fixtures-syft/syft/pkg/cataloger/debian/testdata/image-dpkg/var/lib/dpkg",
        "fixtures-syft/syft/pkg/cataloger/debian/testdata/glob-paths/var/lib/dpkg",
        "fixtures-syft/syft/pkg/cataloger/debian/testdata/glob-paths/var/lib/dpkg/status.d",
    ] {
        for e in std::fs::read_dir(d.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_file() && !n.contains('.') {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 20, "{files:?}");
    let oracle = need("dpkg-query");
    let mut checked = 0;
    for p in &files {
        let data = read(p);
        let name = p.display().to_string();
        match dpkg::parse_status(&name, &data) {
            Ok((recs, problems)) => {
                if recs.is_empty() && problems.is_empty() {
                    assert!(
                        deliberately_bad(p) || data.iter().all(u8::is_ascii_whitespace),
                        "{name}: nothing found and nothing said"
                    );
                }
                if deliberately_bad(p) && !problems.is_empty() {
                    continue;
                }
                // Status files (not status.d) are checked against dpkg-query.
                if oracle && !p.to_string_lossy().contains("status.d") && p.ends_with("status") {
                    match dpkg_query_strict(&data) {
                        Some(want) => assert_eq!(dpkg::installed_names(&recs), want, "{name}"),
                        // dpkg gives up on the whole file; we must have reported why.
                        None => assert!(!problems.is_empty(), "{name}: dpkg refuses it"),
                    }
                    checked += 1;
                }
            }
            Err(e) => {
                assert!(e.to_string().contains(&name), "{e}");
                assert!(deliberately_bad(p), "{name}: {e}");
            }
        }
    }
    // scalibr's plain status files, with dpkg-query's view of installed.
    let sc = d.join("fixtures-osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg");
    if oracle {
        for n in [
            "valid",
            "single",
            "statusfield",
            "trailingnewlines",
            "transitional",
        ] {
            let data = read(&sc.join(n));
            let (recs, _) = dpkg::parse_status(n, &data).unwrap();
            let ours: BTreeSet<(String, String)> = recs
                .iter()
                .filter(|r| r.status.is_some() && r.installed())
                .map(|r| (r.name.clone(), r.version.clone()))
                .collect();
            assert_eq!(ours, dpkg_query(&data), "{n}");
            checked += 1;
        }
    }
    let (_, problems) = dpkg::parse_status("invalid", &read(&sc.join("invalid"))).unwrap();
    assert!(!problems.is_empty(), "invalid fixture must be reported");
    let (r, problems) = dpkg::parse_status("noversion", &read(&sc.join("noversion"))).unwrap();
    assert_eq!(r.len(), 2);
    assert!(problems.iter().any(|p| p.contains("acl")), "{problems:?}");
    let (r, problems) = dpkg::parse_status("nopackage", &read(&sc.join("nopackage"))).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(problems.len(), 1);

    // trivy's txtar fixtures: status files checked against dpkg-query.
    let tv = d.join("fixtures-trivy/pkg/fanal/analyzer/pkg/dpkg/testdata");
    for e in std::fs::read_dir(&tv).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "txtar") {
            continue;
        }
        for (name, body) in txtar(&String::from_utf8_lossy(&read(&p))) {
            if name != "var/lib/dpkg/status" && !name.starts_with("var/lib/dpkg/status.d/") {
                continue;
            }
            let what = format!("{}:{name}", p.display());
            let (recs, problems) = dpkg::parse_status(&what, body.as_bytes()).unwrap();
            assert!(!recs.is_empty() || !problems.is_empty(), "{what}");
            if oracle && name == "var/lib/dpkg/status" {
                assert_eq!(
                    dpkg::installed_names(&recs),
                    dpkg_query(body.as_bytes()),
                    "{what}"
                );
                checked += 1;
            }
        }
    }
    if oracle {
        assert!(
            checked >= 8,
            "only {checked} files checked against dpkg-query"
        );
    }
}

#[test]
fn every_shared_apk_fixture_parses_or_fails_clearly() {
    let d = shared();
    let mut files = vec![
        d.join("versions-apk/installed.alpine-3.21"),
        d.join("fixtures-trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk"),
    ];
    for e in std::fs::read_dir(d.join("fixtures-osv-scalibr/extractor/filesystem/os/apk/testdata"))
        .unwrap()
    {
        files.push(e.unwrap().path());
    }
    let syft = d.join("fixtures-syft/syft/pkg/cataloger/alpine/testdata");
    for n in [
        "extra-file-attributes",
        "empty-deps-and-provides",
        "single",
        "base",
        "multiple-1/lib/apk/db/installed",
        "multiple-2/lib/apk/db/installed",
        "glob-paths/lib/apk/db/installed",
        "corrupt/lib/apk/db/installed",
    ] {
        files.push(syft.join(n));
    }
    for p in &files {
        let data = read(p);
        let name = p.display().to_string();
        let (recs, problems) = apk::parse_installed(&name, &data).unwrap();
        // Every stanza with a P: line is a package or a reported problem.
        let stanzas = String::from_utf8_lossy(&data)
            .lines()
            .filter(|l| l.starts_with("P:"))
            .count();
        assert_eq!(
            recs.len()
                + problems
                    .iter()
                    .filter(|m| m.starts_with("package "))
                    .count(),
            stanzas,
            "{name}: {problems:?}"
        );
        if recs.is_empty() {
            assert!(
                deliberately_bad(p) || !problems.is_empty(),
                "{name}: nothing found and nothing said"
            );
        }
    }
    let (r, _) = apk::parse_installed("x", &read(&files[0])).unwrap();
    assert_eq!(r.len(), 39);
    let musl = r.iter().find(|p| p.name == "musl").unwrap();
    assert!(musl.files.iter().any(|f| f.starts_with("lib/ld-musl")));
    let (_, problems) = apk::parse_installed(
        "invalid",
        &read(&d.join("fixtures-osv-scalibr/extractor/filesystem/os/apk/testdata/invalid")),
    )
    .unwrap();
    assert!(!problems.is_empty());

    // Through the driver: OS, ecosystem, purl, origin.
    let cat = scan(
        layers(vec![vec![
            file("etc/os-release", b"ID=alpine\nVERSION_ID=3.21.3\n"),
            file("lib/apk/db/installed", &read(&files[0])),
        ]]),
        &opts(),
    )
    .unwrap();
    assert_eq!(cat.packages.len(), 39);
    let ssl = cat.packages.iter().find(|p| p.name == "libssl3").unwrap();
    assert_eq!(ssl.ecosystem.as_deref(), Some("Alpine:v3.21"));
    assert_eq!(ssl.source.as_ref().unwrap().name, "openssl");
    assert!(
        ssl.purl.starts_with("pkg:apk/alpine/libssl3@"),
        "{}",
        ssl.purl
    );
}

/// Rows of an expected.tsv: NAME EPOCHNUM VERSION RELEASE ARCH SOURCERPM MODULARITYLABEL.
fn expected_tsv(p: &Path) -> BTreeSet<Vec<String>> {
    String::from_utf8_lossy(&read(p))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn rows(pkgs: &[rpm::RpmInfo]) -> BTreeSet<Vec<String>> {
    pkgs.iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.epoch.unwrap_or(0).to_string(),
                p.version.clone(),
                p.release.clone(),
                p.arch.clone().unwrap_or_else(|| "(none)".into()),
                p.source_rpm.clone().unwrap_or_else(|| "(none)".into()),
                p.modularity_label
                    .clone()
                    .unwrap_or_else(|| "(none)".into()),
            ]
        })
        .collect()
}

#[test]
fn rpmdb_fixtures_match_expected_lists() {
    let d = shared().join("fixtures-rpmdb");
    for (db, exp) in [
        (
            "cbl-mariner-2.0/rpmdb.sqlite",
            "cbl-mariner-2.0.expected.tsv",
        ),
        ("libuuid/Packages", "libuuid.expected.tsv"),
        ("sle15-bci/Packages.db", "sle15-bci.expected.tsv"),
        ("syft-bdb-Packages", "syft-bdb-Packages.expected.tsv"),
        (
            "scalibr-bdb-Packages_epoch",
            "scalibr-bdb-Packages_epoch.expected.tsv",
        ),
    ] {
        let (pkgs, problems) =
            rpm::read_db(db, &read(&d.join(db)), None).unwrap_or_else(|e| panic!("{db}: {e}"));
        assert!(problems.is_empty(), "{db}: {problems:?}");
        let want = expected_tsv(&d.join(exp));
        let got = rows(&pkgs);
        // sle15's list was transcribed without source rpms and modularity labels: compare the
        // columns it has.
        let width = want.iter().map(Vec::len).min().unwrap_or(0);
        let cut = |s: &BTreeSet<Vec<String>>| -> BTreeSet<Vec<String>> {
            s.iter().map(|r| r[..width.min(r.len())].to_vec()).collect()
        };
        assert_eq!(cut(&got), cut(&want), "{db}");
        // Meta packages own no files; most packages do.
        let with_files = pkgs.iter().filter(|p| !p.files.is_empty()).count();
        assert!(
            with_files * 10 >= pkgs.len() * 8,
            "{db}: {with_files} of {} have file lists",
            pkgs.len()
        );
    }
}

#[test]
fn other_rpm_fixtures_parse_or_fail_clearly() {
    let d = shared();
    let scal = d.join("fixtures-osv-scalibr/extractor/filesystem/os/rpm/testdata");
    let e = rpm::read_db("invalid", &read(&scal.join("invalid")), None).unwrap_err();
    assert!(e.to_string().contains("invalid"), "{e}");
    // An empty SQLite file (no Packages table) is an error naming it.
    let e = rpm::read_db("empty.sqlite", &read(&scal.join("empty.sqlite")), None);
    match e {
        Ok((p, _)) => assert!(p.is_empty()),
        Err(e) => assert!(e.to_string().contains("empty.sqlite"), "{e}"),
    }
    let (p, _) = rpm::read_db("Packages_epoch", &read(&scal.join("Packages_epoch")), None).unwrap();
    assert_eq!(p[0].evr(), "1:0.0.1-rls");
    let syft = d.join("fixtures-syft/syft/pkg/cataloger/redhat/testdata");
    let (p, _) = rpm::read_db("Packages", &read(&syft.join("Packages")), None).unwrap();
    assert_eq!(p.len(), 1);
    let info = rpm::header::parse_rpm_file(
        &read(&syft.join("glob-paths/dive-0.10.0.rpm")),
        "dive-0.10.0.rpm",
    );
    // glob-paths files are placeholders in syft's tests: either a real rpm or a clear error.
    match info {
        Ok(i) => assert_eq!(i.name, "dive"),
        Err(e) => assert!(e.to_string().contains("dive-0.10.0.rpm")),
    }
    let e = rpm::header::parse_rpm_file(&read(&syft.join("bad/bad.rpm")), "bad.rpm").unwrap_err();
    assert!(e.to_string().contains("bad.rpm"));
    for db in [
        "var/lib/rpm/Packages",
        "var/lib/rpm/Packages.db",
        "var/lib/rpm/rpmdb.sqlite",
    ] {
        let data = read(&syft.join("glob-paths").join(db));
        match rpm::read_db(db, &data, None) {
            Ok((p, problems)) => assert!(!p.is_empty() || !problems.is_empty() || data.is_empty()),
            Err(e) => assert!(e.to_string().contains(db), "{e}"),
        }
    }
}

#[test]
fn rpm_catalog_in_layers_with_os() {
    let d = shared().join("fixtures-rpmdb");
    let cat = scan(
        layers(vec![
            vec![file(
                "etc/os-release",
                b"ID=\"rocky\"\nVERSION_ID=\"9.3\"\nID_LIKE=\"rhel centos fedora\"\n",
            )],
            vec![file(
                "var/lib/rpm/Packages",
                &read(&d.join("scalibr-bdb-Packages_epoch")),
            )],
        ]),
        &opts(),
    )
    .unwrap();
    assert_eq!(cat.packages.len(), 1);
    let p = &cat.packages[0];
    assert_eq!(p.version, "1:0.0.1-rls");
    assert_eq!(p.layer, Some(1));
    assert_eq!(p.ecosystem.as_deref(), Some("Rocky Linux:9"));
    assert!(
        p.purl.contains("epoch=1") && p.purl.starts_with("pkg:rpm/rocky/"),
        "{}",
        p.purl
    );

    // A corrupt DB is a note naming it, never silently nothing.
    let cat = scan(
        layers(vec![vec![file(
            "var/lib/rpm/rpmdb.sqlite",
            b"SQLite format 3\0garbage",
        )]]),
        &opts(),
    )
    .unwrap();
    assert!(cat.packages.is_empty());
    assert!(
        cat.notes
            .iter()
            .any(|n| n.subject == "var/lib/rpm/rpmdb.sqlite"),
        "{:?}",
        cat.notes
    );
}

/// Build tiny rpms with rpmbuild, install them into a fresh SQLite rpmdb with rpm, and compare
/// our reading with `rpm -qa`.
#[test]
fn rpm_oracle_sqlite_db_built_by_rpm() {
    if !need("rpmbuild") || !need("rpm") {
        return;
    }
    let top = tempfile::tempdir().unwrap();
    let t = top.path();
    for d in ["SPECS", "RPMS", "SOURCES", "BUILD", "SRPMS"] {
        std::fs::create_dir_all(t.join(d)).unwrap();
    }
    let specs = [
        ("skh-hello", "1.0", "1", None, "MIT"),
        ("skh-lib", "2.3.4", "5.el9", Some(1), "GPL-2.0-or-later"),
        ("skh-data", "0.1~rc1", "2", Some(12), "Apache-2.0"),
    ];
    for (n, v, r, e, lic) in specs {
        let mut s = format!(
            "Name: {n}\nVersion: {v}\nRelease: {r}\nSummary: t\nLicense: {lic}\nBuildArch: noarch\n"
        );
        if let Some(e) = e {
            s.push_str(&format!("Epoch: {e}\n"));
        }
        s.push_str(&format!(
            "%description\nt\n%install\nmkdir -p %{{buildroot}}/usr/share/{n}\necho {n} > %{{buildroot}}/usr/share/{n}/README\n%files\n/usr/share/{n}/README\n"
        ));
        std::fs::write(t.join(format!("SPECS/{n}.spec")), s).unwrap();
        let st = Command::new("rpmbuild")
            .args(["--quiet", "--define"])
            .arg(format!("_topdir {}", t.display()))
            .arg("-bb")
            .arg(t.join(format!("SPECS/{n}.spec")))
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "rpmbuild: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let root = t.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let db = [
        "--define",
        "_db_backend sqlite",
        "--define",
        "_dbpath /var/lib/rpm",
    ];
    let st = Command::new("rpm")
        .args(db)
        .arg("--root")
        .arg(&root)
        .arg("--initdb")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let rpms: Vec<PathBuf> = std::fs::read_dir(t.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(rpms.len(), 3);
    // .rpm files themselves: the main header parses.
    for f in &rpms {
        let i = rpm::header::parse_rpm_file(&read(f), &f.display().to_string()).unwrap();
        assert!(i.name.starts_with("skh-"));
    }
    let st = Command::new("rpm")
        .args(db)
        .arg("--root")
        .arg(&root)
        .args(["-i", "--nodeps", "--noscripts", "--ignoreos", "--justdb"])
        .args(&rpms)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let q = Command::new("rpm")
        .args(db)
        .arg("--root")
        .arg(&root)
        .args([
            "-qa",
            "--qf",
            "%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{MODULARITYLABEL}\n",
        ])
        .output()
        .unwrap();
    let want: BTreeSet<Vec<String>> = String::from_utf8_lossy(&q.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    assert_eq!(want.len(), 3);
    let dbfile = root.join("var/lib/rpm/rpmdb.sqlite");
    let wal = std::fs::read(root.join("var/lib/rpm/rpmdb.sqlite-wal")).ok();
    let (pkgs, problems) = rpm::read_db("rpmdb.sqlite", &read(&dbfile), wal.as_deref()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows(&pkgs), want);
    let lib = pkgs.iter().find(|p| p.name == "skh-lib").unwrap();
    assert_eq!(lib.evr(), "1:2.3.4-5.el9");
    assert_eq!(lib.license.as_deref(), Some("GPL-2.0-or-later"));
    assert_eq!(lib.files, vec!["usr/share/skh-lib/README"]);

    // The whole root through the driver.
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"almalinux\"\nVERSION_ID=\"9.4\"\n",
    )
    .unwrap();
    let cat = scan(vec![Box::new(DirLayer::new(&root).unwrap())], &opts()).unwrap();
    let got: BTreeSet<String> = cat.packages.iter().map(|p| p.version.clone()).collect();
    assert_eq!(
        got,
        BTreeSet::from([
            "1.0-1".into(),
            "1:2.3.4-5.el9".into(),
            "12:0.1~rc1-2".into()
        ])
    );
    assert!(
        cat.packages
            .iter()
            .all(|p| p.ecosystem.as_deref() == Some("AlmaLinux:9"))
    );
}
