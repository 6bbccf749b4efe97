//! `sekisho vm DISK` and `sekisho sbom vm DISK` through the real binary, on small disks built here
//! from a tiny Debian 12 root filesystem (the real dpkg status of `../shared/data`, 189 packages,
//! plus an old `requests` dist-info) with Debian's tools only: sfdisk, mkfs.ext4 -d, mkfs.xfs -p
//! (protofile from `../shared/bench/mkproto.py`), mkfs.vfat, mkswap and qemu-img. Nothing is
//! mounted, no loop device is used and no privilege is needed (checked as `nobody` when the tests
//! run as root).
//!
//! In CI (env CI set) a missing tool fails the test; locally the test is skipped with a message.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util::{require, sekisho, shared_data, workspace};

const MIB: u64 = 1 << 20;
const ESP: &str = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const SWAP: &str = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";
const ROOT_X86_64: &str = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
const LINUX_DATA: &str = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
/// dpkg status of the fixture (189) plus `requests`.
const PACKAGES: usize = 190;

// ---------------------------------------------------------------------------------------------
// Building disks

/// PATH with the sbin directories (mkfs.*, sfdisk and mkswap live there).
fn sbin_path() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:/usr/sbin:/sbin")
}

/// Whether every tool is installed: in CI a missing one fails, elsewhere the test is skipped.
fn tools_ok(tools: &[&str]) -> bool {
    let sbin = sbin_path();
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| !std::env::split_paths(&sbin).any(|d| d.join(t).is_file()))
        .collect();
    require(
        missing.is_empty(),
        &format!("{missing:?} (see .ci/apt-packages.txt)"),
    )
}

const TOOLS: &[&str] = &["sfdisk", "mkfs.ext4", "mkfs.vfat", "mkswap", "qemu-img"];

fn tool(name: &str) -> Command {
    let mut c = Command::new(name);
    c.env("PATH", sbin_path());
    c
}

fn ok(c: &mut Command) {
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(
        out.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// A tiny Debian 12 root: os-release (`etc/os-release` a relative symlink, as on Debian), the
/// real dpkg status of a debootstrapped bookworm, a copyright file and an old `requests`.
fn rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    let fx = shared_data().join("fixtures-debian12-local");
    write(
        &root,
        "usr/lib/os-release",
        &fs::read(fx.join("etc_os-release")).unwrap(),
    );
    write(
        &root,
        "etc/debian_version",
        &fs::read(fx.join("etc_debian_version")).unwrap(),
    );
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    write(
        &root,
        "var/lib/dpkg/status",
        &fs::read(fx.join("var_lib_dpkg_status")).unwrap(),
    );
    write(
        &root,
        "usr/share/doc/zlib1g/copyright",
        b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1995-2022 Jean-loup Gailly and Mark Adler\nLicense: Zlib\n",
    );
    write(
        &root,
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\nLicense: Apache 2.0\n\n",
    );
    write(
        &root,
        "usr/lib/python3/dist-packages/requests/__init__.py",
        b"__version__ = '2.19.0'\n",
    );
    root
}

fn sized(path: &Path, mib: u64) {
    fs::File::create(path).unwrap().set_len(mib * MIB).unwrap();
}

/// An ext4 image of `mib` MiB holding `src`.
fn ext4(src: &Path, path: &Path, mib: u64) {
    sized(path, mib);
    ok(tool("mkfs.ext4")
        .args(["-q", "-F", "-L", "root", "-d"])
        .arg(src)
        .arg(path));
}

/// An XFS image of `src` made with a protofile, when mkfs.xfs and mkproto.py are usable.
fn xfs(src: &Path, path: &Path) -> bool {
    let mkproto = workspace().join("../shared/bench/mkproto.py");
    if !require(
        mkproto.is_file(),
        &format!("{} (../shared/bench)", mkproto.display()),
    ) {
        return false;
    }
    if !tools_ok(&["mkfs.xfs", "python3"]) {
        return false;
    }
    let out = Command::new("python3")
        .arg(&mkproto)
        .arg(src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mkproto: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let proto = path.with_extension("proto");
    fs::write(&proto, out.stdout).unwrap();
    // 16 MiB is below mkfs.xfs's 300 MB floor, which xfsprogs lifts for its test suite.
    sized(path, 16);
    ok(tool("mkfs.xfs")
        .args(["-q", "-f", "-L", "rootxfs", "-p"])
        .arg(&proto)
        .arg(path)
        .env("TEST_DIR", "1")
        .env("TEST_DEV", "1")
        .env("QA_CHECK_FS", "1"));
    true
}

fn vfat(path: &Path, mib: u64) {
    sized(path, mib);
    ok(tool("mkfs.vfat").args(["-n", "ESP"]).arg(path));
}

fn swap(path: &Path, mib: u64) {
    sized(path, mib);
    ok(tool("mkswap").arg(path));
}

/// A partition to lay out: name, type GUID (or MBR type), size, and the image to copy in.
struct Part<'a> {
    name: &'a str,
    type_id: &'a str,
    mib: u64,
    content: &'a Path,
}

/// A raw disk with `label` (`gpt` or `dos`), partitions back to back from 1 MiB.
fn disk(path: &Path, label: &str, parts: &[Part]) {
    let total: u64 = parts.iter().map(|p| p.mib).sum::<u64>() + 2;
    sized(path, total);
    let mut script = format!("label: {label}\nunit: sectors\n");
    let mut at = MIB;
    for p in parts {
        script.push_str(&format!(
            "start={}, size={}, type={}",
            at / 512,
            p.mib * MIB / 512,
            p.type_id
        ));
        if label == "gpt" {
            script.push_str(&format!(", name=\"{}\"", p.name));
        }
        script.push('\n');
        at += p.mib * MIB;
    }
    let mut c = tool("sfdisk")
        .arg("--quiet")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(c.wait().unwrap().success(), "sfdisk failed:\n{script}");
    let mut f = fs::OpenOptions::new().write(true).open(path).unwrap();
    let mut at = MIB;
    for p in parts {
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&fs::read(p.content).unwrap()).unwrap();
        at += p.mib * MIB;
    }
}

