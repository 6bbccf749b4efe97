//! The audit against recorded `/proc` + `/sys` trees (see `tests/fixtures/make.py`) of machines
//! that cannot be created on a CI host: AppArmor, SELinux, gVisor, Kata, cgroup v2 only,
//! Kubernetes cgroup paths, a privileged container.

use sekisho_audit::host::FixtureHost;
use sekisho_audit::hostview;
use sekisho_audit::inside::{self, Options};
use sekisho_audit::model::{Report, WallStatus};
use sekisho_audit::probe::ProbeClass;

fn audit(name: &str, probe: bool) -> Report {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/").to_string() + name;
    let host = FixtureHost::open(root).unwrap();
    inside::audit(&host, &Options { pid: None, probe }).unwrap()
}

fn ids(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

fn ns(r: &Report, k: &str) -> Option<bool> {
    r.namespaces
        .iter()
        .find(|n| n.kind == k)
        .unwrap()
        .shared_with_host
}

fn wall(r: &Report, w: &str) -> WallStatus {
    r.walls.iter().find(|x| x.wall == w).unwrap().status
}

fn probe(r: &Report, s: &str) -> ProbeClass {
    r.probes
        .as_ref()
        .unwrap()
        .iter()
        .find(|p| p.syscall == s)
        .unwrap()
        .result
}

#[test]
fn docker_with_apparmor_enforcing() {
    let r = audit("docker-apparmor", true);
    assert_eq!(r.runtime.name.as_deref(), Some("docker"));
    assert_eq!(r.runtime.confidence, "high");
    assert_eq!(
        r.runtime.container_id.as_deref(),
        Some("3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff")
    );
    let aa = r.lsm.apparmor.as_ref().unwrap();
    assert_eq!(
        (aa.profile.as_str(), aa.mode.as_str()),
        ("docker-default", "enforce")
    );
    assert!(r.lsm.confined);
    assert_eq!(wall(&r, "lsm"), WallStatus::Present);
    // The container sees only the v1 hierarchies mounted.
    assert_eq!(r.cgroups.version, "v1");
    assert_eq!(r.cgroups.limits.memory_max_bytes, Some(536_870_912));
    assert_eq!(r.cgroups.limits.pids_max, Some(100));
    assert_eq!(r.cgroups.limits.cpus, Some(1.5));
    assert_eq!(r.seccomp.mode, Some(2));
    assert_eq!(r.seccomp.filters, Some(1));
    assert_eq!(r.capabilities.effective.hex, "00000000a80425fb");
    assert!(r.capabilities.dangerous.is_empty());
    assert!(!r.capabilities.privileged);
    // Linux 5.15: pid/ipc/uts/cgroup by fixed inode; mnt/net have no fixed inode and PID 1 is
    // the container's own init, so they cannot be decided.
    assert_eq!(ns(&r, "pid"), Some(false));
    assert_eq!(ns(&r, "user"), Some(true));
    assert_eq!(ns(&r, "mnt"), None);
    assert_eq!(ns(&r, "net"), None);
    // Masked /proc/kcore (a tmpfs file bind) and read-only sysrq-trigger.
    assert!(!r.exposure.kcore_readable);
    assert!(!r.exposure.sysrq_trigger_writable);
    // resolv.conf/hostname/hosts are not sensitive host mounts.
    assert!(
        r.exposure.host_mounts.is_empty(),
        "{:?}",
        r.exposure.host_mounts
    );
    assert_eq!(probe(&r, "mount"), ProbeClass::BlockedBySeccomp);
    assert_eq!(probe(&r, "keyctl"), ProbeClass::BlockedBySeccomp);
    assert_eq!(probe(&r, "ptrace"), ProbeClass::Allowed);
    let i = ids(&r);
    assert!(i.contains(&"host-user-ns"));
    assert!(!i.contains(&"no-seccomp"));
    assert!(!i.contains(&"no-lsm"));
    assert!(i.contains(&"no-new-privs-off"));
    assert_eq!(r.grade, "B");
}

#[test]
fn podman_rootless_selinux_cgroup_v2() {
    let r = audit("podman-selinux", false);
    assert_eq!(r.runtime.name.as_deref(), Some("podman"));
    assert_eq!(r.exposure.runtime_version.as_deref(), Some("podman-4.9.4"));
    let se = r.lsm.selinux.as_ref().unwrap();
    assert_eq!(se.kind.as_deref(), Some("container_t"));
    assert_eq!(se.mode.as_deref(), Some("enforcing"));
    assert!(r.lsm.confined);
    assert_eq!(r.cgroups.version, "v2");
    assert_eq!(r.cgroups.path.as_deref(), Some("/"));
    assert_eq!(r.cgroups.limits.memory_max_bytes, None);
    assert_eq!(r.cgroups.limits.pids_max, Some(2048));
    assert_eq!(r.cgroups.limits.cpu_quota_us, None);
    assert!(r.cgroups.any_limit);
    assert_eq!(r.user_namespace.initial, Some(false));
    assert_eq!(r.user_namespace.root_maps_to, Some(1000));
    assert_eq!(r.user_namespace.uid_coverage, "partial");
    assert_eq!(ns(&r, "user"), Some(false));
    assert_eq!(r.capabilities.scope, "user-namespace");
    let i = ids(&r);
    assert!(i.contains(&"no-memory-limit"));
    assert!(!i.contains(&"host-user-ns"));
    assert!(!i.contains(&"userns-host-root"));
    assert!(r.probes.is_none());
}

#[test]
fn gvisor_sandbox_kernel() {
    let r = audit("gvisor", true);
    assert_eq!(r.runtime.sandbox_kernel.as_deref(), Some("gvisor"));
    assert!(
        r.runtime
            .evidence
            .iter()
            .any(|e| e.contains("Starting gVisor"))
    );
    assert_eq!(wall(&r, "sandbox-kernel"), WallStatus::Present);
    // gVisor reports Seccomp 0 (it filters in user space) and ENOSYS for what it lacks.
    assert_eq!(r.seccomp.mode, Some(0));
    assert_eq!(probe(&r, "io_uring_setup"), ProbeClass::NotSupported);
    assert_eq!(probe(&r, "bpf"), ProbeClass::NotSupported);
    // gVisor's own namespace numbering is not the host's: no time namespace file at all.
    assert!(r.namespaces.iter().all(|n| n.kind != "time"));
    assert_eq!(r.cgroups.version, "v1");
    assert_eq!(r.cgroups.limits.memory_max_bytes, Some(2 << 30));
    // no-seccomp and friends still count, but the sandbox kernel lifts the grade a step.
    assert!(ids(&r).contains(&"no-seccomp"));
    assert!(!ids(&r).contains(&"shared-kernel"));
}

#[test]
fn kata_vm_with_kubernetes() {
    let r = audit("kata", false);
    assert!(r.runtime.vm.detected);
    assert_eq!(r.runtime.vm.flavour.as_deref(), Some("kata"));
    assert_eq!(r.runtime.vm.hypervisor.as_deref(), Some("kvm"));
    assert!(
        r.runtime
            .vm
            .evidence
            .iter()
            .any(|e| e.contains("kataShared"))
    );
    assert_eq!(r.runtime.name.as_deref(), Some("kubernetes"));
    assert_eq!(wall(&r, "sandbox-kernel"), WallStatus::Present);
    assert_eq!(r.cgroups.version, "v2");
    assert_eq!(r.cgroups.limits.memory_max_bytes, Some(268_435_456));
    assert_eq!(r.cgroups.limits.cpus, Some(0.5));
    assert_eq!(r.cgroups.limits.pids_max, None);
}

#[test]
fn privileged_container_fails() {
    let r = audit("docker-privileged", true);
    assert!(r.capabilities.privileged);
    assert_eq!(r.capabilities.scope, "initial-user-namespace");
    assert_eq!(wall(&r, "capabilities"), WallStatus::Missing);
    assert_eq!(wall(&r, "seccomp"), WallStatus::Missing);
    assert_eq!(wall(&r, "exposure"), WallStatus::Missing);
    assert_eq!(r.lsm.apparmor.as_ref().unwrap().mode, "unconfined");
    assert!(!r.lsm.confined);
    assert!(r.exposure.kcore_readable);
    assert!(r.exposure.sysrq_trigger_writable);
    assert!(r.exposure.proc_sys_writable);
    assert_eq!(r.exposure.block_devices, vec!["/dev/vda", "/dev/vda1"]);
    assert_eq!(r.exposure.release_agent_writable.len(), 2);
    let s = &r.exposure.runtime_sockets;
    assert_eq!(s.len(), 1);
    assert!(s[0].reachable);
    assert_eq!(s[0].runtime, "docker");
    let hm = &r.exposure.host_mounts;
    assert_eq!(hm.len(), 1);
    assert_eq!(
        (
            hm[0].mount_point.as_str(),
            hm[0].host_path.as_str(),
            hm[0].writable
        ),
        ("/host", "/", true)
    );
    assert_eq!(probe(&r, "mount"), ProbeClass::Allowed);
    assert_eq!(probe(&r, "kexec_load"), ProbeClass::Allowed);
    assert_eq!(probe(&r, "init_module"), ProbeClass::Allowed);
    let i = ids(&r);
    for id in [
        "privileged",
        "cap-sys-admin",
        "cap-sys-module",
        "no-seccomp",
        "no-lsm",
        "runtime-socket",
        "host-root-mount",
        "sysrq-writable",
        "kcore-readable",
        "proc-sys-writable",
        "block-devices",
        "release-agent-writable",
        "unprivileged-bpf",
        "kptr-restrict-off",
        "dmesg-restrict-off",
        "syscall-mount",
        "syscall-kexec-load",
        "host-cgroup-ns",
        "no-cgroup-limits",
        "ptrace-scope",
    ] {
        assert!(i.contains(&id), "{id} missing from {i:?}");
    }
    assert_eq!(r.grade, "F");
    // Each missing wall cites the config checks that would have caught it.
    let cites = |w: &str| {
        r.walls
            .iter()
            .find(|x| x.wall == w)
            .unwrap()
            .caught_by
            .clone()
    };
    assert!(cites("capabilities").contains(&"pss-privileged"));
    assert!(cites("capabilities").contains(&"compose-dangerous-capability"));
    assert!(cites("seccomp").contains(&"oci-no-seccomp"));
    assert!(cites("lsm").contains(&"pss-apparmor"));
    assert!(cites("exposure").contains(&"k8s-runtime-socket-mount"));
    assert!(cites("exposure").contains(&"oci-masked-paths-removed"));
    let f = r.findings.iter().find(|f| f.id == "no-seccomp").unwrap();
    assert!(f.caught_by.contains(&"pss-seccomp-restricted"));
    let kptr = r
        .findings
        .iter()
        .find(|f| f.id == "kptr-restrict-off")
        .unwrap();
    assert!(kptr.caught_by.is_empty(), "a host sysctl");
    let v = serde_json::to_value(&r).unwrap();
    let lsm = v["walls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["wall"] == "lsm")
        .unwrap();
    assert_eq!(lsm["status"], "missing");
    assert!(
        lsm["caught_by"]
            .as_array()
            .unwrap()
            .contains(&"pss-apparmor".into())
    );
    let t = sekisho_audit::render::inside(&r);
    assert!(
        t.contains("caught by sekisho config: pss-privileged"),
        "{t}"
    );
    assert!(
        t.contains("caught by sekisho config: k8s-no-cpu-limit,"),
        "{t}"
    );
}

#[test]
fn host_view_groups_containers() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/k8s-host");
    let host = FixtureHost::open(root).unwrap();
    let r = hostview::audit(&host, 10_000).unwrap();
    assert_eq!(r.processes_scanned, 6);
    assert_eq!(
        r.containers.len(),
        3,
        "{:#?}",
        r.containers.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    let pod = r
        .containers
        .iter()
        .find(|c| c.runtime.as_deref() == Some("kubernetes"))
        .unwrap();
    assert_eq!(pod.pids, vec![1200, 1201]);
    assert_eq!(
        pod.pod_uid.as_deref(),
        Some("1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718")
    );
    assert_eq!(pod.qos.as_deref(), Some("besteffort"));
    assert_eq!(pod.cgroups.limits.memory_max_bytes, Some(134_217_728));
    assert_eq!(pod.cgroups.limits.pids_max, Some(4096));
    assert_eq!(
        pod.lsm.apparmor.as_ref().unwrap().profile,
        "cri-containerd.apparmor.d"
    );
    let dock = r
        .containers
        .iter()
        .find(|c| c.runtime.as_deref() == Some("docker"))
        .unwrap();
    assert_eq!(dock.pids, vec![1300]);
    assert!(dock.findings.iter().any(|f| f.id == "host-net-ns"));
    assert!(
        !dock.findings.iter().any(|f| f.id == "host-user-ns"),
        "uid 999 is not root"
    );
    let sand = r
        .containers
        .iter()
        .find(|c| c.grouped_by == "pid-ns")
        .unwrap();
    assert_eq!(sand.pids, vec![1400]);
    assert!(sand.capabilities.privileged);
    assert_eq!(sand.grade, "F");
    let table = sekisho_audit::render::host(&r);
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
}

#[test]
fn tables_fit_80_columns() {
    for f in [
        "docker-apparmor",
        "podman-selinux",
        "gvisor",
        "kata",
        "docker-privileged",
    ] {
        let r = audit(f, true);
        let t = sekisho_audit::render::inside(&r);
        for l in t.lines() {
            assert!(l.chars().count() <= 80, "{f}: {l:?}");
        }
    }
}

#[test]
fn firecracker_microvm_host() {
    // Our test machines: a Firecracker guest, audited from its own root shell.
    let r = audit("firecracker", false);
    let vm = &r.runtime.vm;
    assert!(vm.detected);
    assert_eq!(vm.hypervisor.as_deref(), Some("kvm"));
    assert_eq!(vm.flavour.as_deref(), Some("firecracker"));
    for e in [
        "CPUID hypervisor bit set, vendor \"KVMKVMKVM\"",
        "5 virtio devices in /sys/bus/virtio/devices",
        "ACPI OEM ID FIRECK FCVMDSDT (Firecracker)",
    ] {
        assert!(vm.evidence.iter().any(|x| x == e), "{e}: {:?}", vm.evidence);
    }
    // Every namespace is the initial one (Linux 6.18 fixed inodes, mnt and net included).
    for k in ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"] {
        assert_eq!(ns(&r, k), Some(true), "{k}");
    }
    // The image's /.dockerenv does not make this a docker container.
    assert_eq!(r.runtime.name, None);
    assert_eq!(r.runtime.confidence, "none");
    assert!(
        r.runtime
            .evidence
            .iter()
            .any(|e| e.contains("marker file was probably left by the image")),
        "{:?}",
        r.runtime.evidence
    );
    // Hybrid v1: the memory hierarchy's path, no limit anywhere.
    assert_eq!(r.cgroups.version, "hybrid");
    assert!(!r.cgroups.any_limit);
    assert_eq!(r.cgroups.limits.memory_max_bytes, None);
    assert!(ids(&r).contains(&"no-cgroup-limits"));
    assert!(ids(&r).contains(&"privileged"));
    // In the host's PID namespace every listed process is a host process.
    assert!(r.exposure.host_processes_visible);
    assert!(!ids(&r).contains(&"host-processes-visible"));
}

#[test]
fn stale_dockerenv_on_a_host_is_not_a_container() {
    // Linux 6.1: mnt and net are decided against PID 1 (the host's init).
    let r = audit("stale-dockerenv", false);
    assert_eq!(ns(&r, "mnt"), Some(true));
    assert_eq!(ns(&r, "pid"), Some(true));
    assert_eq!(r.runtime.name, None);
    assert_eq!(r.runtime.confidence, "none");
    assert_eq!(r.runtime.container_id, None);
    assert_eq!(r.runtime.evidence.len(), 2, "{:?}", r.runtime.evidence);
    assert_eq!(r.runtime.evidence[0], "docker: /.dockerenv exists");
    assert!(r.runtime.evidence[1].contains("initial mnt and pid namespaces"));
    assert!(r.runtime.evidence[1].contains("left by the image"));
    assert!(!r.runtime.vm.detected);
    assert!(!r.summary.contains("docker"), "{}", r.summary);
}

/// Issue 20: the advice ("fix:") says what to do, never the title again: on every recorded
/// machine, with probes, no finding's advice starts with its message's subject (the text before
/// the first colon) or contains its message.
#[test]
fn advice_does_not_repeat_the_title() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if !p.is_dir() {
            continue;
        }
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let r = audit(&name, true);
        for f in &r.findings {
            seen += 1;
            let subject = f.message.split(':').next().unwrap().trim();
            assert!(
                !f.advice.starts_with(subject) && !f.advice.contains(&f.message),
                "{name} {}: advice {:?} repeats the title {:?}",
                f.id,
                f.advice,
                f.message
            );
        }
    }
    assert!(seen > 20, "only {seen} findings across the fixtures");
}
