//! Verdicts: is this kernel (or runtime) affected by each escape, why, and can it be reached
//! from here?
//!
//! A verdict is reached in this order, and the `reason` says which step decided:
//!
//! 1. **The distribution's table** for the identified suite/series/major and package: Debian
//!    (dpkg ordering of the package version against the DSA/DLA fix), Ubuntu (the tracker's
//!    status for the series and source package; with only `uname -r`, the ABI number decides
//!    unless it equals the fix's), RHEL family (rpm ordering of the `elN` NVR).
//! 2. **Upstream ranges** when no table applies: the mainline tags that introduced and fixed the
//!    bug, then the stable release of the kernel's branch. Used alone for vanilla and custom
//!    builds, Fedora and Amazon Linux (they rebase on stable releases), and for Debian/Ubuntu
//!    kernels whose suite has no record (their upstream version is real; a backport the tables
//!    do not know about would not show, and the reason says so).
//! 3. **Unknown** when neither applies: a RHEL kernel without a record (its `4.18.0` says
//!    nothing about backports), a branch fix with only an ABI name to compare, a runtime without
//!    a version. Never "not affected" from a table that does not apply.
//!
//! Then **live patches**: an affected kernel with a live patch named after the CVE is
//! `not-affected` ("livepatched"); with other live patches loaded it becomes `unknown` (a live
//! patch may carry the fix; `/sys` does not say which CVEs it covers).
//!
//! Finally the **preconditions** are weighed against [`Evidence`] measured by the auditor:
//! an affected escape is `exploitable`, `blocked` (naming what blocks it) or `unknown`.

use std::cmp::Ordering;

use sekisho_version::Ecosystem;
use serde::Serialize;

use crate::data::{Component, Database, Escape};
use crate::identity::{Distro, KernelIdentity};
use crate::kver::KVer;
use crate::runtime::RuntimeIdentity;

/// The three answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Affected,
    NotAffected,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Affected => "affected",
            Self::NotAffected => "not-affected",
            Self::Unknown => "unknown",
        }
    }
}

/// What decided a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    Debian,
    Ubuntu,
    Rhel,
    Upstream,
    Livepatch,
    DistroSpecific,
    None,
}

pub use crate::data::Precondition;

/// What the auditor measured where the verdicts are read (a container, or the host). `None`
/// everywhere means "not measured".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Whose evidence, as the subject of a sentence: `this container`, `this process`,
    /// `this host`.
    pub scope: String,
    /// The sysctls allow unprivileged user namespaces.
    pub unprivileged_userns: Option<bool>,
    /// Creating a user namespace works here (the `unshare` probe); `Some(false)` with
    /// `userns_denied_by` naming what refused it.
    pub userns_creatable: Option<bool>,
    /// `seccomp` (the filter blocks unshare) or `sysctl`/`limit`.
    pub userns_denied_by: Option<String>,
    pub cap_sys_admin: Option<bool>,
    pub cap_net_admin: Option<bool>,
    pub cap_net_raw: Option<bool>,
    pub cap_bpf: Option<bool>,
    pub cgroup_v1: Option<bool>,
    pub release_agent_writable: Option<bool>,
    pub io_uring_allowed: Option<bool>,
    /// `seccomp` or `kernel.io_uring_disabled`.
    pub io_uring_denied_by: Option<String>,
    pub bpf_allowed: Option<bool>,
    pub unprivileged_bpf: Option<bool>,
    pub root_in_host_userns: Option<bool>,
    pub host_network: Option<bool>,
}

/// One precondition weighed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreconditionCheck {
    pub id: Precondition,
    /// `true` met, `false` not met, `null` unknown.
    pub met: Option<bool>,
    pub evidence: String,
}

/// Whether an affected escape can be reached here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    Exploitable,
    Blocked,
    Unknown,
}

