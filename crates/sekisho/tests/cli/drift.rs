//! `sekisho drift` against real containers: an OCI layout built in the test (umoci), unpacked
//! and run with `unshare` + `chroot` and as a `runc` bundle, mutated from inside by its own
//! init script, then compared through `--pid` (/proc/PID/root) and `--rootfs`.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{have_tool, import, in_ci, sekisho, write};

pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Root, umoci and a static busybox (the containers' only program), or skip (fail in CI).
pub(crate) fn ready(extra: &[&str]) -> bool {
    for t in ["umoci", "busybox", "unshare", "chroot"]
        .iter()
        .chain(extra)
    {
        if !have_tool(t) {
            return false;
        }
    }
    if !is_root() {
        assert!(!in_ci(), "drift container tests must run as root in CI");
        eprintln!("skipping: not root");
        return false;
    }
    true
}

pub(crate) fn ok(c: &mut Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The container's init: every mutation the drift check must find, done from inside, then idle.
const MUTATE: &str = r#"#!/bin/sh
set -e
cp /bin/busybox /usr/local/bin/implant
touch -r /usr/bin/hello /tmp/stamp
printf 'Z9Q!' | dd of=/usr/bin/hello bs=1 seek=4096 conv=notrunc 2>/tmp/dd.err
touch -r /tmp/stamp /usr/bin/hello
rm /usr/share/doc/readme
chmod u+s /usr/bin/helper
echo 'evil:x:0:0::/root:/bin/sh' >> /etc/passwd
printf '\nPackage: evilpkg\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\nDescription: runtime install\n' >> /var/lib/dpkg/status
echo scratch > /tmp/scratch
echo log >> /var/log/app.log
echo ok > /tmp/ready
exec sleep 600
"#;

const IDLE: &str = "#!/bin/sh\necho ok > /tmp/ready\nexec sleep 600\n";

/// An OCI layout (tag `t`) with busybox, a binary to edit, a script to make setuid, a file to
/// delete, accounts, os-release and a dpkg status.
pub(crate) fn image(dir: &Path) -> PathBuf {
    let layout = dir.join("oci");
    ok(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    ok(Command::new("umoci")
        .args(["new", "--image"])
        .arg(format!("{}:t", layout.display())));
    let b = dir.join("build");
    ok(Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:t", layout.display()))
        .arg(&b));
    let r = b.join("rootfs");
    for d in [
        "bin",
        "usr/bin",
        "usr/local/bin",
        "usr/share/doc",
        "etc",
        "tmp",
        "var/log",
        "var/lib/dpkg",
        "proc",
        "sys",
        "dev",
        "root",
    ] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    std::fs::set_permissions(r.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::copy("/usr/bin/busybox", r.join("bin/busybox")).unwrap();
    for a in [
        "sh", "cp", "touch", "dd", "rm", "chmod", "sleep", "printf", "echo", "cat",
    ] {
        symlink("busybox", r.join("bin").join(a)).unwrap();
    }
    std::fs::copy("/usr/bin/busybox", r.join("usr/bin/hello")).unwrap();
    write(&r, "usr/bin/helper", "#!/bin/sh\necho helper\n");
    std::fs::set_permissions(
        r.join("usr/bin/helper"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    write(&r, "usr/share/doc/readme", "read me\n");
    write(&r, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    write(
        &r,
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    write(
        &r,
        "var/lib/dpkg/status",
        "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\nDescription: base\n",
    );
    write(&r, "mutate.sh", MUTATE);
    write(&r, "idle.sh", IDLE);
    ok(Command::new("umoci")
        .args(["repack", "--image"])
        .arg(format!("{}:t", layout.display()))
        .arg(&b));
    layout
}

/// A fresh bundle (rootfs + runc config) of the image.
pub(crate) fn unpack(layout: &Path, bundle: &Path) -> PathBuf {
    ok(Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:t", layout.display()))
        .arg(bundle));
    bundle.join("rootfs")
}

pub(crate) fn wait_ready(rootfs: &Path) {
    let t0 = Instant::now();
    while !rootfs.join("tmp/ready").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "container never got ready"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `unshare -m chroot ROOT /bin/sh SCRIPT`: its PID is the container's init.
pub(crate) struct Chroot(pub(crate) Child);

impl Chroot {
    pub(crate) fn start(rootfs: &Path, script: &str) -> Self {
        let c = Command::new("unshare")
            .args(["-m", "--propagation", "private", "chroot"])
            .arg(rootfs)
            .args(["/bin/sh", script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        wait_ready(rootfs);
        Self(c)
    }
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Chroot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn drift(layout: &Path, how: &[&str]) -> (i32, Value) {
    let out = sekisho()
        .arg("drift")
        .arg("--oci-dir")
        .arg(format!("{}:t", layout.display()))
        .args(how)
        .args([
            "--format",
            "json",
            "--no-cache",
            "--offline",
            "--fail-on-drift",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

pub(crate) fn changes(v: &Value, key: &str) -> Vec<(String, String, String)> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
                c["class"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) fn t(p: &str, c: &str, k: &str) -> (String, String, String) {
    (p.to_string(), c.to_string(), k.to_string())
}

/// Every mutation of [`MUTATE`], with its change and class.
pub(crate) fn assert_mutations(code: i32, v: &Value) {
    assert_eq!(
        changes(v, "changes"),
        [
            t("/etc/passwd", "modified", "etc-config"),
            t("/usr/bin/hello", "modified", "executable"),
            t("/usr/bin/helper", "metadata", "setuid"),
            t("/usr/local/bin/implant", "added", "executable"),
            t("/usr/share/doc/readme", "deleted", "deleted"),
            t("/var/lib/dpkg/status", "modified", "package-db"),
        ],
        "{v:#}"
    );
    let hello = &v["changes"][1]["detail"];
    assert!(
        hello
            .as_str()
            .unwrap()
            .contains("content differs, same size"),
        "{hello}"
    );
    assert_eq!(v["changes"][2]["detail"], "mode 0755 -> 4755");
    let added: Vec<(&str, &str)> = v["packages"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(added, [("evilpkg", "1.0-1")]);
    let vol: Vec<String> = changes(v, "volatile").into_iter().map(|c| c.0).collect();
    for p in [
        "/tmp/scratch",
        "/tmp/stamp",
        "/tmp/ready",
        "/var/log/app.log",
    ] {
        assert!(vol.contains(&p.to_string()), "{p} not in {vol:?}");
    }
    assert!(changes(v, "volatile").iter().all(|c| c.2 == "volatile"));
    // The runtime package could not be checked offline without a DB: said, not hidden.
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("installed or upgraded at runtime were not checked"),
        "{notes}"
    );
    assert_eq!(code, 1, "--fail-on-drift trips");
}

#[test]
fn chroot_container_mutations_by_pid_and_rootfs() {
    if !ready(&[]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let layout = image(d.path());
    let rootfs = unpack(&layout, &d.path().join("c1"));
    let c = Chroot::start(&rootfs, "/mutate.sh");
    let pid = c.pid().to_string();
    let (code, v) = drift(&layout, &["--pid", &pid]);
    assert_mutations(code, &v);
    assert_eq!(v["container"], format!("pid {pid}"));
    let (code, v) = drift(&layout, &["--rootfs", rootfs.to_str().unwrap()]);
    assert_mutations(code, &v);
    // With a DB, the package installed at runtime is matched: a SYNTHETIC record (written for
    // this test, not a real advisory) affects evilpkg before 1.1; base-files (in the image) is
    // not re-reported.
    let osv = d.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    std::fs::write(
        osv.join("DEBIAN-CVE-2099-7777.json"),
        r#"{"schema_version":"1.7.3","id":"DEBIAN-CVE-2099-7777","modified":"2026-01-01T00:00:00Z",
            "upstream":["CVE-2099-7777"],"summary":"SYNTHETIC test record for evilpkg",
            "affected":[{"package":{"ecosystem":"Debian:12","name":"evilpkg"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1-1"}]}],
              "ecosystem_specific":{"urgency":"high"}}]}"#,
    )
    .unwrap();
    let db = d.path().join("db.sqlite");
    import(&db, &[osv]);
    let (_, v) = drift(&layout, &["--pid", &pid, "--db", db.to_str().unwrap()]);
    assert_eq!(v["vulnerability_data"], true, "{:#}", v["notes"]);
    let ids: Vec<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids, ["CVE-2099-7777"], "{:#}", v["vulnerabilities"]);
    assert_eq!(v["summary"]["runtime_vulnerabilities"], 1);
    // The same through SARIF: one result per change, by rule.
    let out = sekisho()
        .arg("drift")
        .arg("--oci-dir")
        .arg(format!("{}:t", layout.display()))
        .args([
            "--pid",
            &pid,
            "--format",
            "sarif",
            "--no-cache",
            "--offline",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "no gate without --fail-on-drift"
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for r in [
        "drift-setuid",
        "drift-executable",
        "drift-etc-config",
        "drift-package",
    ] {
        assert!(rules.contains(&r), "{r} not in {rules:?}");
    }
}

#[test]
fn idle_chroot_container_has_no_drift() {
    if !ready(&[]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let layout = image(d.path());
    let rootfs = unpack(&layout, &d.path().join("c2"));
    let c = Chroot::start(&rootfs, "/idle.sh");
    let (code, v) = drift(&layout, &["--pid", &c.pid().to_string()]);
    assert_eq!(v["summary"]["changes"], 0, "{v:#}");
    assert_eq!(changes(&v, "changes"), []);
    assert!(v["packages"]["added"].as_array().unwrap().is_empty());
    assert_eq!(code, 0);
    // Its only write is on the volatile list.
    assert_eq!(
        changes(&v, "volatile"),
        [t("/tmp/ready", "added", "volatile")]
    );
    assert!(v["summary"]["bytes_hashed"].as_u64().unwrap() > 1_000_000);
}

#[test]
fn runc_bundle_mutations_by_pid_and_rootfs() {
    if !ready(&["runc"]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let layout = image(d.path());
    let bundle = d.path().join("c3");
    let rootfs = unpack(&layout, &bundle);
    let cfg_path = bundle.join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["process"]["terminal"] = Value::Bool(false);
    cfg["process"]["args"] = serde_json::json!(["/bin/sh", "/mutate.sh"]);
    cfg["root"]["readonly"] = Value::Bool(false);
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let state = d.path().join("state");
    let id = format!("sekisho-drift-{}", std::process::id());
    let runc = |args: &[&str]| {
        Command::new("runc")
            .arg("--root")
            .arg(&state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    // Detached: the container keeps its stdio, so none of it may be a pipe we wait on.
    let log = std::fs::File::create(d.path().join("runc.log")).unwrap();
    let st = Command::new("runc")
        .arg("--root")
        .arg(&state)
        .args(["run", "-d", "--bundle", bundle.to_str().unwrap(), &id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .unwrap();
    assert!(
        st.success(),
        "{}",
        std::fs::read_to_string(d.path().join("runc.log")).unwrap_or_default()
    );
    struct Gone<'a>(&'a dyn Fn(&[&str]) -> std::process::Output, &'a str);
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["delete", "-f", self.1]);
        }
    }
    let _gone = Gone(&runc, &id);
    wait_ready(&rootfs);
    let st: Value = serde_json::from_slice(&runc(&["state", &id]).stdout).unwrap();
    let pid = st["pid"].as_u64().unwrap().to_string();
    let (code, v) = drift(&layout, &["--pid", &pid]);
    assert_mutations(code, &v);
    // runc's mounts (proc, dev, sys, …) are listed as not covered, never as drift.
    let nc: Vec<&str> = v["not_covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    for m in ["/proc", "/dev", "/sys"] {
        assert!(nc.contains(&m), "{m} not in {nc:?}");
    }
    let (code, v) = drift(&layout, &["--rootfs", rootfs.to_str().unwrap()]);
    assert_mutations(code, &v);
}

/// The container's root as an overlay mount (lower: the unpacked image; upper: the container's
/// writes), run with `unshare` + `chroot` on the merged directory. The upper directory confirms
/// every change the content comparison found; a file then changed in the lower directory from
/// the host (a tampered layer store) is reported, and the witness says it did not come through
/// the container's writable layer.
#[test]
fn overlay_upperdir_witnesses_changes_and_exposes_lower_layer_tampering() {
    if !ready(&["mount"]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let layout = image(d.path());
    let lower = unpack(&layout, &d.path().join("c4"));
    let (upper, work, merged) = (
        d.path().join("upper"),
        d.path().join("work"),
        d.path().join("merged"),
    );
    for p in [&upper, &work, &merged] {
        std::fs::create_dir_all(p).unwrap();
    }
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let child = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount -t overlay overlay -o "$1" "$2" && exec chroot "$2" /bin/sh /mutate.sh"#)
        .args(["sh", &opts, merged.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let c = Chroot(child);
    // The merged directory is only mounted inside the container's namespace: wait on the
    // upper directory, where the container's writes land.
    wait_ready(&upper);
    let pid = c.pid().to_string();
    let (code, v) = drift(&layout, &["--pid", &pid]);
    assert_mutations(code, &v);
    let w = &v["overlay"];
    assert_eq!(w["upperdir"], upper.to_str().unwrap(), "{v:#}");
    let all = v["changes"].as_array().unwrap().len() + v["volatile"].as_array().unwrap().len();
    assert_eq!(w["confirmed"], all, "{w:#}");
    assert_eq!(w["lower_layer_changes"], serde_json::json!([]), "{w:#}");
    assert!(
        w["whiteouts"].as_u64().unwrap() >= 1,
        "the deleted readme: {w:#}"
    );

    // Tamper with the image's files on the host, below the container.
    let os = lower.join("etc/os-release");
    let mut text = std::fs::read_to_string(&os).unwrap();
    text.push_str("TAMPERED=1\n");
    std::fs::write(&os, text).unwrap();
    let (_, v) = drift(&layout, &["--pid", &pid]);
    let w = &v["overlay"];
    assert_eq!(
        w["lower_layer_changes"],
        serde_json::json!(["/etc/os-release"]),
        "{v:#}"
    );
    let row = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "/etc/os-release")
        .unwrap_or_else(|| panic!("/etc/os-release not reported: {v:#}"));
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("not in the overlay upper directory"),
        "{row}"
    );
    // The table says it too.
    let out = sekisho()
        .arg("drift")
        .arg("--oci-dir")
        .arg(format!("{}:t", layout.display()))
        .args(["--pid", &pid, "--no-cache", "--offline"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(
            "1 not made through it (the image's lower layers on this host differ): /etc/os-release"
        ),
        "{table}"
    );
}
