//! Known escapes through the floor under the walls: the shared kernel and the container runtime.
//!
//! This module gathers, through the [`Host`] trait, what `sekisho-kernel` needs to judge them:
//!
//! * the kernel's identity: `uname -r`, `/proc/version`, `/proc/version_signature` and the
//!   live patches in `/sys/kernel/livepatch/*/enabled`;
//! * (host view) the runtime binaries: those running (`/proc/<pid>/exe` of processes named like
//!   a runtime) and those at the usual paths, each identified by its owning package (dpkg
//!   status + `info/*.list`, or the rpm database), then its Go build info, then the version it
//!   prints (`--version`, run only by [`Host::version_output`] on the real host);
//! * the [`Evidence`] the preconditions are weighed against, from the audit's own measurements
//!   (user namespaces, the unshare/io_uring/bpf probes, capabilities, cgroups, release_agent).
//!
//! Package databases and build info are parsed by `sekisho-catalog`, versions are ordered by
//! `sekisho-version`, verdicts are `sekisho-kernel`'s.

use std::collections::BTreeSet;
use std::fmt::Write;

use sekisho_catalog::os::{dpkg, release, rpm};
use sekisho_kernel::Section;
use sekisho_kernel::identity::KernelIdentity;
use sekisho_kernel::runtime::{self, PackageInfo, RuntimeIdentity, RuntimeKind};
use sekisho_kernel::verdict::{Evidence, Reach, Verdict};

use crate::host::{FileKind, Host};
use crate::model::Report;
use crate::parse::mountinfo;
use crate::probe::ProbeClass;

/// Where runtime binaries are looked for, besides running processes.
pub const USUAL_DIRS: &[&str] = &[
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/bin",
    "/sbin",
    "/opt/kata/bin",
    "/usr/libexec/docker",
    "/usr/libexec/podman",
];
/// Largest runtime binary read for its Go build info.
pub const MAX_BINARY: usize = 96 << 20;
/// Largest package database read.
pub const MAX_PACKAGE_DB: usize = 256 << 20;

/// The kernel the host (or this container, which shares it) runs.
pub fn kernel_identity(host: &dyn Host) -> KernelIdentity {
    let uname = host.uname();
    let release = uname
        .as_ref()
        .map(|u| u.release.clone())
        .or_else(|| host.read_text("/proc/sys/kernel/osrelease").ok())
        .unwrap_or_default();
    // /proc/version is uname's release and version in linux_banner's shape; rebuild it from
    // uname(2) when /proc is not readable.
    let banner = host.read_text("/proc/version").ok().or_else(|| {
        uname
            .as_ref()
            .map(|u| format!("Linux version {} (unknown) {}", u.release, u.version))
    });
    let sig = host.read_text("/proc/version_signature").ok();
    let mut patches = Vec::new();
    if let Ok(mut names) = host.list_dir("/sys/kernel/livepatch") {
        names.sort();
        for n in names {
            let enabled = host
                .read_text(&format!("/sys/kernel/livepatch/{n}/enabled"))
                .ok();
            patches.push((n, enabled));
        }
    }
    KernelIdentity::parse(release.trim(), banner.as_deref(), sig.as_deref())
        .with_livepatches(&patches)
}

fn probe(r: &Report, name: &str) -> Option<ProbeClass> {
    r.probes
        .as_ref()?
        .iter()
        .find(|p| p.syscall == name)
        .map(|p| p.result)
}

fn allowed(c: Option<ProbeClass>) -> (Option<bool>, Option<String>) {
    match c {
        Some(ProbeClass::Allowed) => (Some(true), None),
        Some(ProbeClass::BlockedBySeccomp) => (Some(false), Some("seccomp".into())),
        Some(ProbeClass::DeniedByCapabilities) => (
            Some(false),
            Some("refused by a capability check, sysctl or limit".into()),
        ),
        Some(ProbeClass::NotSupported) => (Some(false), Some("not supported by the kernel".into())),
        Some(ProbeClass::Unknown) | None => (None, None),
    }
}

fn userns_sysctls(clone: Option<&str>, max: Option<&str>) -> Option<bool> {
    match (clone.map(str::trim), max.map(str::trim)) {
        (Some("0"), _) | (_, Some("0")) => Some(false),
        (_, Some(_)) => Some(true),
        _ => None,
    }
}