/// One escape judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// The CVE.
    pub id: String,
    pub name: String,
    pub component: &'static str,
    /// For runtime escapes: the binary judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_path: Option<String>,
    pub verdict: Verdict,
    pub reason: String,
    pub basis: Basis,
    /// For affected escapes with evidence: exploitable, blocked or unknown.
    pub reach: Option<Reach>,
    /// `affected, and exploitable here: …` / `affected, but this container lacks …`.
    pub reach_reason: Option<String>,
    pub preconditions: Vec<PreconditionCheck>,
}

fn dpkg_cmp(a: &str, b: &str) -> Option<Ordering> {
    sekisho_version::compare(Ecosystem::Debian, a, b).ok()
}

fn rpm_cmp(a: &str, b: &str) -> Option<Ordering> {
    sekisho_version::compare(Ecosystem::RedHat, a, b).ok()
}

fn semver_cmp(a: &str, b: &str) -> Option<Ordering> {
    let a = crate::data::semver(a)?;
    let b = crate::data::semver(b)?;
    a.try_cmp(&b)
}

type Step = (Verdict, String, Basis);

/// The Ubuntu CVE tracker writes ESM series as `esm-infra/xenial`, `esm-apps/bionic` and
/// `trusty/esm`; all of them are the release's.
fn series_matches(row: &str, series: &str) -> bool {
    row == series
        || row.rsplit_once('/').is_some_and(|(_, s)| s == series)
        || row.split_once('/').is_some_and(|(s, _)| s == series)
}

/// Upstream kernel ranges. `exact`: the patch level is real (not an ABI series).
pub fn judge_upstream_kernel(e: &Escape, v: &KVer, exact: bool) -> Option<Step> {
    let up = &e.upstream;
    let intro = up.introduced.as_deref().and_then(KVer::parse);
    let fixed = up.fixed.as_deref().and_then(KVer::parse);
    let shown = if exact {
        format!("upstream {v}")
    } else {
        format!("series {}", v.branch())
    };
    if let Some(i) = &intro {
        // With only the series known, compare the series' first release.
        let probe = if exact { v.clone() } else { v.branch() };
        if probe < *i && (exact || probe.branch() != i.branch()) {
            return Some((
                Verdict::NotAffected,
                format!("{shown} predates the bug (introduced in {i})"),
                Basis::Upstream,
            ));
        }
    }
    if let Some(f) = &fixed {
        let probe = if exact { v.clone() } else { v.branch() };
        if probe >= *f {
            return Some((
                Verdict::NotAffected,
                format!("{shown} is at or after the mainline fix ({f})"),
                Basis::Upstream,
            ));
        }
    }
    let branch = v.branch();
    if let Some(b) = up
        .branches
        .iter()
        .find(|b| KVer::parse(&b.branch).is_some_and(|x| x == branch))
    {
        let fv = KVer::parse(&b.fixed)?;
        if !exact {
            return Some((
                Verdict::Unknown,
                format!(
                    "series {branch} got the fix in {} but the patch level is not known (only the ABI name)",
                    b.fixed
                ),
                Basis::Upstream,
            ));
        }
        return Some(if *v < fv {
            (
                Verdict::Affected,
                format!("upstream {v} < {fv}"),
                Basis::Upstream,
            )
        } else {
            (
                Verdict::NotAffected,
                format!("upstream {v} >= {fv}"),
                Basis::Upstream,
            )
        });
    }
    if intro.is_some() && fixed.is_some() {
        return Some((
            Verdict::Affected,
            format!(
                "{shown}: the {branch} series has the bug and no fixed stable release is recorded (mainline fix {})",
                fixed.as_ref().map(ToString::to_string).unwrap_or_default()
            ),
            Basis::Upstream,
        ));
    }
    None
}

fn livepatch_names_cve(name: &str, cve: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(name).contains(&norm(cve))
}

