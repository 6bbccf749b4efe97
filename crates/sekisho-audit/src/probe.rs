//! Syscall probes and how their results are classified.
//!
//! Each probed syscall is tried twice in a forked child (see [`crate::sys`]):
//!
//! * the **real** attempt uses arguments that get past the kernel's permission checks when the
//!   caller is allowed, and then fail harmlessly (or succeed on something that dies with the
//!   child);
//! * the **canary** attempt uses arguments the kernel rejects *before* any permission check
//!   (EINVAL, EFAULT, EBADF, ESRCH), so an `EPERM`/`ENOSYS` there can only come from a seccomp
//!   filter that matched on the syscall number.
//!
//! Classification (documented in `docs/isolation.md`):
//!
//! 1. The call succeeded, or failed with the errno the arguments make inevitable once permission
//!    is granted → **allowed**.
//! 2. The child died by a signal (SIGSYS from `SECCOMP_RET_KILL`/`TRAP`) → **blocked by seccomp**.
//! 3. `EPERM`/`EACCES`: with seccomp mode 0 no filter exists → **denied by capabilities** (or by
//!    a policy sysctl, named in the detail). With a filter: a canary that also got `EPERM` →
//!    **blocked by seccomp**; a canary that passed → **denied by capabilities**; no canary → if
//!    the capability the kernel checks is in CapEff (and no policy sysctl forbids the call) the
//!    filter is the only thing left → **blocked by seccomp**, else **denied by capabilities**.
//! 4. `ENOSYS`: with mode 0 → **not supported**. With a filter: if the kernel shows it has the
//!    syscall (a `/proc` file that only exists with the feature compiled in) → **blocked by
//!    seccomp** (runc and crun return ENOSYS for unlisted syscalls); otherwise → **not supported**.

use serde::Serialize;

/// The probed syscalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syscall {
    Unshare,
    Mount,
    Keyctl,
    AddKey,
    Bpf,
    PerfEventOpen,
    Ptrace,
    KexecLoad,
    OpenByHandleAt,
    Userfaultfd,
    IoUringSetup,
    Setns,
    InitModule,
}

impl Syscall {
    pub const ALL: [Syscall; 13] = [
        Self::Unshare,
        Self::Mount,
        Self::Keyctl,
        Self::AddKey,
        Self::Bpf,
        Self::PerfEventOpen,
        Self::Ptrace,
        Self::KexecLoad,
        Self::OpenByHandleAt,
        Self::Userfaultfd,
        Self::IoUringSetup,
        Self::Setns,
        Self::InitModule,
    ];

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Which of the two attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Real,
    Canary,
}

impl Attempt {
    pub fn name(self) -> &'static str {
        match self {
            Self::Real => "real",
            Self::Canary => "canary",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "real" => Some(Self::Real),
            "canary" => Some(Self::Canary),
            _ => None,
        }
    }
}

/// How a probe child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Errno(i32),
    Signal(i32),
    /// fork or wait failed; nothing is known.
    ProbeFailed,
}

/// The four classes from the issue, plus "unknown" when a probe could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeClass {
    Allowed,
    BlockedBySeccomp,
    DeniedByCapabilities,
    NotSupported,
    Unknown,
}

impl ProbeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::BlockedBySeccomp => "blocked-by-seccomp",
            Self::DeniedByCapabilities => "denied-by-capabilities",
            Self::NotSupported => "not-supported",
            Self::Unknown => "unknown",
        }
    }
}

pub const EPERM: i32 = 1;
pub const EACCES: i32 = 13;
pub const ENOSYS: i32 = 38;

/// Static facts about each probe.
pub struct Spec {
    pub syscall: Syscall,
    /// Errnos that mean "permission was granted, then the bogus arguments were rejected".
    pub allowed_errnos: &'static [i32],
    /// Whether the canary is rejected before any permission check on every kernel.
    pub has_canary: bool,
    /// The capability (number) the kernel checks, if any.
    pub capability: Option<u8>,
    /// A path that exists only when the kernel has the syscall compiled in.
    pub support_marker: Option<&'static str>,
    /// A sysctl that can forbid the call regardless of capabilities: (path, value that forbids).
    pub policy: Option<(&'static str, &'static str)>,
}