/// The evidence of an inside audit.
pub fn evidence_inside(r: &Report) -> Evidence {
    let caps = &r.capabilities.effective.names;
    let has = |c: &str| Some(caps.iter().any(|n| n == c));
    let s = &r.exposure.sysctls;
    let (userns_creatable, userns_denied_by) = allowed(probe(r, "unshare"));
    let (io_uring_allowed, io_uring_denied_by) = allowed(probe(r, "io_uring_setup"));
    let (bpf_allowed, _) = allowed(probe(r, "bpf"));
    let shared = |k: &str| {
        r.namespaces
            .iter()
            .find(|n| n.kind == k)
            .and_then(|n| n.shared_with_host)
    };
    Evidence {
        scope: match (r.target.own, &r.runtime.name) {
            (true, Some(_)) => "this container".into(),
            (true, None) => "this process".into(),
            (false, _) => format!("process {}", r.target.pid),
        },
        unprivileged_userns: userns_sysctls(
            s.unprivileged_userns_clone.as_deref(),
            s.max_user_namespaces.as_deref(),
        ),
        userns_creatable,
        userns_denied_by,
        cap_sys_admin: has("CAP_SYS_ADMIN"),
        cap_net_admin: has("CAP_NET_ADMIN"),
        cap_net_raw: has("CAP_NET_RAW"),
        cap_bpf: has("CAP_BPF"),
        cgroup_v1: match r.cgroups.version.as_str() {
            "v1" | "hybrid" => Some(true),
            "v2" => Some(false),
            _ => None,
        },
        release_agent_writable: Some(!r.exposure.release_agent_writable.is_empty()),
        io_uring_allowed,
        io_uring_denied_by,
        bpf_allowed,
        unprivileged_bpf: s
            .unprivileged_bpf_disabled
            .as_deref()
            .map(|v| v.trim() == "0"),
        root_in_host_userns: match (r.target.uid, shared("user")) {
            (Some(0), Some(true)) => Some(true),
            (Some(_), Some(_)) => Some(false),
            _ => None,
        },
        host_network: shared("net"),
    }
}

fn sysctl(host: &dyn Host, p: &str) -> Option<String> {
    host.read_text(p).ok().map(|s| s.trim().to_string())
}

/// Host-wide evidence: the sysctls and the host's cgroup version. Capabilities, seccomp and
/// namespaces differ per container and are not weighed here.
pub fn evidence_host(host: &dyn Host) -> Evidence {
    let io = sysctl(host, "/proc/sys/kernel/io_uring_disabled");
    let mounts = host
        .read_text("/proc/self/mountinfo")
        .map(|t| mountinfo::parse(&t).0)
        .unwrap_or_default();
    let v1 = mounts.iter().any(|m| m.fstype == "cgroup");
    let v2 = mounts.iter().any(|m| m.fstype == "cgroup2");
    Evidence {
        scope: "this host".into(),
        unprivileged_userns: userns_sysctls(
            sysctl(host, "/proc/sys/kernel/unprivileged_userns_clone").as_deref(),
            sysctl(host, "/proc/sys/user/max_user_namespaces").as_deref(),
        ),
        cgroup_v1: (v1 || v2).then_some(v1),
        io_uring_allowed: match io.as_deref() {
            Some("2") => Some(false),
            _ => None,
        },
        io_uring_denied_by: (io.as_deref() == Some("2"))
            .then(|| "kernel.io_uring_disabled = 2".into()),
        unprivileged_bpf: sysctl(host, "/proc/sys/kernel/unprivileged_bpf_disabled")
            .map(|v| v == "0"),
        ..Evidence::default()
    }
}

/// Resolve symlinks in every component of `path` (merged-usr `/sbin` -> `usr/sbin` included),
/// at most 32 links in all. A recorded tree's `read_link` falls back to file contents, so only a
/// target that exists counts as a link.
fn resolve(host: &dyn Host, path: &str) -> String {
    let mut todo: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        done.push(c);
        let here = format!("/{}", done.join("/"));
        if links >= 32 {
            continue;
        }
        let Ok(t) = host.read_link(&here) else {
            continue;
        };
        if t.is_empty() || t.len() > 4096 || t.contains(char::is_whitespace) {
            continue;
        }
        let parent = &done[..done.len() - 1];
        let target = if t.starts_with('/') {
            t.clone()
        } else {
            format!("/{}/{t}", parent.join("/"))
        };
        if host.kind(&target).is_none() {
            continue;
        }
        links += 1;
        done.pop();
        if t.starts_with('/') {
            done.clear();
        }
        todo.extend(
            t.split('/')
                .filter(|c| !c.is_empty())
                .rev()
                .map(str::to_string),
        );
    }
    format!("/{}", done.join("/"))
}

