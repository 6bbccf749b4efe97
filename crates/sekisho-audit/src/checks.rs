//! Findings, walls and the grade.
//!
//! Every finding has a stable kebab-case check ID ([`ALL_CHECKS`]); `--fail-on` matches on
//! those IDs (or on `critical`/`high`/... as a severity threshold). The grade is computed from
//! the findings' severities, see [`grade`].

use crate::caps;
use crate::model::{
    Capabilities, Cgroups, Exposure, Finding, Lsm, Namespace, ProbeResult, Runtime, Seccomp,
    Severity, UserNamespace, Wall, WallStatus,
};
use crate::probe::ProbeClass;

/// Every check ID with its wall and a one-line description (shown by `--help` and in
/// `docs/isolation.md`).
pub const ALL_CHECKS: &[(&str, &str, &str)] = &[
    (
        "privileged",
        "capabilities",
        "every capability, in the host's user namespace",
    ),
    (
        "cap-sys-admin",
        "capabilities",
        "CAP_SYS_ADMIN effective or permitted",
    ),
    ("cap-sys-module", "capabilities", "CAP_SYS_MODULE"),
    ("cap-sys-rawio", "capabilities", "CAP_SYS_RAWIO"),
    ("cap-dac-read-search", "capabilities", "CAP_DAC_READ_SEARCH"),
    ("cap-sys-ptrace", "capabilities", "CAP_SYS_PTRACE"),
    ("cap-net-admin", "capabilities", "CAP_NET_ADMIN"),
    ("cap-bpf", "capabilities", "CAP_BPF"),
    ("cap-perfmon", "capabilities", "CAP_PERFMON"),
    ("cap-sys-boot", "capabilities", "CAP_SYS_BOOT"),
    ("cap-mac-admin", "capabilities", "CAP_MAC_ADMIN"),
    ("cap-mac-override", "capabilities", "CAP_MAC_OVERRIDE"),
    ("cap-sys-time", "capabilities", "CAP_SYS_TIME"),
    ("cap-syslog", "capabilities", "CAP_SYSLOG"),
    ("no-seccomp", "seccomp", "no seccomp filter (mode 0)"),
    (
        "no-new-privs-off",
        "seccomp",
        "NoNewPrivs is 0: setuid binaries can gain privileges",
    ),
    (
        "host-pid-ns",
        "namespaces",
        "shares the host's PID namespace",
    ),
    (
        "host-net-ns",
        "namespaces",
        "shares the host's network namespace",
    ),
    (
        "host-mnt-ns",
        "namespaces",
        "shares the host's mount namespace",
    ),
    (
        "host-ipc-ns",
        "namespaces",
        "shares the host's IPC namespace",
    ),
    (
        "host-uts-ns",
        "namespaces",
        "shares the host's UTS namespace",
    ),
    (
        "host-user-ns",
        "namespaces",
        "runs as root in the host's user namespace",
    ),
    (
        "host-cgroup-ns",
        "namespaces",
        "shares the host's cgroup namespace",
    ),
    (
        "host-time-ns",
        "namespaces",
        "shares the host's time namespace",
    ),
    (
        "userns-host-root",
        "namespaces",
        "a user namespace that maps root to host root",
    ),
    (
        "no-cgroup-limits",
        "cgroups",
        "no memory, pids or CPU limit",
    ),
    ("no-memory-limit", "cgroups", "no memory limit"),
    ("no-pids-limit", "cgroups", "no pids limit"),
    ("no-lsm", "lsm", "not confined by AppArmor or SELinux"),
    (
        "runtime-socket",
        "exposure",
        "a container runtime socket is reachable",
    ),
    (
        "host-root-mount",
        "exposure",
        "the host's root filesystem is mounted in",
    ),
    (
        "host-mount",
        "exposure",
        "a sensitive host directory is mounted in",
    ),
    ("proc-sys-writable", "exposure", "/proc/sys is writable"),
    ("sys-writable", "exposure", "/sys is writable"),
    (
        "sysrq-writable",
        "exposure",
        "/proc/sysrq-trigger is writable",
    ),
    ("kcore-readable", "exposure", "/proc/kcore can be opened"),
    (
        "block-devices",
        "exposure",
        "block devices are visible in /dev",
    ),
    (
        "host-processes-visible",
        "exposure",
        "processes outside the workload are visible",
    ),
    (
        "release-agent-writable",
        "exposure",
        "a cgroup v1 release_agent is writable",
    ),
    (
        "unprivileged-userns",
        "kernel",
        "unprivileged users may create user namespaces",
    ),
    ("unprivileged-bpf", "kernel", "unprivileged BPF is enabled"),
    ("ptrace-scope", "kernel", "Yama ptrace_scope is 0 or absent"),
    ("kptr-restrict-off", "kernel", "kernel.kptr_restrict is 0"),
    ("dmesg-restrict-off", "kernel", "kernel.dmesg_restrict is 0"),
    ("syscall-mount", "seccomp", "mount is allowed"),
    ("syscall-kexec-load", "seccomp", "kexec_load is allowed"),
    ("syscall-init-module", "seccomp", "init_module is allowed"),
    (
        "syscall-open-by-handle-at",
        "seccomp",
        "open_by_handle_at is allowed",
    ),
    ("syscall-bpf", "seccomp", "bpf is allowed"),
    (
        "syscall-perf-event-open",
        "seccomp",
        "system-wide perf_event_open is allowed",
    ),
    ("syscall-setns", "seccomp", "setns is allowed"),
    (
        "syscall-unshare",
        "seccomp",
        "user namespace creation is allowed",
    ),
    ("syscall-keyctl", "seccomp", "keyctl is allowed"),
    ("syscall-add-key", "seccomp", "add_key is allowed"),
    (
        "syscall-userfaultfd",
        "seccomp",
        "kernel-mode userfaultfd is allowed",
    ),
    ("syscall-io-uring-setup", "seccomp", "io_uring is allowed"),
    ("syscall-ptrace", "seccomp", "ptrace is allowed"),
    (
        "shared-kernel",
        "sandbox-kernel",
        "no sandbox kernel (gVisor) or per-workload VM",
    ),
];