const EINVAL: i32 = 22;
const EFAULT: i32 = 14;
const EOPNOTSUPP: i32 = 95;
const ENOEXEC: i32 = 8;
const ESTALE: i32 = 116;

pub const SPECS: &[Spec] = &[
    Spec {
        syscall: Syscall::Unshare,
        allowed_errnos: &[],
        has_canary: true,
        capability: None,
        support_marker: None,
        policy: Some(("/proc/sys/kernel/unprivileged_userns_clone", "0")),
    },
    Spec {
        syscall: Syscall::Mount,
        allowed_errnos: &[EINVAL],
        has_canary: true,
        capability: Some(21),
        support_marker: None,
        policy: None,
    },
    Spec {
        syscall: Syscall::Keyctl,
        allowed_errnos: &[EOPNOTSUPP, EINVAL],
        has_canary: true,
        capability: None,
        support_marker: Some("/proc/keys"),
        policy: None,
    },
    Spec {
        syscall: Syscall::AddKey,
        allowed_errnos: &[EFAULT, EINVAL],
        has_canary: true,
        capability: None,
        support_marker: Some("/proc/keys"),
        policy: None,
    },
    Spec {
        syscall: Syscall::Bpf,
        allowed_errnos: &[EINVAL],
        has_canary: true,
        capability: Some(39),
        support_marker: Some("/proc/sys/kernel/unprivileged_bpf_disabled"),
        policy: None,
    },
    Spec {
        syscall: Syscall::PerfEventOpen,
        allowed_errnos: &[ENOENT_, EINVAL],
        has_canary: true,
        capability: Some(38),
        support_marker: Some("/proc/sys/kernel/perf_event_paranoid"),
        policy: None,
    },
    Spec {
        syscall: Syscall::Ptrace,
        allowed_errnos: &[],
        has_canary: true,
        capability: None,
        support_marker: None,
        policy: Some(("/proc/sys/kernel/yama/ptrace_scope", "3")),
    },
    Spec {
        syscall: Syscall::KexecLoad,
        allowed_errnos: &[EINVAL],
        has_canary: false,
        capability: Some(22),
        support_marker: Some("/proc/sys/kernel/kexec_load_disabled"),
        policy: Some(("/proc/sys/kernel/kexec_load_disabled", "1")),
    },
    Spec {
        syscall: Syscall::OpenByHandleAt,
        allowed_errnos: &[ESTALE, EINVAL, ENOENT_, EOPNOTSUPP],
        has_canary: true,
        capability: Some(2),
        support_marker: None,
        policy: None,
    },
    Spec {
        syscall: Syscall::Userfaultfd,
        allowed_errnos: &[EINVAL],
        has_canary: true,
        capability: Some(19),
        support_marker: Some("/proc/sys/vm/unprivileged_userfaultfd"),
        policy: None,
    },
    Spec {
        syscall: Syscall::IoUringSetup,
        allowed_errnos: &[EFAULT, EINVAL],
        has_canary: false,
        capability: Some(21),
        support_marker: Some("/proc/sys/kernel/io_uring_disabled"),
        policy: Some(("/proc/sys/kernel/io_uring_disabled", "2")),
    },
    Spec {
        syscall: Syscall::Setns,
        allowed_errnos: &[],
        has_canary: true,
        capability: Some(21),
        support_marker: None,
        policy: None,
    },
    Spec {
        syscall: Syscall::InitModule,
        allowed_errnos: &[ENOEXEC, EINVAL, EFAULT],
        has_canary: false,
        capability: Some(16),
        support_marker: Some("/proc/modules"),
        policy: Some(("/proc/sys/kernel/modules_disabled", "1")),
    },
];
const ENOENT_: i32 = 2;

