//! Which `sekisho config` check would have caught a wall's weakness before the workload ran.
//!
//! The isolation audit measures a running workload; most of what it finds missing was decided
//! earlier, in a Kubernetes manifest, a compose file, an OCI runtime `config.json`, a
//! Dockerfile or an image config. [`CITATIONS`] maps each isolation check ID to the config
//! check IDs (see `docs/config-checks.md`) that flag the setting responsible; every finding and
//! every weakened or missing wall carries them as `caught_by`.
//!
//! This is a static table of IDs so that this crate does not depend on the config scanner. The
//! tests (`tests/citations.rs`) check that every cited ID is a check of `sekisho-config`, that
//! each citation really fires on a configuration that weakens the wall that way, and that every
//! isolation check is either cited or listed in [`NOT_IN_CONFIG`] with the reason.

/// Isolation check ID → the config checks that catch it, Kubernetes first, then compose, OCI
/// runtime config, Dockerfile and image config.
pub const CITATIONS: &[(&str, &[&str])] = &[
    (
        "privileged",
        &[
            "pss-privileged",
            "compose-privileged",
            "oci-dangerous-capability",
        ],
    ),
    ("cap-sys-admin", CAP),
    ("cap-sys-module", CAP),
    ("cap-sys-rawio", CAP),
    ("cap-dac-read-search", CAP),
    ("cap-sys-ptrace", CAP),
    ("cap-net-admin", CAP),
    ("cap-bpf", CAP),
    ("cap-perfmon", CAP),
    ("cap-sys-boot", CAP),
    ("cap-mac-admin", CAP),
    ("cap-mac-override", CAP),
    ("cap-sys-time", CAP),
    ("cap-syslog", CAP),
    ("no-seccomp", NO_FILTER),
    (
        "no-new-privs-off",
        &[
            "pss-allow-privilege-escalation",
            "oci-no-new-privileges-off",
        ],
    ),
    (
        "host-pid-ns",
        &[
            "pss-host-pid",
            "compose-host-namespace",
            "oci-missing-namespace",
        ],
    ),
    (
        "host-net-ns",
        &[
            "pss-host-network",
            "compose-host-namespace",
            "oci-missing-namespace",
        ],
    ),
    ("host-mnt-ns", &["oci-missing-namespace"]),
    (
        "host-ipc-ns",
        &[
            "pss-host-ipc",
            "compose-host-namespace",
            "oci-missing-namespace",
        ],
    ),
    (
        "host-uts-ns",
        &["compose-host-namespace", "oci-missing-namespace"],
    ),
    ("host-cgroup-ns", &["compose-host-namespace"]),
    (
        "host-user-ns",
        &[
            "pss-run-as-non-root",
            "pss-run-as-user",
            "compose-root-user",
            "oci-root-user",
            "oci-no-user-namespace",
            "dockerfile-no-user",
            "dockerfile-root-user",
            "image-root-user",
        ],
    ),
    (
        "no-cgroup-limits",
        &["k8s-no-cpu-limit", "k8s-no-memory-limit"],
    ),
    ("no-memory-limit", &["k8s-no-memory-limit"]),
    (
        "no-lsm",
        &[
            "pss-privileged",
            "pss-apparmor",
            "pss-selinux",
            "compose-privileged",
            "compose-unconfined",
        ],
    ),
    (
        "runtime-socket",
        &[
            "pss-host-path-volumes",
            "pss-restricted-volumes",
            "k8s-runtime-socket-mount",
            "compose-runtime-socket",
            "oci-host-mount",
        ],
    ),
    (
        "host-root-mount",
        &[
            "pss-host-path-volumes",
            "pss-restricted-volumes",
            "compose-host-root-mount",
            "oci-host-mount",
        ],
    ),
    (
        "host-mount",
        &["pss-host-path-volumes", "pss-restricted-volumes"],
    ),
    ("proc-sys-writable", PROC_UNMASKED),
    (
        "sys-writable",
        &["pss-privileged", "compose-privileged", "oci-host-mount"],
    ),
    ("sysrq-writable", PROC_UNMASKED),
    ("kcore-readable", PROC_UNMASKED),
    ("block-devices", &["pss-privileged", "compose-privileged"]),
    (
        "host-processes-visible",
        &[
            "pss-host-pid",
            "compose-host-namespace",
            "oci-missing-namespace",
        ],
    ),
    (
        "release-agent-writable",
        &[
            "pss-privileged",
            "pss-capabilities-baseline",
            "pss-capabilities-restricted",
            "compose-privileged",
            "compose-dangerous-capability",
            "oci-dangerous-capability",
        ],
    ),
    ("syscall-mount", SYSCALL_ALLOWED),
    ("syscall-kexec-load", SYSCALL_ALLOWED),
    ("syscall-init-module", SYSCALL_ALLOWED),
    ("syscall-open-by-handle-at", SYSCALL_ALLOWED),
    ("syscall-bpf", SYSCALL_ALLOWED),
    ("syscall-perf-event-open", SYSCALL_ALLOWED),
    ("syscall-setns", SYSCALL_ALLOWED),
    ("syscall-unshare", SYSCALL_ALLOWED),
    ("syscall-keyctl", SYSCALL_ALLOWED),
    ("syscall-add-key", SYSCALL_ALLOWED),
    ("syscall-userfaultfd", SYSCALL_ALLOWED),
    ("syscall-io-uring-setup", SYSCALL_ALLOWED),
];

