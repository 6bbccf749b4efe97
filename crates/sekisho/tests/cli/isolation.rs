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

use crate::util::{have_tool, require, run, sekisho};

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
    require(is_root(), "root (sandbox tests run as root)")
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
    // The host's PID namespace: every process is a host process, but that is `host-pid-ns`.
    assert_eq!(r["exposure"]["host_processes_visible"], Value::Bool(true));
    assert!(!finding_ids(&r).contains(&"host-processes-visible".to_string()));
    let uname = Command::new("uname").arg("-r").output().unwrap();
    assert_eq!(
        r["kernel"]["release"],
        String::from_utf8_lossy(&uname.stdout).trim()
    );
    if is_root() {
        // Root on the host: /sys is read-write.
        assert_eq!(r["exposure"]["sys_writable"], Value::Bool(true));
        assert!(finding_ids(&r).contains(&"sys-writable".to_string()));
    }
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
    // Until the child has exec'd, its comm is still the forking test thread's name.
    let comm = format!("/proc/{}/comm", child.id());
    for _ in 0..500 {
        if std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
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
    // The host's PID namespace and /proc: host processes are visible (reported as host-pid-ns).
    assert_eq!(r["exposure"]["host_processes_visible"], Value::Bool(true));
    assert!(!ids.contains(&"host-processes-visible".to_string()));
    assert_eq!(r["exposure"]["sys_writable"], Value::Bool(true));
}

#[test]
fn unshare_time_namespace() {
    if !can_sandbox("unshare") {
        return;
    }
    let mut c = Command::new("unshare");
    c.args(["--time", "--fork", "--"])
        .args(iso_args())
        .arg("--no-probe");
    let r = json(&cmd_output(c));
    assert_namespaces(&r, &["time"]);
    assert!(!finding_ids(&r).contains(&"host-time-ns".to_string()));
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
    ]);
    // The fresh /tmp hides a checkout that lives under /tmp: bind the binary back in.
    let b = bin();
    c.arg("--ro-bind").arg(&b).arg(&b);
    c.arg("--").args(extra);
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
    assert_eq!(r["exposure"]["sys_writable"], Value::Bool(false));
    assert!(!ids.contains(&"sys-writable".to_string()));
}

#[test]
fn bwrap_as_nobody() {
    if !can_sandbox("bwrap") || !have_tool("setpriv") {
        return;
    }
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bwrap_cmd(&iso_args()).get_program())
        .args(bwrap_cmd(&iso_args()).get_args());
    let r = json(&cmd_output(c));
    assert_namespaces(&r, &["mnt", "pid", "net", "ipc", "uts", "user", "cgroup"]);
    assert_eq!(r["target"]["uid"], 65534);
    // Unprivileged bwrap nests two user namespaces: the outer maps 0 to nobody, the inner one
    // (ours) maps nobody back to the outer's 0. `outside` is relative to the parent namespace,
    // which is all a process can read; root is not mapped in ours.
    let u = &r["user_namespace"];
    assert_eq!(u["initial"], Value::Bool(false));
    assert_eq!(
        u["uid_map"],
        serde_json::json!([{"inside": 65534, "outside": 0, "count": 1}])
    );
    assert_eq!(u["root_mapped"], Value::Bool(false));
    assert!(u["root_maps_to"].is_null());
    assert_eq!(u["uid_coverage"], "single");
    let caps = &r["capabilities"];
    assert_eq!(caps["scope"], "user-namespace");
    for k in ["effective", "permitted", "bounding", "ambient"] {
        assert_eq!(caps[k]["hex"], "0000000000000000", "{k}");
    }
    assert_eq!(caps["privileged"], Value::Bool(false));
    assert_eq!(r["exposure"]["sys_writable"], Value::Bool(false));
    for s in ["mount", "setns", "open_by_handle_at", "kexec_load"] {
        assert_ne!(probe(&r, s), "allowed", "{s}");
    }
    let ids = finding_ids(&r);
    for id in ["userns-host-root", "host-user-ns", "privileged"] {
        assert!(!ids.contains(&id.to_string()), "{id}");
    }
}

/// A runc bundle whose rootfs is an empty directory with /usr bind-mounted read-only (Debian is
/// merged-/usr) and the sekisho binary bound at /sekisho.
fn runc_bundle(dir: &Path, args: &[&str], tweak: impl FnOnce(&mut Value)) -> PathBuf {
    runc_bundle_spec(dir, &[], args, tweak)
}