fn kernel_table(e: &Escape, id: &KernelIdentity) -> Option<Step> {
    match id.distro {
        Distro::Debian => {
            let suite = id.distro_release.as_deref()?;
            let row = e
                .debian
                .iter()
                .find(|d| d.suite == suite && d.package == "linux")?;
            let Some(pv) = id.package_version.as_deref() else {
                return Some((
                    Verdict::Unknown,
                    format!(
                        "Debian {suite} fixed it in {} ({}), but only the ABI name {} is known: the package version is in /proc/version",
                        row.fixed, row.advisory, id.release
                    ),
                    Basis::Debian,
                ));
            };
            let o = dpkg_cmp(pv, &row.fixed)?;
            Some(if o == Ordering::Less {
                (
                    Verdict::Affected,
                    format!("Debian {pv} < fixed {} ({})", row.fixed, row.advisory),
                    Basis::Debian,
                )
            } else {
                (
                    Verdict::NotAffected,
                    format!("Debian {pv} >= fixed {} ({})", row.fixed, row.advisory),
                    Basis::Debian,
                )
            })
        }
        Distro::Ubuntu => {
            let series = id.distro_release.as_deref()?;
            let cands = id.package_candidates();
            let row = cands.iter().find_map(|p| {
                e.ubuntu
                    .iter()
                    .find(|u| &u.package == p && (series_matches(&u.series, series)))
            })?;
            let what = format!("Ubuntu {series} {}", row.package);
            if row.status == "not-affected" {
                return Some((
                    Verdict::NotAffected,
                    format!(
                        "{what}: not affected{}",
                        row.version
                            .as_deref()
                            .map(|v| format!(" (as of {v})"))
                            .unwrap_or_default()
                    ),
                    Basis::Ubuntu,
                ));
            }
            let fixed = row.version.as_deref()?;
            match id.package_version.as_deref() {
                Some(pv) => {
                    let o = dpkg_cmp(pv, fixed)?;
                    Some(if o == Ordering::Less {
                        (
                            Verdict::Affected,
                            format!("{what} {pv} < fixed {fixed}"),
                            Basis::Ubuntu,
                        )
                    } else {
                        (
                            Verdict::NotAffected,
                            format!("{what} {pv} >= fixed {fixed}"),
                            Basis::Ubuntu,
                        )
                    })
                }
                None => {
                    // ABI only: 5.4.0-42 against 5.4.0-42.46.
                    let abi = id.abi?;
                    let fixed_abi: u32 = fixed
                        .split_once('-')?
                        .1
                        .split(['.', '~'])
                        .next()?
                        .parse()
                        .ok()?;
                    Some(match abi.cmp(&fixed_abi) {
                        Ordering::Less => (
                            Verdict::Affected,
                            format!("{what}: ABI {abi} < fixed {fixed}"),
                            Basis::Ubuntu,
                        ),
                        Ordering::Greater => (
                            Verdict::NotAffected,
                            format!("{what}: ABI {abi} > fixed {fixed}"),
                            Basis::Ubuntu,
                        ),
                        Ordering::Equal => (
                            Verdict::Unknown,
                            format!(
                                "{what}: ABI {abi} is the fix's ({fixed}); the upload number (in /proc/version_signature or /proc/version) decides"
                            ),
                            Basis::Ubuntu,
                        ),
                    })
                }
            }
        }
        Distro::Rhel => {
            let major: u32 = id.distro_release.as_deref()?.parse().ok()?;
            let pkg = id.package.as_deref().unwrap_or("kernel");
            let row = e
                .rhel
                .iter()
                .find(|r| r.major == major && r.package == pkg)?;
            let pv = id.package_version.as_deref()?;
            let o = rpm_cmp(pv, &row.fixed)?;
            Some(if o == Ordering::Less {
                (
                    Verdict::Affected,
                    format!(
                        "RHEL {major} {pkg} {pv} < fixed {} ({})",
                        row.fixed, row.advisory
                    ),
                    Basis::Rhel,
                )
            } else {
                (
                    Verdict::NotAffected,
                    format!(
                        "RHEL {major} {pkg} {pv} >= fixed {} ({})",
                        row.fixed, row.advisory
                    ),
                    Basis::Rhel,
                )
            })
        }
        _ => None,
    }
}