/// `qemu-img convert -O fmt [-o opts] raw out`.
fn convert(raw: &Path, out: &Path, fmt: &str, opts: Option<&str>) {
    let mut c = tool("qemu-img");
    c.args(["convert", "-f", "raw", "-O", fmt]);
    if let Some(o) = opts {
        c.args(["-o", o]);
    }
    ok(c.arg(raw).arg(out));
}

/// The usual golden image: p1 ESP (vfat), p2 swap, p3 ext4 root named `root-x86-64`.
fn golden_disk(dir: &Path, root: &Path) -> PathBuf {
    let esp = dir.join("esp.vfat");
    vfat(&esp, 2);
    let sw = dir.join("swap.img");
    swap(&sw, 1);
    let rootimg = dir.join("root.ext4");
    ext4(root, &rootimg, 8);
    let raw = dir.join("disk.raw");
    disk(
        &raw,
        "gpt",
        &[
            Part {
                name: "EFI System",
                type_id: ESP,
                mib: 2,
                content: &esp,
            },
            Part {
                name: "swap",
                type_id: SWAP,
                mib: 1,
                content: &sw,
            },
            Part {
                name: "root-x86-64",
                type_id: ROOT_X86_64,
                mib: 8,
                content: &rootimg,
            },
        ],
    );
    raw
}

// ---------------------------------------------------------------------------------------------
// Running the binary

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run_args(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = sekisho();
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// `sekisho sbom <kind> PATH --format json` (extra flags after the path).
fn sbom(kind: &str, path: &Path, extra: &[&str]) -> Value {
    let mut c = sekisho();
    c.args(["sbom", kind]).arg(path).args(extra);
    let out = c.args(["--format", "json", "--quiet"]).output().unwrap();
    assert!(
        out.status.success(),
        "sbom {kind} {}: {}",
        path.display(),
        text(&out.stderr)
    );
    json(&out)
}

/// Every package of a target as canonical JSON without its layer index (name, version, kind,
/// ecosystem, purl, source, licenses, arch, locations): what the catalogers found.
fn package_set(target: &Value) -> BTreeSet<String> {
    target["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.as_object_mut().unwrap().remove("layer");
            p.to_string()
        })
        .collect()
}

