//! `sekisho isolation` inside real sandboxes built with Debian's tools (unshare, bwrap, runc,
//! setpriv), checked field by field against each sandbox's known configuration, plus the host
//! view listing those sandboxes while they sleep.
//!
//! The namespace/capability tests need root (CI runs as root); elsewhere they skip with a note.
//! In CI a missing tool is a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{have_tool, in_ci, run, sekisho};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sekisho"))
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

/// Root and the tool are needed; in CI both must be there.
fn can_sandbox(tool: &str) -> bool {
    if !have_tool(tool) {
        return false;
    }
    if !is_root() {
        assert!(!in_ci(), "sandbox tests must run as root in CI");
        eprintln!("skipping: not root");
        return false;
    }
    true
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn shared(r: &Value, kind: &str) -> Value {
    r["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} namespace in {r}"))["shared_with_host"]
        .clone()
}

fn assert_namespaces(r: &Value, private: &[&str]) {
    for k in ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"] {
        let want = !private.contains(&k);
        assert_eq!(
            shared(r, k),
            Value::Bool(want),
            "{k} namespace: shared_with_host should be {want}"
        );
    }
}

fn probe(r: &Value, s: &str) -> String {
    r["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["syscall"] == s)
        .unwrap_or_else(|| panic!("no probe {s}"))["result"]
        .as_str()
        .unwrap()
        .to_string()
}

fn finding_ids(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn cmd_output(mut c: Command) -> Output {
    c.env("NO_COLOR", "1").output().expect("spawn sandbox")
}

fn iso_args() -> Vec<String> {
    vec![
        bin().display().to_string(),
        "isolation".into(),
        "--format".into(),
        "json".into(),
    ]
}

#[test]
fn outside_any_sandbox() {
    let out = run(&["isolation", "--format", "json", "--no-probe"]);
    let r = json(&out);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["kind"], "isolation");
    assert_eq!(r["view"], "inside");
    assert!(r["probes"].is_null());
    assert_eq!(r["seccomp"]["mode"], 0);
    // The test runs on the host: the PID namespace is the initial one.
    assert_eq!(shared(&r, "pid"), Value::Bool(true));
    assert!(finding_ids(&r).contains(&"no-seccomp".to_string()));
    let out = run(&["isolation", "--no-probe"]);
    assert!(out.status.success());
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("WALL"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
}

#[test]
fn fail_on_gates_and_usage_errors() {
    let out = run(&["isolation", "--no-probe", "--fail-on", "no-seccomp"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-seccomp"));
    let out = run(&[
        "isolation",
        "--no-probe",
        "--fail-on",
        "userns-host-root,host-processes-visible",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&["isolation", "--fail-on", "not-a-check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown check ID"));
    let out = run(&["isolation", "--host", "--pid", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["isolation", "--pid", "4294967"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["isolation", "--help"]);
    let h = String::from_utf8_lossy(&out.stdout);
    for id in [
        "privileged",
        "no-seccomp",
        "cap-sys-admin",
        "host-pid-ns",
        "runtime-socket",
    ] {
        assert!(h.contains(id), "--help lacks {id}");
    }
}

#[test]
fn pid_option_audits_another_process() {
    let mut child = Command::new("sleep").arg("20").spawn().unwrap();
    let out = run(&[
        "isolation",
        "--pid",
        &child.id().to_string(),
        "--format",
        "json",
    ]);
    let _ = child.kill();
    let _ = child.wait();
    let r = json(&out);
    assert_eq!(r["target"]["own"], Value::Bool(false));
    assert_eq!(r["target"]["name"], "sleep");
    assert!(
        r["probes"].is_null(),
        "probes are for the calling process only"
    );
}

#[test]
fn unshare_full_set() {
    if !can_sandbox("unshare") {
        return;
    }
    let mut c = Command::new("unshare");
    c.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "--net",
        "--uts",
        "--ipc",
        "--cgroup",
        "--",
    ])
    .args(iso_args());
    let r = json(&cmd_output(c));
    assert_namespaces(&r, &["mnt", "pid", "net", "ipc", "uts", "cgroup"]);
    // Own /proc: only the auditor's PID namespace is visible.
    assert_eq!(r["exposure"]["host_processes_visible"], Value::Bool(false));
    assert_eq!(
        r["exposure"]["own_namespace_processes"],
        r["exposure"]["visible_processes"]
    );
    // No seccomp, all of root's capabilities.
    assert_eq!(r["seccomp"]["mode"], 0);
    assert_eq!(r["capabilities"]["scope"], "initial-user-namespace");
    assert!(
        r["capabilities"]["dangerous"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CAP_SYS_ADMIN")
    );
    // Same root filesystem as the host (a mount namespace, but no new root).
    assert_eq!(probe(&r, "mount"), "allowed");
    assert_eq!(probe(&r, "setns"), "allowed");
    let ids = finding_ids(&r);
    for id in [
        "no-seccomp",
        "cap-sys-admin",
        "host-user-ns",
        "syscall-mount",
    ] {
        assert!(ids.contains(&id.to_string()), "{id} missing: {ids:?}");
    }
    for id in ["host-pid-ns", "host-net-ns", "host-mnt-ns"] {
        assert!(!ids.contains(&id.to_string()), "{id} unexpected");
    }
}

#[test]
fn unshare_net_uts_only() {
    if !can_sandbox("unshare") {
        return;
    }
    let mut c = Command::new("unshare");
    c.args(["--net", "--uts", "--"])
        .args(iso_args())
        .arg("--no-probe");
    let r = json(&cmd_output(c));
    assert_namespaces(&r, &["net", "uts"]);
    let ids = finding_ids(&r);
    assert!(ids.contains(&"host-pid-ns".to_string()));
    assert!(ids.contains(&"host-mnt-ns".to_string()));
    assert!(!ids.contains(&"host-net-ns".to_string()));
}

#[test]
fn unshare_user_namespace_rootless() {
    if !can_sandbox("unshare") {
        return;
    }
    // Root mapping itself: uid_map "0 0 1".
    let mut c = Command::new("unshare");
    c.args([
        "--user",
        "--map-root-user",
        "--mount",
        "--pid",
        "--fork",
        "--mount-proc",
        "--",
    ])
    .args(iso_args());
    let r = json(&cmd_output(c));
    assert_namespaces(&r, &["user", "mnt", "pid"]);
    let u = &r["user_namespace"];
    assert_eq!(u["initial"], Value::Bool(false));
    assert_eq!(u["root_maps_to"], 0);
    assert_eq!(u["uid_coverage"], "single");
    assert_eq!(r["capabilities"]["scope"], "user-namespace");
    assert!(r["capabilities"]["privileged"].as_bool().unwrap());
    let ids = finding_ids(&r);
    assert!(ids.contains(&"userns-host-root".to_string()));
    assert!(
        !ids.contains(&"privileged".to_string()),
        "caps are scoped to the user namespace"
    );
    // Capabilities over the host's resources are gone: no module loading, no kexec.
    assert_ne!(probe(&r, "init_module"), "allowed");
    assert_ne!(probe(&r, "kexec_load"), "allowed");

    // An unprivileged user (nobody) creating its own user namespace.
    if !have_tool("setpriv") {
        return;
    }
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        "unshare",
        "--user",
        "--map-root-user",
        "--",
    ])
    .args(iso_args());
    let r = json(&cmd_output(c));
    let u = &r["user_namespace"];
    assert_eq!(u["root_maps_to"], 65534);
    assert_eq!(u["uid_map"][0]["outside"], 65534);
    assert_eq!(u["uid_coverage"], "single");
    assert_eq!(shared(&r, "user"), Value::Bool(false));
    assert_eq!(shared(&r, "mnt"), Value::Bool(true));
    assert_ne!(probe(&r, "kexec_load"), "allowed");
    assert!(!finding_ids(&r).contains(&"userns-host-root".to_string()));
}

#[test]
fn setpriv_non_root_without_namespaces() {
    if !can_sandbox("setpriv") {
        return;
    }
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--",
    ])
    .args(iso_args());
    let r = json(&cmd_output(c));
    assert_eq!(r["target"]["uid"], 65534);
    assert_eq!(r["capabilities"]["effective"]["hex"], "0000000000000000");
    assert_eq!(r["capabilities"]["privileged"], Value::Bool(false));
    for s in ["mount", "setns", "open_by_handle_at"] {
        assert_eq!(probe(&r, s), "denied-by-capabilities", "{s}");
    }
    assert!(
        !finding_ids(&r).contains(&"host-user-ns".to_string()),
        "not root"
    );
}

fn bwrap_cmd(extra: &[String]) -> Command {
    let mut c = Command::new("bwrap");
    c.args([
        "--unshare-all",
        "--die-with-parent",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--",
    ])
    .args(extra);
    c
}

#[test]
fn bwrap_unshare_all_cap_drop_all() {
    if !can_sandbox("bwrap") {
        return;
    }
    let r = json(&cmd_output(bwrap_cmd(&iso_args())));
    assert_namespaces(&r, &["mnt", "pid", "net", "ipc", "uts", "user", "cgroup"]);
    assert_eq!(r["capabilities"]["effective"]["hex"], "0000000000000000");
    assert_eq!(r["capabilities"]["bounding"]["hex"], "0000000000000000");
    assert!(
        r["capabilities"]["dangerous"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(r["seccomp"]["no_new_privs"], Value::Bool(true));
    assert_eq!(r["seccomp"]["mode"], 0);
    // --ro-bind / / puts the host root in, read-only; --dev gives no block devices.
    let hm = r["exposure"]["host_mounts"].as_array().unwrap();
    assert!(
        hm.iter()
            .any(|m| m["host_path"] == "/" && m["mount_point"] == "/" && m["writable"] == false),
        "{hm:?}"
    );
    assert!(
        r["exposure"]["block_devices"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(r["exposure"]["host_processes_visible"], Value::Bool(false));
    for s in ["mount", "setns", "open_by_handle_at"] {
        assert_eq!(probe(&r, s), "denied-by-capabilities", "{s}");
    }
    let ids = finding_ids(&r);
    assert!(ids.contains(&"host-root-mount".to_string()));
    assert!(!ids.contains(&"no-new-privs-off".to_string()));
}

/// A runc bundle whose rootfs is an empty directory with /usr bind-mounted read-only (Debian is
/// merged-/usr) and the sekisho binary bound at /sekisho.
fn runc_bundle(dir: &Path, args: &[&str], tweak: impl FnOnce(&mut Value)) -> PathBuf {
    let bundle = dir.join("bundle");
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
    std::fs::write(rootfs.join("sekisho"), b"").unwrap();
    let st = Command::new("runc")
        .args(["spec", "--bundle"])
        .arg(&bundle)
        .status()
        .unwrap();
    assert!(st.success());
    let p = bundle.join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    cfg["process"]["terminal"] = Value::Bool(false);
    cfg["process"]["args"] = serde_json::json!(args);
    cfg["root"]["readonly"] = Value::Bool(true);
    let mounts = cfg["mounts"].as_array_mut().unwrap();
    mounts.push(serde_json::json!({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]}));
    mounts.push(serde_json::json!({"destination": "/sekisho", "type": "bind", "source": bin(), "options": ["bind", "ro"]}));
    tweak(&mut cfg);
    std::fs::write(&p, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    bundle
}

fn runc_run(dir: &Path, bundle: &Path, id: &str) -> Output {
    let out = Command::new("runc")
        .arg("--root")
        .arg(dir.join("state"))
        .args(["run", "--bundle"])
        .arg(bundle)
        .arg(id)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = Command::new("runc")
        .arg("--root")
        .arg(dir.join("state"))
        .args(["delete", "-f", id])
        .output();
    out
}

fn unique(tag: &str) -> String {
    format!("sekisho-{tag}-{}", std::process::id())
}

#[test]
fn runc_default_spec() {
    if !can_sandbox("runc") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let b = runc_bundle(
        d.path(),
        &["/sekisho", "isolation", "--format", "json"],
        |_| {},
    );
    let r = json(&runc_run(d.path(), &b, &unique("default")));
    // `runc spec`: pid, network, ipc, uts, mount (and cgroup on newer runc) namespaces.
    for k in ["mnt", "pid", "net", "ipc", "uts"] {
        assert_eq!(shared(&r, k), Value::Bool(false), "{k}");
    }
    assert_eq!(shared(&r, "user"), Value::Bool(true));
    assert_eq!(r["seccomp"]["mode"], 0);
    assert_eq!(r["seccomp"]["no_new_privs"], Value::Bool(true));
    assert_eq!(r["capabilities"]["effective"]["hex"], "0000000020000420");
    assert_eq!(
        r["capabilities"]["effective"]["names"],
        serde_json::json!(["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"])
    );
    // runc's default maskedPaths/readonlyPaths.
    assert_eq!(r["exposure"]["kcore_readable"], Value::Bool(false));
    assert_eq!(r["exposure"]["sysrq_trigger_writable"], Value::Bool(false));
    assert_eq!(r["exposure"]["proc_sys_writable"], Value::Bool(false));
    assert_eq!(probe(&r, "mount"), "denied-by-capabilities");
    assert_eq!(probe(&r, "ptrace"), "allowed");
    let hm = r["exposure"]["host_mounts"].as_array().unwrap();
    assert!(
        hm.iter()
            .any(|m| m["host_path"] == "/usr" && m["writable"] == false),
        "{hm:?}"
    );
    assert!(finding_ids(&r).contains(&"no-seccomp".to_string()));
}

#[test]
fn runc_with_seccomp_profile() {
    if !can_sandbox("runc") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let b = runc_bundle(
        d.path(),
        &["/sekisho", "isolation", "--format", "json"],
        |cfg| {
            cfg["linux"]["seccomp"] = serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [
                    {"names": ["mount", "unshare", "keyctl", "add_key", "bpf", "kexec_load", "init_module",
                               "open_by_handle_at", "setns", "perf_event_open", "userfaultfd"],
                     "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                    {"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                    {"names": ["ptrace"], "action": "SCMP_ACT_KILL"}
                ]
            });
        },
    );
    let r = json(&runc_run(d.path(), &b, &unique("seccomp")));
    assert_eq!(r["seccomp"]["mode"], 2);
    assert_eq!(r["seccomp"]["filters"], 1);
    for s in [
        "mount",
        "unshare",
        "keyctl",
        "add_key",
        "setns",
        "userfaultfd",
        "open_by_handle_at",
        "bpf",
        "perf_event_open",
    ] {
        assert_eq!(probe(&r, s), "blocked-by-seccomp", "{s}");
    }
    // ENOSYS from the filter on a kernel that has io_uring; a kill action for ptrace.
    if Path::new("/proc/sys/kernel/io_uring_disabled").exists() {
        assert_eq!(probe(&r, "io_uring_setup"), "blocked-by-seccomp");
    }
    assert_eq!(probe(&r, "ptrace"), "blocked-by-seccomp");
    let ids = finding_ids(&r);
    assert!(!ids.contains(&"no-seccomp".to_string()));
    assert!(
        r["walls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["wall"] == "seccomp" && w["status"] != "missing")
    );
}

#[test]
fn runc_reduced_capabilities() {
    if !can_sandbox("runc") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let b = runc_bundle(
        d.path(),
        &["/sekisho", "isolation", "--format", "json"],
        |cfg| {
            let set = serde_json::json!(["CAP_CHOWN", "CAP_SYS_PTRACE"]);
            for k in ["bounding", "effective", "permitted"] {
                cfg["process"]["capabilities"][k] = set.clone();
            }
            cfg["process"]["capabilities"]["inheritable"] = serde_json::json!([]);
            cfg["process"]["capabilities"]["ambient"] = serde_json::json!([]);
        },
    );
    let r = json(&runc_run(d.path(), &b, &unique("caps")));
    assert_eq!(r["capabilities"]["effective"]["hex"], "0000000000080001");
    assert_eq!(r["capabilities"]["bounding"]["hex"], "0000000000080001");
    assert_eq!(
        r["capabilities"]["dangerous"],
        serde_json::json!(["CAP_SYS_PTRACE"])
    );
    assert!(finding_ids(&r).contains(&"cap-sys-ptrace".to_string()));
    assert!(!finding_ids(&r).contains(&"cap-sys-admin".to_string()));
    assert_eq!(
        probe(&r, "userfaultfd"),
        "allowed",
        "CAP_SYS_PTRACE permits kernel-mode userfaultfd"
    );
}

struct Sandbox(Child);
impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The PIDs of `pid` and all its descendants.
fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let c = children_of(all[i]);
        all.extend(c);
        i += 1;
    }
    all
}

#[test]
fn host_view_lists_sandboxes() {
    if !can_sandbox("unshare") || !have_tool("bwrap") {
        return;
    }
    let uns = Sandbox(
        Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "--net", "sleep", "30"])
            .spawn()
            .unwrap(),
    );
    let bw = Sandbox(bwrap_cmd(&["sleep".into(), "30".into()]).spawn().unwrap());
    let rootless = Sandbox(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                "unshare",
                "--user",
                "--map-root-user",
                "--pid",
                "--fork",
                "sleep",
                "30",
            ])
            .spawn()
            .unwrap(),
    );
    // Wait until every sandbox has its sleeping child.
    let deadline = Instant::now() + Duration::from_secs(5);
    while [&uns, &bw, &rootless]
        .iter()
        .any(|s| tree(s.0.id()).len() < 2)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = sekisho()
        .args(["isolation", "--host", "--format", "json"])
        .output()
        .unwrap();
    let r = json(&out);
    assert_eq!(r["view"], "host");
    let rows = r["containers"].as_array().unwrap();
    let row_with = |pids: &[u32]| {
        rows.iter().find(|c| {
            c["pids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| pids.contains(&(p.as_u64().unwrap() as u32)))
        })
    };
    let u = row_with(&tree(uns.0.id()))
        .unwrap_or_else(|| panic!("unshare sandbox not listed: {rows:?}"));
    assert_eq!(u["grouped_by"], "pid-ns");
    let ns = |c: &Value, k: &str| {
        c["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["type"] == k)
            .unwrap()["shared_with_host"]
            .clone()
    };
    assert_eq!(ns(u, "pid"), Value::Bool(false));
    assert_eq!(ns(u, "net"), Value::Bool(false));
    assert_eq!(ns(u, "user"), Value::Bool(true));
    assert_eq!(u["capabilities"]["scope"], "initial-user-namespace");
    let b =
        row_with(&tree(bw.0.id())).unwrap_or_else(|| panic!("bwrap sandbox not listed: {rows:?}"));
    assert_eq!(ns(b, "user"), Value::Bool(false));
    assert_eq!(b["capabilities"]["scope"], "user-namespace");
    let rl = row_with(&tree(rootless.0.id()))
        .unwrap_or_else(|| panic!("rootless sandbox not listed: {rows:?}"));
    assert_eq!(rl["uid"], 65534, "IDs as the host sees them");
    assert_eq!(rl["user_namespace"]["root_maps_to"], 65534);
    // The table names them too, in 80 columns.
    let out = sekisho().args(["isolation", "--host"]).output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
    assert!(t.contains("sleep"), "{t}");
}
