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
        &["KSV009", "KSV-0009"],
        "Pod shares the host network namespace (PSS baseline)",
        "With hostNetwork the pod sees every interface of the node, can bind its ports and reach services listening on localhost, and bypasses network policies.",
        "Remove spec.hostNetwork or set it to false.",
    ),
    rule(
        "pss-host-pid",
        K,
        High,
        &["KSV010", "KSV-0010"],
        "Pod shares the host PID namespace (PSS baseline)",
        "With hostPID the pod sees and can signal every process of the node, and read their environment and memory with ptrace rights.",
        "Remove spec.hostPID or set it to false.",
    ),
    rule(
        "pss-host-ipc",
        K,
        High,
        &["KSV008", "KSV-0008"],
        "Pod shares the host IPC namespace (PSS baseline)",
        "With hostIPC the pod can read and write the shared memory and message queues of every process on the node.",
        "Remove spec.hostIPC or set it to false.",
    ),
    rule(
        "pss-privileged",
        K,
        High,
        &["KSV017", "KSV-0017"],
        "Privileged container (PSS baseline)",
        "A privileged container has every capability, every device, no seccomp or AppArmor confinement and a writable /sys: it is root on the node.",
        "Remove securityContext.privileged or set it to false; grant the one capability the workload needs instead.",
    ),
    rule(
        "pss-capabilities-baseline",
        K,
        High,
        &["KSV022", "KSV-0022"],
        "Container adds a capability beyond the default set (PSS baseline)",
        "Capabilities beyond the runtime's default set (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, NET_RAW, ...) open kernel interfaces that most container escapes go through.",
        "Remove the capability from securityContext.capabilities.add; only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT are allowed.",
    ),
    rule(
        "pss-host-path-volumes",
        K,
        High,
        &["KSV023", "KSV-0023"],
        "hostPath volume (PSS baseline)",
        "A hostPath volume mounts a directory of the node into the pod: the node's files, sockets and devices become writable from the container.",
        "Use a persistentVolumeClaim, configMap, secret or emptyDir volume instead of hostPath.",
    ),
    rule(
        "pss-host-ports",
        K,
        Medium,
        &["KSV024", "KSV-0024"],
        "Container binds a host port (PSS baseline)",
        "A hostPort opens the port on the node's own addresses, outside services and network policies, and pins the pod to nodes where the port is free.",
        "Remove ports[].hostPort; expose the container through a Service.",
    ),
    rule(
        "pss-apparmor",
        K,
        Medium,
        &["KSV002", "KSV-0002"],
        "AppArmor profile overridden or disabled (PSS baseline)",
        "The runtime's default AppArmor profile denies mounts, raw /proc and /sys writes and other escape paths; `unconfined` removes it.",
        "Set appArmorProfile.type to RuntimeDefault or Localhost (or the annotation to runtime/default or localhost/<profile>), or leave it unset.",
    ),
    rule(
        "pss-selinux",
        K,
        Medium,
        &["KSV025", "KSV-0025"],
        "Custom SELinux user, role or type (PSS baseline)",
        "A custom SELinux type or user can lift the container out of the container_t confinement that keeps it from the node's files.",
        "Leave seLinuxOptions.user and .role unset and the type unset or one of container_t, container_init_t, container_kvm_t (container_engine_t from 1.31).",
    ),
    rule(
        "pss-proc-mount",
        K,
        Medium,
        &["KSV027", "KSV-0027"],
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
        &["KSV026", "KSV-0026"],
        "Unsafe sysctl (PSS baseline)",
        "Sysctls outside the namespaced safe set change kernel settings for the whole node or disable security mechanisms.",
        "Remove the sysctl from securityContext.sysctls; only the safe set for the Kubernetes version is allowed.",
    ),
    rule(
        "pss-windows-host-process",
        K,
        High,
        &["KSV103", "KSV-0103"],
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
        &["KSV028", "KSV-0028"],
        "Volume type outside the restricted set (PSS restricted)",
        "Volume types other than configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret reach node or network storage directly, outside the persistent-volume controls.",
        "Use one of the allowed volume types, usually a persistentVolumeClaim.",
    ),
    rule(
        "pss-allow-privilege-escalation",
        K,
        Medium,
        &["KSV001", "KSV-0001"],
        "Privilege escalation allowed (PSS restricted)",
        "Without allowPrivilegeEscalation: false, set-user-ID binaries and file capabilities can give a process more privileges than its parent (no_new_privs is off).",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
    ),
    rule(
        "pss-run-as-non-root",
        K,
        Medium,
        &["KSV012", "KSV-0012"],
        "Container may run as root (PSS restricted)",
        "Root in the container is root on the node's files and kernel interfaces the container can reach; an escape lands as root.",
        "Set securityContext.runAsNonRoot: true on the pod or on every container (and give the image a non-root USER).",
    ),
    rule(
        "pss-run-as-user",
        K,
        Medium,
        &["KSV105", "KSV-0105"],
        "Container runs as UID 0 (PSS restricted)",
        "runAsUser: 0 runs the container as root whatever the image says.",
        "Set runAsUser to a non-zero UID, or remove it and use the image's non-root user.",
    ),
    rule(
        "pss-seccomp-restricted",
        K,
        Medium,
        &["KSV030", "KSV-0030"],
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
        &["KSV013", "KSV-0013"],
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
        &["KSV011", "KSV-0011"],
        "No CPU limit",
        "A container without a CPU limit can starve every other workload of the node.",
        "Set resources.limits.cpu.",
    ),
    rule(
        "k8s-no-memory-limit",
        K,
        Low,
        &["KSV018", "KSV-0018"],
        "No memory limit",
        "A container without a memory limit can exhaust the node's memory and get other pods killed.",
        "Set resources.limits.memory.",
    ),
    rule(
        "k8s-writable-root-filesystem",
        K,
        Low,
        &["KSV014", "KSV-0014"],
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
        &["KSV006", "KSV-0006"],
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
    // Dockerfile.
    rule(
        "dockerfile-no-user",
        D,
        Medium,
        &[],
        "Final stage sets no USER",
        "Without a USER the container runs as root unless the runtime overrides it; an escape or a writable mount then acts as root.",
        "Add `USER <non-root user>` to the final stage (after creating the user).",
    ),
    rule(
        "dockerfile-root-user",
        D,
        Medium,
        &["DL3002", "DS002", "DS-0002"],
        "Final stage runs as root",
        "The last USER of the final stage decides who the container runs as; root there is root in every container started from the image.",
        "End the final stage with `USER <non-root user>`; switch to root only in build stages or around the steps that need it.",
    ),
    rule(
        "dockerfile-add-url-no-checksum",
        D,
        Medium,
        &[],
        "ADD from a URL without --checksum",
        "ADD fetches the URL at build time and trusts whatever the server returns: a compromised or spoofed server changes the image.",
        "Use `ADD --checksum=sha256:<digest> <url> <dest>`, or download with a verified checksum in RUN.",
    ),
    rule(
        "dockerfile-tls-bypass",
        D,
        High,
        &[],
        "TLS or package signature verification disabled",
        "curl -k, wget --no-check-certificate, pip --trusted-host, npm strict-ssl false, apt-get --allow-unauthenticated, git http.sslVerify=false and the like let anyone on the network path replace what the build downloads.",
        "Remove the option and fix the trust store (install ca-certificates, add the CA) or the signing key.",
    ),
    rule(
        "dockerfile-curl-pipe-shell",
        D,
        High,
        &[],
        "Download piped into a shell",
        "`curl ... | sh` runs whatever the server sends at that moment, unreviewed and unpinned; a compromised server owns the build.",
        "Download to a file, verify its checksum or signature, then run it.",
    ),
    rule(
        "dockerfile-secret-in-env-arg",
        D,
        High,
        &[],
        "Credential in ENV or ARG",
        "ENV values are in the image config of every container; ARG values are in the build history. Both ship with the image to everyone who can pull it.",
        "Use a build secret (`RUN --mount=type=secret,id=...`) at build time and runtime secrets at run time.",
    ),
    rule(
        "dockerfile-sudo",
        D,
        Medium,
        &["DL3004"],
        "sudo in RUN",
        "Build steps already run as the stage's user; sudo in an image means a setuid helper and a sudoers policy left in it.",
        "Run the step as root with `USER root` before it and switch back after; do not install sudo.",
    ),
    rule(
        "dockerfile-chmod-777",
        D,
        Medium,
        &[],
        "World-writable permissions (chmod 777)",
        "World-writable files and directories let any user in the container replace code or configuration that another (often root) process runs.",
        "Give ownership to the user that needs it (`chown`, `COPY --chown`) and use 755/644 or tighter.",
    ),
    rule(
        "dockerfile-unpinned-base",
        D,
        Medium,
        &[],
        "Base image without a tag or digest, or :latest",
        "A moving base means rebuilds silently pick up different (possibly vulnerable or compromised) content.",
        "Pin the base image by digest (`FROM image:tag@sha256:...`).",
    ),
    rule(
        "dockerfile-expose-ssh",
        D,
        Medium,
        &["DS004", "DS-0004"],
        "Port 22 exposed",
        "An SSH server in a container is an extra way in with its own credentials to manage; `docker exec`/`kubectl exec` do the job.",
        "Remove EXPOSE 22 and the SSH server.",
    ),
    rule(
        "dockerfile-no-healthcheck",
        D,
        Low,
        &["DS026", "DS-0026"],
        "No HEALTHCHECK in the final stage",
        "Without a healthcheck a hung or hijacked process keeps receiving traffic and is never restarted by the runtime.",
        "Add `HEALTHCHECK CMD <probe>` (orchestrators with their own probes can ignore this).",
    ),
    rule(
        "dockerfile-curl-and-wget",
        D,
        Low,
        &[],
        "Both curl and wget in one stage",
        "Two download tools in one stage is more attack surface and more packages to patch than one.",
        "Use one of them throughout the stage.",
    ),
    // Compose.
    rule(
        "compose-privileged",
        C,
        High,
        &[],
        "Privileged service",
        "privileged: true gives every capability and device and removes seccomp and AppArmor: the service is root on the host.",
        "Remove privileged; add the one capability or device the service needs.",
    ),
    rule(
        "compose-host-namespace",
        C,
        High,
        &[],
        "Service shares a host namespace (network_mode, pid, ipc, uts, userns_mode or cgroup host)",
        "A host namespace removes that wall: host networking reaches localhost services, host PID sees and signals every process.",
        "Remove the `host` setting; publish ports with `ports:` instead of host networking.",
    ),
    rule(
        "compose-runtime-socket",
        C,
        High,
        &[],
        "Docker or runtime socket mounted",
        "Whoever reaches the Docker socket can start a privileged container with the host's root mounted: it is root on the host.",
        "Remove the socket mount; use a narrowly scoped API proxy if the service must manage containers.",
    ),
    rule(
        "compose-host-root-mount",
        C,
        High,
        &[],
        "Host root filesystem mounted",
        "Mounting / from the host gives the service every file of the host, /etc/shadow and the runtime's state included.",
        "Mount only the directories the service needs, read-only where possible.",
    ),
    rule(
        "compose-dangerous-capability",
        C,
        High,
        &[],
        "Dangerous capability added",
        "SYS_ADMIN, SYS_MODULE, SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH and the like open the kernel interfaces container escapes use.",
        "Remove the capability from cap_add (and drop ALL, adding back only what is needed).",
    ),
    rule(
        "compose-unconfined",
        C,
        High,
        &[],
        "seccomp, AppArmor or SELinux disabled",
        "security_opt seccomp:unconfined, apparmor:unconfined or label:disable removes a wall that blocks most escape techniques.",
        "Remove the option, or give a custom profile that allows only what is needed.",
    ),
    rule(
        "compose-root-user",
        C,
        Medium,
        &[],
        "Service runs as root",
        "user: root (or 0) runs the service as root whatever the image says.",
        "Set user to a non-root UID:GID.",
    ),
    rule(
        "compose-no-read-only",
        C,
        Low,
        &[],
        "Root filesystem not read-only",
        "A writable root filesystem lets an intruder replace binaries and persist inside the container.",
        "Set read_only: true and use tmpfs or volumes where the service writes.",
    ),
    // OCI runtime config.json.
    rule(
        "oci-root-user",
        O,
        Medium,
        &[],
        "Process runs as UID 0",
        "The container's process is root; with any missing wall (no user namespace, a capability, a mount) that is root on the host.",
        "Set process.user.uid (and gid) to a non-zero ID, or map it with a user namespace.",
    ),
    rule(
        "oci-dangerous-capability",
        O,
        High,
        &[],
        "Dangerous capability",
        "SYS_ADMIN, SYS_MODULE, SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH and the like open the kernel interfaces container escapes use.",
        "Remove the capability from every process.capabilities set.",
    ),
    rule(
        "oci-no-new-privileges-off",
        O,
        Medium,
        &[],
        "noNewPrivileges not set",
        "Without no_new_privs, set-user-ID binaries and file capabilities can raise the process's privileges.",
        "Set process.noNewPrivileges: true.",
    ),
    rule(
        "oci-missing-namespace",
        O,
        High,
        &[],
        "Missing pid, mount, ipc, uts or network namespace",
        "Without its own namespace (or when joining an existing one by path) the container shares that part of the host: processes, mounts, IPC, hostname or network.",
        "Add the namespace to linux.namespaces without a path.",
    ),
    rule(
        "oci-no-user-namespace",
        O,
        Low,
        &[],
        "No user namespace",
        "Without a user namespace, root in the container is root on the host (UID 0 maps to UID 0).",
        "Add a user namespace with uidMappings/gidMappings to an unprivileged range.",
    ),
    rule(
        "oci-no-seccomp",
        O,
        High,
        &[],
        "No seccomp profile",
        "Without seccomp the container may make every system call, including the rarely used ones most kernel exploits need.",
        "Add linux.seccomp with a default-deny profile (the runtime's default profile).",
    ),
    rule(
        "oci-seccomp-default-allow",
        O,
        High,
        &[],
        "Seccomp profile allows by default",
        "A defaultAction of SCMP_ACT_ALLOW only blocks what is listed; every new or forgotten system call is allowed.",
        "Use a default-deny profile (defaultAction SCMP_ACT_ERRNO) with an allow list.",
    ),
    rule(
        "oci-host-mount",
        O,
        High,
        &[],
        "Host /, /proc, /sys or runtime socket bind-mounted",
        "A bind mount of the host's root, /proc, /sys or a runtime socket hands the container the host's files, kernel controls or container runtime.",
        "Remove the bind mount; mount only what the container needs, read-only.",
    ),
    rule(
        "oci-masked-paths-removed",
        O,
        Medium,
        &[],
        "maskedPaths or readonlyPaths removed",
        "The runtime masks /proc/kcore, /proc/sysrq-trigger and similar and makes /proc/sys read-only; without the lists those kernel controls are open.",
        "Restore linux.maskedPaths and linux.readonlyPaths (as `runc spec` writes them).",
    ),
    rule(
        "oci-writable-root",
        O,
        Low,
        &[],
        "Writable root filesystem",
        "A writable root lets an intruder replace binaries and persist inside the container.",
        "Set root.readonly: true and mount tmpfs where the process writes.",
    ),
    // Image config.
    rule(
        "image-root-user",
        I,
        Medium,
        &[],
        "Image runs as root (config User empty or root)",
        "Containers started from the image run as root unless the runtime overrides the user.",
        "Set a non-root USER in the Dockerfile's final stage.",
    ),
    rule(
        "image-expose-ssh",
        I,
        Medium,
        &[],
        "Image exposes port 22",
        "An SSH server in an image is an extra way in with its own credentials.",
        "Remove the SSH server and EXPOSE 22.",
    ),
    rule(
        "image-secret-in-env",
        I,
        High,
        &[],
        "Credential in the image config (Env or Labels)",
        "The image config travels with the image: everyone who can pull it can read the value.",
        "Remove it from ENV/LABEL; inject secrets at run time.",
    ),
    rule(
        "image-no-healthcheck",
        I,
        Low,
        &[],
        "Image has no healthcheck",
        "Without a healthcheck a hung or hijacked process keeps serving and is never restarted by the runtime.",
        "Add a HEALTHCHECK (orchestrators with their own probes can ignore this).",
    ),
    rule(
        "image-history-tls-bypass",
        I,
        High,
        &[],
        "A build step disabled TLS or signature verification",
        "The image's history shows a step that downloaded without verifying the server or package signatures: what it fetched may not be what was intended.",
        "Rebuild without the bypass (fix the trust store or keys).",
    ),
    rule(
        "image-history-curl-pipe-shell",
        I,
        High,
        &[],
        "A build step piped a download into a shell",
        "The image's history shows a step that ran whatever a server sent at build time, unverified.",
        "Rebuild downloading to a file and verifying it before running it.",
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
    fn trivy_aliases_come_in_both_forms() {
        // `KSV017` (trivy's docs, ignore files, releases before 0.6x) and `KSV-0017` (what
        // trivy 0.76 prints): every trivy alias is listed in both.
        for r in RULES {
            for a in r.aliases {
                let Some((fam, num)) = ["KSV", "DS"]
                    .iter()
                    .find_map(|f| a.strip_prefix(f).map(|n| (*f, n)))
                else {
                    continue;
                };
                let twin = match num.strip_prefix('-') {
                    Some(long) => format!("{fam}{}", &long[1..]),
                    None => format!("{fam}-0{num}"),
                };
                assert!(
                    num.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit()),
                    "{a}"
                );
                assert!(
                    r.aliases.contains(&twin.as_str()),
                    "{}: {a} without {twin}",
                    r.id
                );
            }
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
