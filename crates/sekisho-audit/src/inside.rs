//! The inside view: one process's walls, gathered through a [`Host`].

use crate::checks::{self, Facts};
use crate::host::Host;
use crate::model::{
    CapSet, Capabilities, KernelInfo, ProbeResult, Report, SCHEMA_VERSION, Seccomp, TargetInfo,
};
use crate::parse::{mountinfo, status};
use crate::probe::{self, Attempt, Ctx, Outcome};
use crate::{AuditError, caps, cgroups, exposure, lsm, namespaces, runtime};

/// What to audit and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Another process (`--pid`); `None` for the calling process.
    pub pid: Option<u32>,
    /// Run the syscall probes (only for the calling process).
    pub probe: bool,
}

fn capset(mask: Option<u64>) -> CapSet {
    match mask {
        Some(m) => CapSet {
            hex: format!("{m:016x}"),
            names: caps::decode(m),
        },
        None => CapSet::default(),
    }
}

/// Capabilities from a parsed status file.
pub fn capabilities(st: &status::Status, last_cap: u8, in_user_ns: bool) -> Capabilities {
    let eff = st.cap_eff.unwrap_or(0);
    let prm = st.cap_prm.unwrap_or(0);
    let full = caps::full_mask(last_cap);
    Capabilities {
        effective: capset(st.cap_eff),
        permitted: capset(st.cap_prm),
        inheritable: capset(st.cap_inh),
        bounding: capset(st.cap_bnd),
        ambient: capset(st.cap_amb),
        dangerous: caps::DANGEROUS
            .iter()
            .filter(|(c, _, _)| (eff | prm) & (1u64 << c) != 0)
            .map(|(c, _, _)| caps::name(*c).to_string())
            .collect(),
        privileged: st.cap_eff.is_some() && eff & full == full,
        scope: if in_user_ns {
            "user-namespace"
        } else {
            "initial-user-namespace"
        }
        .into(),
        last_cap,
    }
}

/// Seccomp facts from a parsed status file.
pub fn seccomp(st: &status::Status) -> Seccomp {
    Seccomp {
        mode: st.seccomp,
        mode_name: match st.seccomp {
            Some(0) => "disabled",
            Some(1) => "strict",
            Some(2) => "filter",
            _ => "unknown",
        }
        .into(),
        filters: st.seccomp_filters,
        no_new_privs: st.no_new_privs,
    }
}