impl Syscall {
    pub fn name(self) -> &'static str {
        match self {
            Self::Unshare => "unshare",
            Self::Mount => "mount",
            Self::Keyctl => "keyctl",
            Self::AddKey => "add_key",
            Self::Bpf => "bpf",
            Self::PerfEventOpen => "perf_event_open",
            Self::Ptrace => "ptrace",
            Self::KexecLoad => "kexec_load",
            Self::OpenByHandleAt => "open_by_handle_at",
            Self::Userfaultfd => "userfaultfd",
            Self::IoUringSetup => "io_uring_setup",
            Self::Setns => "setns",
            Self::InitModule => "init_module",
        }
    }
    /// What the real attempt asks the kernel for, in words.
    pub fn what(self) -> &'static str {
        match self {
            Self::Unshare => "create a user namespace",
            Self::Mount => "mount a filesystem",
            Self::Keyctl => "use the kernel keyring",
            Self::AddKey => "add a key to the kernel keyring",
            Self::Bpf => "create a BPF map",
            Self::PerfEventOpen => "open a system-wide perf event",
            Self::Ptrace => "use ptrace",
            Self::KexecLoad => "load a new kernel",
            Self::OpenByHandleAt => "open files by handle (bypassing path checks)",
            Self::Userfaultfd => "create a kernel-mode userfaultfd",
            Self::IoUringSetup => "create an io_uring",
            Self::Setns => "join namespaces",
            Self::InitModule => "load a kernel module",
        }
    }
}

/// The errno name for the few values probes produce.
pub fn errno_name(e: i32) -> String {
    match e {
        1 => "EPERM".into(),
        2 => "ENOENT".into(),
        8 => "ENOEXEC".into(),
        9 => "EBADF".into(),
        3 => "ESRCH".into(),
        12 => "ENOMEM".into(),
        13 => "EACCES".into(),
        14 => "EFAULT".into(),
        22 => "EINVAL".into(),
        28 => "ENOSPC".into(),
        38 => "ENOSYS".into(),
        95 => "EOPNOTSUPP".into(),
        116 => "ESTALE".into(),
        n => format!("errno {n}"),
    }
}

/// Context the classifier needs.
pub struct Ctx<'a> {
    pub seccomp_mode: Option<u8>,
    pub cap_eff: Option<u64>,
    /// Whether the support marker exists.
    pub supported: bool,
    /// The value of the policy sysctl, if readable.
    pub policy_value: Option<&'a str>,
}

fn outcome_text(o: Outcome) -> String {
    match o {
        Outcome::Ok => "succeeded".into(),
        Outcome::Errno(e) => errno_name(e),
        Outcome::Signal(s) => format!("killed by signal {s}"),
        Outcome::ProbeFailed => "probe could not run".into(),
    }
}

