//! Findings, walls and the grade.
//!
//! Every finding has a stable kebab-case check ID ([`RULES`]); `--fail-on` matches on
//! those IDs (or on `critical`/`high`/... as a severity threshold). The grade is computed from
//! the findings' severities, see [`grade`].

use crate::caps;
use crate::model::{
    Capabilities, Cgroups, Exposure, Finding, Lsm, Namespace, ProbeResult, Runtime, Seccomp,
    Severity, UserNamespace, Wall, WallStatus,
};
use crate::probe::ProbeClass;
use sekisho_finding::{Kind, Rule};

/// Every check of the isolation audit, as rules of the shared registry: ID, wall (the rule's
/// group), the severity it usually has (some checks vary with what they see, e.g. a socket that
/// is present but not writable), a one-line title, why it matters and how to fix it. `--help`,
/// `docs/isolation.md` and the rule-ID registry are generated from this table.
pub const RULES: &[Rule] = &[
    Rule {
        id: "privileged",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Critical,
        title: "Every capability, in the host's user namespace",
        why: "A privileged container holds every capability and device: escaping to the host is a matter of mounting its disk or loading a module.",
        fix: "Do not run privileged: drop --privileged and grant only the capabilities the workload needs.",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-admin",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Critical,
        title: "CAP_SYS_ADMIN effective or permitted",
        why: "CAP_SYS_ADMIN allows mounting filesystems, loading BPF and most namespace and device operations: the usual first step of a container escape.",
        fix: "Drop it (--cap-drop SYS_ADMIN / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-module",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Critical,
        title: "CAP_SYS_MODULE",
        why: "CAP_SYS_MODULE loads kernel modules: code that runs in the shared kernel.",
        fix: "Drop it (--cap-drop SYS_MODULE / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-rawio",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Critical,
        title: "CAP_SYS_RAWIO",
        why: "CAP_SYS_RAWIO gives raw I/O to devices and /dev/mem.",
        fix: "Drop it (--cap-drop SYS_RAWIO / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-dac-read-search",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_DAC_READ_SEARCH",
        why: "CAP_DAC_READ_SEARCH opens any file by handle, escaping the mount namespace (\"shocker\").",
        fix: "Drop it (--cap-drop DAC_READ_SEARCH / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-ptrace",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_SYS_PTRACE",
        why: "CAP_SYS_PTRACE traces and injects code into any process the workload can see.",
        fix: "Drop it (--cap-drop SYS_PTRACE / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-net-admin",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_NET_ADMIN",
        why: "CAP_NET_ADMIN reconfigures networking, firewall rules and routing.",
        fix: "Drop it (--cap-drop NET_ADMIN / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-bpf",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_BPF",
        why: "CAP_BPF loads BPF programs into the shared kernel.",
        fix: "Drop it (--cap-drop BPF / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-perfmon",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_PERFMON",
        why: "CAP_PERFMON observes the whole system with perf.",
        fix: "Drop it (--cap-drop PERFMON / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-boot",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_SYS_BOOT",
        why: "CAP_SYS_BOOT reboots the host or kexecs a new kernel.",
        fix: "Drop it (--cap-drop SYS_BOOT / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-mac-admin",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_MAC_ADMIN",
        why: "CAP_MAC_ADMIN reconfigures the LSM policy that confines the workload.",
        fix: "Drop it (--cap-drop MAC_ADMIN / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-mac-override",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::High,
        title: "CAP_MAC_OVERRIDE",
        why: "CAP_MAC_OVERRIDE overrides the LSM policy that confines the workload.",
        fix: "Drop it (--cap-drop MAC_OVERRIDE / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-sys-time",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Medium,
        title: "CAP_SYS_TIME",
        why: "CAP_SYS_TIME sets the clock every container on the host shares.",
        fix: "Drop it (--cap-drop SYS_TIME / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "cap-syslog",
        kind: Kind::Isolation,
        group: "capabilities",
        severity: Severity::Medium,
        title: "CAP_SYSLOG",
        why: "CAP_SYSLOG reads kernel logs and kernel pointers, which help exploits.",
        fix: "Drop it (--cap-drop SYSLOG / securityContext.capabilities.drop).",
        aliases: &[],
    },
    Rule {
        id: "no-seccomp",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::High,
        title: "No seccomp filter (mode 0)",
        why: "Without a seccomp filter every syscall reaches the shared kernel, including the rarely used ones most kernel exploits need.",
        fix: "Run with the runtime's default profile (docker/podman default, Kubernetes seccompProfile: RuntimeDefault).",
        aliases: &[],
    },
    Rule {
        id: "no-new-privs-off",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Low,
        title: "NoNewPrivs is 0: setuid binaries can gain privileges",
        why: "Without no_new_privs, setuid and file-capability binaries in the workload raise its privileges.",
        fix: "Set no_new_privs (--security-opt no-new-privileges, allowPrivilegeEscalation: false).",
        aliases: &[],
    },
    Rule {
        id: "host-pid-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::High,
        title: "Shares the host's PID namespace",
        why: "In the host's PID namespace the workload sees and can signal every host process.",
        fix: "Run in a private PID namespace (no --pid=host / hostPID: true).",
        aliases: &[],
    },
    Rule {
        id: "host-net-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::High,
        title: "Shares the host's network namespace",
        why: "In the host's network namespace the workload uses the host's network stack and listening sockets.",
        fix: "Run in a private network namespace (no --net=host / hostNetwork: true).",
        aliases: &[],
    },
    Rule {
        id: "host-mnt-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::High,
        title: "Shares the host's mount namespace",
        why: "In the host's mount namespace the workload sees the host's whole filesystem tree.",
        fix: "Run in a private mount namespace.",
        aliases: &[],
    },
    Rule {
        id: "host-ipc-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Medium,
        title: "Shares the host's IPC namespace",
        why: "In the host's IPC namespace the workload shares System V IPC and POSIX message queues with the host.",
        fix: "Run in a private IPC namespace (no --ipc=host / hostIPC: true).",
        aliases: &[],
    },
    Rule {
        id: "host-uts-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Low,
        title: "Shares the host's UTS namespace",
        why: "In the host's UTS namespace the workload can see and set the host's hostname.",
        fix: "Run in a private UTS namespace (no --uts=host).",
        aliases: &[],
    },
    Rule {
        id: "host-user-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Medium,
        title: "Runs as root in the host's user namespace",
        why: "Root in the host's user namespace is UID 0 on the host once any other wall fails.",
        fix: "Run rootless or with a user namespace (userns-remap, podman --userns=auto, hostUsers: false).",
        aliases: &[],
    },
    Rule {
        id: "host-cgroup-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Low,
        title: "Shares the host's cgroup namespace",
        why: "In the host's cgroup namespace the workload sees the host's cgroup hierarchy.",
        fix: "Run in a private cgroup namespace (cgroupns=private).",
        aliases: &[],
    },
    Rule {
        id: "host-time-ns",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Info,
        title: "Shares the host's time namespace",
        why: "Sharing the host's clocks is normal for containers; listed for completeness.",
        fix: "Nothing to do unless the workload must not see host uptime.",
        aliases: &[],
    },
    Rule {
        id: "userns-host-root",
        kind: Kind::Isolation,
        group: "namespaces",
        severity: Severity::Medium,
        title: "A user namespace that maps root to host root",
        why: "A user namespace that maps root to host UID 0 gives no protection: root inside is root outside.",
        fix: "Map root to an unprivileged host UID range (subuid/subgid).",
        aliases: &[],
    },
    Rule {
        id: "no-cgroup-limits",
        kind: Kind::Isolation,
        group: "cgroups",
        severity: Severity::Medium,
        title: "No memory, pids or CPU limit",
        why: "Without any cgroup limit the workload can starve the host and every container on it.",
        fix: "Set limits (--memory, --pids-limit, --cpus / resources.limits).",
        aliases: &[],
    },
    Rule {
        id: "no-memory-limit",
        kind: Kind::Isolation,
        group: "cgroups",
        severity: Severity::Low,
        title: "No memory limit",
        why: "Without a memory limit the workload can push the host into the OOM killer.",
        fix: "Set a memory limit (--memory / resources.limits.memory).",
        aliases: &[],
    },
    Rule {
        id: "no-pids-limit",
        kind: Kind::Isolation,
        group: "cgroups",
        severity: Severity::Low,
        title: "No pids limit",
        why: "Without a pids limit a fork bomb reaches the host.",
        fix: "Set a pids limit (--pids-limit / podPidsLimit).",
        aliases: &[],
    },
    Rule {
        id: "no-lsm",
        kind: Kind::Isolation,
        group: "lsm",
        severity: Severity::Medium,
        title: "Not confined by AppArmor or SELinux",
        why: "Without an LSM profile nothing but file permissions stands between the workload and host files, /proc and /sys when another wall fails.",
        fix: "Run with the runtime's AppArmor profile (docker-default) or an SELinux container type (container_t).",
        aliases: &[],
    },
    Rule {
        id: "runtime-socket",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Critical,
        title: "A container runtime socket is reachable",
        why: "A reachable runtime socket (docker.sock, containerd.sock) starts a privileged container on the host: full control.",
        fix: "Do not mount runtime sockets into workloads.",
        aliases: &[],
    },
    Rule {
        id: "host-root-mount",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Critical,
        title: "The host's root filesystem is mounted in",
        why: "With the host's root filesystem mounted, every host file is one path away.",
        fix: "Remove the bind mount of / (or mount only the one file needed, read-only).",
        aliases: &[],
    },
    Rule {
        id: "host-mount",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::High,
        title: "A sensitive host directory is mounted in",
        why: "A sensitive host directory (/etc, /var/run, /proc, …) mounted in exposes host state and often host control.",
        fix: "Remove the bind mount (or mount only the one file needed, read-only).",
        aliases: &[],
    },
    Rule {
        id: "proc-sys-writable",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::High,
        title: "/proc/sys is writable",
        why: "A writable /proc/sys lets the workload change kernel settings such as kernel.core_pattern, which runs a program as host root.",
        fix: "Mount /proc/sys read-only (the runtime default; avoid --privileged and unmasked /proc).",
        aliases: &[],
    },
    Rule {
        id: "sys-writable",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::High,
        title: "/sys is writable",
        why: "A writable /sys lets the workload change devices, modules and kernel parameters.",
        fix: "Mount /sys read-only.",
        aliases: &[],
    },
    Rule {
        id: "sysrq-writable",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Critical,
        title: "/proc/sysrq-trigger is writable",
        why: "A writable /proc/sysrq-trigger lets the workload crash or reboot the host.",
        fix: "Mask /proc/sysrq-trigger (runtime default readonlyPaths).",
        aliases: &[],
    },
    Rule {
        id: "kcore-readable",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Critical,
        title: "/proc/kcore can be opened",
        why: "Readable /proc/kcore exposes host kernel memory, secrets of every container included.",
        fix: "Mask /proc/kcore (runtime default maskedPaths) and drop CAP_SYS_RAWIO.",
        aliases: &[],
    },
    Rule {
        id: "block-devices",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Medium,
        title: "Block devices are visible in /dev",
        why: "Host block devices in /dev give access to the host's disks below every file permission.",
        fix: "Do not pass host block devices (--device, privileged).",
        aliases: &[],
    },
    Rule {
        id: "host-processes-visible",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Medium,
        title: "Processes outside the workload are visible",
        why: "Seeing processes outside its own PID namespace leaks their command lines and environment, and makes them targets.",
        fix: "Mount a /proc for the workload's own PID namespace.",
        aliases: &[],
    },
    Rule {
        id: "release-agent-writable",
        kind: Kind::Isolation,
        group: "exposure",
        severity: Severity::Critical,
        title: "A cgroup v1 release_agent is writable",
        why: "A writable cgroup v1 release_agent is a program the host kernel runs as root (CVE-2022-0492).",
        fix: "Mount cgroupfs read-only, drop CAP_SYS_ADMIN, use cgroup v2.",
        aliases: &[],
    },
    Rule {
        id: "unprivileged-userns",
        kind: Kind::Isolation,
        group: "kernel",
        severity: Severity::Low,
        title: "Unprivileged users may create user namespaces",
        why: "Unprivileged user namespaces make a large kernel attack surface reachable from any process (many escapes start there).",
        fix: "Set user.max_user_namespaces=0 (or kernel.unprivileged_userns_clone=0) on hosts that need none, or block unshare/clone flags with seccomp.",
        aliases: &[],
    },
    Rule {
        id: "unprivileged-bpf",
        kind: Kind::Isolation,
        group: "kernel",
        severity: Severity::Medium,
        title: "Unprivileged BPF is enabled",
        why: "Unprivileged BPF exposes the BPF verifier, a frequent source of kernel exploits, to every process.",
        fix: "Set kernel.unprivileged_bpf_disabled=2.",
        aliases: &[],
    },
    Rule {
        id: "ptrace-scope",
        kind: Kind::Isolation,
        group: "kernel",
        severity: Severity::Low,
        title: "Yama ptrace_scope is 0 or absent",
        why: "Without Yama restrictions any process can ptrace the processes of its user.",
        fix: "Enable Yama with kernel.yama.ptrace_scope=1 or higher.",
        aliases: &[],
    },
    Rule {
        id: "kptr-restrict-off",
        kind: Kind::Isolation,
        group: "kernel",
        severity: Severity::Low,
        title: "kernel.kptr_restrict is 0",
        why: "Kernel pointers in /proc leak the kernel layout that exploits need (KASLR bypass).",
        fix: "Set kernel.kptr_restrict=1.",
        aliases: &[],
    },
    Rule {
        id: "dmesg-restrict-off",
        kind: Kind::Isolation,
        group: "kernel",
        severity: Severity::Low,
        title: "kernel.dmesg_restrict is 0",
        why: "A readable kernel log leaks addresses and state that exploits need.",
        fix: "Set kernel.dmesg_restrict=1.",
        aliases: &[],
    },
    Rule {
        id: "syscall-mount",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::High,
        title: "mount is allowed",
        why: "A workload that can mount can reach host filesystems and kernel filesystem code.",
        fix: "Block it with the runtime's default seccomp profile and drop CAP_SYS_ADMIN.",
        aliases: &[],
    },
    Rule {
        id: "syscall-kexec-load",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Critical,
        title: "kexec_load is allowed",
        why: "kexec_load replaces the running kernel.",
        fix: "Block it with seccomp and drop CAP_SYS_BOOT.",
        aliases: &[],
    },
    Rule {
        id: "syscall-init-module",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Critical,
        title: "init_module is allowed",
        why: "init_module loads code into the shared kernel.",
        fix: "Block it with seccomp and drop CAP_SYS_MODULE.",
        aliases: &[],
    },
    Rule {
        id: "syscall-open-by-handle-at",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::High,
        title: "open_by_handle_at is allowed",
        why: "open_by_handle_at opens host files by handle, outside the mount namespace (\"shocker\").",
        fix: "Block it with the runtime's default seccomp profile and drop CAP_DAC_READ_SEARCH.",
        aliases: &[],
    },
    Rule {
        id: "syscall-bpf",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::High,
        title: "bpf is allowed",
        why: "bpf reaches the BPF verifier and maps of the shared kernel.",
        fix: "Block it with the runtime's default seccomp profile and drop CAP_BPF/CAP_SYS_ADMIN.",
        aliases: &[],
    },
    Rule {
        id: "syscall-perf-event-open",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Medium,
        title: "System-wide perf_event_open is allowed",
        why: "System-wide perf events observe the whole host and are a frequent kernel attack surface.",
        fix: "Block it with the runtime's default seccomp profile.",
        aliases: &[],
    },
    Rule {
        id: "syscall-setns",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::High,
        title: "setns is allowed",
        why: "setns joins other namespaces, the host's included when their file descriptors are reachable.",
        fix: "Block it with the runtime's default seccomp profile and drop CAP_SYS_ADMIN.",
        aliases: &[],
    },
    Rule {
        id: "syscall-unshare",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Medium,
        title: "User namespace creation is allowed",
        why: "Creating a user namespace gives the workload capabilities inside it and reaches kernel code normally kept for root.",
        fix: "Block it with the runtime's default seccomp profile.",
        aliases: &[],
    },
    Rule {
        id: "syscall-keyctl",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Low,
        title: "keyctl is allowed",
        why: "The kernel keyring is not namespaced: keys of other containers may be reachable.",
        fix: "Block it with the runtime's default seccomp profile.",
        aliases: &[],
    },
    Rule {
        id: "syscall-add-key",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Low,
        title: "add_key is allowed",
        why: "The kernel keyring is not namespaced: keys added are shared with the host.",
        fix: "Block it with the runtime's default seccomp profile.",
        aliases: &[],
    },
    Rule {
        id: "syscall-userfaultfd",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Low,
        title: "Kernel-mode userfaultfd is allowed",
        why: "userfaultfd makes kernel race conditions easy to win, a common step in kernel exploits.",
        fix: "Block it with the runtime's default seccomp profile (or set vm.unprivileged_userfaultfd=0).",
        aliases: &[],
    },
    Rule {
        id: "syscall-io-uring-setup",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Low,
        title: "io_uring is allowed",
        why: "io_uring has been a rich source of kernel escapes and bypasses syscall filtering of its operations.",
        fix: "Block io_uring_setup with seccomp (docker's default profile does).",
        aliases: &[],
    },
    Rule {
        id: "syscall-ptrace",
        kind: Kind::Isolation,
        group: "seccomp",
        severity: Severity::Info,
        title: "ptrace is allowed",
        why: "ptrace of the workload's own processes is allowed by most default profiles.",
        fix: "Block it if the workload never debugs.",
        aliases: &[],
    },
    Rule {
        id: "shared-kernel",
        kind: Kind::Isolation,
        group: "sandbox-kernel",
        severity: Severity::Info,
        title: "No sandbox kernel (gVisor) or per-workload VM",
        why: "The workload talks to the host kernel directly: one kernel bug is an escape for every container on the host.",
        fix: "For untrusted code, add a sandbox kernel (gVisor runsc) or a VM runtime (Kata, Firecracker).",
        aliases: &[],
    },
];