fn judge_kernel_one(e: &Escape, id: &KernelIdentity) -> Step {
    if let Some(only) = e.only_distro.as_deref() {
        if only != id.distro.as_str() {
            return (
                Verdict::NotAffected,
                format!(
                    "the bug exists only in {only} kernels; this is a {} kernel",
                    id.distro.as_str()
                ),
                Basis::DistroSpecific,
            );
        }
    }
    if let Some(step) = kernel_table(e, id) {
        return step;
    }
    let v = id.upstream_kver();
    let no_table = match id.distro {
        Distro::Debian => Some(format!(
            "no Debian {} record for linux",
            id.distro_release.as_deref().unwrap_or("(unknown suite)")
        )),
        Distro::Ubuntu => Some(format!(
            "no Ubuntu {} record for {}",
            id.distro_release.as_deref().unwrap_or("(unknown series)"),
            id.package_candidates().join("/")
        )),
        _ => None,
    };
    match id.distro {
        Distro::Rhel => {
            // Everything mainline had at the base release is in a RHEL kernel; the converse (a
            // bug introduced after the base) proves nothing, since RHEL backports features too.
            if let Some(v) = &v {
                if let Some((Verdict::NotAffected, r, b)) =
                    judge_upstream_kernel(e, &v.branch(), false)
                {
                    if r.contains("mainline fix") {
                        return (
                            Verdict::NotAffected,
                            format!(
                                "RHEL {} base {r}",
                                id.distro_release.as_deref().unwrap_or("?")
                            ),
                            b,
                        );
                    }
                }
            }
            (
                Verdict::Unknown,
                format!(
                    "no RHEL {} record for {}; RHEL kernels keep their base version ({}) and backport fixes, so upstream ranges cannot judge it",
                    id.distro_release.as_deref().unwrap_or("?"),
                    id.package.as_deref().unwrap_or("kernel"),
                    id.upstream.as_deref().unwrap_or("?")
                ),
                Basis::None,
            )
        }
        _ => {
            let Some(v) = v else {
                return (
                    Verdict::Unknown,
                    format!("no upstream version in {:?}", id.release),
                    Basis::None,
                );
            };
            let prefix = match (id.distro, &no_table) {
                (_, Some(t)) => format!("{t}; judged from upstream ranges: "),
                (Distro::Custom, _) => {
                    "custom build, judged from upstream branch ranges alone: ".into()
                }
                (Distro::Fedora | Distro::Amazon, _) => {
                    format!(
                        "{} kernel, judged from upstream ranges alone: ",
                        id.distro.as_str()
                    )
                }
                _ => String::new(),
            };
            match judge_upstream_kernel(e, &v, id.upstream_exact) {
                Some((verdict, r, b)) => {
                    let mut reason = format!("{prefix}{r}");
                    if verdict == Verdict::Affected && no_table.is_some() {
                        reason.push_str(" (a distribution backport would not show here)");
                    }
                    (verdict, reason, b)
                }
                None => (
                    Verdict::Unknown,
                    format!("{prefix}no upstream range recorded for this escape"),
                    Basis::None,
                ),
            }
        }
    }
}

/// Apply live patches to an affected verdict.
fn livepatched(e: &Escape, id: &KernelIdentity, step: Step) -> Step {
    if step.0 != Verdict::Affected || id.livepatches.is_empty() {
        return step;
    }
    let active: Vec<&str> = id
        .livepatches
        .iter()
        .filter(|p| p.enabled != Some(false))
        .map(|p| p.name.as_str())
        .collect();
    if active.is_empty() {
        return step;
    }
    if let Some(p) = active.iter().find(|p| livepatch_names_cve(p, &e.id)) {
        return (
            Verdict::NotAffected,
            format!("livepatched: live patch {p} names {} ({})", e.id, step.1),
            Basis::Livepatch,
        );
    }
    (
        Verdict::Unknown,
        format!(
            "{}, but livepatched ({}): a live patch may carry the fix; /sys does not say which CVEs it covers",
            step.1,
            active.join(", ")
        ),
        Basis::Livepatch,
    )
}

