//! End-to-end: build real disks with Debian's tools from a small root filesystem, convert them
//! to every supported format, and check that reading them gives exactly the files of the root
//! filesystem (paths, kinds, symlink targets and content hashes). Then break them in the ways
//! hostile images do and check each gives a clear error quickly.
//!
//! Needs sfdisk, mkfs.ext4, mkfs.ext2, mkfs.xfs, qemu-img and python3. In CI (env CI set) a
//! missing tool fails the test; locally the test is skipped with a message.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use sekisho_artifact::rootfs::DirLayer;
use sekisho_artifact::{EntryKind, LayerSource, Note};
use sekisho_disk::fsread::FsRead;
use sekisho_disk::{OpenOptions, open_disk};
use sha2::{Digest, Sha256};

const TOOLS: &[&str] = &[
    "sfdisk",
    "mkfs.ext4",
    "mkfs.ext2",
    "mkfs.xfs",
    "qemu-img",
    "python3",
];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "command -v {tool} || test -x /usr/sbin/{tool} || test -x /sbin/{tool}"
        ))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The tools that are not here (none, normally; in CI a missing tool fails the test).
fn missing_tools() -> Vec<&'static str> {
    TOOLS.iter().copied().filter(|t| !have(t)).collect()
}

fn run(cmd: &mut Command) {
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{path}:/usr/sbin:/sbin"));
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mkproto() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/bench/mkproto.py"
    ))
}

/// Everything we built once, shared by the tests.
struct Fixture {
    dir: PathBuf,
    rootfs: PathBuf,
    ext4: PathBuf,
    xfs: PathBuf,
    gpt: PathBuf,
}

const MIB: u64 = 1 << 20;

fn write_rootfs(root: &Path) {
    let w = |p: &str, data: &[u8]| {
        let full = root.join(p);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, data).unwrap();
    };
    w("etc/os-release", b"PRETTY_NAME=\"Test Linux 12 (disk)\"\nNAME=\"Test Linux\"\nID=debian\nVERSION_ID=\"12\"\n");
    w("var/lib/dpkg/status", b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\n\nPackage: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n\n");
    w(
        "usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3",
        &(0..300_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<_>>(),
    );
    w("usr/bin/dash", b"#!fake shell\n");
    w("tiny", b"x");
    w("empty", b"");
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
    std::os::unix::fs::symlink("dash", root.join("usr/bin/sh")).unwrap();
    let long = format!(
        "../{}/target-of-a-slow-symlink-that-is-longer-than-sixty-bytes",
        "d".repeat(40)
    );
    std::os::unix::fs::symlink(long, root.join("usr/bin/longlink")).unwrap();
    std::os::unix::fs::symlink("/etc/os-release", root.join("usr/lib/os-release")).unwrap();
    // Sparse: a hole, then data.
    let mut f = fs::File::create(root.join("usr/share/sparse.bin")).unwrap_or_else(|_| {
        fs::create_dir_all(root.join("usr/share")).unwrap();
        fs::File::create(root.join("usr/share/sparse.bin")).unwrap()
    });
    f.seek(SeekFrom::Start(3 * MIB)).unwrap();
    f.write_all(b"after the hole").unwrap();
    drop(f);
    let mut deep = String::from("deep");
    for i in 0..40 {
        deep.push_str(&format!("/level{i}"));
    }
    w(&format!("{deep}/bottom.txt"), b"bottom");
    for i in 0..400 {
        w(
            &format!("usr/share/many/a-fairly-long-file-name-to-fill-blocks-{i:04}.conf"),
            format!("n={i}\n").as_bytes(),
        );
    }
    for i in 0..30 {
        w(&format!("usr/share/some/f{i}"), b"some");
    }
    fs::create_dir_all(root.join("cycle/cyclesub")).unwrap();
    w("cycle/cyclesub/inner", b"inner");
}

fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    let f = F
        .get_or_init(|| {
        if !missing_tools().is_empty() {
            return None;
        }
        // Under the target dir (a static is never dropped, so a temp dir would leak); wiped on
        // every run.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("disk-fixture-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for old in fs::read_dir(env!("CARGO_TARGET_TMPDIR")).unwrap().flatten() {
            if old.file_name().to_string_lossy().starts_with("disk-fixture-") {
                let _ = fs::remove_dir_all(old.path());
            }
        }
        fs::create_dir_all(&dir).unwrap();
        let rootfs = dir.join("rootfs");
        write_rootfs(&rootfs);
        let ext4 = dir.join("root.ext4");
        fs::File::create(&ext4).unwrap().set_len(24 * MIB).unwrap();
        run(Command::new("mkfs.ext4").args(["-q", "-F", "-L", "root", "-b", "4096", "-d"]).arg(&rootfs).arg(&ext4));
        let proto = dir.join("root.proto");
        let out = Command::new("python3").arg(mkproto()).arg(&rootfs).output().unwrap();
        assert!(out.status.success(), "mkproto: {}", String::from_utf8_lossy(&out.stderr));
        fs::write(&proto, out.stdout).unwrap();
        let xfs = dir.join("root.xfs");
        fs::File::create(&xfs).unwrap().set_len(40 * MIB).unwrap();
        run(Command::new("mkfs.xfs").args(["-q", "-f", "-L", "rootxfs", "-p"]).arg(&proto).arg(&xfs).env("TEST_DIR", "1").env("TEST_DEV", "1").env("QA_CHECK_FS", "1"));
        // GPT: p1 "swap" (a swap signature), p2 "root-x86-64" ext4, p3 "srv" xfs.
        let gpt = dir.join("disk.raw");
        fs::File::create(&gpt).unwrap().set_len(70 * MIB).unwrap();
        sfdisk(&gpt, "label: gpt\nunit: sectors\nfirst-lba: 2048\nstart=2048, size=2048, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name=\"swap\"\nstart=4096, size=49152, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=\"root-x86-64\"\nstart=53248, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"srv\"\n");
        let mut swap = vec![0u8; 4096];
        swap[4086..].copy_from_slice(b"SWAPSPACE2");
        put(&gpt, MIB, &swap);
        put_file(&gpt, 2 * MIB, &ext4);
        put_file(&gpt, 26 * MIB, &xfs);
        Some(Fixture { dir, rootfs, ext4, xfs, gpt })
        })
        .as_ref();
    // Every test that needs the fixture records its own skip (or fails in CI), not just the
    // first one to build it.
    sekisho_testutil::require(
        f.is_some(),
        &format!("disk tools {:?} (.ci/apt-packages.txt)", missing_tools()),
    );
    f
}

fn sfdisk(disk: &Path, script: &str) {
    let mut c = Command::new("sfdisk");
    c.arg("--quiet")
        .arg(disk)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let path = std::env::var("PATH").unwrap_or_default();
    c.env("PATH", format!("{path}:/usr/sbin:/sbin"));
    let mut ch = c.spawn().unwrap();
    ch.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(ch.wait().unwrap().success(), "sfdisk failed");
}