/// As [`runc_bundle`], with extra `runc spec` arguments (`--rootless`).
fn runc_bundle_spec(
    dir: &Path,
    spec: &[&str],
    args: &[&str],
    tweak: impl FnOnce(&mut Value),
) -> PathBuf {
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
        .arg("spec")
        .args(spec)
        .arg("--bundle")
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
    let ids = finding_ids(&r);
    assert!(ids.contains(&"no-seccomp".to_string()));
    // No seccomp: the advice points at the runtime's default profile.
    let adv = finding(&r, "no-seccomp")["advice"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(adv.contains("default profile"), "{adv}");
    // No linux.resources: runc's own cgroup, and no limit in it.
    let cg = &r["cgroups"];
    assert_eq!(cg["version"], runc_cgroup_version());
    for k in [
        "memory_max_bytes",
        "pids_max",
        "cpu_quota_us",
        "cpu_period_us",
        "cpus",
    ] {
        assert!(cg["limits"][k].is_null(), "{k}: {cg}");
    }
    assert_eq!(cg["any_limit"], Value::Bool(false));
    assert!(ids.contains(&"no-cgroup-limits".to_string()));
    let w = wall(&r, "cgroups");
    assert_eq!(w["status"], "missing");
    assert!(
        w["evidence"][1]
            .as_str()
            .unwrap()
            .contains("memory unlimited"),
        "{w}"
    );
    let adv = finding(&r, "no-cgroup-limits")["advice"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        adv.contains("--memory") && adv.contains("--pids-limit"),
        "{adv}"
    );
}

fn finding<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn wall<'a>(r: &'a Value, w: &str) -> &'a Value {
    r["walls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["wall"] == w)
        .unwrap_or_else(|| panic!("no wall {w}"))
}

/// What a runc container sees: runc 1.1 mounts the v1 hierarchies of a hybrid host and not its
/// cgroup2 `unified` mount, so only a pure cgroup v2 host gives `v2`.
fn runc_cgroup_version() -> &'static str {
    let mi = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let v2 = mi.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(4) == Some(&"/sys/fs/cgroup") && l.contains(" - cgroup2 ")
    });
    if v2 { "v2" } else { "v1" }
}

#[test]
fn runc_cgroup_limits() {
    if !can_sandbox("runc") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let id = unique("limits");
    let b = runc_bundle(
        d.path(),
        &["/sekisho", "isolation", "--format", "json", "--no-probe"],
        |cfg| {
            let res = &mut cfg["linux"]["resources"];
            res["memory"] = serde_json::json!({"limit": 268_435_456});
            res["pids"] = serde_json::json!({"limit": 64});
            res["cpu"] = serde_json::json!({"quota": 50_000, "period": 100_000});
        },
    );
    let r = json(&runc_run(d.path(), &b, &id));
    let cg = &r["cgroups"];
    assert_eq!(cg["version"], runc_cgroup_version());
    // runc's default cgroupsPath is /<container ID>; without a cgroup namespace the path is
    // the host's, ending in the ID, in every hierarchy.
    if shared(&r, "cgroup") == Value::Bool(true) {
        let want = format!("/{id}");
        assert!(
            cg["path"].as_str().unwrap().ends_with(&want),
            "{}",
            cg["path"]
        );
        for h in cg["hierarchies"].as_array().unwrap() {
            assert!(h["path"].as_str().unwrap().ends_with(&want), "{h}");
        }
    }
    assert_eq!(
        cg["limits"],
        serde_json::json!({
            "memory_max_bytes": 268_435_456u64,
            "pids_max": 64,
            "cpu_quota_us": 50_000,
            "cpu_period_us": 100_000,
            "cpus": 0.5
        })
    );
    assert_eq!(cg["any_limit"], Value::Bool(true));
    assert!(!cg["read_from"].as_array().unwrap().is_empty());
    let ids = finding_ids(&r);
    for id in ["no-cgroup-limits", "no-memory-limit", "no-pids-limit"] {
        assert!(!ids.contains(&id.to_string()), "{id}");
    }
    let w = wall(&r, "cgroups");
    assert_eq!(w["status"], "present", "{w}");
    let ev = w["evidence"][1].as_str().unwrap();
    assert!(
        ev.contains("268435456 bytes") && ev.contains("64") && ev.contains("0.5"),
        "{ev}"
    );
}