fn weigh(p: Precondition, ev: &Evidence) -> PreconditionCheck {
    let userns = || -> (Option<bool>, String) {
        match (ev.userns_creatable, ev.unprivileged_userns) {
            (Some(true), _) => (Some(true), "unprivileged user namespaces are enabled and seccomp allows unshare".into()),
            (Some(false), _) => (
                Some(false),
                match ev.userns_denied_by.as_deref() {
                    Some("seccomp") => "seccomp blocks unshare".into(),
                    Some(other) => format!("user namespace creation is refused ({other})"),
                    None => "user namespace creation is refused".into(),
                },
            ),
            (None, Some(false)) => (Some(false), "unprivileged user namespaces are disabled".into()),
            (None, Some(true)) => (None, "unprivileged user namespaces are enabled (whether seccomp allows unshare was not probed)".into()),
            (None, None) => (None, "whether a user namespace can be created is not known".into()),
        }
    };
    let cap_or_userns = |cap: Option<bool>, name: &str| -> (Option<bool>, String) {
        if cap == Some(true) {
            return (Some(true), format!("{name} is held"));
        }
        let (u, why) = userns();
        match (cap, u) {
            (_, Some(true)) => (Some(true), why),
            (Some(false), Some(false)) => (Some(false), format!("lacks {name} and {why}")),
            (None, Some(false)) => (None, format!("{why}; whether {name} is held is not known")),
            _ => (
                None,
                format!(
                    "{}{why}",
                    if cap == Some(false) {
                        format!("lacks {name}; ")
                    } else {
                        String::new()
                    }
                ),
            ),
        }
    };
    let (met, evidence) = match p {
        Precondition::CapSysAdminOrUserns => cap_or_userns(ev.cap_sys_admin, "CAP_SYS_ADMIN"),
        Precondition::CapNetAdminOrUserns => cap_or_userns(ev.cap_net_admin, "CAP_NET_ADMIN"),
        Precondition::CapNetRawOrUserns => cap_or_userns(ev.cap_net_raw, "CAP_NET_RAW"),
        Precondition::CgroupV1ReleaseAgent => match (ev.cgroup_v1, ev.release_agent_writable) {
            (_, Some(true)) => (Some(true), "a cgroup v1 release_agent is writable".into()),
            (Some(false), _) => (
                Some(false),
                "has only cgroup v2 mounted (no release_agent)".into(),
            ),
            (Some(true), _) => {
                let (m, why) = cap_or_userns(ev.cap_sys_admin, "CAP_SYS_ADMIN");
                (m, format!("cgroup v1 is in use; to mount it: {why}"))
            }
            (None, _) => (None, "the cgroup version is not known".into()),
        },
        Precondition::IoUring => match ev.io_uring_allowed {
            Some(true) => (Some(true), "io_uring is allowed".into()),
            Some(false) => (
                Some(false),
                format!(
                    "has io_uring blocked ({})",
                    ev.io_uring_denied_by
                        .as_deref()
                        .unwrap_or("seccomp or policy")
                ),
            ),
            None => (None, "whether io_uring is allowed is not known".into()),
        },
        Precondition::UnprivilegedBpf => match (
            ev.bpf_allowed,
            ev.unprivileged_bpf,
            ev.cap_bpf.or(ev.cap_sys_admin),
        ) {
            (Some(true), _, _) => (Some(true), "BPF programs can be loaded here".into()),
            (Some(false), _, _) => (Some(false), "cannot use the bpf syscall".into()),
            (None, Some(false), Some(false)) => (
                Some(false),
                "has unprivileged BPF disabled and no CAP_BPF".into(),
            ),
            (None, Some(true), _) => (
                None,
                "kernel.unprivileged_bpf_disabled is 0 (the bpf syscall was not probed)".into(),
            ),
            _ => (None, "whether BPF can be used is not known".into()),
        },
        Precondition::RootInContainer => match ev.root_in_host_userns {
            Some(true) => (
                Some(true),
                "runs as root in the host's user namespace".into(),
            ),
            Some(false) => (
                Some(false),
                "does not run as root in the host's user namespace".into(),
            ),
            None => (
                None,
                "whether containers run as host root is not known".into(),
            ),
        },
        Precondition::HostNetwork => match ev.host_network {
            Some(true) => (Some(true), "shares the host's network namespace".into()),
            Some(false) => (Some(false), "has its own network namespace".into()),
            None => (
                None,
                "whether containers share the host network is not known".into(),
            ),
        },
        Precondition::MaliciousImageOrExec => (
            None,
            "needs an attacker's image or an exec into a hostile container; not measurable here"
                .into(),
        ),
        Precondition::ExecIntoContainer => (
            None,
            "needs the runtime to exec into a hostile container (not measurable)".into(),
        ),
        Precondition::UntrustedBuild => (
            None,
            "needs a build of an attacker's Dockerfile or frontend (not measurable)".into(),
        ),
    };
    PreconditionCheck {
        id: p,
        met,
        evidence,
    }
}

