//! End-to-end scans, part 2: a Go binary built by Debian's toolchain plus a Go binary with crafted
//! build info (standard library and module advisories), an AlmaLinux 9 rpm database written by
//! rpm itself (epochs, binary names, a non-security erratum), and a Debian dpkg status matched
//! against advisories converted from real security-tracker JSON. The DB of each test is imported
//! from a handful of real record files in `../shared/data` (plus records marked SYNTHETIC where
//! the shared data has none), so the expected set is small and every expectation is derived by
//! hand from the records (one comment each). Each test also checks that `sekisho db query` lists
//! the same advisories as the scan for one package.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{
    have_tool, import, require, scan_json, sekisho, shared_data, test_inputs, write,
};

/// One finding as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct F {
    /// Package name and version as catalogued.
    pkg: String,
    version: String,
    /// Finding ID (the CVE when the records name one) and the advisories merged into it.
    id: String,
    advisories: Vec<String>,
    fixed: String,
    status: String,
}

fn f(pkg: &str, version: &str, id: &str, advisories: &[&str], fixed: &str, status: &str) -> F {
    F {
        pkg: pkg.into(),
        version: version.into(),
        id: id.into(),
        advisories: advisories.iter().map(|a| (*a).to_string()).collect(),
        fixed: fixed.into(),
        status: status.into(),
    }
}