/// `runc spec --rootless` run by nobody (runc creates the user namespace itself: root inside is
/// nobody outside, one ID).
#[test]
fn runc_rootless_as_nobody() {
    if !can_sandbox("runc") || !have_tool("setpriv") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let id = unique("rootless");
    let b = runc_bundle_spec(
        d.path(),
        &["--rootless"],
        &["/sekisho", "isolation", "--format", "json"],
        |cfg| {
            // `runc spec --rootless` maps the UID that ran it (root here) to 0; runc runs as nobody.
            for k in ["uidMappings", "gidMappings"] {
                cfg["linux"][k] =
                    serde_json::json!([{"containerID": 0, "hostID": 65534, "size": 1}]);
            }
        },
    );
    let state = d.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let own = |p: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    own(d.path(), 0o755);
    std::os::unix::fs::chown(&state, Some(65534), Some(65534)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["runc", "--root"])
        .arg(&state)
        .args(["run", "--bundle"])
        .arg(&b)
        .arg(&id)
        .env("XDG_RUNTIME_DIR", d.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = Command::new("runc")
        .arg("--root")
        .arg(&state)
        .args(["delete", "-f", &id])
        .output();
    let r = json(&out);
    for k in ["user", "mnt", "pid", "ipc", "uts"] {
        assert_eq!(shared(&r, k), Value::Bool(false), "{k}");
    }
    assert_eq!(r["target"]["uid"], 0);
    let u = &r["user_namespace"];
    assert_eq!(u["initial"], Value::Bool(false));
    assert_eq!(
        u["uid_map"],
        serde_json::json!([{"inside": 0, "outside": 65534, "count": 1}])
    );
    assert_eq!(u["root_mapped"], Value::Bool(true));
    assert_eq!(u["root_maps_to"], 65534);
    assert_eq!(u["uid_coverage"], "single");
    assert_eq!(u["gid_coverage"], "single");
    // runc's default capability set, held inside the user namespace only.
    let caps = &r["capabilities"];
    assert_eq!(caps["scope"], "user-namespace");
    assert_eq!(caps["effective"]["hex"], "0000000020000420");
    assert_eq!(caps["privileged"], Value::Bool(false));
    assert_eq!(r["seccomp"]["no_new_privs"], Value::Bool(true));
    assert_ne!(probe(&r, "kexec_load"), "allowed");
    assert_ne!(probe(&r, "init_module"), "allowed");
    let ids = finding_ids(&r);
    for id in ["userns-host-root", "host-user-ns", "privileged"] {
        assert!(!ids.contains(&id.to_string()), "{id}");
    }
}

/// A user namespace with a subordinate range, as runtimes configure from /etc/subuid: root maps
/// to 100000 and 65536 IDs are covered (`partial`).
#[test]
fn runc_user_namespace_partial_range() {
    if !can_sandbox("runc") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let b = runc_bundle(
        d.path(),
        &["/sekisho", "isolation", "--format", "json"],
        |cfg| {
            cfg["linux"]["namespaces"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"type": "user"}));
            for k in ["uidMappings", "gidMappings"] {
                cfg["linux"][k] =
                    serde_json::json!([{"containerID": 0, "hostID": 100_000, "size": 65_536}]);
            }
        },
    );
    let r = json(&runc_run(d.path(), &b, &unique("userns")));
    assert_eq!(shared(&r, "user"), Value::Bool(false));
    let u = &r["user_namespace"];
    assert_eq!(
        u["uid_map"],
        serde_json::json!([{"inside": 0, "outside": 100_000, "count": 65_536}])
    );
    assert_eq!(u["root_mapped"], Value::Bool(true));
    assert_eq!(u["root_maps_to"], 100_000);
    assert_eq!(u["uid_coverage"], "partial");
    assert_eq!(u["gid_coverage"], "partial");
    assert_eq!(r["capabilities"]["scope"], "user-namespace");
    assert_eq!(r["capabilities"]["effective"]["hex"], "0000000020000420");
    let ids = finding_ids(&r);
    assert!(!ids.contains(&"userns-host-root".to_string()));
    assert!(!ids.contains(&"host-user-ns".to_string()));
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

