//! Dangerous exposure: what the workload can reach that belongs to the host.

use crate::host::{FileKind, Host};
use crate::model::{Exposure, HostMount, RuntimeSocket, Sysctls};
use crate::parse::mountinfo::Mount;

/// Well-known runtime API sockets.
pub const SOCKETS: &[(&str, &str)] = &[
    ("/var/run/docker.sock", "docker"),
    ("/run/docker.sock", "docker"),
    ("/run/containerd/containerd.sock", "containerd"),
    ("/var/run/containerd/containerd.sock", "containerd"),
    ("/run/k3s/containerd/containerd.sock", "containerd"),
    ("/run/crio/crio.sock", "cri-o"),
    ("/var/run/crio/crio.sock", "cri-o"),
    ("/run/podman/podman.sock", "podman"),
    ("/var/run/cri-dockerd.sock", "docker"),
    ("/run/buildkit/buildkitd.sock", "buildkit"),
    ("/var/run/dockershim.sock", "docker"),
];

/// Host paths whose presence inside a workload is a problem, whatever they are mounted at.
const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/boot",
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/var",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/run",
    "/run",
    "/var/log",
    "/lib/modules",
    "/proc",
    "/sys",
    "/dev",
];

fn disk_backed(m: &Mount) -> bool {
    m.source.starts_with("/dev/")
        || matches!(
            m.fstype.as_str(),
            "ext2"
                | "ext3"
                | "ext4"
                | "xfs"
                | "btrfs"
                | "zfs"
                | "f2fs"
                | "vfat"
                | "jfs"
                | "reiserfs"
                | "nfs"
                | "nfs4"
                | "ceph"
                | "cifs"
        )
}

fn runtime_of_socket(path: &str) -> &'static str {
    let p = path.to_ascii_lowercase();
    if p.contains("docker") {
        "docker"
    } else if p.contains("containerd") {
        "containerd"
    } else if p.contains("crio") {
        "cri-o"
    } else if p.contains("podman") {
        "podman"
    } else if p.contains("buildkit") {
        "buildkit"
    } else {
        "unknown"
    }
}

/// Host filesystems mounted into the workload.
pub fn host_mounts(mounts: &[Mount], in_host_mnt_ns: bool) -> Vec<HostMount> {
    if in_host_mnt_ns {
        return Vec::new(); // the whole host filesystem is visible; reported as host-mnt-ns
    }
    mounts
        .iter()
        .filter(|m| disk_backed(m))
        .filter(|m| {
            let root = m.root.trim_end_matches('/');
            let root = if root.is_empty() { "/" } else { root };
            SENSITIVE.contains(&root)
                || root.starts_with("/var/lib/kubelet/pki")
                || root.starts_with("/etc/kubernetes")
        })
        .map(|m| HostMount {
            mount_point: m.mount_point.clone(),
            host_path: m.root.clone(),
            source: m.source.clone(),
            fstype: m.fstype.clone(),
            writable: m.is_rw(),
        })
        .take(256)
        .collect()
}

fn sysctl(host: &dyn Host, p: &str) -> Option<String> {
    host.read_text(p).ok().map(|s| s.trim().to_string())
}