fn reach(e: &Escape, ev: &Evidence) -> (Reach, String, Vec<PreconditionCheck>) {
    let checks: Vec<PreconditionCheck> = e
        .preconditions
        .iter()
        .filter_map(|p| Precondition::parse(p))
        .map(|p| weigh(p, ev))
        .collect();
    let who = if ev.scope.is_empty() {
        "this process"
    } else {
        ev.scope.as_str()
    };
    if checks.is_empty() {
        return (
            Reach::Exploitable,
            "affected, and exploitable here: any local process can use it".into(),
            checks,
        );
    }
    let blocked: Vec<&str> = checks
        .iter()
        .filter(|c| c.met == Some(false))
        .map(|c| c.evidence.as_str())
        .collect();
    if !blocked.is_empty() {
        return (
            Reach::Blocked,
            format!("affected, but {who} {}", blocked.join(", and ")),
            checks,
        );
    }
    let met: Vec<&str> = checks
        .iter()
        .filter(|c| c.met == Some(true))
        .map(|c| c.evidence.as_str())
        .collect();
    if met.len() == checks.len() {
        return (
            Reach::Exploitable,
            format!("affected, and exploitable here: {}", met.join("; ")),
            checks,
        );
    }
    let unknown: Vec<&str> = checks
        .iter()
        .filter(|c| c.met.is_none())
        .map(|c| c.evidence.as_str())
        .collect();
    (
        Reach::Unknown,
        format!(
            "affected; whether {who} can reach it is unknown: {}",
            unknown.join("; ")
        ),
        checks,
    )
}

fn finish(
    e: &Escape,
    step: Step,
    runtime_path: Option<String>,
    ev: Option<&Evidence>,
) -> Judgement {
    let (verdict, reason, basis) = step;
    let (reach, reach_reason, preconditions) = match (verdict, ev) {
        (Verdict::Affected, Some(ev)) => {
            let (r, why, checks) = reach(e, ev);
            (Some(r), Some(why), checks)
        }
        _ => (None, None, Vec::new()),
    };
    Judgement {
        id: e.id.clone(),
        name: e.name.clone(),
        component: e.component.as_str(),
        runtime_path,
        verdict,
        reason,
        basis,
        reach,
        reach_reason,
        preconditions,
    }
}

/// Judge every kernel escape in `db` for this kernel.
pub fn judge_kernel(db: &Database, id: &KernelIdentity, ev: Option<&Evidence>) -> Vec<Judgement> {
    db.escapes
        .iter()
        .filter(|e| e.component == Component::Kernel)
        .map(|e| {
            let step = livepatched(e, id, judge_kernel_one(e, id));
            finish(e, step, None, ev)
        })
        .collect()
}

