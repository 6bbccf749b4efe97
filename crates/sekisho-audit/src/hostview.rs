//! The host view: every containerised process on the host, grouped per container.
//!
//! A process counts as containerised when its mount or PID namespace is not the host's, or
//! when its cgroup path matches a container runtime's pattern ([`runtime::container_from_cgroup`]).
//! Processes are grouped by container ID when the cgroup path gives one, else by PID namespace,
//! else by mount namespace. Each group is described by its lowest PID (normally its init).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checks::{self, Facts};
use crate::host::Host;
use crate::inside::{capabilities, last_cap, seccomp};
use crate::model::{
    Capabilities, Cgroups, Finding, KernelInfo, Lsm, Namespace, SCHEMA_VERSION, Seccomp,
    UserNamespace, Wall,
};
use crate::namespaces::{self, TYPES};
use crate::parse::{cgroup, mountinfo, status};
use crate::{AuditError, cgroups, lsm, runtime};

#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub view: &'static str,
    pub kernel: KernelInfo,
    /// The namespace inodes treated as the host's, by type.
    pub host_namespaces: BTreeMap<String, u64>,
    pub processes_scanned: usize,
    /// Processes whose status could not be read (they exited, or permission was denied).
    pub processes_unreadable: usize,
    pub containers: Vec<Container>,
    pub notes: Vec<String>,
    /// Known escapes through the host's kernel and its container runtimes.
    pub known_escapes: Option<sekisho_kernel::Section>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Container {
    /// Container ID from the cgroup path, or `pidns:<inode>` / `mntns:<inode>`.
    pub id: String,
    /// How the group was formed: `cgroup`, `pid-ns`, `mnt-ns`.
    pub grouped_by: &'static str,
    pub runtime: Option<String>,
    pub pod_uid: Option<String>,
    pub qos: Option<String>,
    pub pids: Vec<u32>,
    /// The lowest PID and its command name.
    pub init_pid: u32,
    pub command: Option<String>,
    pub uid: Option<u32>,
    pub namespaces: Vec<Namespace>,
    pub user_namespace: UserNamespace,
    pub cgroup_path: Option<String>,
    pub cgroups: Cgroups,
    pub seccomp: Seccomp,
    pub capabilities: Capabilities,
    pub lsm: Lsm,
    pub findings: Vec<Finding>,
    pub walls: Vec<Wall>,
    pub grade: String,
}