fn put(disk: &Path, at: u64, data: &[u8]) {
    let mut f = fs::OpenOptions::new().write(true).open(disk).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(data).unwrap();
}

/// Copy a filesystem image into a disk at `at`, leaving zero runs as holes.
fn put_file(disk: &Path, at: u64, src: &Path) {
    let mut s = fs::File::open(src).unwrap();
    let mut f = fs::OpenOptions::new().write(true).open(disk).unwrap();
    let mut buf = vec![0u8; 65536];
    let mut off = 0u64;
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|&b| b != 0) {
            f.seek(SeekFrom::Start(at + off)).unwrap();
            f.write_all(&buf[..n]).unwrap();
        }
        off += n as u64;
    }
}

/// path → kind/target/content hash, for comparison.
fn listing(layer: &mut dyn LayerSource) -> (BTreeMap<String, String>, Vec<Note>) {
    let mut out = BTreeMap::new();
    let mut notes = Vec::new();
    layer
        .walk(
            &mut |m, r| {
                let v = match &m.kind {
                    EntryKind::File => {
                        let mut h = Sha256::new();
                        let mut buf = vec![0u8; 65536];
                        let mut total = 0u64;
                        loop {
                            let n = r.read(&mut buf)?;
                            if n == 0 {
                                break;
                            }
                            h.update(&buf[..n]);
                            total += n as u64;
                        }
                        assert_eq!(
                            total, m.size,
                            "{}: read {total} of {} bytes",
                            m.path, m.size
                        );
                        format!("file {}", hex::encode(h.finalize()))
                    }
                    EntryKind::Symlink { target } => format!("symlink {target}"),
                    other => format!("{other:?}"),
                };
                out.insert(m.path.clone(), v);
                Ok(())
            },
            &mut notes,
        )
        .unwrap();
    (out, notes)
}

fn expected(f: &Fixture) -> BTreeMap<String, String> {
    static E: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    E.get_or_init(|| listing(&mut DirLayer::new(&f.rootfs).unwrap()).0)
        .clone()
}

fn assert_same(f: &Fixture, got: BTreeMap<String, String>, what: &str) {
    let mut got = got;
    got.retain(|p, _| p != "lost+found" && !p.starts_with("lost+found/"));
    let want = expected(f);
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
    for (k, v) in &want {
        assert_eq!(&got[k], v, "{what}: {k} differs");
    }
    assert!(want.len() > 480, "the rootfs listing is suspiciously small");
}