/// Whether `id` is a known check ID or severity name (for `--fail-on` validation).
pub fn is_known(id: &str) -> bool {
    ALL_CHECKS.iter().any(|(c, _, _)| *c == id)
        || matches!(id, "critical" | "high" | "medium" | "low" | "info")
}

/// The facts the checks look at; the inside view fills all of them, the host view a subset.
pub struct Facts<'a> {
    pub namespaces: &'a [Namespace],
    pub user_ns: Option<&'a UserNamespace>,
    pub uid: Option<u32>,
    pub cgroups: Option<&'a Cgroups>,
    pub seccomp: &'a Seccomp,
    pub caps: &'a Capabilities,
    pub lsm: &'a Lsm,
    pub exposure: Option<&'a Exposure>,
    pub probes: Option<&'a [ProbeResult]>,
    pub runtime: Option<&'a Runtime>,
}

fn f(
    id: impl Into<String>,
    wall: &'static str,
    severity: Severity,
    message: impl Into<String>,
    advice: impl Into<String>,
) -> Finding {
    Finding {
        id: id.into(),
        wall,
        severity,
        message: message.into(),
        advice: advice.into(),
    }
}

fn ns_shared(ns: &[Namespace], kind: &str) -> bool {
    ns.iter()
        .any(|n| n.kind == kind && n.shared_with_host == Some(true))
}

/// Whether a sandbox kernel (gVisor) or a per-workload VM (Kata, Firecracker) stands between the
/// workload and the host kernel.
pub fn sandbox_kernel(rt: Option<&Runtime>) -> Option<String> {
    let rt = rt?;
    if let Some(s) = &rt.sandbox_kernel {
        return Some(s.clone());
    }
    rt.vm
        .flavour
        .clone()
        .filter(|f| f == "kata" || f == "firecracker")
}