/// Classify one probe. Returns the class and a one-line explanation.
pub fn classify(
    spec: &Spec,
    real: Outcome,
    canary: Option<Outcome>,
    ctx: &Ctx<'_>,
) -> (ProbeClass, String) {
    let filter = ctx.seccomp_mode == Some(2);
    let cap_name = spec.capability.map(crate::caps::name);
    let has_cap = spec
        .capability
        .zip(ctx.cap_eff)
        .map(|(c, eff)| eff & (1u64 << c) != 0);
    let policy_forbids = spec
        .policy
        .zip(ctx.policy_value)
        .is_some_and(|((_, bad), v)| v.trim() == bad);
    let canary_txt = canary.map_or(String::new(), |c| format!("; canary {}", outcome_text(c)));
    let base = format!("{}{}", outcome_text(real), canary_txt);
    match real {
        Outcome::ProbeFailed => (ProbeClass::Unknown, base),
        Outcome::Ok => (ProbeClass::Allowed, base),
        Outcome::Signal(_) => (
            ProbeClass::BlockedBySeccomp,
            format!("{base}: a seccomp filter killed the caller"),
        ),
        Outcome::Errno(e) if spec.allowed_errnos.contains(&e) => (
            ProbeClass::Allowed,
            format!("{base}: permission granted, bogus arguments rejected"),
        ),
        Outcome::Errno(e) if e == EPERM || e == EACCES => {
            let why_denied = || {
                let mut s = base.clone();
                if policy_forbids {
                    if let Some((p, v)) = spec.policy {
                        s.push_str(&format!(": {p} = {v}"));
                    }
                } else if let Some(c) = cap_name {
                    s.push_str(&format!(": {c} missing or not usable here"));
                }
                s
            };
            if !filter {
                return (ProbeClass::DeniedByCapabilities, why_denied());
            }
            match canary {
                Some(Outcome::Errno(c)) if c == EPERM || c == EACCES || c == ENOSYS => (
                    ProbeClass::BlockedBySeccomp,
                    format!("{base}: the filter rejects the call whatever its arguments"),
                ),
                Some(Outcome::Signal(_)) => (
                    ProbeClass::BlockedBySeccomp,
                    format!("{base}: the filter kills the caller"),
                ),
                Some(_) if spec.has_canary => (ProbeClass::DeniedByCapabilities, why_denied()),
                _ => {
                    if has_cap == Some(true) && !policy_forbids {
                        (
                            ProbeClass::BlockedBySeccomp,
                            format!(
                                "{base}: {} is held, so the seccomp filter refused",
                                cap_name.unwrap_or("the capability")
                            ),
                        )
                    } else {
                        (ProbeClass::DeniedByCapabilities, why_denied())
                    }
                }
            }
        }
        Outcome::Errno(ENOSYS) => {
            if filter && ctx.supported {
                (
                    ProbeClass::BlockedBySeccomp,
                    format!("{base}: the kernel has this syscall, so the filter returned ENOSYS"),
                )
            } else {
                (
                    ProbeClass::NotSupported,
                    format!("{base}: the kernel does not provide it"),
                )
            }
        }
        Outcome::Errno(_) => (
            // ENOSPC (namespace limits), ENOMEM, ...: the call was refused by something other
            // than a filter or a capability check.
            ProbeClass::DeniedByCapabilities,
            format!("{base}: refused by a kernel limit or policy"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: Syscall) -> &'static Spec {
        SPECS.iter().find(|p| p.syscall == s).unwrap()
    }
    fn ctx(mode: u8, eff: u64) -> Ctx<'static> {
        Ctx {
            seccomp_mode: Some(mode),
            cap_eff: Some(eff),
            supported: true,
            policy_value: None,
        }
    }

    #[test]
    fn every_syscall_has_a_spec() {
        assert_eq!(SPECS.len(), 13);
    }

    #[test]
    fn eperm_without_filter_is_capabilities() {
        let (c, _) = classify(
            spec(Syscall::Mount),
            Outcome::Errno(1),
            Some(Outcome::Errno(14)),
            &ctx(0, 0),
        );
        assert_eq!(c, ProbeClass::DeniedByCapabilities);
    }

    #[test]
    fn eperm_canary_eperm_with_filter_is_seccomp() {
        let (c, _) = classify(
            spec(Syscall::Mount),
            Outcome::Errno(1),
            Some(Outcome::Errno(1)),
            &ctx(2, 0),
        );
        assert_eq!(c, ProbeClass::BlockedBySeccomp);
        let (c, _) = classify(
            spec(Syscall::Mount),
            Outcome::Errno(1),
            Some(Outcome::Errno(14)),
            &ctx(2, 0),
        );
        assert_eq!(c, ProbeClass::DeniedByCapabilities);
    }

    #[test]
    fn no_canary_uses_capability() {
        let k = spec(Syscall::KexecLoad);
        let (c, _) = classify(k, Outcome::Errno(1), None, &ctx(2, 1 << 22));
        assert_eq!(c, ProbeClass::BlockedBySeccomp);
        let (c, _) = classify(k, Outcome::Errno(1), None, &ctx(2, 0));
        assert_eq!(c, ProbeClass::DeniedByCapabilities);
        let (c, _) = classify(k, Outcome::Errno(22), None, &ctx(0, 1 << 22));
        assert_eq!(c, ProbeClass::Allowed);
    }

    #[test]
    fn enosys() {
        let k = spec(Syscall::IoUringSetup);
        let (c, _) = classify(k, Outcome::Errno(38), None, &ctx(0, 0));
        assert_eq!(c, ProbeClass::NotSupported);
        let (c, _) = classify(k, Outcome::Errno(38), None, &ctx(2, 0));
        assert_eq!(c, ProbeClass::BlockedBySeccomp);
        let mut x = ctx(2, 0);
        x.supported = false;
        let (c, _) = classify(k, Outcome::Errno(38), None, &x);
        assert_eq!(c, ProbeClass::NotSupported);
        let (c, _) = classify(k, Outcome::Signal(31), None, &ctx(2, 0));
        assert_eq!(c, ProbeClass::BlockedBySeccomp);
    }
}