type Groups = BTreeMap<(String, &'static str), (Option<runtime::ContainerRef>, Vec<Proc>)>;

struct Proc {
    pid: u32,
    ns: [Option<u64>; 8],
    cg_text: String,
    status: status::Status,
}

/// Scan every process. `max_procs` caps the scan (the rest is noted).
pub fn audit(host: &dyn Host, max_procs: usize) -> Result<HostReport, AuditError> {
    let mut notes = Vec::new();
    let uname = host.uname();
    let kernel = uname
        .as_ref()
        .and_then(|u| namespaces::kernel_version(&u.release));
    // The host's namespaces: the fixed initial inodes, else PID 1's, else our own.
    let mut host_ns = BTreeMap::new();
    for k in TYPES {
        let v = namespaces::initial_inode(k, kernel)
            .or_else(|| namespaces::ns_inode(host, "/proc/1", k))
            .or_else(|| namespaces::ns_inode(host, "/proc/self", k));
        if let Some(v) = v {
            host_ns.insert(k.to_string(), v);
        }
    }
    let own_mounts = host
        .read_text("/proc/self/mountinfo")
        .map(|t| mountinfo::parse(&t).0)
        .unwrap_or_default();
    let mut pids: Vec<u32> = host
        .list_dir("/proc")
        .map_err(|source| AuditError::NoProcList { source })?
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    pids.sort_unstable();
    if pids.len() > max_procs {
        notes.push(format!(
            "{} processes; only the first {max_procs} were scanned",
            pids.len()
        ));
        pids.truncate(max_procs);
    }
    let scanned = pids.len();
    let mut unreadable = 0;
    let mut groups: Groups = BTreeMap::new();
    for pid in pids {
        let dir = format!("/proc/{pid}");
        let Ok(st_text) = host.read_text(&format!("{dir}/status")) else {
            unreadable += 1;
            continue;
        };
        let st = status::parse(&st_text);
        let mut ns = [None; 8];
        for (i, k) in TYPES.iter().enumerate() {
            ns[i] = namespaces::ns_inode(host, &dir, k);
        }
        let cg_text = host.read_text(&format!("{dir}/cgroup")).unwrap_or_default();
        let cref = cgroup::parse(&cg_text)
            .iter()
            .find_map(|l| runtime::container_from_cgroup(&l.path));
        let differs = |i: usize| ns[i].is_some() && ns[i] != host_ns.get(TYPES[i]).copied();
        let key = if let Some(c) = &cref {
            (c.id.clone(), "cgroup")
        } else if differs(1) {
            (format!("pidns:{}", ns[1].unwrap_or(0)), "pid-ns")
        } else if differs(0) {
            (format!("mntns:{}", ns[0].unwrap_or(0)), "mnt-ns")
        } else {
            continue;
        };
        let entry = groups
            .entry(key)
            .or_insert_with(|| (cref.clone(), Vec::new()));
        entry.1.push(Proc {
            pid,
            ns,
            cg_text,
            status: st,
        });
    }
    // A process that only unshared the mount namespace next to a PID-namespace sandbox (the
    // `unshare --pid --fork` parent, bwrap's monitor) belongs to that sandbox.
    let mnt_keys: Vec<(String, &'static str)> =
        groups.keys().filter(|k| k.1 == "mnt-ns").cloned().collect();
    for k in mnt_keys {
        let mnt = groups[&k].1.first().and_then(|p| p.ns[0]);
        let target = groups
            .iter()
            .find(|(gk, g)| gk.1 != "mnt-ns" && g.1.iter().any(|p| p.ns[0] == mnt))
            .map(|(gk, _)| gk.clone());
        if let Some(t) = target {
            if let Some((_, procs)) = groups.remove(&k) {
                if let Some(g) = groups.get_mut(&t) {
                    // The representative stays the PID-namespace group's own first process.
                    g.1.extend(procs);
                }
            }
        }
    }
    let last = last_cap(host);
    let mut containers = Vec::new();
    for ((id, how), (cref, procs)) in groups {
        let Some(rep) = procs.first() else { continue };
        let dir = format!("/proc/{}", rep.pid);
        let nss: Vec<Namespace> = TYPES
            .iter()
            .enumerate()
            .filter(|(i, _)| rep.ns[*i].is_some())
            .map(|(i, k)| {
                let mut n = namespaces::judge(k, rep.ns[i], kernel, None);
                if n.shared_with_host.is_none() {
                    n.shared_with_host = host_ns.get(*k).map(|h| Some(*h) == rep.ns[i]);
                    n.evidence = format!(
                        "inode {} compared with the host's {}",
                        rep.ns[i].unwrap_or(0),
                        host_ns.get(*k).copied().unwrap_or(0)
                    );
                }
                n
            })
            .collect();
        let user_ns = namespaces::user_namespace(host, &dir);
        let in_userns = nss
            .iter()
            .any(|n| n.kind == "user" && n.shared_with_host == Some(false));
        let cg = cgroups::gather(host, &rep.cg_text, &own_mounts);
        let sec = seccomp(&rep.status);
        let caps = capabilities(&rep.status, last, in_userns);
        let lsm = lsm::gather(host, &dir);
        let facts = Facts {
            namespaces: &nss,
            user_ns: Some(&user_ns),
            uid: rep.status.uid.map(|u| u[1]),
            cgroups: Some(&cg),
            seccomp: &sec,
            caps: &caps,
            lsm: &lsm,
            exposure: None,
            probes: None,
            runtime: None,
        };
        let findings = checks::findings(&facts);
        let walls = checks::walls(&facts, &findings);
        let grade = checks::grade(&findings, false);
        let runtime = cref.as_ref().map(|c| c.runtime.to_string());
        containers.push(Container {
            id,
            grouped_by: how,
            runtime,
            pod_uid: cref.as_ref().and_then(|c| c.pod_uid.clone()),
            qos: cref.as_ref().and_then(|c| c.qos.clone()),
            pids: {
                let mut v: Vec<u32> = procs.iter().map(|p| p.pid).collect();
                v.sort_unstable();
                v
            },
            init_pid: rep.pid,
            command: rep.status.name.clone(),
            uid: rep.status.uid.map(|u| u[1]),
            namespaces: nss,
            user_namespace: user_ns,
            cgroup_path: cg.path.clone(),
            cgroups: cg,
            seccomp: sec,
            capabilities: caps,
            lsm,
            findings,
            walls,
            grade,
        });
    }
    Ok(HostReport {
        schema_version: SCHEMA_VERSION,
        kind: "isolation",
        view: "host",
        kernel: KernelInfo {
            release: uname.as_ref().map(|u| u.release.clone()),
            version: uname.as_ref().map(|u| u.version.clone()),
            machine: uname.as_ref().map(|u| u.machine.clone()),
        },
        host_namespaces: host_ns,
        processes_scanned: scanned,
        processes_unreadable: unreadable,
        containers,
        notes,
        known_escapes: Some(crate::escapes::host_view(host, max_procs)),
    })
}