/// The rule of a check ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// A finding meets its rule here, where the rule table is, so the report model stays plain data.
impl Finding {
    /// This finding in the shared finding model (`kind: "isolation"`), with the rule's why and
    /// the wall's evidence.
    pub fn to_isolation(&self, evidence: &[String]) -> sekisho_finding::Isolation {
        let rule = rule(&self.id);
        sekisho_finding::Isolation {
            id: self.id.clone(),
            severity: self.severity,
            title: self.message.clone(),
            why: rule.map_or_else(|| self.message.clone(), |r| r.why.to_string()),
            fix: self.advice.clone(),
            wall: self.wall.to_string(),
            evidence: evidence.to_vec(),
            caught_by: self.caught_by.iter().map(|c| (*c).to_string()).collect(),
            location: sekisho_finding::Location::logical(format!("wall:{}", self.wall)),
        }
    }
}

/// Whether `id` is a known check ID or severity name (for `--fail-on` validation).
pub fn is_known(id: &str) -> bool {
    rule(id).is_some() || matches!(id, "critical" | "high" | "medium" | "low" | "info")
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
    let id = id.into();
    Finding {
        caught_by: crate::citations::caught_by(&id).to_vec(),
        id,
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
                    "drop {name} (--cap-drop {} / securityContext.capabilities.drop)",
                    name.trim_start_matches("CAP_")
                ),
            ));
        }
    }
    // seccomp
    if x.seccomp.mode == Some(0) {
        out.push(f("no-seccomp", "seccomp", Severity::High, "no seccomp filter: every syscall reaches the kernel", "run with the runtime's seccomp default profile (docker/podman default, Kubernetes seccompProfile: RuntimeDefault)"));
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
                    "block the syscall with seccomp and drop the capability",
                ),
                "mount" | "setns" | "open_by_handle_at" | "bpf" => (
                    Severity::High,
                    "block the syscall with the runtime's default seccomp profile and drop the capability",
                ),
                "perf_event_open" | "unshare" => (
                    Severity::Medium,
                    "block the syscall with the runtime's default seccomp profile",
                ),
                "ptrace" => (
                    Severity::Info,
                    "allowed by most default profiles; block the syscall if the workload never debugs",
                ),
                _ => (
                    Severity::Low,
                    "block the syscall with the runtime's default seccomp profile",
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
                advice,
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
        caught_by: Vec::new(),
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
            caught_by: Vec::new(),
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
        caught_by: Vec::new(),
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
        caught_by: Vec::new(),
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
        caught_by: Vec::new(),
        status: status(!x.lsm.confined, "lsm"),
        evidence: vec![lsm_ev],
    });
    if x.exposure.is_some() {
        let crit = on("exposure")
            .iter()
            .any(|f| f.severity == Severity::Critical);
        out.push(Wall {
            wall: "exposure",
            caught_by: Vec::new(),
            status: status(crit, "exposure"),
            evidence: on("exposure").iter().map(|f| f.message.clone()).collect(),
        });
    }
    if let Some(rt) = x.runtime {
        let sb = sandbox_kernel(Some(rt));
        out.push(Wall {
            wall: "sandbox-kernel",
            caught_by: Vec::new(),
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
    for w in &mut out {
        if w.status != WallStatus::Present {
            w.caught_by = crate::citations::union(on(w.wall).iter().map(|f| f.id.as_str()));
        }
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