/// Run every check.
pub fn findings(x: &Facts<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let in_userns = x.caps.scope == "user-namespace";
    // capabilities
    if x.caps.privileged && !in_userns {
        out.push(f("privileged", "capabilities", Severity::Critical, "every capability is effective in the host's user namespace (a privileged container)", "do not run privileged: drop --privileged and grant only the capabilities the workload needs"));
    }
    for (n, sev, why) in caps::DANGEROUS {
        let name = caps::name(*n);
        if x.caps.dangerous.iter().any(|d| d == name) {
            let (sev, scope) = if in_userns {
                (Severity::Low, " (only inside its own user namespace)")
            } else {
                (
                    match *sev {
                        "critical" => Severity::Critical,
                        "high" => Severity::High,
                        _ => Severity::Medium,
                    },
                    "",
                )
            };
            out.push(f(
                caps::check_id(*n),
                "capabilities",
                sev,
                format!("{name} present{scope}: can {why}"),
                format!(
                    "{name} present: drop it (--cap-drop {} / securityContext.capabilities.drop)",
                    name.trim_start_matches("CAP_")
                ),
            ));
        }
    }
    // seccomp
    if x.seccomp.mode == Some(0) {
        out.push(f("no-seccomp", "seccomp", Severity::High, "no seccomp filter: every syscall reaches the kernel", "no seccomp filter: run with the runtime's default profile (docker/podman default, Kubernetes seccompProfile: RuntimeDefault)"));
    }
    if x.seccomp.no_new_privs == Some(false) {
        out.push(f(
            "no-new-privs-off",
            "seccomp",
            Severity::Low,
            "NoNewPrivs is 0: setuid and file-capability binaries can raise privileges",
            "set no_new_privs (--security-opt no-new-privileges, allowPrivilegeEscalation: false)",
        ));
    }
    // namespaces
    let root = x.uid == Some(0);
    for (kind, id, sev, what) in [
        (
            "pid",
            "host-pid-ns",
            Severity::High,
            "sees and can signal every host process",
        ),
        (
            "net",
            "host-net-ns",
            Severity::High,
            "uses the host's network stack and listening sockets",
        ),
        (
            "mnt",
            "host-mnt-ns",
            Severity::High,
            "sees the host's whole filesystem tree",
        ),
        (
            "ipc",
            "host-ipc-ns",
            Severity::Medium,
            "shares System V IPC and POSIX message queues with the host",
        ),
        (
            "uts",
            "host-uts-ns",
            Severity::Low,
            "shares the host's hostname",
        ),
        (
            "cgroup",
            "host-cgroup-ns",
            Severity::Low,
            "sees the host's cgroup hierarchy",
        ),
        (
            "time",
            "host-time-ns",
            Severity::Info,
            "shares the host's clocks (normal for containers)",
        ),
    ] {
        if ns_shared(x.namespaces, kind) {
            out.push(f(
                id,
                "namespaces",
                sev,
                format!("{kind} namespace shared with the host: {what}"),
                format!(
                    "run in a private {kind} namespace (do not use --{kind}=host / host{}: true)",
                    match kind {
                        "pid" => "PID",
                        "net" => "Network",
                        "ipc" => "IPC",
                        _ => "",
                    }
                ),
            ));
        }
    }
    if ns_shared(x.namespaces, "user") && root {
        out.push(f("host-user-ns", "namespaces", Severity::Medium, "root in the host's user namespace: UID 0 inside is UID 0 on the host", "run rootless or with a user namespace (userns-remap, podman --userns=auto, hostUsers: false)"));
    }
    if let Some(u) = x.user_ns {
        if u.initial == Some(false) && u.root_maps_to == Some(0) {
            out.push(f(
                "userns-host-root",
                "namespaces",
                Severity::Medium,
                "the user namespace maps root to host UID 0",
                "map root to an unprivileged host UID range (subuid/subgid)",
            ));
        }
    }
    // cgroups
    if let Some(c) = x.cgroups {
        if !c.any_limit {
            out.push(f(
                "no-cgroup-limits",
                "cgroups",
                Severity::Medium,
                "no memory, pids or CPU limit: the workload can starve the host",
                "set limits (--memory, --pids-limit, --cpus / resources.limits)",
            ));
        } else {
            if c.limits.memory_max_bytes.is_none() {
                out.push(f(
                    "no-memory-limit",
                    "cgroups",
                    Severity::Low,
                    "no memory limit",
                    "set a memory limit (--memory / resources.limits.memory)",
                ));
            }
            if c.limits.pids_max.is_none() {
                out.push(f(
                    "no-pids-limit",
                    "cgroups",
                    Severity::Low,
                    "no pids limit: a fork bomb reaches the host",
                    "set a pids limit (--pids-limit / podPidsLimit)",
                ));
            }
        }
    }
    // LSM
    if !x.lsm.confined {
        let why = match (&x.lsm.apparmor, &x.lsm.selinux) {
            (Some(a), _) if a.mode != "enforce" => {
                format!("AppArmor profile {} in {} mode", a.profile, a.mode)
            }
            (_, Some(s)) if s.mode.as_deref() == Some("permissive") => {
                "SELinux is permissive".to_string()
            }
            (_, Some(s)) => format!(
                "SELinux type {} is unconfined",
                s.kind.as_deref().unwrap_or("?")
            ),
            _ => "no AppArmor profile or SELinux context".to_string(),
        };
        out.push(f("no-lsm", "lsm", Severity::Medium, format!("not confined by an LSM: {why}"), "run with the runtime's AppArmor profile (docker-default) or an SELinux container type (container_t)"));
    }
    // exposure
    if let Some(e) = x.exposure {
        for s in &e.runtime_sockets {
            let sev = if s.reachable {
                Severity::Critical
            } else {
                Severity::Medium
            };
            out.push(f(
                "runtime-socket",
                "exposure",
                sev,
                format!(
                    "{} socket at {}{}",
                    s.runtime,
                    s.path,
                    if s.reachable {
                        " is reachable: full control of the host"
                    } else {
                        " is present (not writable)"
                    }
                ),
                format!("do not mount {} into workloads", s.path),
            ));
        }
        for m in &e.host_mounts {
            let root = m.host_path == "/";
            let (id, sev) = match (root, m.writable) {
                (true, true) => ("host-root-mount", Severity::Critical),
                (true, false) => ("host-root-mount", Severity::High),
                (false, true) => ("host-mount", Severity::High),
                (false, false) => ("host-mount", Severity::Medium),
            };
            out.push(f(
                id,
                "exposure",
                sev,
                format!(
                    "host {} ({}) mounted at {}{}",
                    m.host_path,
                    m.source,
                    m.mount_point,
                    if m.writable {
                        " read-write"
                    } else {
                        " read-only"
                    }
                ),
                format!(
                    "remove the bind mount of {} (or mount only the one file needed, read-only)",
                    m.host_path
                ),
            ));
        }
        if e.proc_sys_writable {
            out.push(f("proc-sys-writable", "exposure", Severity::High, "/proc/sys is writable (kernel.core_pattern can be changed)", "mount /proc/sys read-only (the runtime default; avoid --privileged and unmasked /proc)"));
        }
        if e.sys_writable {
            out.push(f(
                "sys-writable",
                "exposure",
                Severity::High,
                "/sys is writable",
                "mount /sys read-only",
            ));
        }
        if e.sysrq_trigger_writable {
            out.push(f(
                "sysrq-writable",
                "exposure",
                Severity::Critical,
                "/proc/sysrq-trigger is writable: the workload can crash or reboot the host",
                "mask /proc/sysrq-trigger (runtime default readonlyPaths)",
            ));
        }
        if e.kcore_readable {
            out.push(f(
                "kcore-readable",
                "exposure",
                Severity::Critical,
                "/proc/kcore can be opened: host kernel memory is readable",
                "mask /proc/kcore (runtime default maskedPaths) and drop CAP_SYS_RAWIO",
            ));
        }
        if !e.block_devices.is_empty() {
            out.push(f(
                "block-devices",
                "exposure",
                Severity::Medium,
                format!(
                    "{} block devices visible ({})",
                    e.block_devices.len(),
                    e.block_devices
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "do not pass host block devices (--device, privileged)",
            ));
        }
        if e.host_processes_visible && !ns_shared(x.namespaces, "pid") {
            out.push(f(
                "host-processes-visible",
                "exposure",
                Severity::Medium,
                format!(
                    "{} processes visible, {} in the workload's PID namespace",
                    e.visible_processes, e.own_namespace_processes
                ),
                "mount a /proc for the workload's own PID namespace",
            ));
        }
        if !e.release_agent_writable.is_empty() {
            out.push(f(
                "release-agent-writable",
                "exposure",
                Severity::Critical,
                format!(
                    "cgroup v1 release_agent writable ({}): it runs as host root",
                    e.release_agent_writable.join(", ")
                ),
                "mount cgroupfs read-only, drop CAP_SYS_ADMIN, use cgroup v2",
            ));
        }
        let s = &e.sysctls;
        let userns_on = s.unprivileged_userns_clone.as_deref() != Some("0")
            && s.max_user_namespaces.as_deref().is_some_and(|m| m != "0");
        if userns_on {
            out.push(f("unprivileged-userns", "kernel", Severity::Low, "unprivileged user namespaces are enabled: a large kernel attack surface is reachable", "set user.max_user_namespaces=0 (or kernel.unprivileged_userns_clone=0) on hosts that need none, or block unshare/clone flags with seccomp"));
        }
        if s.unprivileged_bpf_disabled.as_deref() == Some("0") {
            out.push(f(
                "unprivileged-bpf",
                "kernel",
                Severity::Medium,
                "kernel.unprivileged_bpf_disabled is 0",
                "set kernel.unprivileged_bpf_disabled=2",
            ));
        }
        if s.ptrace_scope.as_deref().is_none_or(|v| v == "0") {
            out.push(f(
                "ptrace-scope",
                "kernel",
                Severity::Low,
                format!(
                    "Yama ptrace_scope is {}",
                    s.ptrace_scope.as_deref().unwrap_or("absent")
                ),
                "enable Yama with kernel.yama.ptrace_scope=1 or higher",
            ));
        }
        if s.kptr_restrict.as_deref() == Some("0") {
            out.push(f(
                "kptr-restrict-off",
                "kernel",
                Severity::Low,
                "kernel.kptr_restrict is 0: kernel pointers leak",
                "set kernel.kptr_restrict=1",
            ));
        }
        if s.dmesg_restrict.as_deref() == Some("0") {
            out.push(f(
                "dmesg-restrict-off",
                "kernel",
                Severity::Low,
                "kernel.dmesg_restrict is 0: the kernel log is readable",
                "set kernel.dmesg_restrict=1",
            ));
        }
    }
    // probes
    if let Some(ps) = x.probes {
        for p in ps.iter().filter(|p| p.result == ProbeClass::Allowed) {
            let (sev, advice) = match p.syscall {
                "kexec_load" | "init_module" => (
                    Severity::Critical,
                    "block it with seccomp and drop the capability",
                ),
                "mount" | "setns" | "open_by_handle_at" | "bpf" => (
                    Severity::High,
                    "block it with the runtime's default seccomp profile and drop the capability",
                ),
                "perf_event_open" | "unshare" => (
                    Severity::Medium,
                    "block it with the runtime's default seccomp profile",
                ),
                "ptrace" => (
                    Severity::Info,
                    "allowed by most default profiles; block it if the workload never debugs",
                ),
                _ => (
                    Severity::Low,
                    "block it with the runtime's default seccomp profile",
                ),
            };
            let sev = if in_userns
                && sev > Severity::Low
                && matches!(p.syscall, "mount" | "setns" | "unshare")
            {
                Severity::Low
            } else {
                sev
            };
            out.push(f(
                format!("syscall-{}", p.syscall.replace('_', "-")),
                "seccomp",
                sev,
                format!("{} succeeded: {}", p.syscall, p.detail),
                format!("{}: {advice}", p.syscall),
            ));
        }
    }
    if x.runtime.is_some() && sandbox_kernel(x.runtime).is_none() {
        out.push(f("shared-kernel", "sandbox-kernel", Severity::Info, "the workload talks to the host kernel directly", "for untrusted code, add a sandbox kernel (gVisor runsc) or a VM runtime (Kata, Firecracker)"));
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    out
}

/// The letter grade: F with any critical finding, D with 3+ high, C with 1-2 high, B with any
/// medium, else A. A sandbox kernel or per-workload VM lifts the grade one step.
pub fn grade(findings: &[Finding], sandboxed: bool) -> String {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let idx: usize = if count(Severity::Critical) > 0 {
        4
    } else if count(Severity::High) >= 3 {
        3
    } else if count(Severity::High) > 0 {
        2
    } else if count(Severity::Medium) > 0 {
        1
    } else {
        0
    };
    let idx = if sandboxed {
        idx.saturating_sub(1)
    } else {
        idx
    };
    ["A", "B", "C", "D", "F"][idx].into()
}

/// One status per wall.
pub fn walls(x: &Facts<'_>, findings: &[Finding]) -> Vec<Wall> {
    let on = |w: &str| {
        findings
            .iter()
            .filter(|f| f.wall == w && f.severity > Severity::Info)
            .collect::<Vec<_>>()
    };
    let status = |missing: bool, w: &str| {
        if missing {
            WallStatus::Missing
        } else if on(w).is_empty() {
            WallStatus::Present
        } else {
            WallStatus::Weakened
        }
    };
    let mut out = Vec::new();
    let private: Vec<&str> = x
        .namespaces
        .iter()
        .filter(|n| n.shared_with_host == Some(false))
        .map(|n| n.kind.as_str())
        .collect();
    let shared: Vec<&str> = x
        .namespaces
        .iter()
        .filter(|n| n.shared_with_host == Some(true))
        .map(|n| n.kind.as_str())
        .collect();
    out.push(Wall {
        wall: "namespaces",
        status: status(
            ["mnt", "pid", "net"].iter().all(|k| shared.contains(k)),
            "namespaces",
        ),
        evidence: vec![
            format!(
                "private: {}",
                if private.is_empty() {
                    "none".into()
                } else {
                    private.join(" ")
                }
            ),
            format!(
                "shared with host: {}",
                if shared.is_empty() {
                    "none".into()
                } else {
                    shared.join(" ")
                }
            ),
        ],
    });
    if let Some(c) = x.cgroups {
        let l = &c.limits;
        out.push(Wall {
            wall: "cgroups",
            status: status(!c.any_limit, "cgroups"),
            evidence: vec![
                format!("{} at {}", c.version, c.path.as_deref().unwrap_or("?")),
                format!(
                    "memory {}, pids {}, cpus {}",
                    l.memory_max_bytes
                        .map_or("unlimited".into(), |m| format!("{m} bytes")),
                    l.pids_max.map_or("unlimited".into(), |p| p.to_string()),
                    l.cpus.map_or("unlimited".into(), |c| c.to_string())
                ),
            ],
        });
    }
    out.push(Wall {
        wall: "seccomp",
        status: status(x.seccomp.mode == Some(0), "seccomp"),
        evidence: vec![format!(
            "mode {} ({}), {} filters, NoNewPrivs {}",
            x.seccomp.mode.map_or("?".into(), |m| m.to_string()),
            x.seccomp.mode_name,
            x.seccomp.filters.map_or("?".into(), |f| f.to_string()),
            x.seccomp
                .no_new_privs
                .map_or("?", |b| if b { "1" } else { "0" })
        )],
    });
    out.push(Wall {
        wall: "capabilities",
        status: status(
            x.caps.privileged && x.caps.scope != "user-namespace",
            "capabilities",
        ),
        evidence: vec![
            format!(
                "effective {} ({} caps, {})",
                x.caps.effective.hex,
                x.caps.effective.names.len(),
                x.caps.scope
            ),
            format!(
                "dangerous: {}",
                if x.caps.dangerous.is_empty() {
                    "none".into()
                } else {
                    x.caps.dangerous.join(" ")
                }
            ),
        ],
    });
    let lsm_ev = match (&x.lsm.apparmor, &x.lsm.selinux) {
        (_, Some(s)) => format!(
            "SELinux {} ({})",
            s.context,
            s.mode.as_deref().unwrap_or("mode unknown")
        ),
        (Some(a), _) => format!("AppArmor {} ({})", a.profile, a.mode),
        _ => "no LSM label".into(),
    };
    out.push(Wall {
        wall: "lsm",
        status: status(!x.lsm.confined, "lsm"),
        evidence: vec![lsm_ev],
    });
    if x.exposure.is_some() {
        let crit = on("exposure")
            .iter()
            .any(|f| f.severity == Severity::Critical);
        out.push(Wall {
            wall: "exposure",
            status: status(crit, "exposure"),
            evidence: on("exposure").iter().map(|f| f.message.clone()).collect(),
        });
    }
    if let Some(rt) = x.runtime {
        let sb = sandbox_kernel(Some(rt));
        out.push(Wall {
            wall: "sandbox-kernel",
            status: if sb.is_some() {
                WallStatus::Present
            } else {
                WallStatus::Missing
            },
            evidence: match &sb {
                Some(s) => vec![format!("{s}")]
                    .into_iter()
                    .chain(rt.vm.evidence.iter().cloned())
                    .collect(),
                None if rt.vm.detected => vec![
                    "a VM, but the workload shares its kernel with everything else in it".into(),
                ],
                None => vec!["shared host kernel".into()],
            },
        });
    }
    out
}

/// Parse `--fail-on` values and say which findings trip the gate.
pub fn gate<'a>(findings: &'a [Finding], fail_on: &[String]) -> Vec<&'a Finding> {
    let threshold = |s: &str| match s {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" => Some(Severity::Info),
        _ => None,
    };
    findings
        .iter()
        .filter(|f| {
            fail_on
                .iter()
                .any(|c| *c == f.id || threshold(c).is_some_and(|t| f.severity >= t))
        })
        .collect()
}
