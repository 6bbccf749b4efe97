//! `sekisho kernel`, and the known-escapes section of `sekisho isolation`: this machine, given
//! identities, and a runc container started here showing up in `isolation --host` with the
//! runtime's identity (Debian's runc package) and its verdicts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{require, run, sekisho};

fn json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn escape<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["escapes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {doc}"))
}

/// A prerequisite is missing: fail in CI, say so loudly elsewhere.
#[track_caller]
fn missing(what: &str) -> bool {
    !require(
        false,
        &format!("{what} (see .ci/apt-packages.txt; tests run as root)"),
    )
}

#[test]
fn this_machine() {
    let doc = json(&["kernel", "--format", "json"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["kind"], "kernel");
    let uname = Command::new("uname").arg("-r").output().unwrap();
    assert_eq!(
        doc["kernel"]["release"],
        String::from_utf8_lossy(&uname.stdout).trim()
    );
    let escapes = doc["escapes"].as_array().unwrap();
    assert!(escapes.len() >= 20);
    for e in escapes {
        for k in ["id", "name", "component", "verdict", "reason"] {
            assert!(e[k].is_string(), "{k} missing in {e}");
        }
        assert!(
            matches!(
                e["verdict"].as_str().unwrap(),
                "affected" | "not-affected" | "unknown"
            ),
            "{e}"
        );
    }
    // Measured here: the preconditions are weighed with this process's evidence.
    assert!(doc["evidence"].is_object());
    // This machine's kernel (6.x): no kernel escape in the data is still open on 6.8 or later.
    let up = doc["kernel"]["upstream"].as_str().unwrap_or("0.0");
    let mut it = up.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    let (maj, min) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    if (maj, min) >= (6, 8) {
        let affected: Vec<&Value> = escapes
            .iter()
            .filter(|e| e["component"] == "kernel" && e["verdict"] == "affected")
            .collect();
        assert!(affected.is_empty(), "{affected:?}");
    }
    let out = run(&["kernel"]);
    assert!(out.status.success());
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.starts_with("KNOWN ESCAPES"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
}

#[test]
fn given_identities() {
    let doc = json(&["kernel", "--uname-r", "5.16.10", "--format", "json"]);
    let d = escape(&doc, "CVE-2022-0847");
    assert_eq!(d["verdict"], "affected");
    assert_eq!(d["reason"], "upstream 5.16.10 < 5.16.11");
    assert_eq!(d["component"], "kernel");
    assert_eq!(d["name"], "Dirty Pipe");
    assert!(
        doc["evidence"].is_null(),
        "a given identity is not measured"
    );
    assert_eq!(doc["runtimes"], serde_json::json!([]));
    let banner = "Linux version 5.10.0-11-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.92-1 (2022-01-18)";
    let doc = json(&["kernel", "--proc-version", banner, "--format", "json"]);
    assert_eq!(doc["kernel"]["release"], "5.10.0-11-amd64");
    assert_eq!(doc["kernel"]["distro"], "debian");
    assert_eq!(doc["kernel"]["package_version"], "5.10.92-1");
    assert_eq!(
        escape(&doc, "CVE-2022-0847")["reason"],
        "Debian 5.10.92-1 < fixed 5.10.92-2 (DSA-5092-1)"
    );
    let doc = json(&[
        "kernel",
        "--uname-r",
        "5.13.0-35-generic",
        "--version-signature",
        "Ubuntu 5.13.0-35.40-generic 5.13.19",
        "--format",
        "json",
    ]);
    assert_eq!(escape(&doc, "CVE-2022-0847")["verdict"], "not-affected");
    let out = run(&["kernel", "--uname-r", "4.18.0-372.9.1.el8.x86_64"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("CVE-2022-2588"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
    // Usage errors.
    let out = run(&[
        "kernel",
        "--version-signature",
        "Ubuntu 5.13.0-35.40-generic 5.13.19",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["kernel", "--proc-version", "garbage"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--proc-version"));
}

#[test]
fn isolation_inside_has_the_kernel_section() {
    let out = run(&["isolation", "--no-probe", "--format", "json"]);
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = &r["known_escapes"];
    assert!(k["kernel"]["release"].is_string(), "{k}");
    assert!(
        k["escapes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["component"] == "kernel")
    );
    // No probes: whether unshare works is not claimed.
    assert!(k["evidence"]["userns_creatable"].is_null());
    let out = run(&["isolation", "--no-probe"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("KNOWN ESCAPES"), "{t}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// `runc run` in the foreground of a child, killed and deleted on drop.
struct Runc {
    child: Child,
    state: PathBuf,
    id: String,
    _dir: tempfile::TempDir,
}

impl Drop for Runc {
    fn drop(&mut self) {
        for args in [
            vec!["kill", self.id.as_str(), "KILL"],
            vec!["delete", "-f", self.id.as_str()],
        ] {
            let _ = Command::new("runc")
                .arg("--root")
                .arg(&self.state)
                .args(&args)
                .output();
            if args[0] == "kill" {
                let _ = self.child.wait();
            }
        }
    }
}

fn start_runc() -> Runc {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let rootfs = bundle.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    for (l, t) in [
        ("bin", "usr/bin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
        ("sbin", "usr/sbin"),
    ] {
        std::os::unix::fs::symlink(t, rootfs.join(l)).unwrap();
    }
    for d in ["usr", "proc", "dev", "sys", "tmp", "etc"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    let st = Command::new("runc")
        .args(["spec", "--bundle"])
        .arg(&bundle)
        .status()
        .unwrap();
    assert!(st.success());
    let p = bundle.join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    cfg["process"]["terminal"] = Value::Bool(false);
    cfg["process"]["args"] = serde_json::json!(["sleep", "30"]);
    cfg["root"]["readonly"] = Value::Bool(true);
    cfg["mounts"].as_array_mut().unwrap().push(
        serde_json::json!({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]}),
    );
    std::fs::write(&p, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let id = format!("sekisho-kernel-{}", std::process::id());
    let state = dir.path().join("state");
    let child = Command::new("runc")
        .arg("--root")
        .arg(&state)
        .args(["run", "--bundle"])
        .arg(&bundle)
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    Runc {
        child,
        state,
        id,
        _dir: dir,
    }
}

fn dpkg_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", pkg])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn runc_container_in_the_host_view() {
    let Some(runc_bin) = on_path("runc") else {
        missing("runc is not installed (apt-get install runc)");
        return;
    };
    if !is_root() {
        missing("not root: runc containers need root");
        return;
    }
    let Some(pkg_version) = dpkg_version("runc") else {
        missing("runc is not Debian's package (dpkg-query -W runc)");
        return;
    };
    let c = start_runc();
    // Wait until the container's init runs `sleep`.
    let deadline = Instant::now() + Duration::from_secs(10);
    let sleeping = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "sleep")
                && std::fs::read_to_string(e.path().join("cgroup")).is_ok_and(|g| g.contains(&c.id))
        })
    };
    while !sleeping() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = sekisho()
        .args(["isolation", "--host", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The container is listed.
    let rows = r["containers"].as_array().unwrap();
    assert!(
        rows.iter().any(|row| row["cgroup_path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&c.id))),
        "runc container not listed: {rows:?}"
    );
    // The runtime, once, identified by Debian's package.
    let k = &r["known_escapes"];
    let real = std::fs::canonicalize(&runc_bin).unwrap();
    let runcs: Vec<&Value> = k["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "runc")
        .collect();
    assert_eq!(runcs.len(), 1, "{runcs:?}");
    let rt = runcs[0];
    assert_eq!(rt["path"], real.to_str().unwrap());
    assert_eq!(rt["version_source"], "package");
    assert_eq!(rt["package"]["manager"], "dpkg");
    assert_eq!(rt["package"]["name"], "runc");
    assert_eq!(rt["package"]["version"], pkg_version.as_str());
    let running = format!("running as pid {}", c.child.id());
    assert!(
        rt["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == running.as_str()),
        "{running} not in {}",
        rt["evidence"]
    );
    // Its verdicts: every runc escape in the data, judged against that binary.
    let runc_escapes: Vec<&Value> = k["escapes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["component"] == "runtime" && e["runtime_path"] == real.to_str().unwrap())
        .collect();
    assert!(runc_escapes.len() >= 10, "{runc_escapes:?}");
    let lv = runc_escapes
        .iter()
        .find(|e| e["id"] == "CVE-2024-21626")
        .unwrap();
    if pkg_version == "1.1.5+ds1-1+deb12u1" {
        assert_eq!(lv["verdict"], "not-affected", "{lv}");
        assert!(
            lv["reason"]
                .as_str()
                .unwrap()
                .starts_with("Debian runc 1.1.5+ds1-1+deb12u1 >= fixed"),
            "{lv}"
        );
    }
    // The kernel section is there too, once.
    assert!(k["kernel"]["release"].is_string());
    let t = String::from_utf8_lossy(
        &sekisho()
            .args(["isolation", "--host"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(t.contains("KNOWN ESCAPES"), "{t}");
    assert!(
        t.contains(&format!("(dpkg package runc {pkg_version})")),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
}