fn runtime_upstream(e: &Escape, v: &str) -> Option<Step> {
    let ranges = &e.upstream.ranges;
    if ranges.is_empty() {
        return None;
    }
    if crate::data::semver(v).is_none() {
        return Some((
            Verdict::Unknown,
            format!("version {v:?} is not semver; cannot compare with the ranges"),
            Basis::None,
        ));
    }
    for r in ranges {
        let after_intro = r.introduced == "0" || semver_cmp(v, &r.introduced)? != Ordering::Less;
        if !after_intro {
            continue;
        }
        if let Some(f) = &r.fixed {
            if semver_cmp(v, f)? == Ordering::Less {
                return Some((
                    Verdict::Affected,
                    format!("upstream {v} < {f}"),
                    Basis::Upstream,
                ));
            }
        }
        if let Some(l) = &r.last_affected {
            if semver_cmp(v, l)? != Ordering::Greater {
                return Some((
                    Verdict::Affected,
                    format!("upstream {v} <= last affected {l}"),
                    Basis::Upstream,
                ));
            }
        }
    }
    let fixes: Vec<String> = ranges
        .iter()
        .map(|r| match (&r.fixed, &r.last_affected) {
            (Some(f), _) => format!("fixed {f}"),
            (_, Some(l)) => format!("last affected {l}"),
            _ => String::new(),
        })
        .collect();
    Some((
        Verdict::NotAffected,
        format!(
            "upstream {v} is outside the affected ranges ({})",
            fixes.join(", ")
        ),
        Basis::Upstream,
    ))
}

fn runtime_table(e: &Escape, rt: &RuntimeIdentity) -> Option<Step> {
    let p = rt.package.as_ref()?;
    let rel = p.distro_release.as_deref()?;
    match (p.manager.as_str(), p.distro.as_deref()) {
        ("dpkg", Some("debian")) => {
            let row = e
                .debian
                .iter()
                .find(|d| d.suite == rel && d.package == p.name)?;
            let o = dpkg_cmp(&p.version, &row.fixed)?;
            Some(if o == Ordering::Less {
                (
                    Verdict::Affected,
                    format!(
                        "Debian {} {} < fixed {} ({})",
                        p.name, p.version, row.fixed, row.advisory
                    ),
                    Basis::Debian,
                )
            } else {
                (
                    Verdict::NotAffected,
                    format!(
                        "Debian {} {} >= fixed {} ({})",
                        p.name, p.version, row.fixed, row.advisory
                    ),
                    Basis::Debian,
                )
            })
        }
        ("dpkg", Some("ubuntu")) => {
            let row = e
                .ubuntu
                .iter()
                .find(|u| u.package == p.name && (series_matches(&u.series, rel)))?;
            if row.status == "not-affected" {
                return Some((
                    Verdict::NotAffected,
                    format!("Ubuntu {rel} {}: not affected", p.name),
                    Basis::Ubuntu,
                ));
            }
            let fixed = row.version.as_deref()?;
            let o = dpkg_cmp(&p.version, fixed)?;
            Some(if o == Ordering::Less {
                (
                    Verdict::Affected,
                    format!("Ubuntu {rel} {} {} < fixed {fixed}", p.name, p.version),
                    Basis::Ubuntu,
                )
            } else {
                (
                    Verdict::NotAffected,
                    format!("Ubuntu {rel} {} {} >= fixed {fixed}", p.name, p.version),
                    Basis::Ubuntu,
                )
            })
        }
        ("rpm", Some("rhel")) => {
            let major: u32 = rel.parse().ok()?;
            let row = e
                .rhel
                .iter()
                .find(|r| r.major == major && r.package == p.name)?;
            let o = rpm_cmp(&p.version, &row.fixed)?;
            Some(if o == Ordering::Less {
                (
                    Verdict::Affected,
                    format!(
                        "RHEL {major} {} {} < fixed {} ({})",
                        p.name, p.version, row.fixed, row.advisory
                    ),
                    Basis::Rhel,
                )
            } else {
                (
                    Verdict::NotAffected,
                    format!(
                        "RHEL {major} {} {} >= fixed {} ({})",
                        p.name, p.version, row.fixed, row.advisory
                    ),
                    Basis::Rhel,
                )
            })
        }
        _ => None,
    }
}