/// Runtime binaries: (kind, resolved path, how found).
pub fn find_runtimes(host: &dyn Host, max_procs: usize) -> Vec<(RuntimeKind, String, String)> {
    let mut out: Vec<(RuntimeKind, String, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |kind: RuntimeKind, path: String, how: String| {
        if seen.insert(path.clone()) {
            out.push((kind, path, how));
        }
    };
    if let Ok(names) = host.list_dir("/proc") {
        let mut pids: Vec<u32> = names.iter().filter_map(|n| n.parse().ok()).collect();
        pids.sort_unstable();
        for pid in pids.into_iter().take(max_procs) {
            let Ok(comm) = host.read_text(&format!("/proc/{pid}/comm")) else {
                continue;
            };
            let comm = comm.trim();
            // comm is cut at 15 bytes: containerd-shim-runc-v2 shows as "containerd-shim".
            if !RuntimeKind::BINARIES.iter().any(|b| b.starts_with(comm)) {
                continue;
            }
            if let Ok(exe) = host.read_link(&format!("/proc/{pid}/exe")) {
                let exe = exe.trim_end_matches(" (deleted)").to_string();
                let name = exe.rsplit('/').next().unwrap_or("");
                if let Some(kind) = RuntimeKind::from_binary(name) {
                    add(kind, exe.clone(), format!("running as pid {pid}"));
                }
            }
        }
    }
    for dir in USUAL_DIRS {
        for name in RuntimeKind::BINARIES {
            let p = format!("{dir}/{name}");
            if host.kind(&p) == Some(FileKind::File) {
                if let Some(kind) = RuntimeKind::from_binary(name) {
                    let real = resolve(host, &p);
                    let how = if real == p {
                        format!("found at {p}")
                    } else {
                        format!("found at {p} -> {real}")
                    };
                    add(kind, real, how);
                }
            }
        }
    }
    out
}

/// The host's installed packages, read once.
pub struct Packages {
    os: Option<sekisho_catalog::model::OsInfo>,
    dpkg: Vec<dpkg::DpkgRecord>,
    rpm: Vec<sekisho_catalog::os::rpm::header::RpmInfo>,
    pub notes: Vec<String>,
}

impl Packages {
    pub fn read(host: &dyn Host) -> Self {
        let mut notes = Vec::new();
        let os = ["/etc/os-release", "/usr/lib/os-release"]
            .iter()
            .find_map(|p| {
                let t = host.read_text(p).ok()?;
                release::from_os_release(&release::parse_os_release(&t), p.trim_start_matches('/'))
            });
        let mut recs = Vec::new();
        if let Ok(b) = host.read("/var/lib/dpkg/status", MAX_PACKAGE_DB) {
            match dpkg::parse_status("/var/lib/dpkg/status", &b) {
                Ok((r, problems)) => {
                    recs = r;
                    notes.extend(
                        problems
                            .into_iter()
                            .map(|p| format!("/var/lib/dpkg/status: {p}")),
                    );
                }
                Err(e) => notes.push(format!("{e}; runtime packages not identified")),
            }
        }
        let mut rpms = Vec::new();
        for p in [
            "/var/lib/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/var/lib/rpm/Packages.db",
            "/var/lib/rpm/Packages",
        ] {
            let Ok(b) = host.read(p, MAX_PACKAGE_DB) else {
                continue;
            };
            let wal = host.read(&format!("{p}-wal"), MAX_PACKAGE_DB).ok();
            match rpm::read_db(p, &b, wal.as_deref()) {
                Ok((r, problems)) => {
                    rpms = r;
                    notes.extend(problems.into_iter().take(5).map(|x| format!("{p}: {x}")));
                }
                Err(e) => notes.push(format!("{e}; rpm packages not identified")),
            }
            break;
        }
        Packages {
            os,
            dpkg: recs,
            rpm: rpms,
            notes,
        }
    }

    fn distro(&self) -> (Option<String>, Option<String>) {
        let Some(os) = &self.os else {
            return (None, None);
        };
        let id = os.id.as_str();
        let rhel_like = matches!(id, "rhel" | "almalinux" | "rocky" | "centos" | "ol")
            || os.id_like.iter().any(|l| l == "rhel");
        if rhel_like {
            let major = os
                .version_id
                .as_deref()
                .and_then(|v| v.split('.').next())
                .map(str::to_string);
            return (Some("rhel".into()), major);
        }
        match id {
            "debian" => (Some("debian".into()), os.codename.clone()),
            "ubuntu" => (Some("ubuntu".into()), os.codename.clone()),
            other => (Some(other.to_string()), os.version_id.clone()),
        }
    }

    /// The package owning `paths` (the binary as found, and resolved).
    pub fn owner(&self, host: &dyn Host, paths: &[&str]) -> Option<PackageInfo> {
        let (distro, rel) = self.distro();
        for r in self.dpkg.iter().filter(|r| r.installed()) {
            let mut lists = vec![format!("/var/lib/dpkg/info/{}.list", r.name)];
            if let Some(a) = &r.arch {
                lists.push(format!("/var/lib/dpkg/info/{}:{a}.list", r.name));
            }
            // Only packages that could own a runtime are opened.
            let plausible = paths.iter().any(|p| {
                let b = p.rsplit('/').next().unwrap_or("");
                r.name.contains(b) || b.contains(r.name.as_str())
            }) || matches!(
                r.name.as_str(),
                "docker.io"
                    | "docker-ce"
                    | "containerd.io"
                    | "moby-engine"
                    | "kata-containers"
                    | "gvisor"
                    | "golang-github-containers-crun"
            );
            if !plausible {
                continue;
            }
            for l in lists {
                if let Ok(b) = host.read(&l, 16 << 20) {
                    let files = dpkg::parse_list(&b);
                    if files.iter().any(|f| {
                        paths
                            .iter()
                            .any(|p| f.trim_start_matches('/') == p.trim_start_matches('/'))
                    }) {
                        return Some(PackageInfo {
                            manager: "dpkg".into(),
                            name: r.name.clone(),
                            version: r.version.clone(),
                            distro,
                            distro_release: rel,
                        });
                    }
                }
            }
        }
        for r in &self.rpm {
            if r.files.iter().any(|f| {
                paths
                    .iter()
                    .any(|p| f.trim_start_matches('/') == p.trim_start_matches('/'))
            }) {
                let version = match r.epoch {
                    Some(e) if e > 0 => format!("{e}:{}-{}", r.version, r.release),
                    _ => format!("{}-{}", r.version, r.release),
                };
                return Some(PackageInfo {
                    manager: "rpm".into(),
                    name: r.name.clone(),
                    version,
                    distro,
                    distro_release: rel,
                });
            }
        }
        None
    }
}

/// Identify every runtime binary found.
pub fn identify_runtimes(
    host: &dyn Host,
    found: &[(RuntimeKind, String, String)],
) -> (Vec<RuntimeIdentity>, Vec<String>) {
    if found.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let pk = Packages::read(host);
    let mut notes = pk.notes.clone();
    let mut out = Vec::new();
    for (kind, path, how) in found {
        let pkg = pk.owner(host, &[path.as_str()]);
        let bi = if pkg.is_some() && kind.module().is_some() {
            // The package decides; build info is still shown as evidence when cheap to get.
            None
        } else if kind.module().is_some() {
            match host.read(path, MAX_BINARY) {
                Ok(b) => match sekisho_catalog::lang::golang::extract_buildinfo(&b) {
                    Ok(Some(bi)) => Some(bi.modinfo),
                    Ok(None) => None,
                    Err(e) => {
                        notes.push(format!("{path}: Go build info not read ({e})"));
                        None
                    }
                },
                Err(e) => {
                    notes.push(format!("{path}: not readable ({e})"));
                    None
                }
            }
        } else {
            None
        };
        let ver_out = if pkg.is_none()
            && bi
                .as_deref()
                .and_then(|b| runtime::version_from_buildinfo(*kind, b))
                .is_none()
        {
            host.version_output(path)
        } else {
            None
        };
        let mut id = runtime::identify(*kind, path, pkg, bi.as_deref(), ver_out.as_deref());
        id.evidence.insert(0, how.clone());
        out.push(id);
    }
    (out, notes)
}

/// The section for an inside audit: this kernel, judged with this process's evidence.
pub fn inside(host: &dyn Host, r: &Report) -> Section {
    let ev = evidence_inside(r);
    Section::build(kernel_identity(host), Vec::new(), Some(ev), Vec::new())
}

/// The section for the host view: the kernel and every runtime found, once.
pub fn host_view(host: &dyn Host, max_procs: usize) -> Section {
    let found = find_runtimes(host, max_procs);
    let (runtimes, mut notes) = identify_runtimes(host, &found);
    if runtimes.is_empty() {
        notes.push(format!(
            "no container runtime binary found (running, or in {})",
            USUAL_DIRS.join(", ")
        ));
    }
    notes.push(
        "preconditions are weighed with host-wide facts only (sysctls, cgroup version); each \
         container's capabilities and seccomp are in its row"
            .into(),
    );
    Section::build(
        kernel_identity(host),
        runtimes,
        Some(evidence_host(host)),
        notes,
    )
}

fn wrap_into(out: &mut String, first: &str, indent: usize, text: &str) {
    let mut line = first.to_string();
    let mut empty = first.trim().is_empty() && first.len() <= indent;
    // Words that cannot fit on a line of their own (long paths, versions) are split.
    let room = 80usize.saturating_sub(indent).max(20);
    let mut words: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        let chars: Vec<char> = w.chars().collect();
        for chunk in chars.chunks(room) {
            words.push(chunk.iter().collect());
        }
    }
    for w in words.iter().map(String::as_str) {
        if !empty && line.chars().count() + 1 + w.chars().count() > 80 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push_str(w);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// The section as a table that reads in 80 columns.
pub fn render(s: &Section) -> String {
    let mut o = String::new();
    let k = &s.kernel;
    let _ = writeln!(o, "KNOWN ESCAPES (data of {})", s.data_updated);
    let mut kid = format!("kernel {} ({}", k.release, k.distro.as_str());
    if let Some(r) = &k.distro_release {
        let _ = write!(kid, " {r}");
    }
    if let Some(p) = &k.package_version {
        let _ = write!(kid, ", package {} {p}", k.package.as_deref().unwrap_or("?"));
    }
    if let Some(u) = &k.upstream {
        let _ = write!(
            kid,
            ", upstream {u}{}",
            if k.upstream_exact { "" } else { " series" }
        );
    }
    kid.push(')');
    if !k.livepatches.is_empty() {
        let names: Vec<&str> = k.livepatches.iter().map(|p| p.name.as_str()).collect();
        let _ = write!(kid, "; live patches: {}", names.join(", "));
    }
    wrap_into(&mut o, "  ", 4, &kid);
    for rt in &s.runtimes {
        let v = rt.version.as_deref().unwrap_or("version unknown");
        let src = match (&rt.package, rt.version_source) {
            (Some(p), _) => format!("{} package {} {}", p.manager, p.name, p.version),
            (None, src) => format!("{src:?}").to_lowercase(),
        };
        wrap_into(
            &mut o,
            "  ",
            4,
            &format!("{} {} at {} ({src})", rt.kind.as_str(), v, rt.path),
        );
    }
    let c = &s.counts;
    wrap_into(
        &mut o,
        "  ",
        4,
        &format!(
            "{} affected ({} exploitable here), {} not affected, {} unknown",
            c.affected, c.exploitable, c.not_affected, c.unknown
        ),
    );
    o.push('\n');
    let _ = writeln!(o, "{:<15} {:<12} {:<13} REASON", "CVE", "VERDICT", "REACH");
    let mut rows: Vec<&sekisho_kernel::verdict::Judgement> = s.escapes.iter().collect();
    // Affected first, then unknown, then not affected; by CVE within.
    let rank = |v: Verdict| match v {
        Verdict::Affected => 0,
        Verdict::Unknown => 1,
        Verdict::NotAffected => 2,
    };
    let num = |id: &str| -> (u32, u32) {
        let mut it = id
            .trim_start_matches("CVE-")
            .split('-')
            .map(|x| x.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    rows.sort_by(|a, b| {
        rank(a.verdict)
            .cmp(&rank(b.verdict))
            .then(num(&a.id).cmp(&num(&b.id)))
    });
    let mut clear: Vec<&str> = Vec::new();
    for j in rows {
        if j.verdict == Verdict::NotAffected {
            clear.push(j.id.as_str());
            continue;
        }
        let reach = match j.reach {
            Some(Reach::Exploitable) => "EXPLOITABLE",
            Some(Reach::Blocked) => "blocked",
            Some(Reach::Unknown) => "unknown",
            None => "-",
        };
        let first = format!("{:<15} {:<12} {:<13} ", j.id, j.verdict.as_str(), reach);
        let mut text = format!("{}: {}", j.name, j.reason);
        if let (Some(r), Some(Reach::Exploitable | Reach::Blocked)) = (&j.reach_reason, j.reach) {
            let _ = write!(text, ". {r}");
        }
        if let Some(p) = &j.runtime_path {
            let _ = write!(text, " [{p}]");
        }
        wrap_into(&mut o, &first, 43, &text);
    }
    if !clear.is_empty() {
        clear.dedup();
        wrap_into(
            &mut o,
            "not affected: ",
            2,
            &format!("{} (reasons in --format json)", clear.join(" ")),
        );
    }
    for n in &s.notes {
        wrap_into(&mut o, "note: ", 6, n);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_logic() {
        assert_eq!(userns_sysctls(Some("0"), Some("1000")), Some(false));
        assert_eq!(userns_sysctls(None, Some("0")), Some(false));
        assert_eq!(userns_sysctls(None, Some("63000")), Some(true));
        assert_eq!(userns_sysctls(Some("1"), None), None);
    }
}