fn to_f(pkgs: &[Value], finding: &Value) -> F {
    let p = &pkgs[finding["package"].as_u64().unwrap() as usize];
    F {
        pkg: p["name"].as_str().unwrap().into(),
        version: p["version"].as_str().unwrap().into(),
        id: finding["id"].as_str().unwrap().into(),
        advisories: finding["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
        fixed: finding["fixed_version"].as_str().unwrap_or("").into(),
        status: finding["status"].as_str().unwrap().into(),
    }
}

/// Every shown finding of every target, sorted.
fn shown(v: &Value) -> Vec<F> {
    let mut out = Vec::new();
    for t in v["targets"].as_array().unwrap() {
        let pkgs = t["packages"].as_array().unwrap();
        for x in t["findings"].as_array().unwrap() {
            out.push(to_f(pkgs, x));
        }
    }
    out.sort();
    out
}

/// Every finding not shown, with the kind of reason, sorted.
fn hidden(v: &Value) -> Vec<(F, String)> {
    let mut out = Vec::new();
    for t in v["targets"].as_array().unwrap() {
        let pkgs = t["packages"].as_array().unwrap();
        for s in t["suppressed"].as_array().unwrap() {
            out.push((
                to_f(pkgs, &s["finding"]),
                s["reason"]["kind"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// (name, version) → (kind, ecosystem, locations) of every catalogued package.
fn packages(v: &Value) -> BTreeMap<(String, String), (String, String, Vec<String>)> {
    let mut out = BTreeMap::new();
    for t in v["targets"].as_array().unwrap() {
        for p in t["packages"].as_array().unwrap() {
            out.insert(
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                ),
                (
                    p["kind"].as_str().unwrap().to_string(),
                    p["ecosystem"].as_str().unwrap_or("").to_string(),
                    p["locations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| l.as_str().unwrap().to_string())
                        .collect(),
                ),
            );
        }
    }
    out
}

/// Advisory IDs the scan found (shown or not) for one package and version, sorted.
fn scan_advisories(v: &Value, pkg: &str, version: &str) -> Vec<String> {
    let mut ids: Vec<String> = shown(v)
        .into_iter()
        .chain(hidden(v).into_iter().map(|(f, _)| f))
        .filter(|f| f.pkg == pkg && f.version == version)
        .flat_map(|f| f.advisories)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Advisory IDs `sekisho db query ECOSYSTEM NAME VERSION --format json` lists, sorted.
fn query_ids(db: &Path, ecosystem: &str, name: &str, version: &str) -> Vec<String> {
    let out = sekisho()
        .args([
            "db", "query", ecosystem, name, version, "--format", "json", "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "db query {ecosystem} {name} {version}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<String> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `db query` lists exactly `want`, and the scan found the same advisories (shown or hidden)
/// for the package `pkg` at `version`.
fn assert_query_agrees(
    db: &Path,
    scan: &Value,
    ecosystem: &str,
    name: &str,
    pkg: &str,
    version: &str,
    want: &[&str],
) {
    let q = query_ids(db, ecosystem, name, version);
    assert_eq!(q, want, "db query {ecosystem} {name} {version}");
    assert_eq!(
        scan_advisories(scan, pkg, version),
        q,
        "scan vs db query for {pkg} {version}"
    );
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn run_ok(c: &mut Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Go

/// SYNTHETIC records (written for this test, not real advisories) in the shape of golang/vulndb's
/// OSV: the fixture program's modules are `example.com/…`, which no real advisory names.
fn synthetic_go(dir: &Path) -> PathBuf {
    let d = dir.join("synthetic-go");
    fs::create_dir_all(&d).unwrap();
    let rec = |id: &str, module: &str, events: &str| {
        format!(
            r#"{{"schema_version":"1.3.1","id":"{id}","modified":"2026-01-01T00:00:00Z",
              "summary":"SYNTHETIC test record for {module}",
              "affected":[{{"package":{{"ecosystem":"Go","name":"{module}"}},
                "ranges":[{{"type":"SEMVER","events":{events}}}]}}]}}"#
        )
    };
    for (id, module, events) in [
        (
            "GO-2099-0001",
            "example.com/greet",
            r#"[{"introduced":"0"},{"fixed":"1.4.1"}]"#,
        ),
        (
            "GO-2099-0002",
            "example.com/greet",
            r#"[{"introduced":"1.5.0"},{"fixed":"1.5.2"}]"#,
        ),
        (
            "GO-2099-0003",
            "example.com/color",
            r#"[{"introduced":"0"},{"fixed":"1.0.1"}]"#,
        ),
        (
            "GO-2099-0004",
            "example.com/newcolor",
            r#"[{"introduced":"1.1.0"},{"last_affected":"1.1.0"}]"#,
        ),
    ] {
        fs::write(d.join(format!("{id}.json")), rec(id, module, events)).unwrap();
    }
    d
}

/// Go 1.18+ inline build info as the linker writes it at the start of `.go.buildinfo`: the
/// 32-byte header (magic, pointer size, flags = little endian | inline strings), then the
/// version and the module info (framed by the linker's 16-byte sentinels), each prefixed by its
/// uvarint length.
fn go_buildinfo(version: &str, modinfo: &str) -> Vec<u8> {
    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
    fn uvarint(out: &mut Vec<u8>, mut n: usize) {
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let mut b = b"\xff Go buildinf:".to_vec();
    b.extend_from_slice(&[8, 2]);
    b.extend_from_slice(&[0; 16]);
    uvarint(&mut b, version.len());
    b.extend_from_slice(version.as_bytes());
    let m = [START.as_slice(), modinfo.as_bytes(), END.as_slice()].concat();
    uvarint(&mut b, m.len());
    b.extend_from_slice(&m);
    b
}

/// A Go program built by Debian 12's go1.19.8 from the vendored fixture (modules
/// example.com/greet v1.4.0 and example.com/color v1.0.0 replaced by example.com/newcolor
/// v1.1.0), and an ELF whose `.go.buildinfo` section claims go1.20.1 and the real module
/// golang.org/x/text v0.3.5. Both checked against real golang/vulndb records for `stdlib` and
/// golang.org/x/text, and SYNTHETIC records for the example.com modules.
#[test]
fn go_binaries_stdlib_and_module_advisories() {
    let inputs = test_inputs("catalog-lang").join("go");
    let goapp = inputs.join("goapp");
    if !require(
        goapp.is_file(),
        &format!(
            "{} (.ci/setup.d/catalog-lang.sh builds it)",
            goapp.display()
        ),
    ) {
        return;
    }
    if !have_tool("objcopy") {
        return;
    }
    // The stdlib expectations below are derived for the exact toolchain that built goapp.
    let built_with = fs::read_to_string(inputs.join("version.txt")).unwrap();
    assert!(
        built_with.starts_with("go version go1.19.8 "),
        "goapp was built with {built_with:?}; the expectations of this test are for Debian 12 \
         bookworm's golang-go (go1.19.8). Rebuild target/test-inputs/catalog-lang on Debian 12 \
         (rm target/test-inputs/catalog-lang/.done-v1; ./.ci/setup) or re-derive them."
    );

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    fs::copy(&goapp, root.join("usr/local/bin/goapp")).unwrap();

    // The crafted binary: /bin/true with a .go.buildinfo section (as catalog-lang.sh adds
    // .dep-v0). The main module is a devel build (not reported); the one dependency is real.
    let blob = dir.path().join("buildinfo.bin");
    fs::write(
        &blob,
        go_buildinfo(
            "go1.20.1",
            "path\texample.com/crafted\n\
             mod\texample.com/crafted\t(devel)\t\n\
             dep\tgolang.org/x/text\tv0.3.5\th1:i6eZZ+zk0SOf0xgBpEpPD18qWcJda6q1sxt3S0kzyUQ=\n\
             build\t-compiler=gc\n\
             build\tGOOS=linux\n",
        ),
    )
    .unwrap();
    let crafted = root.join("usr/local/bin/crafted");
    run_ok(
        Command::new("objcopy")
            .arg(format!("--add-section=.go.buildinfo={}", blob.display()))
            .args(["--set-section-flags", ".go.buildinfo=noload,readonly"])
            .arg(on_path("true").expect("true on PATH"))
            .arg(&crafted),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&crafted, fs::Permissions::from_mode(0o755)).unwrap();
    }

    let data = shared_data().join("osv-go-vulndb");
    let db = dir.path().join("db.sqlite");
    let mut files: Vec<PathBuf> = [
        // stdlib
        "GO-2023-1751",
        "GO-2023-1702",
        "GO-2023-2375",
        "GO-2023-1569",
        "GO-2022-0988",
        "GO-2023-2044",
        // golang.org/x/text: every record of the module
        "GO-2020-0015",
        "GO-2021-0113",
        "GO-2022-1059",
        "GO-2026-5970",
    ]
    .iter()
    .map(|id| data.join(format!("{id}.json")))
    .collect();
    files.push(synthetic_go(dir.path()));
    import(&db, &files);

    let (code, v) = scan_json(&["rootfs", root.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");

    // The catalog really finds both binaries: stdlib at each toolchain version, the modules
    // (the replacement, not the replaced module), each located in its binary.
    let pk = packages(&v);
    let loc = |n: &str, ver: &str| {
        pk.get(&(n.to_string(), ver.to_string()))
            .unwrap_or_else(|| panic!("{n} {ver} not catalogued: {pk:#?}"))
            .clone()
    };
    let goapp_loc = vec!["usr/local/bin/goapp".to_string()];
    let crafted_loc = vec!["usr/local/bin/crafted".to_string()];
    assert_eq!(
        loc("stdlib", "1.19.8"),
        ("go-stdlib".into(), "Go".into(), goapp_loc.clone())
    );
    assert_eq!(
        loc("example.com/greet", "v1.4.0"),
        ("go".into(), "Go".into(), goapp_loc.clone())
    );
    assert_eq!(
        loc("example.com/newcolor", "v1.1.0"),
        ("go".into(), "Go".into(), goapp_loc)
    );
    assert_eq!(
        loc("stdlib", "1.20.1"),
        ("go-stdlib".into(), "Go".into(), crafted_loc.clone())
    );
    assert_eq!(
        loc("golang.org/x/text", "v0.3.5"),
        ("go".into(), "Go".into(), crafted_loc)
    );
    assert_eq!(pk.len(), 5, "{pk:#?}");

    // Finding IDs are the CVE aliases of the GO- records (the SYNTHETIC ones have none).
    let want = vec![
        // SYNTHETIC GO-2099-0001: example.com/greet < 1.4.1, fixed 1.4.1.
        // Not GO-2099-0002: introduced 1.5.0 is above v1.4.0.
        f(
            "example.com/greet",
            "v1.4.0",
            "GO-2099-0001",
            &["GO-2099-0001"],
            "1.4.1",
            "fixed",
        ),
        // SYNTHETIC GO-2099-0004: exactly 1.1.0 (last_affected), no fix → affected. Not
        // GO-2099-0003: it names example.com/color, which the binary replaced.
        f(
            "example.com/newcolor",
            "v1.1.0",
            "GO-2099-0004",
            &["GO-2099-0004"],
            "",
            "affected",
        ),
        // GO-2021-0113 (CVE-2021-38561): introduced 0, fixed 0.3.7.
        f(
            "golang.org/x/text",
            "v0.3.5",
            "CVE-2021-38561",
            &["GO-2021-0113"],
            "0.3.7",
            "fixed",
        ),
        // GO-2022-1059 (CVE-2022-32149): introduced 0, fixed 0.3.8.
        f(
            "golang.org/x/text",
            "v0.3.5",
            "CVE-2022-32149",
            &["GO-2022-1059"],
            "0.3.8",
            "fixed",
        ),
        // GO-2026-5970 (CVE-2026-56852): introduced 0, fixed 0.39.0.
        // Not GO-2020-0015: fixed 0.3.3 ≤ 0.3.5.
        f(
            "golang.org/x/text",
            "v0.3.5",
            "CVE-2026-56852",
            &["GO-2026-5970"],
            "0.39.0",
            "fixed",
        ),
        // goapp, go1.19.8:
        // GO-2023-1751 (CVE-2023-24539): [0, 1.19.9) ∪ [1.20.0-0, 1.20.4) holds 1.19.8; the
        // fix of its branch is 1.19.9.
        f(
            "stdlib",
            "1.19.8",
            "CVE-2023-24539",
            &["GO-2023-1751"],
            "1.19.9",
            "fixed",
        ),
        // GO-2023-2375 (CVE-2023-45287): [0, 1.20.0) holds 1.19.8.
        // Not GO-2023-1702: [0, 1.19.8) ∪ [1.20.0-0, 1.20.3), 1.19.8 is its fix.
        // Not GO-2023-1569 ([0, 1.19.6) ∪ [1.20.0-0, 1.20.1)), GO-2022-0988
        // ([1.19.0-0, 1.19.1)), GO-2023-2044 ([1.21.0-0, 1.21.1)).
        f(
            "stdlib",
            "1.19.8",
            "CVE-2023-45287",
            &["GO-2023-2375"],
            "1.20.0",
            "fixed",
        ),
        // crafted, go1.20.1:
        // GO-2023-1702 (CVE-2023-24537): [1.20.0-0, 1.20.3) holds 1.20.1, fixed 1.20.3.
        f(
            "stdlib",
            "1.20.1",
            "CVE-2023-24537",
            &["GO-2023-1702"],
            "1.20.3",
            "fixed",
        ),
        // GO-2023-1751: [1.20.0-0, 1.20.4) holds 1.20.1, fixed 1.20.4.
        // Not GO-2023-2375 (fixed 1.20.0), GO-2023-1569 (1.20.1 is the fix of its 1.20
        // branch), GO-2022-0988, GO-2023-2044.
        f(
            "stdlib",
            "1.20.1",
            "CVE-2023-24539",
            &["GO-2023-1751"],
            "1.20.4",
            "fixed",
        ),
    ];
    assert_eq!(shown(&v), want);
    assert!(hidden(&v).is_empty(), "{:#?}", hidden(&v));

    // db query agrees with the scan: stdlib at the toolchain version, and the real module (the
    // query takes the version with or without Go's `v`).
    assert_query_agrees(
        &db,
        &v,
        "Go",
        "stdlib",
        "stdlib",
        "1.19.8",
        &["GO-2023-1751", "GO-2023-2375"],
    );
    assert_query_agrees(
        &db,
        &v,
        "Go",
        "stdlib",
        "stdlib",
        "1.20.1",
        &["GO-2023-1702", "GO-2023-1751"],
    );
    assert_query_agrees(
        &db,
        &v,
        "Go",
        "golang.org/x/text",
        "golang.org/x/text",
        "v0.3.5",
        &["GO-2021-0113", "GO-2022-1059", "GO-2026-5970"],
    );
    assert_eq!(
        query_ids(&db, "Go", "golang.org/x/text", "0.3.5"),
        query_ids(&db, "Go", "golang.org/x/text", "v0.3.5")
    );
}

// ---------------------------------------------------------------------------------------------
// AlmaLinux

/// Build noarch rpms with rpmbuild. `(source name, epoch, version, release, binary packages)`:
/// each binary is the main package when it equals the source name, a `%package -n` otherwise,
/// so binary names can differ from the source rpm's.
type Spec<'a> = (&'a str, Option<u32>, &'a str, &'a str, &'a [&'a str]);

fn build_rpms(top: &Path, specs: &[Spec<'_>]) -> Vec<PathBuf> {
    for d in ["SPECS", "RPMS", "SOURCES", "BUILD", "SRPMS"] {
        fs::create_dir_all(top.join(d)).unwrap();
    }
    for (name, epoch, version, release, bins) in specs {
        let mut s = format!(
            "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: t\nLicense: MIT\nBuildArch: noarch\n"
        );
        if let Some(e) = epoch {
            s.push_str(&format!("Epoch: {e}\n"));
        }
        s.push_str("%description\nt\n");
        let sel = |b: &str| {
            if b == *name {
                String::new()
            } else {
                format!(" -n {b}")
            }
        };
        for b in bins.iter().filter(|b| *b != name) {
            s.push_str(&format!(
                "%package -n {b}\nSummary: t\n%description -n {b}\nt\n"
            ));
        }
        s.push_str("%install\n");
        for b in *bins {
            s.push_str(&format!(
                "mkdir -p %{{buildroot}}/usr/share/{b}\necho x > %{{buildroot}}/usr/share/{b}/README\n"
            ));
        }
        for b in *bins {
            s.push_str(&format!("%files{}\n/usr/share/{b}/README\n", sel(b)));
        }
        let spec = top.join(format!("SPECS/{name}.spec"));
        fs::write(&spec, s).unwrap();
        run_ok(
            Command::new("rpmbuild")
                .args(["--quiet", "--define"])
                .arg(format!("_topdir {}", top.display()))
                .arg("-bb")
                .arg(&spec),
        );
    }
    let mut rpms: Vec<PathBuf> = fs::read_dir(top.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rpms.sort();
    rpms
}

/// An AlmaLinux 9 root whose rpmdb (rpm 4.18's rpmdb.sqlite, written by rpm) lists vim binaries
/// at versions around two ALSA fixes that carry epoch 2, tar, and qatzip-libs older than a
/// non-security (ALBA) erratum. Checked against real AlmaLinux OSV records.
#[test]
fn almalinux_rpmdb_epochs_binary_names_and_errata() {
    if !have_tool("rpmbuild") || !have_tool("rpm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rpms = build_rpms(
        &dir.path().join("rpmbuild"),
        &[
            // Source rpm `vim`, binary `vim-minimal` only: advisories name binaries.
            ("vim", Some(2), "8.2.2637", "16.el9_0.3", &["vim-minimal"]),
            // Same epoch as the fixes, exactly the first fix.
            (
                "vim-enhanced",
                Some(2),
                "8.2.2637",
                "20.el9_1",
                &["vim-enhanced"],
            ),
            // Numerically higher than the fixes, but epoch 1 < 2.
            ("vim-common", Some(1), "9.0.2153", "1.el9", &["vim-common"]),
            // No epoch at all (= 0), numerically higher.
            ("vim-X11", None, "9.1.0", "1.el9", &["vim-X11"]),
            // Same epoch, newer than both fixes.
            (
                "vim-filesystem",
                Some(2),
                "8.2.2637",
                "22.el9_6",
                &["vim-filesystem"],
            ),
            // Source `tar`: binary `tar` (named by the advisory) and `tar-extras` (not named).
            ("tar", Some(2), "1.34", "5.el9", &["tar", "tar-extras"]),
            // Older than the ALBA (bug fix) erratum's version.
            ("qatzip", None, "1.0.8", "1.el9", &["qatzip-libs"]),
        ],
    );
    assert_eq!(rpms.len(), 8, "{rpms:?}");
    let root = dir.path().join("root");
    write(
        &root,
        "etc/os-release",
        "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"AlmaLinux 9.3 (Shamrock Pampas Cat)\"\n",
    );
    let dbpath = root.join("var/lib/rpm");
    fs::create_dir_all(&dbpath).unwrap();
    run_ok(
        Command::new("rpm")
            .args(["--define", "_db_backend sqlite", "--dbpath"])
            .arg(&dbpath)
            .arg("--initdb"),
    );
    run_ok(
        Command::new("rpm")
            .args(["--define", "_db_backend sqlite", "--dbpath"])
            .arg(&dbpath)
            .args(["-i", "--justdb", "--nodeps", "--noscripts", "--ignoreos"])
            .args(&rpms),
    );
    assert!(dbpath.join("rpmdb.sqlite").is_file());

    let alma = shared_data().join("osv-almalinux/almalinux9");
    let db = dir.path().join("db.sqlite");
    import(
        &db,
        &[
            alma.join("ALSA-2023:0958.json"),
            alma.join("ALSA-2024:9405.json"),
            alma.join("ALSA-2023:0959.json"),
            alma.join("ALBA-2022:8256.json"),
        ],
    );
    let (code, v) = scan_json(&["rootfs", root.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        v["targets"][0]["os"]["osv_ecosystem"], "AlmaLinux:9",
        "{v:#}"
    );

    // What rpm wrote is what was catalogued: 8 binary rpms, EVR with the epoch when non-zero,
    // source rpm recorded.
    let pk = packages(&v);
    assert_eq!(pk.len(), 8, "{pk:#?}");
    for (n, evr) in [
        ("vim-minimal", "2:8.2.2637-16.el9_0.3"),
        ("vim-enhanced", "2:8.2.2637-20.el9_1"),
        ("vim-common", "1:9.0.2153-1.el9"),
        ("vim-X11", "9.1.0-1.el9"),
        ("vim-filesystem", "2:8.2.2637-22.el9_6"),
        ("tar", "2:1.34-5.el9"),
        ("tar-extras", "2:1.34-5.el9"),
        ("qatzip-libs", "1.0.8-1.el9"),
    ] {
        let (kind, eco, _) = pk
            .get(&(n.to_string(), evr.to_string()))
            .unwrap_or_else(|| panic!("{n} {evr} not catalogued: {pk:#?}"));
        assert_eq!((kind.as_str(), eco.as_str()), ("rpm", "AlmaLinux:9"), "{n}");
    }
    let src_of = |n: &str| -> Value {
        v["targets"][0]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()["source"]["name"]
            .clone()
    };
    assert_eq!(src_of("vim-minimal"), "vim");
    assert_eq!(src_of("tar-extras"), "tar");

    // AlmaLinux records carry no CVE aliases (CVEs are in `related`), so the finding ID is the
    // ALSA ID. ALSA-2023:0958 fixes vim-* at 2:8.2.2637-20.el9_1, ALSA-2024:9405 at
    // 2:8.2.2637-21.el9 (both name vim-X11, vim-common, vim-enhanced, vim-filesystem,
    // vim-minimal); ALSA-2023:0959 fixes tar at 2:1.34-6.el9_1.
    let a0958 = |p: &str, ver: &str| {
        f(
            p,
            ver,
            "ALSA-2023:0958",
            &["ALSA-2023:0958"],
            "2:8.2.2637-20.el9_1",
            "fixed",
        )
    };
    let a9405 = |p: &str, ver: &str| {
        f(
            p,
            ver,
            "ALSA-2024:9405",
            &["ALSA-2024:9405"],
            "2:8.2.2637-21.el9",
            "fixed",
        )
    };
    let want = vec![
        // tar 2:1.34-5.el9 < 2:1.34-6.el9_1 (same epoch, older release).
        // tar-extras (same source rpm `tar`, same EVR): no finding, the record does not name
        // that binary (RPM advisories are matched by binary package name).
        f(
            "tar",
            "2:1.34-5.el9",
            "ALSA-2023:0959",
            &["ALSA-2023:0959"],
            "2:1.34-6.el9_1",
            "fixed",
        ),
        // vim-X11 9.1.0-1.el9: no epoch = epoch 0 < 2, vulnerable to both although 9.1.0 >
        // 8.2.2637.
        a0958("vim-X11", "9.1.0-1.el9"),
        a9405("vim-X11", "9.1.0-1.el9"),
        // vim-common 1:9.0.2153-1.el9: epoch 1 < 2, vulnerable to both.
        a0958("vim-common", "1:9.0.2153-1.el9"),
        a9405("vim-common", "1:9.0.2153-1.el9"),
        // vim-enhanced 2:8.2.2637-20.el9_1 is ALSA-2023:0958's fix exactly: only ALSA-2024:9405.
        a9405("vim-enhanced", "2:8.2.2637-20.el9_1"),
        // vim-minimal 2:8.2.2637-16.el9_0.3: same epoch, older than both fixes. Its source rpm
        // is `vim`, which no record names.
        a0958("vim-minimal", "2:8.2.2637-16.el9_0.3"),
        a9405("vim-minimal", "2:8.2.2637-16.el9_0.3"),
        // vim-filesystem 2:8.2.2637-22.el9_6 is newer than both fixes: nothing.
        // qatzip-libs 1.0.8-1.el9 is below ALBA-2022:8256's 1.0.9-1.el9, but a bug-fix erratum
        // is not a vulnerability: nothing, shown or hidden.
    ];
    assert_eq!(shown(&v), want);
    assert!(hidden(&v).is_empty(), "{:#?}", hidden(&v));
    for fi in v["targets"][0]["findings"].as_array().unwrap() {
        assert_eq!(fi["ecosystem"], "AlmaLinux:9");
        let p = &v["targets"][0]["packages"][fi["package"].as_u64().unwrap() as usize];
        assert_eq!(fi["matched_name"], p["name"], "matched by binary name");
    }

    // db query agrees with the scan, epochs included; the ALBA erratum is not listed either.
    assert_query_agrees(
        &db,
        &v,
        "AlmaLinux:9",
        "vim-common",
        "vim-common",
        "1:9.0.2153-1.el9",
        &["ALSA-2023:0958", "ALSA-2024:9405"],
    );
    assert_query_agrees(
        &db,
        &v,
        "AlmaLinux:9",
        "vim-enhanced",
        "vim-enhanced",
        "2:8.2.2637-20.el9_1",
        &["ALSA-2024:9405"],
    );
    assert_query_agrees(
        &db,
        &v,
        "AlmaLinux:9",
        "qatzip-libs",
        "qatzip-libs",
        "1.0.8-1.el9",
        &[],
    );
    assert_query_agrees(
        &db,
        &v,
        "AlmaLinux:9",
        "vim-filesystem",
        "vim-filesystem",
        "2:8.2.2637-22.el9_6",
        &[],
    );
}

// ---------------------------------------------------------------------------------------------
// Debian

fn dpkg_status(root: &Path, pkgs: &[(&str, &str, &str)]) {
    let mut status = String::new();
    for (pkg, src, ver) in pkgs {
        let src = if src.is_empty() {
            String::new()
        } else {
            format!("Source: {src}\n")
        };
        status += &format!(
            "Package: {pkg}\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: 1\nMaintainer: t <t@example.invalid>\nArchitecture: amd64\n{src}Version: {ver}\nDescription: test\n\n"
        );
    }
    write(root, "var/lib/dpkg/status", &status);
}

/// Debian 12 and Debian 10 roots whose dpkg status names binary packages (source names and
/// versions differ), matched against DEBIAN-CVE records converted at import from two REAL
/// security-tracker JSON fixtures (anchore/vunnel's and osv.dev's).
#[test]
fn debian_status_against_converted_security_tracker() {
    let dir = tempfile::tempdir().unwrap();
    let data = shared_data();
    let db = dir.path().join("db.sqlite");
    import(
        &db,
        &[
            data.join("feeds-vunnel-fixtures/debian/test-fixtures/input/debian.json"),
            data.join(
                "osv-dev-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json",
            ),
        ],
    );

    // --- bookworm
    let b12 = dir.path().join("bookworm");
    write(
        &b12,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    );
    write(&b12, "etc/debian_version", "12.5\n");
    dpkg_status(
        &b12,
        &[
            // binNMU of source sope 5.8.0-1.
            ("libsope1", "sope (5.8.0-1)", "5.8.0-1+b1"),
            // Binary of source chromium, older than the bookworm fix.
            ("chromium-common", "chromium", "97.0.4692.99-1"),
            // Source chromium itself, newer than the bookworm fix.
            ("chromium", "", "98.0.4758.102-1"),
            // Binary of source apparmor at bookworm's version.
            ("libapparmor1", "apparmor", "3.0.8-3"),
            // Source prototypejs: the tracker lists stretch/jessie/buster only.
            ("libjs-prototype", "prototypejs", "1.7.1-3"),
            // Older than the stretch/jessie/buster fix 1.5.5-4.1, but no bookworm entry.
            ("txt2man", "", "1.5.5-4"),
        ],
    );
    let (code, v) = scan_json(&["rootfs", b12.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");
    // Finding IDs are the CVEs (`upstream` of the DEBIAN-CVE records).
    let want = vec![
        // chromium CVE-2022-0456, bookworm: resolved, fixed_version 98.0.4758.80-1 →
        // [0, 98.0.4758.80-1); 97.0.4692.99-1 is inside. chromium 98.0.4758.102-1 is not.
        f(
            "chromium-common",
            "97.0.4692.99-1",
            "CVE-2022-0456",
            &["DEBIAN-CVE-2022-0456"],
            "98.0.4758.80-1",
            "fixed",
        ),
        // sope CVE-2025-53603, bookworm: resolved, fixed 5.8.0-1+deb12u1; matched by the
        // source name and the source version 5.8.0-1 (not the binNMU version).
        f(
            "libsope1",
            "5.8.0-1+b1",
            "CVE-2025-53603",
            &["DEBIAN-CVE-2025-53603"],
            "5.8.0-1+deb12u1",
            "fixed",
        ),
        // apparmor: CVE-2017-6507 is fixed in 2.11.0-3 < 3.0.8-3; CVE-2014-1424 is resolved
        // with fixed_version "0" (never affected); CVE-2016-1585 is open + unimportant →
        // will_not_fix, hidden (below). prototypejs, txt2man: no bookworm entries.
    ];
    assert_eq!(shown(&v), want);
    // apparmor CVE-2016-1585, bookworm: status open, urgency unimportant → no fixed event,
    // status will_not_fix, hidden by default.
    let wnf = f(
        "libapparmor1",
        "3.0.8-3",
        "CVE-2016-1585",
        &["DEBIAN-CVE-2016-1585"],
        "",
        "will_not_fix",
    );
    assert_eq!(hidden(&v), vec![(wnf.clone(), "status".to_string())]);
    let sope = v["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "CVE-2025-53603")
        .unwrap();
    assert_eq!(
        (
            &sope["matched_name"],
            &sope["matched_version"],
            &sope["ecosystem"]
        ),
        (
            &Value::from("sope"),
            &Value::from("5.8.0-1"),
            &Value::from("Debian:12")
        )
    );
    // --show-all-statuses shows it.
    let (_, all) = scan_json(
        &["rootfs", b12.to_str().unwrap(), "--show-all-statuses"],
        &db,
    );
    let mut want_all = want.clone();
    want_all.push(wnf);
    want_all.sort();
    assert_eq!(shown(&all), want_all);
    assert!(hidden(&all).is_empty());
    // db query (source name, source version) agrees with the scan, hidden findings included.
    assert_query_agrees(
        &db,
        &v,
        "Debian:12",
        "sope",
        "libsope1",
        "5.8.0-1+b1",
        &["DEBIAN-CVE-2025-53603"],
    );
    assert_eq!(
        query_ids(&db, "Debian:12", "sope", "5.8.0-1"),
        ["DEBIAN-CVE-2025-53603"]
    );
    assert_eq!(
        query_ids(&db, "Debian:12", "apparmor", "3.0.8-3"),
        scan_advisories(&v, "libapparmor1", "3.0.8-3")
    );
    assert_eq!(
        query_ids(&db, "Debian:12", "apparmor", "3.0.8-3"),
        ["DEBIAN-CVE-2016-1585"]
    );

    // --- buster: the fixtures' only open entry with a real urgency is chromium in an
    // end-of-life release; txt2man has a buster fix.
    let b10 = dir.path().join("buster");
    write(
        &b10,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\nID=debian\n",
    );
    write(&b10, "etc/debian_version", "10.13\n");
    dpkg_status(
        &b10,
        &[
            ("chromium", "", "89.0.4389.114-1~deb10u1"),
            ("libapparmor1", "apparmor", "2.13.2-10"),
            ("txt2man", "", "1.5.5-4"),
            ("libjs-prototype", "prototypejs", "1.7.1-3"),
        ],
    );
    let (code, v) = scan_json(&["rootfs", b10.to_str().unwrap()], &db);
    assert_eq!(code, 0, "{v:#}");
    // txt2man CVE-2013-1444, buster: resolved, fixed 1.5.5-4.1 > 1.5.5-4; urgency "low**"
    // (NVD-derived, `**`) rates it LOW.
    // prototypejs CVE-2008-7220: fixed 1.6.0.2-1 < 1.7.1-3; CVE-2007-2383: fixed "0".
    let txt = f(
        "txt2man",
        "1.5.5-4",
        "CVE-2013-1444",
        &["DEBIAN-CVE-2013-1444"],
        "1.5.5-4.1",
        "fixed",
    );
    assert_eq!(shown(&v), vec![txt.clone()]);
    assert_eq!(v["targets"][0]["findings"][0]["severity"], "LOW");
    // chromium CVE-2022-0456, buster: status open, urgency end-of-life → unfixed, status
    // end_of_life; apparmor CVE-2016-1585, buster: open + unimportant → will_not_fix. Both
    // hidden by default.
    let eol = f(
        "chromium",
        "89.0.4389.114-1~deb10u1",
        "CVE-2022-0456",
        &["DEBIAN-CVE-2022-0456"],
        "",
        "end_of_life",
    );
    let wnf10 = f(
        "libapparmor1",
        "2.13.2-10",
        "CVE-2016-1585",
        &["DEBIAN-CVE-2016-1585"],
        "",
        "will_not_fix",
    );
    assert_eq!(
        hidden(&v),
        vec![
            (eol.clone(), "status".to_string()),
            (wnf10.clone(), "status".to_string())
        ]
    );
    let (_, all) = scan_json(
        &["rootfs", b10.to_str().unwrap(), "--show-all-statuses"],
        &db,
    );
    assert_eq!(shown(&all), vec![eol, wnf10, txt]);
    assert_query_agrees(
        &db,
        &v,
        "Debian:10",
        "chromium",
        "chromium",
        "89.0.4389.114-1~deb10u1",
        &["DEBIAN-CVE-2022-0456"],
    );
}