/// Gather exposure. `proc_dir` is the audited process; `mounts` its mounts; `own_pid_ns` its PID
/// namespace inode.
pub fn gather(
    host: &dyn Host,
    proc_dir: &str,
    mounts: &[Mount],
    own_pid_ns: Option<u64>,
    in_host_mnt_ns: bool,
    in_host_pid_ns: bool,
) -> Exposure {
    let mut e = Exposure::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut sock_paths: Vec<String> = SOCKETS.iter().map(|(p, _)| (*p).to_string()).collect();
    // Sockets bind-mounted anywhere (a classic: -v /var/run/docker.sock:/sock).
    for m in mounts {
        if m.mount_point.ends_with(".sock") || m.root.ends_with(".sock") {
            sock_paths.push(m.mount_point.clone());
        }
    }
    for p in sock_paths {
        if !seen.insert(p.clone()) {
            continue;
        }
        if host.kind(&p) == Some(FileKind::Socket) {
            e.runtime_sockets.push(RuntimeSocket {
                runtime: runtime_of_socket(&p).into(),
                reachable: host.writable(&p),
                path: p,
            });
        }
    }
    e.host_mounts = host_mounts(mounts, in_host_mnt_ns);
    e.proc_sys_writable = host.writable("/proc/sys/kernel/core_pattern");
    e.sys_writable = [
        "/sys/kernel/uevent_helper",
        "/sys/power/state",
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ]
    .iter()
    .any(|p| host.writable(p));
    e.sysrq_trigger_writable = host.kind("/proc/sysrq-trigger") == Some(FileKind::File)
        && host.writable("/proc/sysrq-trigger");
    e.kcore_readable =
        host.kind("/proc/kcore") == Some(FileKind::File) && host.openable("/proc/kcore");
    if let Ok(mut devs) = host.list_dir("/dev") {
        devs.sort();
        for d in devs {
            let p = format!("/dev/{d}");
            if host.kind(&p) == Some(FileKind::BlockDevice) {
                e.block_devices.push(p);
                if e.block_devices.len() >= 64 {
                    break;
                }
            }
        }
    }
    // Processes: every numeric entry in /proc; those in our PID namespace are "ours".
    let pids: Vec<String> = host
        .list_dir("/proc")
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    // A process that exits between the listing and the namespace read is not counted (during a
    // build hundreds do); one whose namespace link is unreadable but still exists is.
    for p in &pids {
        let dir = format!("/proc/{p}");
        match crate::namespaces::ns_inode(host, &dir, "pid") {
            Some(i) => {
                e.visible_processes += 1;
                if own_pid_ns == Some(i) {
                    e.own_namespace_processes += 1;
                }
            }
            None if host.exists(&dir) => e.visible_processes += 1,
            None => {}
        }
    }
    // /proc mounted from an outer PID namespace shows our own PID under another number.
    let foreign_proc = proc_dir == "/proc/self"
        && host
            .read_link("/proc/self")
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
            .is_some_and(|n| n != host.own_pid());
    // In the host's PID namespace every process in /proc is a host process.
    e.host_processes_visible = foreign_proc
        || e.visible_processes > e.own_namespace_processes
        || (in_host_pid_ns && e.visible_processes > 0);
    // Writable release_agent at the root of a cgroup v1 hierarchy (CVE-2022-0492 style escape).
    for m in mounts.iter().filter(|m| m.fstype == "cgroup") {
        let p = format!("{}/release_agent", m.mount_point.trim_end_matches('/'));
        if host.exists(&p) && host.writable(&p) {
            e.release_agent_writable.push(p);
        }
    }
    e.sysctls = Sysctls {
        unprivileged_userns_clone: sysctl(host, "/proc/sys/kernel/unprivileged_userns_clone"),
        max_user_namespaces: sysctl(host, "/proc/sys/user/max_user_namespaces"),
        unprivileged_bpf_disabled: sysctl(host, "/proc/sys/kernel/unprivileged_bpf_disabled"),
        ptrace_scope: sysctl(host, "/proc/sys/kernel/yama/ptrace_scope"),
        kptr_restrict: sysctl(host, "/proc/sys/kernel/kptr_restrict"),
        dmesg_restrict: sysctl(host, "/proc/sys/kernel/dmesg_restrict"),
        perf_event_paranoid: sysctl(host, "/proc/sys/kernel/perf_event_paranoid"),
    };
    if let Ok(t) = host.read_text("/run/.containerenv") {
        e.runtime_version = t
            .lines()
            .find_map(|l| l.strip_prefix("engine=\""))
            .map(|v| v.trim_end_matches('"').to_string());
    }
    if e.runtime_version.is_none() {
        if let Ok(t) = host.read_text("/run/host/container-manager") {
            e.runtime_version = Some(t.trim().to_string()).filter(|s| !s.is_empty());
        }
    }
    e
}
