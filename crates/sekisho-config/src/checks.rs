//! The check table: every check's stable ID, peer aliases (only where one maps one-to-one),
//! severity, title, why it matters and how to fix it. `sekisho config --list-checks` and
//! `docs/config-checks.md` are generated from it.

use sekisho_finding::{Kind, Rule, Severity};

use crate::FileType;

const fn rule(
    id: &'static str,
    group: &'static str,
    severity: Severity,
    aliases: &'static [&'static str],
    title: &'static str,
    why: &'static str,
    fix: &'static str,
) -> Rule {
    Rule {
        id,
        kind: Kind::Misconfiguration,
        group,
        severity,
        title,
        why,
        fix,
        aliases,
    }
}

use Severity::{High, Low, Medium};

const K: &str = "kubernetes";
const D: &str = "dockerfile";
const C: &str = "compose";
const O: &str = "oci-runtime";
const I: &str = "image-config";

/// Every check, grouped by file type (the rule's `group`).
pub static RULES: &[Rule] = &[
    // Pod Security Standards, baseline.
    rule(
        "pss-host-network",
        K,
        High,
        &["KSV009"],
        "Pod shares the host network namespace (PSS baseline)",
        "With hostNetwork the pod sees every interface of the node, can bind its ports and reach services listening on localhost, and bypasses network policies.",
        "Remove spec.hostNetwork or set it to false.",
    ),
    rule(
        "pss-host-pid",
        K,
        High,
        &["KSV010"],
        "Pod shares the host PID namespace (PSS baseline)",
        "With hostPID the pod sees and can signal every process of the node, and read their environment and memory with ptrace rights.",
        "Remove spec.hostPID or set it to false.",
    ),
    rule(
        "pss-host-ipc",
        K,
        High,
        &["KSV008"],
        "Pod shares the host IPC namespace (PSS baseline)",
        "With hostIPC the pod can read and write the shared memory and message queues of every process on the node.",
        "Remove spec.hostIPC or set it to false.",
    ),
    rule(
        "pss-privileged",
        K,
        High,
        &["KSV017"],
        "Privileged container (PSS baseline)",
        "A privileged container has every capability, every device, no seccomp or AppArmor confinement and a writable /sys: it is root on the node.",
        "Remove securityContext.privileged or set it to false; grant the one capability the workload needs instead.",
    ),
    rule(
        "pss-capabilities-baseline",
        K,
        High,
        &["KSV022"],
        "Container adds a capability beyond the default set (PSS baseline)",
        "Capabilities beyond the runtime's default set (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, NET_RAW, ...) open kernel interfaces that most container escapes go through.",
        "Remove the capability from securityContext.capabilities.add; only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT are allowed.",
    ),
    rule(
        "pss-host-path-volumes",
        K,
        High,
        &["KSV023"],
        "hostPath volume (PSS baseline)",
        "A hostPath volume mounts a directory of the node into the pod: the node's files, sockets and devices become writable from the container.",
        "Use a persistentVolumeClaim, configMap, secret or emptyDir volume instead of hostPath.",
    ),
    rule(
        "pss-host-ports",
        K,
        Medium,
        &["KSV024"],
        "Container binds a host port (PSS baseline)",
        "A hostPort opens the port on the node's own addresses, outside services and network policies, and pins the pod to nodes where the port is free.",
        "Remove ports[].hostPort; expose the container through a Service.",
    ),
    rule(
        "pss-apparmor",
        K,
        Medium,
        &["KSV002"],
        "AppArmor profile overridden or disabled (PSS baseline)",
        "The runtime's default AppArmor profile denies mounts, raw /proc and /sys writes and other escape paths; `unconfined` removes it.",
        "Set appArmorProfile.type to RuntimeDefault or Localhost (or the annotation to runtime/default or localhost/<profile>), or leave it unset.",
    ),
    rule(
        "pss-selinux",
        K,
        Medium,
        &["KSV025"],
        "Custom SELinux user, role or type (PSS baseline)",
        "A custom SELinux type or user can lift the container out of the container_t confinement that keeps it from the node's files.",
        "Leave seLinuxOptions.user and .role unset and the type unset or one of container_t, container_init_t, container_kvm_t (container_engine_t from 1.31).",
    ),
    rule(
        "pss-proc-mount",
        K,
        Medium,
        &["KSV027"],
        "Unmasked /proc (PSS)",
        "procMount: Unmasked exposes /proc paths the runtime masks (kcore, sysrq-trigger, timer lists): kernel memory and node-wide controls.",
        "Remove securityContext.procMount or set it to Default (baseline allows any value for pods with hostUsers: false from 1.35).",
    ),
    rule(
        "pss-seccomp-baseline",
        K,
        Medium,
        &[],
        "Seccomp disabled (PSS baseline)",
        "An Unconfined seccomp profile lets the container make every system call, including the rarely used ones most kernel exploits need.",
        "Set seccompProfile.type to RuntimeDefault or Localhost (before 1.19: the seccomp annotations to runtime/default or localhost/<profile>).",
    ),
    rule(
        "pss-sysctls",
        K,
        Medium,
        &["KSV026"],
        "Unsafe sysctl (PSS baseline)",
        "Sysctls outside the namespaced safe set change kernel settings for the whole node or disable security mechanisms.",
        "Remove the sysctl from securityContext.sysctls; only the safe set for the Kubernetes version is allowed.",
    ),
    rule(
        "pss-windows-host-process",
        K,
        High,
        &["KSV103"],
        "Windows HostProcess container (PSS baseline)",
        "A HostProcess container runs directly on the Windows node with the node's privileges: no isolation at all.",
        "Remove windowsOptions.hostProcess or set it to false.",
    ),
    rule(
        "pss-host-probes",
        K,
        Medium,
        &[],
        "Probe or lifecycle handler targets another host (PSS baseline, 1.34+)",
        "A probe or lifecycle hook with a host field makes the kubelet connect to an arbitrary address from the node's network: a server-side request forgery primitive.",
        "Remove the host field of httpGet and tcpSocket probes and lifecycle handlers; the pod's own IP is used.",
    ),
    // Pod Security Standards, restricted.
    rule(
        "pss-restricted-volumes",
        K,
        Medium,
        &["KSV028"],
        "Volume type outside the restricted set (PSS restricted)",
        "Volume types other than configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret reach node or network storage directly, outside the persistent-volume controls.",
        "Use one of the allowed volume types, usually a persistentVolumeClaim.",
    ),
    rule(
        "pss-allow-privilege-escalation",
        K,
        Medium,
        &["KSV001"],
        "Privilege escalation allowed (PSS restricted)",
        "Without allowPrivilegeEscalation: false, set-user-ID binaries and file capabilities can give a process more privileges than its parent (no_new_privs is off).",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
    ),
    rule(
        "pss-run-as-non-root",
        K,
        Medium,
        &["KSV012"],
        "Container may run as root (PSS restricted)",
        "Root in the container is root on the node's files and kernel interfaces the container can reach; an escape lands as root.",
        "Set securityContext.runAsNonRoot: true on the pod or on every container (and give the image a non-root USER).",
    ),
    rule(
        "pss-run-as-user",
        K,
        Medium,
        &["KSV105"],
        "Container runs as UID 0 (PSS restricted)",
        "runAsUser: 0 runs the container as root whatever the image says.",
        "Set runAsUser to a non-zero UID, or remove it and use the image's non-root user.",
    ),
    rule(
        "pss-seccomp-restricted",
        K,
        Medium,
        &["KSV030"],
        "Seccomp profile not set (PSS restricted)",
        "Without a seccomp profile the container may make every system call (Kubernetes does not apply the runtime default unless told).",
        "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile).",
    ),
    rule(
        "pss-capabilities-restricted",
        K,
        Medium,
        &[],
        "Capabilities not dropped (PSS restricted)",
        "The default capability set (NET_RAW, DAC_OVERRIDE, SETUID, ...) is more than almost any workload needs and helps exploits.",
        "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add back at most NET_BIND_SERVICE.",
    ),
    // Kubernetes beyond the PSS.
    rule(
        "k8s-image-latest",
        K,
        Medium,
        &["KSV013"],
        "Image without a tag or digest, or tagged :latest",
        "A moving tag means the image that runs is not the image that was reviewed or scanned, and a rollback may not restore the old one.",
        "Pin the image by digest (name@sha256:...) or at least by an immutable version tag.",
    ),
    rule(
        "k8s-image-no-digest",
        K,
        Low,
        &[],
        "Image not pinned by digest",
        "Tags can be moved to other content; only a digest names exactly one image.",
        "Refer to the image by digest (name:tag@sha256:...).",
    ),
    rule(
        "k8s-no-cpu-limit",
        K,
        Low,
        &["KSV011"],
        "No CPU limit",
        "A container without a CPU limit can starve every other workload of the node.",
        "Set resources.limits.cpu.",
    ),
    rule(
        "k8s-no-memory-limit",
        K,
        Low,
        &["KSV018"],
        "No memory limit",
        "A container without a memory limit can exhaust the node's memory and get other pods killed.",
        "Set resources.limits.memory.",
    ),
    rule(
        "k8s-writable-root-filesystem",
        K,
        Low,
        &["KSV014"],
        "Writable root filesystem",
        "A writable root filesystem lets an intruder replace binaries and drop tools inside the container.",
        "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application writes.",
    ),
    rule(
        "k8s-secret-in-env",
        K,
        High,
        &[],
        "Credential written in an env value",
        "A literal credential in the manifest is in every copy of it (git, CI logs, kubectl describe) and cannot be rotated without a redeploy.",
        "Move the value to a Secret and use env[].valueFrom.secretKeyRef.",
    ),
    rule(
        "k8s-automount-sa-token",
        K,
        Low,
        &[],
        "Service account token mounted",
        "Unless automountServiceAccountToken is false, every container gets an API token: an intruder can talk to the API server as the pod.",
        "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the API.",
    ),
    rule(
        "k8s-runtime-socket-mount",
        K,
        High,
        &["KSV006"],
        "Container runtime socket mounted from the host",
        "Whoever can talk to the Docker, containerd or CRI-O socket can start a privileged container on the node: it is root on the node.",
        "Remove the hostPath volume of the runtime socket (or of its directory).",
    ),
    rule(
        "k8s-sa-token-secret",
        K,
        Medium,
        &[],
        "Long-lived service account token Secret",
        "A kubernetes.io/service-account-token Secret never expires; a leaked copy works until the Secret is deleted.",
        "Use projected, time-bound tokens (TokenRequest) instead of token Secrets.",
    ),
    rule(
        "k8s-rbac-wildcard",
        K,
        High,
        &[],
        "RBAC rule with a wildcard",
        "A `*` in verbs, resources or apiGroups grants everything, including what is added later (new resources, new verbs).",
        "List the verbs, resources and API groups the role needs.",
    ),
    rule(
        "k8s-rbac-escalation-verb",
        K,
        High,
        &[],
        "RBAC escalate, bind or impersonate verb",
        "escalate and bind let a subject grant itself permissions it does not have; impersonate lets it act as any user or group.",
        "Remove the verb; grant the exact roles needed instead.",
    ),
    rule(
        "k8s-service-exposed",
        K,
        Low,
        &[],
        "Service exposed outside the cluster (NodePort or LoadBalancer)",
        "A NodePort opens the port on every node; a LoadBalancer usually on the internet.",
        "Use ClusterIP behind an ingress or gateway with authentication, or restrict loadBalancerSourceRanges.",
    ),
];

/// The check with this ID or alias.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id == id || r.aliases.iter().any(|a| a.eq_ignore_ascii_case(id)))
}

/// The file type a check belongs to.
pub fn file_type(r: &Rule) -> FileType {
    match r.group {
        D => FileType::Dockerfile,
        C => FileType::Compose,
        O => FileType::OciRuntime,
        I => FileType::ImageConfig,
        _ => FileType::Kubernetes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_kebab_and_registered() {
        sekisho_finding::Registry::new(&[RULES]).expect("unique kebab-case IDs");
        for r in RULES {
            assert!(
                !r.why.is_empty() && !r.fix.is_empty() && !r.title.is_empty(),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn every_pss_check_is_in_the_table() {
        use crate::k8s::pss::{Level, checks_for};
        for level in [Level::Baseline, Level::Restricted] {
            for minor in 0..=crate::k8s::pss::LATEST_MINOR {
                for id in checks_for(level, minor) {
                    assert!(find(id).is_some(), "{id}");
                }
            }
        }
    }
}