/// Judge the runtime escapes that apply to one runtime binary.
pub fn judge_runtime(db: &Database, rt: &RuntimeIdentity, ev: Option<&Evidence>) -> Vec<Judgement> {
    let key = rt.kind.escape_key();
    db.escapes
        .iter()
        .filter(|e| e.component == Component::Runtime && e.runtime.as_deref() == Some(key))
        .map(|e| {
            let step = runtime_table(e, rt).unwrap_or_else(|| {
                let table_gap = rt.package.as_ref().map(|p| {
                    format!(
                        "no {} {} record for {}; ",
                        match p.distro.as_deref() {
                            Some("debian") => "Debian",
                            Some("ubuntu") => "Ubuntu",
                            Some("rhel") => "RHEL",
                            Some(other) => other,
                            None => "distribution",
                        },
                        p.distro_release.as_deref().unwrap_or("?"),
                        p.name
                    )
                });
                let gap = table_gap.clone().unwrap_or_default();
                match rt.version.as_deref() {
                    None => (
                        Verdict::Unknown,
                        format!("{gap}the {} version is not known", rt.kind.as_str()),
                        Basis::None,
                    ),
                    Some(v) => match runtime_upstream(e, v) {
                        Some((verdict, r, b)) => {
                            let mut reason = format!("{gap}{r}");
                            if verdict == Verdict::Affected && table_gap.is_some() {
                                reason.push_str(" (a distribution backport would not show here)");
                            }
                            (verdict, reason, b)
                        }
                        None => (
                            Verdict::Unknown,
                            format!("{gap}no upstream range recorded for this escape"),
                            Basis::None,
                        ),
                    },
                }
            });
            finish(e, step, Some(rt.path.clone()), ev)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::embedded;

    fn kernel(release: &str, banner: Option<&str>, sig: Option<&str>) -> Vec<Judgement> {
        judge_kernel(
            embedded(),
            &KernelIdentity::parse(release, banner, sig),
            None,
        )
    }

    fn get<'a>(js: &'a [Judgement], id: &str) -> &'a Judgement {
        js.iter()
            .find(|j| j.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    }

    #[test]
    fn dirty_pipe_vanilla() {
        let j = kernel("5.16.10", None, None);
        let d = get(&j, "CVE-2022-0847");
        assert_eq!(
            (d.verdict, d.reason.as_str()),
            (Verdict::Affected, "upstream 5.16.10 < 5.16.11")
        );
        let j = kernel("5.16.11", None, None);
        let d = get(&j, "CVE-2022-0847");
        assert_eq!(
            (d.verdict, d.reason.as_str()),
            (Verdict::NotAffected, "upstream 5.16.11 >= 5.16.11")
        );
    }

    #[test]
    fn precondition_phrases() {
        let db = embedded();
        let id = KernelIdentity::parse("5.16.1", None, None);
        let open = Evidence {
            scope: "this container".into(),
            userns_creatable: Some(true),
            cap_sys_admin: Some(false),
            ..Evidence::default()
        };
        let j = judge_kernel(db, &id, Some(&open));
        let f = get(&j, "CVE-2022-0185");
        assert_eq!(f.verdict, Verdict::Affected);
        assert_eq!(f.reach, Some(Reach::Exploitable));
        assert_eq!(
            f.reach_reason.as_deref(),
            Some(
                "affected, and exploitable here: unprivileged user namespaces are enabled and seccomp allows unshare"
            )
        );
        let shut = Evidence {
            scope: "this container".into(),
            userns_creatable: Some(false),
            userns_denied_by: Some("seccomp".into()),
            cap_sys_admin: Some(false),
            ..Evidence::default()
        };
        let j = judge_kernel(db, &id, Some(&shut));
        let f = get(&j, "CVE-2022-0185");
        assert_eq!(f.reach, Some(Reach::Blocked));
        assert_eq!(
            f.reach_reason.as_deref(),
            Some("affected, but this container lacks CAP_SYS_ADMIN and seccomp blocks unshare")
        );
    }
}