/// A dangerous capability: added to a container, or all of them by `privileged`.
const CAP: &[&str] = &[
    "pss-privileged",
    "pss-capabilities-baseline",
    "pss-capabilities-restricted",
    "compose-privileged",
    "compose-dangerous-capability",
    "oci-dangerous-capability",
];

/// No seccomp filter at all (mode 0).
const NO_FILTER: &[&str] = &[
    "pss-privileged",
    "pss-seccomp-baseline",
    "pss-seccomp-restricted",
    "compose-privileged",
    "compose-unconfined",
    "oci-no-seccomp",
];

/// A dangerous syscall allowed: no filter, or one that allows by default.
const SYSCALL_ALLOWED: &[&str] = &[
    "pss-privileged",
    "pss-seccomp-baseline",
    "pss-seccomp-restricted",
    "compose-privileged",
    "compose-unconfined",
    "oci-no-seccomp",
    "oci-seccomp-default-allow",
];

/// /proc paths the runtime masks or makes read-only, opened up.
const PROC_UNMASKED: &[&str] = &[
    "pss-privileged",
    "pss-proc-mount",
    "compose-privileged",
    "compose-unconfined",
    "oci-masked-paths-removed",
];

/// Isolation checks no config check cites, and why.
pub const NOT_IN_CONFIG: &[(&str, &str)] = &[
    (
        "host-time-ns",
        "informational: sharing the host's clocks is the normal case",
    ),
    (
        "userns-host-root",
        "no config check reads OCI uidMappings or user-namespace remapping yet",
    ),
    (
        "no-pids-limit",
        "no config check reads compose pids_limit or OCI linux.resources.pids yet; Kubernetes sets it per node",
    ),
    (
        "unprivileged-userns",
        "a host sysctl, not part of a workload's configuration",
    ),
    (
        "unprivileged-bpf",
        "a host sysctl, not part of a workload's configuration",
    ),
    (
        "ptrace-scope",
        "a host sysctl, not part of a workload's configuration",
    ),
    (
        "kptr-restrict-off",
        "a host sysctl, not part of a workload's configuration",
    ),
    (
        "dmesg-restrict-off",
        "a host sysctl, not part of a workload's configuration",
    ),
    (
        "syscall-ptrace",
        "informational: the runtimes' default seccomp profiles allow it",
    ),
    (
        "shared-kernel",
        "the runtime (runtimeClassName, --runtime) picks the sandbox; no config check asks for one",
    ),
];