fn names_versions(target: &Value) -> BTreeSet<(String, String)> {
    target["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The single target of a rootfs SBOM.
fn want_of(root: &Path) -> Value {
    let v = sbom("rootfs", root, &[]);
    let t = v["targets"][0].clone();
    assert_eq!(t["packages"].as_array().unwrap().len(), PACKAGES, "{t:#}");
    t
}

fn assert_same_packages(got: &Value, want: &Value, what: &str) {
    let (g, w) = (package_set(got), package_set(want));
    let missing: Vec<&String> = w.difference(&g).collect();
    let extra: Vec<&String> = g.difference(&w).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(names_versions(got), names_versions(want), "{what}");
    assert_eq!(got["os"], want["os"], "{what}: os");
}

/// The notes of a target as (subject, message).
fn notes(target: &Value) -> Vec<(String, String)> {
    target["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["subject"].as_str().unwrap_or_default().to_string(),
                n["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests

/// `sbom vm` finds exactly the packages `sbom rootfs` finds in the tree the disk was built from,
/// whatever the container format, partition table (GPT, MBR, none) or filesystem (ext4, XFS).
#[test]
fn every_disk_format_gives_the_rootfs_package_set() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let want = want_of(&root);

    let raw = golden_disk(d, &root);
    let title = "p3 \"root-x86-64\" (ext4)";
    let mut disks = vec![(raw.clone(), "raw")];
    for (name, fmt, opts, detected) in [
        ("disk.qcow2", "qcow2", None, "qcow2"),
        ("disk.vmdk", "vmdk", None, "vmdk (sparse)"),
        (
            "disk-stream.vmdk",
            "vmdk",
            Some("subformat=streamOptimized"),
            "vmdk (sparse)",
        ),
        ("disk.vhd", "vpc", None, "vhd (dynamic)"),
        ("disk.vhdx", "vhdx", None, "vhdx"),
    ] {
        let p = d.join(name);
        convert(&raw, &p, fmt, opts);
        disks.push((p, detected));
    }
    for (p, detected) in &disks {
        let file = p.file_name().unwrap().to_string_lossy();
        let v = sbom("vm", p, &[]);
        let ts = v["targets"].as_array().unwrap();
        assert_eq!(ts.len(), 1, "{file}: {v:#}");
        assert_eq!(ts[0]["name"], format!("{file} {title}"), "{file}");
        assert_eq!(ts[0]["kind"], "vm");
        // The layer says which reader was used: the format was detected, not taken as raw.
        assert_eq!(
            ts[0]["layers"][0]["description"],
            format!("{file} {title} ({detected})"),
            "{file}"
        );
        assert_same_packages(&ts[0], &want, &file);
    }

    // A bare filesystem image (no partition table).
    let v = sbom("vm", &d.join("root.ext4"), &[]);
    assert_eq!(v["targets"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["targets"][0]["name"], "root.ext4 disk (ext4)");
    assert_same_packages(&v["targets"][0], &want, "bare ext4");

    // An MBR (dos) table: type 0x83, no partition names.
    let mbr = d.join("mbr.raw");
    disk(
        &mbr,
        "dos",
        &[Part {
            name: "",
            type_id: "83",
            mib: 8,
            content: &d.join("root.ext4"),
        }],
    );
    let v = sbom("vm", &mbr, &[]);
    assert_eq!(v["targets"][0]["name"], "mbr.raw p1 (ext4)", "{v:#}");
    assert_same_packages(&v["targets"][0], &want, "mbr");

    // XFS: bare, and a GPT disk with two OS roots (ext4 and XFS): each is its own target.
    let rootxfs = d.join("root.xfs");
    if !xfs(&root, &rootxfs) {
        return;
    }
    let v = sbom("vm", &rootxfs, &[]);
    assert_eq!(v["targets"][0]["name"], "root.xfs disk (xfs)", "{v:#}");
    assert_same_packages(&v["targets"][0], &want, "bare xfs");
    let two = d.join("two-roots.raw");
    disk(
        &two,
        "gpt",
        &[
            Part {
                name: "root-a",
                type_id: ROOT_X86_64,
                mib: 8,
                content: &d.join("root.ext4"),
            },
            Part {
                name: "root-b",
                type_id: LINUX_DATA,
                mib: 16,
                content: &rootxfs,
            },
        ],
    );
    let qcow = d.join("two-roots.qcow2");
    convert(&two, &qcow, "qcow2", None);
    for p in [&two, &qcow] {
        let file = p.file_name().unwrap().to_string_lossy();
        let v = sbom("vm", p, &[]);
        let ts = v["targets"].as_array().unwrap();
        let names: Vec<&str> = ts.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                format!("{file} p1 \"root-a\" (ext4)"),
                format!("{file} p2 \"root-b\" (xfs)")
            ],
            "{v:#}"
        );
        for t in ts {
            assert_same_packages(t, &want, t["name"].as_str().unwrap());
        }
    }
}

/// A golden image with an ESP, swap and a root named `root-x86-64` (systemd's Discoverable
/// Partitions name): the root is scanned with the full package set and reported per partition
/// (index, name, filesystem, OS), and the other partitions are listed with their reasons — in
/// the JSON, in the table, and in the partition list on stderr.
#[test]
fn partitions_are_reported_one_by_one() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let want = want_of(&root);
    let raw = golden_disk(d, &root);

    // sbom vm, not quiet: the partition list goes to stderr.
    let out = run_args(&["sbom", "vm", "--format", "json"], &[&raw]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    for (idx, name, guid, fs, what) in [
        ("p1", "EFI System", ESP, "vfat", "skipped: vfat"),
        ("p2", "swap", SWAP, "swap", "skipped: swap"),
        (
            "p3",
            "root-x86-64",
            ROOT_X86_64,
            "ext4",
            "scanned: Debian GNU/Linux 12 (bookworm)",
        ),
    ] {
        let line = err
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{idx} ")))
            .unwrap_or_else(|| panic!("no {idx} line in:\n{err}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], idx, "{line}");
        assert!(line.contains(name), "{line}");
        assert!(line.contains(guid), "{line}");
        assert!(cols.contains(&fs), "{line}");
        assert!(line.trim_end().ends_with(what), "{line}");
    }
    assert!(err.contains(&format!("{PACKAGES} packages")), "{err}");

    // JSON: the scanned partition is the target (index, name, fs in its name; the OS), the
    // skipped ones are notes with their reasons.
    let v = json(&out);
    let ts = v["targets"].as_array().unwrap();
    assert_eq!(ts.len(), 1, "{v:#}");
    let t = &ts[0];
    assert_eq!(t["name"], "disk.raw p3 \"root-x86-64\" (ext4)");
    // ... and as structured fields.
    let p = &t["partition"];
    assert!(p["disk"].as_str().unwrap().ends_with("disk.raw"), "{p:#}");
    assert_eq!(p["format"], "raw");
    assert_eq!(p["index"], "p3");
    assert_eq!(p["number"], 3);
    assert_eq!(p["name"], "root-x86-64");
    assert_eq!(p["filesystem"], "ext4");
    assert!(p["size"].as_u64().unwrap() > 0 && p["offset"].as_u64().unwrap() > 0);
    assert_eq!(t["os"]["id"], "debian");
    assert_eq!(t["os"]["version_id"], "12");
    assert_eq!(t["os"]["pretty_name"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(t["os"]["osv_ecosystem"], "Debian:12");
    assert_same_packages(t, &want, "root-x86-64");
    let n = notes(t);
    for (subject, message) in [
        ("disk.raw p1 \"EFI System\" (vfat)", "skipped: vfat"),
        ("disk.raw p2 \"swap\" (swap)", "skipped: swap"),
    ] {
        assert!(
            n.contains(&(subject.to_string(), message.to_string())),
            "{subject}: {n:#?}"
        );
    }

    // The vulnerability scan reports the same, in JSON and as a table. No DB here: exit 3, as
    // docs/exit-codes.md says, with the packages still listed.
    let nodb = d.join("no-db.sqlite");
    let out = run_args(
        &["vm", "--format", "json", "--offline", "--quiet", "--db"],
        &[&nodb, &raw],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v = json(&out);
    assert_eq!(v["vulnerability_data"], false);
    let t = &v["targets"][0];
    assert_eq!(t["name"], "disk.raw p3 \"root-x86-64\" (ext4)");
    assert_eq!(t["partition"]["index"], "p3");
    assert_eq!(t["partition"]["filesystem"], "ext4");
    assert_eq!(t["kind"], "vm");
    assert_eq!(t["os"]["pretty_name"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(t["packages"].as_array().unwrap().len(), PACKAGES);
    // The scan says what the inventory says, and the kernel scanner (on for VM disks) says
    // this root has no kernel package to judge.
    let mut scan_notes = n.clone();
    scan_notes.push((
        "kernel".to_string(),
        "no kernel package installed: the kernel this image boots was not judged".to_string(),
    ));
    assert_eq!(notes(t), scan_notes);

    let out = run_args(&["vm", "--offline", "--quiet", "--db"], &[&nodb, &raw]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    for s in [
        "disk.raw p3 \"root-x86-64\" (ext4) (Debian GNU/Linux 12 (bookworm)",
        &format!("Packages: {PACKAGES}"),
        "disk.raw p1 \"EFI System\" (vfat): skipped: vfat",
        "disk.raw p2 \"swap\" (swap): skipped: swap",
        "requests",
    ] {
        assert!(table.contains(s), "{s:?} not in:\n{table}");
    }
}

/// Whether this process runs as root (uid 0).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|r| r.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// No root, no capabilities, no loop devices, no mounting: as `nobody` with every capability
/// dropped, the disk reads the same. (When the tests do not run as root they already prove it.)
#[test]
fn the_disk_is_read_without_privileges() {
    if !is_root() || !tools_ok(&["setpriv"]) || !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let want = want_of(&root);
    let raw = golden_disk(d, &root);
    let qcow = d.join("disk.qcow2");
    convert(&raw, &qcow, "qcow2", None);
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&qcow, fs::Permissions::from_mode(0o444)).unwrap();
    let out = tool("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
            env!("CARGO_BIN_EXE_sekisho"),
            "sbom",
            "vm",
            "--format",
            "json",
            "--quiet",
        ])
        .arg(&qcow)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "as nobody: {}", text(&out.stderr));
    let v = json(&out);
    assert_same_packages(&v["targets"][0], &want, "as nobody");
}

/// No filesystem holds an OS root (an ESP, swap, and an ext4 data partition without
/// os-release): every partition is listed with its reason and the command fails with exit 2
/// ("no OS root in a VM disk", docs/exit-codes.md); no report claiming 0 packages is written.
#[test]
fn nothing_scannable_lists_every_partition_and_fails() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let esp = d.join("esp.vfat");
    vfat(&esp, 2);
    let sw = d.join("swap.img");
    swap(&sw, 1);
    let data = d.join("data");
    write(&data, "srv/www/index.html", b"<p>hello</p>\n");
    let dataimg = d.join("data.ext4");
    ext4(&data, &dataimg, 4);
    let raw = d.join("nothing.raw");
    disk(
        &raw,
        "gpt",
        &[
            Part {
                name: "EFI System",
                type_id: ESP,
                mib: 2,
                content: &esp,
            },
            Part {
                name: "swap",
                type_id: SWAP,
                mib: 1,
                content: &sw,
            },
            Part {
                name: "data",
                type_id: LINUX_DATA,
                mib: 4,
                content: &dataimg,
            },
        ],
    );
    let qcow = d.join("nothing.qcow2");
    convert(&raw, &qcow, "qcow2", None);
    let nodb = d.join("no-db.sqlite");
    for disk in [&raw, &qcow] {
        for args in [
            &["vm", "--format", "json", "--offline", "--db"][..],
            &["vm", "--quiet", "--offline", "--db"][..],
        ] {
            let out = run_args(args, &[&nodb, disk]);
            check_nothing_scannable(&out, disk);
        }
        let out = run_args(&["sbom", "vm", "--format", "json"], &[disk]);
        check_nothing_scannable(&out, disk);
        let out = run_args(&["sbom", "vm", "--format", "table", "--quiet"], &[disk]);
        check_nothing_scannable(&out, disk);
    }
    // A corrupt primary GPT (read from the backup): the disk-level note is shown too.
    let bad = d.join("bad-primary.raw");
    fs::copy(&raw, &bad).unwrap();
    let mut f = fs::OpenOptions::new().write(true).open(&bad).unwrap();
    f.seek(SeekFrom::Start(512 + 8)).unwrap();
    f.write_all(b"\xff").unwrap();
    drop(f);
    let out = run_args(&["sbom", "vm", "--format", "json"], &[&bad]);
    check_nothing_scannable(&out, &bad);
    let err = text(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("  note: primary GPT is corrupt")
                && l.contains("used the backup GPT")),
        "{err}"
    );
    // The exit code is the documented one.
    let doc = fs::read_to_string(workspace().join("docs/exit-codes.md")).unwrap();
    assert!(
        doc.lines()
            .any(|l| l.starts_with("| 2 |") && l.contains("no OS root in a VM disk")),
        "docs/exit-codes.md no longer documents exit 2 for a VM disk without an OS root"
    );
}

fn check_nothing_scannable(out: &Output, disk: &Path) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", disk.display());
    assert!(
        out.stdout.is_empty(),
        "no report is written: {}",
        text(&out.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!(
            "no filesystem with an operating system root found in {}",
            disk.display()
        )),
        "{err}"
    );
    for (idx, what) in [
        ("p1", "skipped: vfat"),
        ("p2", "skipped: swap"),
        (
            "p3",
            "skipped: ext4 filesystem without etc/os-release or usr/lib/os-release (not an OS root)",
        ),
    ] {
        assert!(
            err.lines()
                .any(|l| l.trim_start().starts_with(&format!("{idx} ")) && l.ends_with(what)),
            "{idx} {what:?} not in:\n{err}"
        );
    }
    assert!(!err.contains("0 packages"), "{err}");
}

/// qcow2 backing files: refused by default with a message naming the file and the flag;
/// followed with `--allow-backing` inside the image's directory; refused even with the flag when
/// the backing file is elsewhere (`..`, an absolute path, a symlink out of the directory).
#[test]
fn qcow2_backing_files_only_with_the_flag_and_only_beside_the_image() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let want = want_of(&root);
    let raw = golden_disk(d, &root);
    let img = d.join("images");
    let other = d.join("elsewhere");
    fs::create_dir_all(img.join("sub")).unwrap();
    fs::create_dir_all(&other).unwrap();
    convert(&raw, &img.join("base.qcow2"), "qcow2", None);
    convert(&raw, &other.join("base.qcow2"), "qcow2", None);
    std::os::unix::fs::symlink("../elsewhere/base.qcow2", img.join("link.qcow2")).unwrap();
    let other_abs = other.join("base.qcow2").display().to_string();
    let same_abs = img.join("base.qcow2").display().to_string();
    // Overlays with no data of their own: every block comes from the backing file.
    for (name, backing) in [
        ("top.qcow2", "base.qcow2"),
        ("dotted.qcow2", "sub/../base.qcow2"),
        ("abs-same.qcow2", same_abs.as_str()),
        ("up.qcow2", "../elsewhere/base.qcow2"),
        ("abs-other.qcow2", other_abs.as_str()),
        ("via-link.qcow2", "link.qcow2"),
    ] {
        ok(tool("qemu-img")
            .args([
                "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, name,
            ])
            .current_dir(&img));
    }
    // A chain: top2 → top → base, all in the directory.
    ok(tool("qemu-img")
        .args([
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            "top.qcow2",
            "top2.qcow2",
        ])
        .current_dir(&img));

    for (name, backing) in [
        ("top.qcow2", "base.qcow2"),
        ("dotted.qcow2", "sub/../base.qcow2"),
        ("abs-same.qcow2", same_abs.as_str()),
        ("top2.qcow2", "top.qcow2"),
        ("up.qcow2", "../elsewhere/base.qcow2"),
        ("abs-other.qcow2", other_abs.as_str()),
        ("via-link.qcow2", "link.qcow2"),
    ] {
        let p = img.join(name);
        // Without the flag: refused, naming the image, the backing file and the flag.
        for args in [
            &["sbom", "vm", "--format", "json"][..],
            &[
                "vm",
                "--format",
                "json",
                "--offline",
                "--db",
                "/nonexistent/db",
            ][..],
        ] {
            let out = run_args(args, &[&p]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert!(out.stdout.is_empty(), "{name}");
            assert!(
                err.contains(&p.display().to_string())
                    && err.contains(&format!("has a backing file {backing:?}"))
                    && err.contains("--allow-backing"),
                "{name}: {err}"
            );
        }
    }
    // With the flag, inside the directory: the full package set.
    for name in ["top.qcow2", "dotted.qcow2", "abs-same.qcow2", "top2.qcow2"] {
        let v = sbom("vm", &img.join(name), &["--allow-backing"]);
        assert_eq!(v["targets"].as_array().unwrap().len(), 1, "{name}: {v:#}");
        assert_same_packages(&v["targets"][0], &want, name);
    }
    // With the flag, elsewhere: still refused.
    for (name, backing) in [
        ("up.qcow2", "../elsewhere/base.qcow2"),
        ("abs-other.qcow2", other_abs.as_str()),
        ("via-link.qcow2", "link.qcow2"),
    ] {
        let p = img.join(name);
        let out = run_args(
            &["sbom", "vm", "--allow-backing", "--format", "json"],
            &[&p],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            err.contains(&format!(
                "backing file {backing:?} is outside the image's directory"
            )),
            "{name}: {err}"
        );
    }
}

/// (package, id, fixed version, status) of every finding shown.
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

/// A vulnerability scan of a VM disk goes through the same matching and reports as a root
/// filesystem: real PyPA advisories for requests 2.19.0 are found in the qcow2, in every format.
#[test]
fn vm_scan_finds_the_same_advisories_as_the_rootfs() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let raw = golden_disk(d, &root);
    let qcow = d.join("disk.qcow2");
    convert(&raw, &qcow, "qcow2", None);
    let db = d.join("db.sqlite");
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(shared_data().join("osv-pypa-json/requests"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let scan = |kind: &str, target: &Path, extra: &[&str]| -> Output {
        sekisho()
            .arg(kind)
            .arg(target)
            .args(["--offline", "--quiet", "--db"])
            .arg(&db)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = scan("vm", &qcow, &["--format", "json"]);
    // PyPI data is there (Debian:12 is not, which is reported, not an exit 3).
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let vm = json(&out);
    let out = scan("rootfs", &root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rootfs = json(&out);
    // requests 2.19.0: PYSEC-2018-28 (CVE-2018-18074, fixed 2.20.0) and PYSEC-2023-74
    // (CVE-2023-32681, 2.3.0 ≤ v < 2.31.0); not PYSEC-2014-13/14 (fixed 2.3.0) nor PYSEC-2015-17
    // (fixed 2.6.0). A finding is named by its CVE alias and lists the advisory it came from.
    let got = findings(&vm);
    let f = |id: &str, fixed: &str| {
        (
            "requests".to_string(),
            id.to_string(),
            fixed.to_string(),
            "fixed".to_string(),
        )
    };
    assert_eq!(
        got,
        [f("CVE-2018-18074", "2.20.0"), f("CVE-2023-32681", "2.31.0")]
    );
    let advisories: Vec<&Value> = vm["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["advisories"])
        .collect();
    assert_eq!(
        advisories,
        [
            &serde_json::json!(["PYSEC-2018-28"]),
            &serde_json::json!(["PYSEC-2023-74"])
        ]
    );
    assert_eq!(got, findings(&rootfs));
    assert_eq!(vm["summary"], rootfs["summary"]);
    assert_eq!(
        vm["targets"][0]["coverage"],
        rootfs["targets"][0]["coverage"]
    );
    assert_eq!(
        vm["targets"][0]["name"],
        "disk.qcow2 p3 \"root-x86-64\" (ext4)"
    );

    // Every report format carries the findings.
    for (fmt, needles) in [
        (
            "table",
            &["CVE-2018-18074", "CVE-2023-32681", "requests", "2.19.0"][..],
        ),
        (
            "sarif",
            &["CVE-2018-18074", "CVE-2023-32681", "\"version\": \"2.1.0\""][..],
        ),
        (
            "cyclonedx",
            &[
                "CVE-2018-18074",
                "CVE-2023-32681",
                "\"bomFormat\": \"CycloneDX\"",
            ][..],
        ),
    ] {
        let out = scan("vm", &qcow, &["--format", fmt]);
        assert_eq!(out.status.code(), Some(0), "{fmt}: {}", text(&out.stderr));
        let s = text(&out.stdout);
        for n in needles {
            assert!(s.contains(n), "{fmt}: {n:?} not in:\n{s}");
        }
        if fmt != "table" {
            serde_json::from_str::<Value>(&s).unwrap_or_else(|e| panic!("{fmt}: {e}"));
        }
    }
    // The gate works the same: --exit-code N alone trips on any finding shown.
    let out = scan("vm", &qcow, &["--format", "json", "--exit-code", "5"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
}

/// Corrupt or unreadable disks: a clear error naming the file, exit 2, no panic, no report.
/// A truncated raw disk still lists every partition of its table, with what is missing.
#[test]
fn corrupt_disks_fail_clearly() {
    if !tools_ok(TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = rootfs(d);
    let raw = golden_disk(d, &root);
    let qcow = d.join("disk.qcow2");
    convert(&raw, &qcow, "qcow2", None);
    let vhdx = d.join("disk.vhdx");
    convert(&raw, &vhdx, "vhdx", None);
    let cut = |from: &Path, name: &str, len: u64| -> PathBuf {
        let p = d.join(name);
        let data = fs::read(from).unwrap();
        fs::write(&p, &data[..len.min(data.len() as u64) as usize]).unwrap();
        p
    };
    let qlen = fs::metadata(&qcow).unwrap().len();
    // (disk, the image itself is unreadable, what the message says). A qcow2 cut after its
    // tables opens, and the partition whose clusters are gone is listed with the reason.
    let cases = [
        (
            cut(&qcow, "half.qcow2", qlen / 2),
            false,
            "past the end of the file; truncated image?",
        ),
        (
            cut(&qcow, "header-only.qcow2", 512),
            true,
            "truncated image?",
        ),
        (cut(&vhdx, "cut.vhdx", 2 * MIB), true, "VHDX"),
        (d.join("missing.qcow2"), true, "No such file"),
        (d.to_path_buf(), true, "not a regular file"),
    ];
    for (p, unreadable, why) in &cases {
        for args in [
            &[
                "vm",
                "--format",
                "json",
                "--offline",
                "--db",
                "/nonexistent/db",
            ][..],
            &["sbom", "vm", "--format", "json"][..],
        ] {
            let out = run_args(args, &[p]);
            let err = text(&out.stderr);
            let what = format!("{args:?} {}", p.display());
            assert_eq!(out.status.code(), Some(2), "{what}: {err}");
            assert!(out.stdout.is_empty(), "{what}: {}", text(&out.stdout));
            assert!(!err.contains("panicked"), "{what}: {err}");
            let first = if *unreadable {
                "cannot read VM disk"
            } else {
                "no filesystem with an operating system root found in"
            };
            assert!(
                err.starts_with(&format!("sekisho: error: {first} {}", p.display())),
                "{what}: {err}"
            );
            assert!(err.contains(why), "{what}: {why:?} not in {err}");
            if *unreadable {
                // Each cause once: "cannot read VM disk X", then "caused by: X: why".
                assert_eq!(err.lines().count(), 2, "{what}: {err}");
            } else {
                assert!(
                    err.lines().any(|l| l.trim_start().starts_with("p3 ")
                        && l.contains("skipped: cannot read:")
                        && l.ends_with(why)),
                    "{what}: {err}"
                );
            }
        }
    }
    // A raw disk cut inside the ESP: the table is intact, the partitions are not.
    let cut_raw = cut(&raw, "cut.raw", 2 * MIB);
    let out = run_args(&["sbom", "vm", "--format", "json"], &[&cut_raw]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for (idx, what) in [
        ("p1", "skipped: vfat"),
        (
            "p2",
            "skipped: the partition starts at byte 3145728 but the disk ends at byte 2097152 (truncated image?)",
        ),
        (
            "p3",
            "skipped: the partition starts at byte 4194304 but the disk ends at byte 2097152 (truncated image?)",
        ),
    ] {
        assert!(
            err.lines()
                .any(|l| l.trim_start().starts_with(&format!("{idx} ")) && l.ends_with(what)),
            "{idx} {what:?} not in:\n{err}"
        );
    }
    assert!(
        err.contains("note: the partition runs 1048576 bytes past the end of the disk"),
        "{err}"
    );
}