/// Children of every thread: runc is a Go program and forks from whichever thread runs.
fn children_of(pid: u32) -> Vec<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    tasks
        .iter()
        .flat_map(|t| {
            std::fs::read_to_string(t.join("children"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
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

/// A runc container running in the background (`runc run` in the foreground of a child
/// process); dropped with `runc kill` + `runc delete -f`, since killing runc alone leaves the
/// container running.
struct RuncSandbox {
    runc: Child,
    state: PathBuf,
    id: String,
    _dir: tempfile::TempDir,
}
impl RuncSandbox {
    fn start(tag: &str, tweak: impl FnOnce(&mut Value)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let b = runc_bundle(dir.path(), &["sleep", "30"], tweak);
        let id = unique(tag);
        let state = dir.path().join("state");
        let runc = Command::new("runc")
            .arg("--root")
            .arg(&state)
            .args(["run", "--bundle"])
            .arg(&b)
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        RuncSandbox {
            runc,
            state,
            id,
            _dir: dir,
        }
    }
    fn runc(&self, args: &[&str]) {
        let _ = Command::new("runc")
            .arg("--root")
            .arg(&self.state)
            .args(args)
            .output();
    }
}
impl Drop for RuncSandbox {
    fn drop(&mut self) {
        self.runc(&["kill", &self.id, "KILL"]);
        let _ = self.runc.wait();
        self.runc(&["delete", "-f", &self.id]);
    }
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
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
    // runc: the default spec (no seccomp), and a seccomp profile with a reduced capability set
    // in a cgroup named as Docker's systemd driver names it (`docker-<64 hex>.scope`, here at the
    // root so that nothing is left behind), whose ID the host view takes from the cgroup path.
    let with_runc = have_tool("runc");
    let docker_id = format!("{:0>64x}", u64::from(std::process::id()) << 20 | 0xc0ffee);
    let runc_plain = with_runc.then(|| RuncSandbox::start("hv-plain", |_| {}));
    let runc_sec = with_runc.then(|| {
        RuncSandbox::start("hv-seccomp", |cfg| {
            cfg["linux"]["cgroupsPath"] = Value::String(format!("/docker-{docker_id}.scope"));
            cfg["linux"]["seccomp"] = serde_json::json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["mount", "kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
            });
            let set = serde_json::json!(["CAP_CHOWN", "CAP_SYS_PTRACE"]);
            for k in ["bounding", "effective", "permitted"] {
                cfg["process"]["capabilities"][k] = set.clone();
            }
        })
    });
    let mut roots = vec![uns.0.id(), bw.0.id(), rootless.0.id()];
    roots.extend(runc_plain.iter().chain(&runc_sec).map(|s| s.runc.id()));
    // Wait until every sandbox runs `sleep` (runc's init has exec'd it).
    let deadline = Instant::now() + Duration::from_secs(10);
    while roots
        .iter()
        .any(|r| !tree(*r).iter().any(|p| comm(*p) == "sleep"))
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
    if let (Some(plain), Some(sec)) = (&runc_plain, &runc_sec) {
        let rows_with = |pids: &[u32]| {
            rows.iter()
                .filter(|c| {
                    c["pids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| pids.contains(&(p.as_u64().unwrap() as u32)))
                })
                .collect::<Vec<_>>()
        };
        let wall = |c: &Value, w: &str| {
            c["walls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["wall"] == w)
                .unwrap()["status"]
                .clone()
        };
        let ids = |c: &Value| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        // Default spec: runc's cgroup /<id> is no runtime's pattern, so grouped by PID namespace.
        let p = rows_with(&tree(plain.runc.id()));
        assert_eq!(p.len(), 1, "runc (default spec) in one row: {p:?}");
        let p = p[0];
        assert_eq!(p["grouped_by"], "pid-ns");
        assert_eq!(p["command"], "sleep");
        assert!(
            p["cgroup_path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}", plain.id)),
            "{}",
            p["cgroup_path"]
        );
        for k in ["mnt", "pid", "net", "ipc", "uts"] {
            assert_eq!(ns(p, k), Value::Bool(false), "{k}");
        }
        assert_eq!(ns(p, "user"), Value::Bool(true));
        assert_eq!(p["seccomp"]["mode"], 0);
        assert_eq!(wall(p, "seccomp"), "missing");
        assert!(ids(p).contains(&"no-seccomp".to_string()));
        assert_eq!(p["capabilities"]["effective"]["hex"], "0000000020000420");
        assert_eq!(p["capabilities"]["scope"], "initial-user-namespace");
        // Seccomp + reduced caps, in docker-<id>.scope: the ID comes from the cgroup path.
        let q = rows_with(&tree(sec.runc.id()));
        assert_eq!(q.len(), 1, "runc (seccomp) in one row: {q:?}");
        let q = q[0];
        assert_eq!(q["grouped_by"], "cgroup");
        assert_eq!(q["id"], docker_id.as_str());
        assert_eq!(q["runtime"], "docker");
        assert_eq!(q["command"], "sleep");
        for k in ["mnt", "pid", "net", "ipc", "uts"] {
            assert_eq!(ns(q, k), Value::Bool(false), "{k}");
        }
        assert_eq!(q["seccomp"]["mode"], 2);
        assert_eq!(q["seccomp"]["filters"], 1);
        assert_ne!(wall(q, "seccomp"), "missing");
        assert!(!ids(q).contains(&"no-seccomp".to_string()));
        assert_eq!(q["capabilities"]["effective"]["hex"], "0000000000080001");
        assert_eq!(
            q["capabilities"]["dangerous"],
            serde_json::json!(["CAP_SYS_PTRACE"])
        );
        assert!(ids(q).contains(&"cap-sys-ptrace".to_string()));
        assert!(!ids(q).contains(&"cap-sys-admin".to_string()));
    }
    // The table names them too, in 80 columns.
    let out = sekisho().args(["isolation", "--host"]).output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
    assert!(t.contains("sleep"), "{t}");
}