/// The config checks that catch isolation check `id` (empty when none does).
pub fn caught_by(id: &str) -> &'static [&'static str] {
    CITATIONS
        .iter()
        .find(|(i, _)| *i == id)
        .map_or(&[], |(_, c)| c)
}

/// The config checks cited by any of `ids`, each once, in first-cited order.
pub fn union<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for id in ids {
        for c in caught_by(id) {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out
}

/// The Markdown table of `docs/isolation.md` ("Which config check would have caught it"),
/// generated from [`CITATIONS`] and [`NOT_IN_CONFIG`] for the isolation checks `ids`, in their
/// order (the docs pass `crate::checks::RULES`; taken as an argument so that this module, which
/// the checks use, does not use them back).
pub fn markdown_table<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut o = String::from(
        "| isolation check | caught before it runs by (`sekisho config`) |\n|---|---|\n",
    );
    for id in ids {
        let cited = caught_by(id);
        let cell = if cited.is_empty() {
            NOT_IN_CONFIG
                .iter()
                .find(|(i, _)| *i == id)
                .map_or_else(|| "—".to_string(), |(_, why)| format!("— ({why})"))
        } else {
            cited
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        o.push_str(&format!("| `{id}` | {cell} |\n"));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::RULES;

    #[test]
    fn every_check_is_cited_or_explained_once() {
        for r in RULES {
            let cited = CITATIONS.iter().filter(|(i, _)| *i == r.id).count();
            let gap = NOT_IN_CONFIG.iter().filter(|(i, _)| *i == r.id).count();
            assert_eq!(
                cited + gap,
                1,
                "{}: cited {cited} times, explained {gap} times",
                r.id
            );
        }
        for (id, c) in CITATIONS {
            assert!(
                crate::checks::rule(id).is_some(),
                "{id} is not an isolation check"
            );
            assert!(!c.is_empty(), "{id}: empty citation");
        }
        for (id, _) in NOT_IN_CONFIG {
            assert!(
                crate::checks::rule(id).is_some(),
                "{id} is not an isolation check"
            );
        }
    }

    #[test]
    fn every_wall_a_config_can_weaken_is_cited() {
        // The walls a workload's configuration decides; the sandbox kernel is the runtime's
        // choice and the `kernel` group is host sysctls.
        for wall in [
            "namespaces",
            "cgroups",
            "seccomp",
            "capabilities",
            "lsm",
            "exposure",
        ] {
            let rules: Vec<_> = RULES.iter().filter(|r| r.group == wall).collect();
            assert!(!rules.is_empty(), "{wall}");
            assert!(
                rules.iter().any(|r| !caught_by(r.id).is_empty()),
                "wall {wall}: no check cited"
            );
        }
        // What makes each wall `missing` (checks::walls) is always cited.
        for id in [
            "host-mnt-ns",
            "host-pid-ns",
            "host-net-ns",
            "no-cgroup-limits",
            "no-seccomp",
            "privileged",
            "no-lsm",
            "runtime-socket",
            "host-root-mount",
            "sysrq-writable",
            "kcore-readable",
            "release-agent-writable",
        ] {
            assert!(
                !caught_by(id).is_empty(),
                "{id} makes a wall missing but is not cited"
            );
        }
        // Only host-level and informational checks are left out, and the sandbox kernel.
        for (id, _) in NOT_IN_CONFIG {
            let r = crate::checks::rule(id).unwrap();
            assert!(
                matches!(r.group, "kernel" | "sandbox-kernel")
                    || r.severity <= sekisho_finding::Severity::Medium,
                "{id}"
            );
        }
    }

    #[test]
    fn union_keeps_first_order_without_repeats() {
        let u = union(["host-pid-ns", "host-net-ns"]);
        assert_eq!(
            u,
            [
                "pss-host-pid",
                "compose-host-namespace",
                "oci-missing-namespace",
                "pss-host-network"
            ]
        );
        assert!(union(["shared-kernel"]).is_empty());
    }
}