/// Open a disk and check p1 is skipped swap, p2 the ext4 root and p3 the xfs root, each equal
/// to the rootfs.
fn check_gpt_disk(f: &Fixture, path: &Path, what: &str) {
    let d = open_disk(path, &OpenOptions::default()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(d.table, "gpt", "{what}");
    let v = &d.volumes;
    assert_eq!(v.len(), 3, "{what}: {v:?}");
    assert_eq!(v[0].fs, "swap");
    assert_eq!(v[0].reason.as_deref(), Some("skipped: swap"));
    assert_eq!(v[1].name.as_deref(), Some("root-x86-64"));
    assert_eq!(v[1].fs, "ext4");
    assert!(v[1].os_root, "{what}: {:?}", v[1]);
    assert_eq!(v[1].os.as_deref(), Some("Test Linux 12 (disk)"));
    assert_eq!(v[1].title(), "p2 \"root-x86-64\" (ext4)");
    assert_eq!(v[2].fs, "xfs");
    assert!(v[2].os_root, "{what}: {:?}", v[2]);
    assert_eq!(d.os_roots().count(), 2);
    for i in [1, 2] {
        let (got, notes) = listing(&mut v[i].layer("t").unwrap());
        assert!(
            notes.is_empty() || v[i].fs == "ext4",
            "{what} p{}: {notes:?}",
            i + 1
        );
        assert_same(f, got, &format!("{what} p{}", i + 1));
    }
}

#[test]
fn raw_gpt_disk_matches_rootfs() {
    let Some(f) = fixture() else { return };
    check_gpt_disk(f, &f.gpt, "raw");
}

#[test]
fn bare_filesystems_match_rootfs() {
    let Some(f) = fixture() else { return };
    for (p, fs) in [(&f.ext4, "ext4"), (&f.xfs, "xfs")] {
        let d = open_disk(p, &OpenOptions::default()).unwrap();
        assert_eq!(d.table, "none");
        assert_eq!(d.volumes.len(), 1);
        assert_eq!(d.volumes[0].index, "disk");
        assert_eq!(d.volumes[0].fs, fs);
        let (got, _) = listing(&mut d.volumes[0].layer("t").unwrap());
        assert_same(f, got, fs);
    }
}

#[test]
fn every_image_format_matches_rootfs() {
    let Some(f) = fixture() else { return };
    let conv: &[(&str, &[&str])] = &[
        ("disk.qcow2", &["-O", "qcow2"]),
        ("disk-v2.qcow2", &["-O", "qcow2", "-o", "compat=0.10"]),
        ("disk-c.qcow2", &["-O", "qcow2", "-c"]),
        ("disk.vmdk", &["-O", "vmdk"]),
        (
            "disk-stream.vmdk",
            &["-O", "vmdk", "-o", "subformat=streamOptimized"],
        ),
        (
            "disk-flat.vmdk",
            &["-O", "vmdk", "-o", "subformat=monolithicFlat"],
        ),
        ("disk.vhd", &["-O", "vpc"]),
        ("disk-fixed.vhd", &["-O", "vpc", "-o", "subformat=fixed"]),
        ("disk.vhdx", &["-O", "vhdx"]),
    ];
    for (name, args) in conv {
        let out = f.dir.join(name);
        run(Command::new("qemu-img")
            .args(["convert", "-f", "raw"])
            .args(*args)
            .arg(&f.gpt)
            .arg(&out));
        check_gpt_disk(f, &out, name);
    }
}

#[test]
fn mbr_extended_logical_ext2_and_inline_data() {
    let Some(f) = fixture() else { return };
    // p1: ext2 (1 KiB blocks, indirect block maps); p5: ext4 with inline data; p6: swap.
    let ext2 = f.dir.join("root.ext2");
    fs::File::create(&ext2).unwrap().set_len(24 * MIB).unwrap();
    run(Command::new("mkfs.ext2")
        .args(["-q", "-F", "-b", "1024", "-d"])
        .arg(&f.rootfs)
        .arg(&ext2));
    let inl = f.dir.join("root-inline.ext4");
    fs::File::create(&inl).unwrap().set_len(24 * MIB).unwrap();
    run(Command::new("mkfs.ext4")
        .args([
            "-q",
            "-F",
            "-O",
            "inline_data,64bit,metadata_csum",
            "-I",
            "1024",
            "-d",
        ])
        .arg(&f.rootfs)
        .arg(&inl));
    let disk = f.dir.join("mbr.raw");
    fs::File::create(&disk).unwrap().set_len(60 * MIB).unwrap();
    sfdisk(
        &disk,
        "label: dos\nunit: sectors\nstart=2048, size=49152, type=83\nstart=51200, size=69632, type=5\nstart=53248, size=49152, type=83\nstart=104448, size=4096, type=82\n",
    );
    put_file(&disk, MIB, &ext2);
    put_file(&disk, 26 * MIB, &inl);
    let mut swap = vec![0u8; 4096];
    swap[4086..].copy_from_slice(b"SWAPSPACE2");
    put(&disk, 51 * MIB, &swap);
    let d = open_disk(&disk, &OpenOptions::default()).unwrap();
    assert_eq!(d.table, "mbr");
    let idx: Vec<&str> = d.volumes.iter().map(|v| v.index.as_str()).collect();
    assert_eq!(idx, vec!["p1", "p5", "p6"], "{:?}", d.volumes);
    assert_eq!(d.volumes[2].reason.as_deref(), Some("skipped: swap"));
    for i in [0, 1] {
        assert!(d.volumes[i].os_root);
        let (got, _) = listing(&mut d.volumes[i].layer("t").unwrap());
        assert_same(f, got, &format!("mbr {}", d.volumes[i].index));
    }
}

/// Write an LVM2 PV by hand from the documented on-disk format: label sector, PV header with one
/// data area and one metadata area, an mda_header and the text metadata.
fn lvm_pv(pv_size: u64, uuid: &str, metadata: &str) -> Vec<u8> {
    let mut d = vec![0u8; 2 * MIB as usize];
    let l = 512;
    d[l..l + 8].copy_from_slice(b"LABELONE");
    d[l + 8..l + 16].copy_from_slice(&1u64.to_le_bytes());
    d[l + 20..l + 24].copy_from_slice(&32u32.to_le_bytes());
    d[l + 24..l + 32].copy_from_slice(b"LVM2 001");
    let ph = l + 32;
    d[ph..ph + 32].copy_from_slice(uuid.as_bytes());
    d[ph + 32..ph + 40].copy_from_slice(&pv_size.to_le_bytes());
    let mut p = ph + 40;
    for (o, s) in [(MIB, 0u64), (0, 0), (4096, MIB - 4096), (0, 0)] {
        d[p..p + 8].copy_from_slice(&o.to_le_bytes());
        d[p + 8..p + 16].copy_from_slice(&s.to_le_bytes());
        p += 16;
    }
    let m = 4096;
    d[m + 4..m + 20].copy_from_slice(b" LVM2 x[5A%r0N*>");
    d[m + 20..m + 24].copy_from_slice(&1u32.to_le_bytes());
    d[m + 24..m + 32].copy_from_slice(&4096u64.to_le_bytes());
    d[m + 32..m + 40].copy_from_slice(&(MIB - 4096).to_le_bytes());
    d[m + 40..m + 48].copy_from_slice(&512u64.to_le_bytes());
    d[m + 48..m + 56].copy_from_slice(&(metadata.len() as u64).to_le_bytes());
    d[m + 512..m + 512 + metadata.len()].copy_from_slice(metadata.as_bytes());
    d
}

#[test]
fn lvm_logical_volumes_are_found_and_read() {
    let Some(f) = fixture() else { return };
    // PV in MBR partition 1 (type 8e) at 1 MiB; pe_start 1 MiB into the PV; extents of 1 MiB.
    // LV "root" = ext4 image in two segments: PV extents 30.. (first 12 MiB) and 2.. (last 12).
    let uuid = "AbCdEf0123456789AbCdEf0123456789";
    let meta = format!(
        "vg0 {{\nid = \"x\"\nseqno = 2\nstatus = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nextent_size = 2048\nphysical_volumes {{\npv0 {{\nid = \"{}-{}\"\ndevice = \"/dev/vda1\"\npe_start = 2048\npe_count = 50\n}}\n}}\nlogical_volumes {{\nroot {{\nid = \"y\"\nstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\nsegment_count = 2\nsegment1 {{\nstart_extent = 0\nextent_count = 12\ntype = \"striped\"\nstripe_count = 1\nstripes = [\n\"pv0\", 30\n]\n}}\nsegment2 {{\nstart_extent = 12\nextent_count = 12\ntype = \"striped\"\nstripe_count = 1\nstripes = [\n\"pv0\", 2\n]\n}}\n}}\nmirrored {{\nid = \"z\"\nsegment_count = 1\nsegment1 {{\nstart_extent = 0\nextent_count = 1\ntype = \"raid1\"\n}}\n}}\n}}\n}}\ncontents = \"Text Format Volume Group\"\nversion = 1\n",
        &uuid[..6],
        &uuid[6..]
    );
    let disk = f.dir.join("lvm.raw");
    fs::File::create(&disk).unwrap().set_len(60 * MIB).unwrap();
    sfdisk(
        &disk,
        "label: dos\nunit: sectors\nstart=2048, size=106496, type=8e\n",
    );
    put(&disk, MIB, &lvm_pv(52 * MIB, uuid, &meta));
    let img = fs::read(&f.ext4).unwrap();
    let pe = |n: u64| MIB + MIB + n * MIB;
    put(&disk, pe(30), &img[..(12 * MIB) as usize]);
    put(&disk, pe(2), &img[(12 * MIB) as usize..]);
    let d = open_disk(&disk, &OpenOptions::default()).unwrap();
    let v: Vec<(&str, &str)> = d
        .volumes
        .iter()
        .map(|v| (v.index.as_str(), v.fs.as_str()))
        .collect();
    assert_eq!(
        v,
        vec![
            ("p1", "LVM2 PV"),
            ("lvm vg0/root", "ext4"),
            ("lvm vg0/mirrored", "unknown")
        ],
        "{:?}",
        d.volumes
    );
    assert!(d.volumes[2].reason.as_deref().unwrap().contains("raid1"));
    assert!(d.volumes[1].os_root);
    let (got, _) = listing(&mut d.volumes[1].layer("t").unwrap());
    assert_same(f, got, "lvm");
}

fn copy(f: &Fixture, from: &Path, name: &str) -> PathBuf {
    let p = f.dir.join(name);
    fs::copy(from, &p).unwrap();
    p
}

/// A truncated raw disk (a partial download): every partition of the table is still listed; one
/// that starts past the end says so, one that runs past the end carries a note.
#[test]
fn truncated_raw_disk_lists_every_partition() {
    let Some(f) = fixture() else { return };
    let p = copy(f, &f.gpt, "trunc.raw");
    // p1 swap [1, 2) MiB, p2 ext4 [2, 26) MiB, p3 xfs [26, 66) MiB.
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(10 * MIB)
        .unwrap();
    let d = open_disk(&p, &OpenOptions::default()).unwrap();
    let v = &d.volumes;
    assert_eq!(
        v.iter().map(|v| v.index.as_str()).collect::<Vec<_>>(),
        ["p1", "p2", "p3"],
        "{v:?}"
    );
    assert_eq!(v[0].reason.as_deref(), Some("skipped: swap"));
    assert_eq!(v[1].fs, "ext4");
    assert_eq!(v[1].size, 24 * MIB, "the recorded extent is reported");
    assert!(
        v[1].notes
            .iter()
            .any(|n| n.contains(&format!("runs {} bytes past the end of the disk", 16 * MIB))),
        "{:?}",
        v[1]
    );
    assert_eq!(v[2].name.as_deref(), Some("srv"));
    let r = v[2].reason.as_deref().unwrap_or_default();
    assert!(
        r.starts_with("skipped:")
            && r.contains("truncated image?")
            && r.contains(&(26 * MIB).to_string()),
        "{r}"
    );
    assert!(v[2].layer("t").is_none());
}

/// Error messages name the file once, and the cause is not repeated as a `source()`.
#[test]
fn disk_errors_name_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.img");
    let e = open_disk(&missing, &OpenOptions::default())
        .err()
        .expect("missing");
    let msg = e.to_string();
    assert_eq!(msg.matches("missing.img").count(), 1, "{msg}");
    assert!(msg.contains("No such file"), "{msg}");
    assert!(std::error::Error::source(&e).is_none());
    let e = open_disk(dir.path(), &OpenOptions::default())
        .err()
        .expect("a directory")
        .to_string();
    assert_eq!(e.matches(&*dir.path().to_string_lossy()).count(), 1, "{e}");
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn corrupt_gpt_falls_back_to_backup_or_fails_clearly() {
    let Some(f) = fixture() else { return };
    let p = copy(f, &f.gpt, "badcrc.raw");
    put(&p, 512 + 60, b"\xff\xff\xff\xff"); // inside the disk GUID: header CRC now wrong
    let d = open_disk(&p, &OpenOptions::default()).unwrap();
    assert!(
        d.notes.iter().any(|n| n.contains("backup GPT")),
        "{:?}",
        d.notes
    );
    assert_eq!(d.volumes.len(), 3);
    assert!(d.volumes[1].os_root);
    let msg = bounded(&p);
    assert!(!msg.contains("corrupt"), "{msg}");
    // Break the backup too.
    let len = fs::metadata(&p).unwrap().len();
    put(&p, len - 512 + 60, b"\xff\xff\xff\xff");
    let e = open_disk(&p, &OpenOptions::default())
        .err()
        .expect("both GPTs corrupt")
        .to_string();
    assert!(e.contains("GPT is corrupt"), "{e}");
    let msg = bounded(&p);
    assert!(msg.contains("GPT is corrupt"), "{msg}");
}

fn qcow2_of(f: &Fixture, name: &str) -> PathBuf {
    let p = f.dir.join(name);
    run(Command::new("qemu-img")
        .args(["convert", "-f", "raw", "-O", "qcow2"])
        .arg(&f.gpt)
        .arg(&p));
    p
}

/// Open and walk every OS root; the error (or notes) as text.
fn open_and_walk(p: &Path) -> String {
    match open_disk(p, &OpenOptions::default()) {
        Err(e) => e.to_string(),
        Ok(d) => {
            let mut s: Vec<String> = d.volumes.iter().filter_map(|v| v.reason.clone()).collect();
            for v in d.volumes.iter().filter(|v| v.os_root) {
                let (_, notes) = listing(&mut v.layer("t").unwrap());
                s.extend(
                    notes
                        .into_iter()
                        .map(|n| format!("{}: {}", n.subject, n.message)),
                );
            }
            s.join("\n")
        }
    }
}

/// The child side of [`bounded`]: does nothing unless run by it.
const CHILD_ENV: &str = "SEKISHO_DISK_TEST_CHILD";
/// Wall-time bound for one corrupt case (a child process, debug build, busy machine).
const CHILD_SECS: u64 = 10;
/// Peak resident memory bound for one corrupt case.
const CHILD_KB: u64 = 200 * 1024;

#[test]
fn corrupt_child() {
    let Some(p) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let msg = open_and_walk(Path::new(&p));
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("\nCHILD-HWM-KB {hwm}\nCHILD-MSG-BEGIN\n{msg}\nCHILD-MSG-END");
}

/// Open and walk `p` in a child process (this test binary running only [`corrupt_child`]) and
/// check it finishes within [`CHILD_SECS`] with a peak RSS (VmHWM) under [`CHILD_KB`]; the
/// child's error or notes as text.
fn bounded(p: &Path) -> String {
    let out_path = p.with_extension("child-out");
    let out = fs::File::create(&out_path).unwrap();
    let t0 = std::time::Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "corrupt_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, p)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed().as_secs() >= CHILD_SECS {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}: not done in {CHILD_SECS} s: {}",
                p.display(),
                fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let elapsed = t0.elapsed();
    let text = fs::read_to_string(&out_path).unwrap();
    assert!(status.success(), "{}: child failed: {text}", p.display());
    let hwm: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("CHILD-HWM-KB "))
        .unwrap_or_else(|| panic!("{}: no VmHWM from the child: {text}", p.display()))
        .parse()
        .unwrap();
    assert!(
        hwm < CHILD_KB,
        "{}: peak RSS {hwm} kB is over {CHILD_KB} kB",
        p.display()
    );
    let msg = text
        .split_once("CHILD-MSG-BEGIN\n")
        .and_then(|(_, r)| r.split_once("\nCHILD-MSG-END"))
        .map(|(m, _)| m.to_string())
        .unwrap_or_else(|| panic!("{}: no message from the child: {text}", p.display()));
    eprintln!(
        "bounded {}: {elapsed:?}, peak RSS {hwm} kB",
        p.file_name().unwrap().to_string_lossy()
    );
    msg
}