/// The kernel's highest capability number.
pub fn last_cap(host: &dyn Host) -> u8 {
    host.read_text("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(40)
}

/// Run all probes for the calling process.
pub fn run_probes(host: &dyn Host, st: &status::Status) -> Vec<ProbeResult> {
    probe::SPECS
        .iter()
        .map(|spec| {
            let real = host
                .probe(spec.syscall, Attempt::Real)
                .unwrap_or(Outcome::ProbeFailed);
            let canary = if spec.has_canary && !matches!(real, Outcome::Ok) {
                host.probe(spec.syscall, Attempt::Canary)
            } else {
                None
            };
            let policy_value = spec.policy.and_then(|(p, _)| host.read_text(p).ok());
            let ctx = Ctx {
                seccomp_mode: st.seccomp,
                cap_eff: st.cap_eff,
                supported: spec.support_marker.is_none_or(|m| host.exists(m)),
                policy_value: policy_value.as_deref(),
            };
            let (class, detail) = probe::classify(spec, real, canary, &ctx);
            ProbeResult {
                syscall: spec.syscall.name(),
                result: class,
                errno: match real {
                    Outcome::Errno(e) => Some(probe::errno_name(e)),
                    _ => None,
                },
                detail: format!("{}: {detail}", spec.syscall.what()),
            }
        })
        .collect()
}

/// Audit one process from the inside.
pub fn audit(host: &dyn Host, opts: &Options) -> Result<Report, AuditError> {
    let own = opts.pid.is_none_or(|p| p == host.own_pid());
    let proc_dir = match opts.pid {
        Some(p) if !own => format!("/proc/{p}"),
        _ => "/proc/self".to_string(),
    };
    let status_text = host
        .read_text(&format!("{proc_dir}/status"))
        .map_err(|source| {
            if opts.pid.is_some() && !own {
                AuditError::NoSuchProcess {
                    pid: opts.pid.unwrap_or(0),
                    source,
                }
            } else {
                AuditError::NoProc { source }
            }
        })?;
    let st = status::parse(&status_text);
    let mut notes = Vec::new();
    let uname = host.uname();
    let kernel = uname
        .as_ref()
        .and_then(|u| namespaces::kernel_version(&u.release));
    let ns = namespaces::namespaces(host, &proc_dir, kernel);
    let user_ns = namespaces::user_namespace(host, &proc_dir);
    let in_user_ns = ns
        .iter()
        .any(|n| n.kind == "user" && n.shared_with_host == Some(false))
        || user_ns.initial == Some(false);
    let (mounts, bad) = match host.read_text(&format!("{proc_dir}/mountinfo")) {
        Ok(t) => mountinfo::parse(&t),
        Err(e) => {
            notes.push(format!(
                "{proc_dir}/mountinfo not readable ({e}): mount checks skipped"
            ));
            (Vec::new(), 0)
        }
    };
    if bad > 0 {
        notes.push(format!("{bad} mountinfo lines not understood and skipped"));
    }
    // cgroup files are resolved with the *reader's* mounts.
    let own_mounts = if own {
        mounts.clone()
    } else {
        host.read_text("/proc/self/mountinfo")
            .map(|t| mountinfo::parse(&t).0)
            .unwrap_or_default()
    };
    let cg_text = host
        .read_text(&format!("{proc_dir}/cgroup"))
        .unwrap_or_else(|e| {
            notes.push(format!("{proc_dir}/cgroup not readable ({e})"));
            String::new()
        });
    let cg = cgroups::gather(host, &cg_text, &own_mounts);
    if cg.read_from.is_empty() && !cg_text.is_empty() {
        notes.push("no cgroup filesystem mounted for this process's cgroups: limits unknown, reported as none".into());
    }
    let sec = seccomp(&st);
    let capabilities = capabilities(&st, last_cap(host), in_user_ns);
    let lsm = lsm::gather(host, &proc_dir);
    let own_pid_ns = namespaces::ns_inode(host, &proc_dir, "pid");
    let in_host_mnt = ns
        .iter()
        .any(|n| n.kind == "mnt" && n.shared_with_host == Some(true));
    let in_host_pid = ns
        .iter()
        .any(|n| n.kind == "pid" && n.shared_with_host == Some(true));
    let exposure = exposure::gather(
        host,
        &proc_dir,
        &mounts,
        own_pid_ns,
        in_host_mnt,
        in_host_pid,
    );
    let probes = if opts.probe && own {
        Some(run_probes(host, &st))
    } else {
        if opts.probe && !own {
            notes.push(
                "syscall probes describe the calling process, so they were skipped for --pid"
                    .into(),
            );
        }
        None
    };
    let cg_paths: Vec<String> = cg.hierarchies.iter().map(|h| h.path.clone()).collect();
    let mut rt = runtime::detect(host, &proc_dir, own, &mounts, &cg_paths);
    runtime::discount_stale_markers(&mut rt, in_host_mnt && in_host_pid);
    let facts = Facts {
        namespaces: &ns,
        user_ns: Some(&user_ns),
        uid: st.uid.map(|u| u[1]),
        cgroups: Some(&cg),
        seccomp: &sec,
        caps: &capabilities,
        lsm: &lsm,
        exposure: Some(&exposure),
        probes: probes.as_deref(),
        runtime: Some(&rt),
    };
    let findings = checks::findings(&facts);
    let walls = checks::walls(&facts, &findings);
    let sandboxed = checks::sandbox_kernel(Some(&rt)).is_some();
    let grade = checks::grade(&findings, sandboxed);
    let missing: Vec<&str> = walls
        .iter()
        .filter(|w| w.status == crate::model::WallStatus::Missing)
        .map(|w| w.wall)
        .collect();
    let weakened: Vec<&str> = walls
        .iter()
        .filter(|w| w.status == crate::model::WallStatus::Weakened)
        .map(|w| w.wall)
        .collect();
    let summary = format!(
        "grade {grade}: {} in {}; missing walls: {}; weakened: {}",
        match &rt.name {
            Some(n) => format!("{n} ({} confidence)", rt.confidence),
            None => "no container runtime detected".into(),
        },
        match (&rt.sandbox_kernel, &rt.vm.flavour, rt.vm.detected) {
            (Some(s), _, _) => s.clone(),
            (None, Some(f), _) => format!("a {f} VM"),
            (None, None, true) => "a VM".into(),
            _ => "the host kernel".into(),
        },
        if missing.is_empty() {
            "none".into()
        } else {
            missing.join(", ")
        },
        if weakened.is_empty() {
            "none".into()
        } else {
            weakened.join(", ")
        },
    );
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        kind: "isolation",
        view: "inside",
        target: TargetInfo {
            pid: opts.pid.unwrap_or_else(|| host.own_pid()),
            own,
            name: st.name.clone(),
            uid: st.uid.map(|u| u[1]),
        },
        kernel: KernelInfo {
            release: uname.as_ref().map(|u| u.release.clone()),
            version: uname.as_ref().map(|u| u.version.clone()),
            machine: uname.as_ref().map(|u| u.machine.clone()),
        },
        namespaces: ns,
        user_namespace: user_ns,
        cgroups: cg,
        seccomp: sec,
        capabilities,
        lsm,
        exposure,
        probes,
        runtime: rt,
        walls,
        findings,
        grade,
        summary,
        notes,
        known_escapes: None,
    };
    report.known_escapes = Some(crate::escapes::inside(host, &report));
    Ok(report)
}