#[test]
fn truncated_qcow2_and_l2_past_eof() {
    let Some(f) = fixture() else { return };
    let p = qcow2_of(f, "trunc.qcow2");
    let len = fs::metadata(&p).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let msg = bounded(&p);
    assert!(msg.contains("past the end"), "{msg}");
    // An L2 entry pointing far past the end of the file.
    let p = qcow2_of(f, "l2.qcow2");
    let data = fs::read(&p).unwrap();
    let be64 = |o: usize| u64::from_be_bytes(data[o..o + 8].try_into().unwrap());
    let l1 = be64(40) as usize;
    let l2 = (be64(l1) & 0x00ff_ffff_ffff_fe00) as usize;
    put(&p, l2 as u64, &((1u64 << 63) | (1u64 << 45)).to_be_bytes());
    let e = open_disk(&p, &OpenOptions::default())
        .err()
        .expect("L2 past EOF")
        .to_string();
    assert!(e.contains("past the end of the file"), "{e}");
    let msg = bounded(&p);
    assert!(msg.contains("past the end of the file"), "{msg}");
}

#[test]
fn qcow2_backing_files_are_refused_unless_allowed() {
    let Some(f) = fixture() else { return };
    let base = qcow2_of(f, "base.qcow2");
    let top = f.dir.join("top.qcow2");
    run(Command::new("qemu-img")
        .args([
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            "base.qcow2",
        ])
        .arg(&top)
        .current_dir(&f.dir));
    let e = open_disk(&top, &OpenOptions::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("backing file") && e.contains("--allow-backing"),
        "{e}"
    );
    let d = open_disk(
        &top,
        &OpenOptions {
            allow_backing: true,
        },
    )
    .unwrap();
    assert_eq!(d.os_roots().count(), 2);
    let (got, _) = listing(&mut d.volumes[1].layer("t").unwrap());
    assert_same(f, got, "backing");
    drop(base);
    // A backing file outside the directory is refused even when allowed.
    let sub = f.dir.join("sub");
    fs::create_dir_all(&sub).unwrap();
    let out = sub.join("escape.qcow2");
    run(Command::new("qemu-img")
        .args([
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            "../base.qcow2",
        ])
        .arg(&out)
        .current_dir(&sub));
    let e = open_disk(
        &out,
        &OpenOptions {
            allow_backing: true,
        },
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(e.contains("outside the image's directory"), "{e}");
}

fn ext4_fs(p: &Path) -> sekisho_disk::ext4::Ext4 {
    let dev: sekisho_disk::Dev = Arc::new(sekisho_disk::dev::FileDev::open(p).unwrap());
    sekisho_disk::ext4::Ext4::open(dev).unwrap()
}

#[test]
fn looping_ext4_extents_and_directory_cycles() {
    let Some(f) = fixture() else { return };
    // Looping extents: the big file's extent root becomes an index node pointing at a block
    // that is itself an index node pointing at itself.
    let p = copy(f, &f.ext4, "loop.ext4");
    let fs4 = ext4_fs(&p);
    let n = fs4
        .lookup("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3")
        .unwrap()
        .unwrap();
    let at = fs4.inode_offset(n.ino).unwrap();
    let blk = 5000u32; // a free block in a 24 MiB filesystem
    let node = |depth: u16| {
        let mut b = vec![0u8; 24];
        b[0..2].copy_from_slice(&0xF30Au16.to_le_bytes());
        b[2..4].copy_from_slice(&1u16.to_le_bytes());
        b[4..6].copy_from_slice(&4u16.to_le_bytes());
        b[6..8].copy_from_slice(&depth.to_le_bytes());
        b[16..20].copy_from_slice(&blk.to_le_bytes());
        b
    };
    put(&p, at + 40, &node(1));
    put(&p, u64::from(blk) * 4096, &node(1));
    let msg = bounded(&p);
    assert!(
        msg.contains("libfoo.so.1.2.3") && msg.contains("extent tree depth"),
        "{msg}"
    );
    // Directory cycle: cycle/cyclesub's entry now points at cycle itself.
    let p = copy(f, &f.ext4, "cycle.ext4");
    let fs4 = ext4_fs(&p);
    let cyc = fs4.lookup("cycle").unwrap().unwrap().ino as u32;
    let mut data = fs::read(&p).unwrap();
    let pat = b"\x08\x02cyclesub";
    let pos = data
        .windows(pat.len())
        .position(|w| w == pat)
        .expect("dirent")
        - 6;
    data[pos..pos + 4].copy_from_slice(&cyc.to_le_bytes());
    fs::write(&p, data).unwrap();
    let msg = bounded(&p);
    assert!(msg.contains("directory cycle"), "{msg}");
}

#[test]
fn xfs_btree_with_bad_magic() {
    let Some(f) = fixture() else { return };
    let p = copy(f, &f.xfs, "bad.xfs");
    let dev: sekisho_disk::Dev = Arc::new(sekisho_disk::dev::FileDev::open(&p).unwrap());
    let x = sekisho_disk::xfs::Xfs::open(dev).unwrap();
    let n = x
        .lookup("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3")
        .unwrap()
        .unwrap();
    let at = x.inode_offset(n.ino).unwrap();
    // Turn the data fork into a btree root (level 1, one record) pointing at block 100 of AG 0,
    // which holds no BMA3 block.
    put(&p, at + 5, &[3]);
    let mut root = [0u8; 4 + 8 + 8];
    root[0..2].copy_from_slice(&1u16.to_be_bytes());
    root[2..4].copy_from_slice(&1u16.to_be_bytes());
    let maxrecs = (512 - 176 - 4) / 16; // 512-byte inodes, no attribute fork
    let mut fork = vec![0u8; 4 + maxrecs * 16];
    fork[..4].copy_from_slice(&root[..4]);
    fork[4 + maxrecs * 8..4 + maxrecs * 8 + 8].copy_from_slice(&100u64.to_be_bytes());
    put(&p, at + 176, &fork);
    put(&p, at + 82, &[0]);
    let msg = bounded(&p);
    assert!(msg.contains("bad magic"), "{msg}");
}

#[test]
fn nothing_scannable_is_reported_per_partition() {
    let Some(f) = fixture() else { return };
    let disk = f.dir.join("empty-gpt.raw");
    fs::File::create(&disk).unwrap().set_len(8 * MIB).unwrap();
    sfdisk(
        &disk,
        "label: gpt\nunit: sectors\nstart=2048, size=4096, name=\"data\"\nstart=6144, size=4096, name=\"crypt\"\n",
    );
    put(&disk, 3 * MIB, b"LUKS\xba\xbe\x00\x02");
    let d = open_disk(&disk, &OpenOptions::default()).unwrap();
    assert_eq!(d.os_roots().count(), 0);
    let r: Vec<(&str, &str)> = d
        .volumes
        .iter()
        .map(|v| (v.index.as_str(), v.reason.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(r, vec![("p1", "skipped: empty"), ("p2", "skipped: LUKS")]);
}

#[test]
fn deeper_extent_trees_read_the_same_content() {
    let Some(f) = fixture() else { return };
    // ext4: move the big file's extents into a leaf block under a depth-1 root.
    let p = copy(f, &f.ext4, "deep.ext4");
    let fs4 = ext4_fs(&p);
    let n = fs4
        .lookup("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3")
        .unwrap()
        .unwrap();
    let at = fs4.inode_offset(n.ino).unwrap();
    let root = n.raw[40..100].to_vec();
    let entries = u16::from_le_bytes([root[2], root[3]]);
    assert_eq!(
        u16::from_le_bytes([root[6], root[7]]),
        0,
        "expected a depth-0 root from mkfs"
    );
    let blk = 5200u32;
    let mut leaf = vec![0u8; 4096];
    leaf[..12].copy_from_slice(&root[..12]);
    leaf[4..6].copy_from_slice(&340u16.to_le_bytes());
    leaf[12..12 + 12 * entries as usize].copy_from_slice(&root[12..12 + 12 * entries as usize]);
    put(&p, u64::from(blk) * 4096, &leaf);
    let mut idx = vec![0u8; 60];
    idx[0..2].copy_from_slice(&0xF30Au16.to_le_bytes());
    idx[2..4].copy_from_slice(&1u16.to_le_bytes());
    idx[4..6].copy_from_slice(&4u16.to_le_bytes());
    idx[6..8].copy_from_slice(&1u16.to_le_bytes());
    idx[16..20].copy_from_slice(&blk.to_le_bytes());
    put(&p, at + 40, &idx);
    let d = open_disk(&p, &OpenOptions::default()).unwrap();
    let (got, notes) = listing(&mut d.volumes[0].layer("t").unwrap());
    assert!(notes.is_empty(), "{notes:?}");
    assert_same(f, got, "ext4 depth-1 extent tree");

    // XFS: turn the big file's extent list into a B+tree (root in the inode, one BMA3 leaf).
    let p = copy(f, &f.xfs, "btree.xfs");
    let sb = fs::read(&p).unwrap()[..512].to_vec();
    let be32 = |o: usize| u32::from_be_bytes(sb[o..o + 4].try_into().unwrap());
    let (bs, agblocks, agcount, agblklog) =
        (be32(4) as u64, be32(84) as u64, be32(88) as u64, sb[124]);
    let dev: sekisho_disk::Dev = Arc::new(sekisho_disk::dev::FileDev::open(&p).unwrap());
    let x = sekisho_disk::xfs::Xfs::open(dev).unwrap();
    let n = x
        .lookup("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3")
        .unwrap()
        .unwrap();
    let at = x.inode_offset(n.ino).unwrap();
    assert_eq!(n.raw[5], 2, "expected an extent-list inode from mkfs.xfs");
    let next = u32::from_be_bytes(n.raw[76..80].try_into().unwrap()) as usize;
    // The last block of the last AG: free in a nearly empty filesystem.
    let agbno = agblocks - 1;
    let fsb = ((agcount - 1) << agblklog) | agbno;
    let byte = ((agcount - 1) * agblocks + agbno) * bs;
    let mut b = vec![0u8; bs as usize];
    b[..4].copy_from_slice(b"BMA3");
    b[6..8].copy_from_slice(&(next as u16).to_be_bytes());
    b[8..24].fill(0xff);
    b[72..72 + next * 16].copy_from_slice(&n.raw[176..176 + next * 16]);
    put(&p, byte, &b);
    let maxrecs = (n.raw.len() - 176 - 4) / 16;
    let mut fork = vec![0u8; n.raw.len() - 176];
    fork[0..2].copy_from_slice(&1u16.to_be_bytes());
    fork[2..4].copy_from_slice(&1u16.to_be_bytes());
    fork[4 + maxrecs * 8..4 + maxrecs * 8 + 8].copy_from_slice(&fsb.to_be_bytes());
    put(&p, at + 176, &fork);
    put(&p, at + 82, &[0]);
    put(&p, at + 5, &[3]);
    let d = open_disk(&p, &OpenOptions::default()).unwrap();
    let (got, notes) = listing(&mut d.volumes[0].layer("t").unwrap());
    assert!(notes.is_empty(), "{notes:?}");
    assert_same(f, got, "xfs btree extents");
}

/// Random byte flips in the metadata of real images never panic and always finish.
#[test]
fn mutated_images_never_panic() {
    use sekisho_disk::dev::{Dev, MemDev};
    let Some(f) = fixture() else { return };
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let qcow = qcow2_of(f, "mut.qcow2");
    let cases: [(&Path, usize); 3] = [(&f.ext4, 2 << 20), (&f.xfs, 1 << 20), (&qcow, 1 << 20)];
    for (path, span) in cases {
        let base = fs::read(path).unwrap();
        let span = span.min(base.len());
        let tail: Dev = Arc::new(MemDev::new(base[span..].to_vec()));
        for _ in 0..30 {
            let mut data = base[..span].to_vec();
            for _ in 0..(1 + rnd() % 16) {
                let at = (rnd() as usize) % span;
                data[at] = rnd() as u8;
            }
            // Mutated head, untouched tail.
            let head: Dev = Arc::new(MemDev::new(data));
            let file: Dev = Arc::new(sekisho_disk::dev::ConcatDev::new(
                vec![head, tail.clone()],
                "mutant",
            ));
            let (format, dev) = match sekisho_disk::image::detect(&file) {
                Ok(sekisho_disk::Format::Qcow2) => match sekisho_disk::qcow2::open(file, None) {
                    Ok(d) => (sekisho_disk::Format::Qcow2, d),
                    Err(_) => continue,
                },
                _ => (sekisho_disk::Format::Raw, file),
            };
            let t0 = std::time::Instant::now();
            if let Ok(d) = sekisho_disk::analyse(path, format, dev) {
                for v in &d.volumes {
                    if let Some(mut l) = v.layer("t") {
                        let mut notes = Vec::new();
                        let _ = l.walk(
                            &mut |_m, r| {
                                let mut sink = Vec::new();
                                r.take(64 << 10).read_to_end(&mut sink).map(|_| ())
                            },
                            &mut notes,
                        );
                    }
                }
            }
            if t0.elapsed().as_millis() > 300 {
                eprintln!("SLOW {} {:?}", path.display(), t0.elapsed());
            }
        }
    }
}

/// Listing of a directory tree on the host (what a disk built from it must list).
fn host_listing(root: &Path) -> BTreeMap<String, String> {
    listing(&mut DirLayer::new(root).unwrap()).0
}

fn assert_same_as(want: &BTreeMap<String, String>, got: &BTreeMap<String, String>, what: &str) {
    let mut got = got.clone();
    got.retain(|p, _| p != "lost+found" && !p.starts_with("lost+found/"));
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} missing {:?}, {} extra {:?}",
        missing.len(),
        &missing[..missing.len().min(10)],
        extra.len(),
        &extra[..extra.len().min(10)]
    );
    for (k, v) in want {
        assert_eq!(&got[k], v, "{what}: {k} differs");
    }
}

/// A small OS root with big directories: `dirs` = (name, entries, name suffix).
fn write_dirs_rootfs(root: &Path, dirs: &[(&str, usize, &str)]) {
    let _ = fs::remove_dir_all(root);
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(
        root.join("etc/os-release"),
        "NAME=\"Test Linux\"\nID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    for (dir, n, suffix) in dirs {
        fs::create_dir_all(root.join(dir)).unwrap();
        for i in 0..*n {
            fs::write(
                root.join(dir).join(format!("e{i:05}{suffix}")),
                format!("{dir} {i}\n"),
            )
            .unwrap();
        }
    }
}

fn read_node(fs: &dyn FsRead, path: &str) -> Option<(sekisho_disk::fsread::Node, Vec<u8>)> {
    let n = fs.lookup(path).unwrap()?;
    let mut v = Vec::new();
    fs.open(&n).unwrap().read_to_end(&mut v).unwrap();
    Some((n, v))
}

/// ext4 htree (indexed) directories, made by `e2fsck -fyD`: a one-level index ("big") and a
/// two-level one with interior index blocks ("huge", 1 KiB blocks). Every entry is listed, every
/// content reads back, and single names are found.
#[test]
fn ext4_htree_directories() {
    let Some(f) = fixture() else { return };
    if !sekisho_testutil::require(have("e2fsck"), "e2fsck (.ci/apt-packages.txt)") {
        return;
    }
    let root = f.dir.join("htree-root");
    let suffix = "-with-a-longer-name-to-fill-blocks";
    write_dirs_rootfs(&root, &[("big", 600, suffix), ("huge", 6000, suffix)]);
    let want = host_listing(&root);
    assert_eq!(want.len(), 6600 + 4);
    // (block size, htree depth of "big", of "huge")
    for (bs, levels) in [(1024u32, [0u8, 1]), (4096, [0, 0])] {
        let what = format!("ext4 htree, {bs}-byte blocks");
        let img = f.dir.join(format!("htree-{bs}.ext4"));
        fs::File::create(&img).unwrap().set_len(48 * MIB).unwrap();
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-b", &bs.to_string(), "-N", "10000", "-d"])
            .arg(&root)
            .arg(&img));
        // Exit 1 = "file system was modified" (the directories were indexed).
        let out = Command::new("e2fsck")
            .arg("-fyD")
            .arg(&img)
            .env(
                "PATH",
                format!(
                    "{}:/usr/sbin:/sbin",
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "e2fsck -fyD: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
        let fs4 = ext4_fs(&img);
        for (dir, levels) in [("big", levels[0]), ("huge", levels[1])] {
            let (n, data) = read_node(&fs4, dir).unwrap();
            let flags = u32::from_le_bytes(n.raw[32..36].try_into().unwrap());
            assert!(
                flags & 0x1000 != 0,
                "{what}: {dir} not indexed (flags {flags:#x})"
            );
            // dx_root: "." (12 bytes), ".." header (12 bytes), then dx_root_info; byte 30 is
            // indirect_levels.
            assert_eq!(data[30], levels, "{what}: {dir} htree depth");
            assert!(
                data.len() > 30 * 1024,
                "{what}: {dir} only {} bytes",
                data.len()
            );
        }
        let d = open_disk(&img, &OpenOptions::default()).unwrap();
        assert!(d.volumes[0].os_root, "{:?}", d.volumes[0]);
        let (got, notes) = listing(&mut d.volumes[0].layer("t").unwrap());
        assert!(notes.is_empty(), "{what}: {notes:?}");
        assert_same_as(&want, &got, &what);
        for (path, content) in [
            (format!("huge/e04321{suffix}"), "huge 4321\n"),
            (format!("huge/e05999{suffix}"), "huge 5999\n"),
            (format!("big/e00000{suffix}"), "big 0\n"),
        ] {
            let (n, v) =
                read_node(&fs4, &path).unwrap_or_else(|| panic!("{what}: {path} not found"));
            assert_eq!(n.kind, sekisho_disk::fsread::NodeKind::File);
            assert_eq!(v, content.as_bytes(), "{what}: {path}");
        }
        assert!(
            fs4.lookup(&format!("huge/e06000{suffix}"))
                .unwrap()
                .is_none()
        );
    }
}

/// qcow2 v3 zero clusters (with and without a preallocated host cluster, over file data and
/// over free space) read as zeros: the whole virtual disk equals `qemu-img convert -O raw`, and
/// a scan sees the zeroed file content.
#[test]
fn qcow2_zero_clusters_read_as_zeros() {
    let Some(f) = fixture() else { return };
    if !sekisho_testutil::require(have("qemu-io"), "qemu-io (.ci/apt-packages.txt)") {
        return;
    }
    let p = f.dir.join("zero.qcow2");
    run(Command::new("qemu-img")
        .args(["convert", "-f", "raw", "-O", "qcow2", "-o", "compat=1.1"])
        .arg(&f.gpt)
        .arg(&p));
    // Where the big file's data lies on the disk (ext4 blocks are 4 KiB-aligned).
    let raw = fs::read(&f.gpt).unwrap();
    let lib = fs::read(f.rootfs.join("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3")).unwrap();
    let pos = raw
        .chunks_exact(4096)
        .position(|c| c == &lib[..4096])
        .expect("libfoo on the disk")
        * 4096;
    assert_eq!(&raw[pos..pos + lib.len()], &lib[..], "libfoo is contiguous");
    let cs = 65536usize;
    let a = pos.div_ceil(cs) * cs;
    assert!(a + 2 * cs <= pos + lib.len());
    let free = (MIB as usize) + cs; // in the swap partition, past its signature: never written
    assert!(raw[free..free + cs].iter().all(|&b| b == 0));
    run(Command::new("qemu-io")
        .args(["-f", "qcow2"])
        .args(["-c", &format!("write -z {a} {cs}")])
        .args(["-c", &format!("write -z -u {} {cs}", a + cs)])
        .args(["-c", &format!("write -z {free} {cs}")])
        .arg(&p));
    // The image really has zero clusters: one still allocated, some not.
    let q = fs::read(&p).unwrap();
    let be64 = |o: usize| u64::from_be_bytes(q[o..o + 8].try_into().unwrap());
    let be32 = |o: usize| u32::from_be_bytes(q[o..o + 4].try_into().unwrap());
    assert_eq!(be32(4), 3, "qcow2 v3");
    assert_eq!(1usize << be32(20), cs);
    let (l1, l1n) = (be64(40) as usize, be32(36) as usize);
    let (mut zero_alloc, mut zero_plain) = (0, 0);
    for i in 0..l1n {
        let l2 = (be64(l1 + i * 8) & 0x00ff_ffff_ffff_fe00) as usize;
        if l2 == 0 {
            continue;
        }
        for j in 0..cs / 8 {
            let e = be64(l2 + j * 8);
            if e & 1 != 0 {
                if e & 0x00ff_ffff_ffff_fe00 != 0 {
                    zero_alloc += 1;
                } else {
                    zero_plain += 1;
                }
            }
        }
    }
    assert!(
        zero_alloc >= 1 && zero_plain >= 2,
        "zero clusters: {zero_alloc} allocated, {zero_plain} plain"
    );
    // Byte for byte against qemu's own reading.
    let want_path = f.dir.join("zero-converted.raw");
    run(Command::new("qemu-img")
        .args(["convert", "-f", "qcow2", "-O", "raw"])
        .arg(&p)
        .arg(&want_path));
    let want = fs::read(&want_path).unwrap();
    assert_eq!(want.len(), raw.len());
    assert!(want[a..a + 2 * cs].iter().all(|&b| b == 0));
    assert_eq!(want[..a], raw[..a]);
    assert_eq!(want[a + 2 * cs..], raw[a + 2 * cs..]);
    let file: sekisho_disk::Dev = Arc::new(sekisho_disk::dev::FileDev::open(&p).unwrap());
    let dev = sekisho_disk::qcow2::open(file, None).unwrap();
    assert_eq!(dev.size(), want.len() as u64);
    let mut buf = vec![0u8; MIB as usize];
    for (i, chunk) in want.chunks(buf.len()).enumerate() {
        let b = &mut buf[..chunk.len()];
        b.fill(0xAA);
        dev.read_at((i * MIB as usize) as u64, b).unwrap();
        if b != chunk {
            let at = b.iter().zip(chunk).position(|(x, y)| x != y).unwrap();
            panic!(
                "qcow2 differs from qemu-img at byte {}",
                i * MIB as usize + at
            );
        }
    }
    // Unaligned reads across the zero clusters.
    let mut b = vec![0xAAu8; 3 * cs];
    dev.read_at((a - cs / 2 - 7) as u64, &mut b).unwrap();
    assert_eq!(b[..], want[a - cs / 2 - 7..a + 5 * cs / 2 - 7]);
    // A scan sees the zeroed content; everything else is unchanged.
    let d = open_disk(&p, &OpenOptions::default()).unwrap();
    assert_eq!(d.os_roots().count(), 2);
    let (mut got, notes) = listing(&mut d.volumes[1].layer("t").unwrap());
    assert!(notes.is_empty(), "{notes:?}");
    let mut zeroed = lib.clone();
    zeroed[a - pos..a - pos + 2 * cs].fill(0);
    let libpath = "usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3";
    assert_eq!(
        got[libpath],
        format!("file {}", hex::encode(Sha256::digest(&zeroed)))
    );
    got.remove(libpath);
    let mut exp = expected(f);
    exp.remove(libpath);
    got.retain(|p, _| p != "lost+found" && !p.starts_with("lost+found/"));
    assert_same_as(&exp, &got, "qcow2 with zero clusters");
    let (got, _) = listing(&mut d.volumes[2].layer("t").unwrap());
    assert_same(f, got, "qcow2 with zero clusters, xfs");
}

/// XFS directory forms: which one a directory has, from xfs_db's bmap and the magic of the
/// block at the leaf offset (32 GiB).
fn xfs_dir_form(img: &Path, ino: u64) -> String {
    let out = Command::new("xfs_db")
        .args([
            "-r",
            "-f",
            "-c",
            &format!("inode {ino}"),
            "-c",
            "print core.format",
            "-c",
            "bmap",
        ])
        .arg(img)
        .env(
            "PATH",
            format!(
                "{}:/usr/sbin:/sbin",
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "xfs_db: {text}");
    if text.contains("core.format = 1") {
        return "short".into();
    }
    let mut sb = vec![0u8; 512];
    fs::File::open(img).unwrap().read_exact(&mut sb).unwrap();
    let bs = u64::from(u32::from_be_bytes(sb[4..8].try_into().unwrap()));
    let agblocks = u64::from(u32::from_be_bytes(sb[84..88].try_into().unwrap()));
    // "data offset 0 startblock 12 (0/12) count 1 flag 0"
    let mut exts = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("data offset")) {
        let w: Vec<&str> = l.split_whitespace().collect();
        let off: u64 = w[2].parse().unwrap();
        let (ag, agb) = w[5]
            .trim_matches(|c| c == '(' || c == ')')
            .split_once('/')
            .unwrap();
        let byte = (ag.parse::<u64>().unwrap() * agblocks + agb.parse::<u64>().unwrap()) * bs;
        exts.push((off, byte));
    }
    let magic = |byte: u64, at: usize, len: usize| {
        let mut f = fs::File::open(img).unwrap();
        let mut b = vec![0u8; at + len];
        f.seek(SeekFrom::Start(byte)).unwrap();
        f.read_exact(&mut b).unwrap();
        b[at..].to_vec()
    };
    let leaf = (1u64 << 35) / bs;
    let single = exts.len() == 1 && exts[0].0 == 0;
    match exts.iter().find(|e| e.0 == leaf) {
        None if single && matches!(&magic(exts[0].1, 0, 4)[..], b"XDB3" | b"XD2B") => {
            "block".into()
        }
        Some(&(_, byte)) => match magic(byte, 8, 2)[..] {
            [0x3d, 0xf1] | [0xd2, 0xf1] => "leaf".into(),
            [0x3e, 0xbe] | [0xfe, 0xbe] => "node".into(),
            ref m => format!("unknown leaf magic {m:x?}: {text}"),
        },
        None => format!("unknown: {text}"),
    }
}

/// XFS directories in every form: short-form (in the inode), block (one directory block with
/// its own leaf), leaf (data blocks and one leaf block) and node (a da-btree over leaf blocks);
/// on v5 with 4 KiB and with 16 KiB directory blocks, and on v4.
#[test]
fn xfs_directory_forms() {
    let Some(f) = fixture() else { return };
    if !sekisho_testutil::require(have("xfs_db"), "xfs_db (.ci/apt-packages.txt)") {
        return;
    }
    let root = f.dir.join("xfsdirs-root");
    let dirs: &[(&str, usize, &str)] = &[
        ("short", 6, ""),
        ("block", 60, "-twenty-chars"),
        ("leaf", 400, "-a-fairly-long-name-to-fill-data-blocks"),
        ("node", 2500, "-a-fairly-long-name-to-fill-data-blocks"),
    ];
    write_dirs_rootfs(&root, dirs);
    let out = Command::new("python3")
        .arg(mkproto())
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mkproto: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let proto = f.dir.join("xfsdirs.proto");
    fs::write(&proto, out.stdout).unwrap();
    for (name, opts) in [
        ("v5", &["-n", "size=4096"][..]),
        ("v5-16k-dirblocks", &["-n", "size=16384"][..]),
        ("v4", &["-m", "crc=0"][..]),
    ] {
        let img = f.dir.join(format!("xfsdirs-{name}.xfs"));
        fs::File::create(&img).unwrap().set_len(64 * MIB).unwrap();
        run(Command::new("mkfs.xfs")
            .args(["-q", "-f", "-b", "size=4096"])
            .args(opts)
            .arg("-p")
            .arg(&proto)
            .arg(&img)
            .env("TEST_DIR", "1")
            .env("TEST_DEV", "1")
            .env("QA_CHECK_FS", "1"));
        check_xfs_dirs(&img, &root, dirs, name);
    }
}

fn check_xfs_dirs(img: &Path, root: &Path, dirs: &[(&str, usize, &str)], what: &str) {
    let img = img.to_path_buf();
    let dev: sekisho_disk::Dev = Arc::new(sekisho_disk::dev::FileDev::open(&img).unwrap());
    let x = sekisho_disk::xfs::Xfs::open(dev).unwrap();
    for (dir, n, suffix) in dirs {
        let node = x.lookup(dir).unwrap().unwrap();
        assert_eq!(xfs_dir_form(&img, node.ino), *dir, "{what}: form of {dir}");
        let names = x.read_dir(&node).unwrap();
        assert_eq!(names.len(), *n, "{what}: {dir}");
        for i in [0, n / 2, n - 1] {
            let path = format!("{dir}/e{i:05}{suffix}");
            let (_, v) = read_node(&x, &path).unwrap_or_else(|| panic!("{what}: {path} not found"));
            assert_eq!(v, format!("{dir} {i}\n").as_bytes(), "{what}: {path}");
        }
        assert!(
            x.lookup(&format!("{dir}/e{n:05}{suffix}"))
                .unwrap()
                .is_none()
        );
    }
    let d = open_disk(&img, &OpenOptions::default()).unwrap();
    assert!(d.volumes[0].os_root, "{:?}", d.volumes[0]);
    let (got, notes) = listing(&mut d.volumes[0].layer("t").unwrap());
    assert!(notes.is_empty(), "{what}: {notes:?}");
    assert_same_as(&host_listing(root), &got, what);
}
