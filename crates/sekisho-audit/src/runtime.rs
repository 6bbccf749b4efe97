//! Which runtime (or sandbox kernel, or VM) is around the workload, with evidence.
//!
//! Container IDs come from cgroup path shapes the runtimes document or hard-code:
//! docker (`/docker/<id>`, `docker-<id>.scope`), containerd's CRI plugin under kubelet
//! (`/kubepods/<qos>/pod<uid>/<id>`, `kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope`),
//! CRI-O (`crio-<id>.scope`, `/kubepods/.../crio-<id>`), podman (`libpod-<id>.scope`,
//! `/libpod_parent/libpod-<id>`), LXC (`/lxc/<name>`, `/lxc.payload.<name>`) and
//! systemd-nspawn (`/machine.slice/machine-<name>.scope`).

use serde::Serialize;

use crate::host::Host;
use crate::model::{Runtime, Vm};
use crate::parse::mountinfo::Mount;

/// What a cgroup path says about the container around a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRef {
    pub runtime: &'static str,
    pub id: String,
    pub pod_uid: Option<String>,
    /// Kubernetes QoS class: `guaranteed`, `burstable`, `besteffort`.
    pub qos: Option<String>,
}

fn is_hex_id(s: &str) -> bool {
    s.len() >= 12 && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Undo systemd unit-name escaping (`\x2d` → `-`).
fn unescape_unit(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 4);
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            None => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Match a cgroup path against the known runtime patterns.
pub fn container_from_cgroup(path: &str) -> Option<ContainerRef> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // Kubernetes pod and QoS, whichever the cgroup driver.
    let mut pod_uid = None;
    let mut qos = None;
    let mut in_kube = false;
    for s in &segs {
        let s = s.trim_end_matches(".slice");
        if s == "kubepods" {
            in_kube = true;
            qos.get_or_insert_with(|| "guaranteed".to_string());
        }
        if let Some(rest) = s.strip_prefix("kubepods-") {
            in_kube = true;
            // kubepods-burstable, kubepods-burstable-pod<uid>, kubepods-pod<uid>
            let mut parts = rest.splitn(2, '-');
            let first = parts.next().unwrap_or("");
            if first == "besteffort" || first == "burstable" {
                qos = Some(first.to_string());
            } else {
                qos.get_or_insert_with(|| "guaranteed".to_string());
            }
            if let Some(p) = rest.rsplit('-').next().and_then(|p| p.strip_prefix("pod")) {
                pod_uid = Some(p.replace('_', "-"));
            }
        }
        if (s == "besteffort" || s == "burstable") && in_kube {
            qos = Some(s.to_string());
        }
        if let Some(p) = s.strip_prefix("pod") {
            if in_kube && p.len() >= 32 {
                pod_uid = Some(p.replace('_', "-"));
            }
        }
    }
    let last = *segs.last()?;
    let scope = last.trim_end_matches(".scope");
    let mk = |runtime: &'static str, id: &str| ContainerRef {
        runtime,
        id: id.to_string(),
        pod_uid: pod_uid.clone(),
        qos: qos.clone(),
    };
    for (prefix, rt) in [
        ("docker-", "docker"),
        ("cri-containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ] {
        if let Some(id) = scope.strip_prefix(prefix) {
            if is_hex_id(id) {
                let rt = if rt == "containerd" && in_kube {
                    "kubernetes"
                } else {
                    rt
                };
                return Some(mk(rt, id));
            }
        }
    }
    if let Some(name) = scope.strip_prefix("machine-") {
        let name = unescape_unit(name);
        if !name.starts_with("qemu-") {
            return Some(mk("systemd-nspawn", &name));
        }
    }
    if let Some(name) = last.strip_prefix("lxc.payload.") {
        return Some(mk("lxc", name));
    }
    for (i, s) in segs.iter().enumerate() {
        let next = segs.get(i + 1).copied();
        match (*s, next) {
            ("docker", Some(id)) if is_hex_id(id) => return Some(mk("docker", id)),
            ("lxc", Some(name)) if !name.is_empty() => return Some(mk("lxc", name)),
            ("libpod_parent", Some(n)) => {
                if let Some(id) = n.strip_prefix("libpod-").filter(|i| is_hex_id(i)) {
                    return Some(mk("podman", id));
                }
            }
            _ => {}
        }
    }
    if let Some(lxc) = segs.iter().find_map(|s| s.strip_prefix("lxc.payload.")) {
        return Some(mk("lxc", lxc));
    }
    if in_kube && is_hex_id(last) {
        return Some(mk("kubernetes", last));
    }
    if in_kube {
        if let Some(id) = last.strip_prefix("crio-").filter(|i| is_hex_id(i)) {
            return Some(mk("cri-o", id));
        }
    }
    None
}

/// A hypervisor from its CPUID vendor signature.
pub fn hypervisor_from_vendor(v: &str) -> &'static str {
    match v.trim_matches(char::from(0)).trim() {
        "KVMKVMKVM" => "kvm",
        "Microsoft Hv" => "hyperv",
        "VMwareVMware" => "vmware",
        "XenVMMXenVMM" => "xen",
        "TCGTCGTCGTCG" => "qemu-tcg",
        "bhyve bhyve" => "bhyve",
        "ACRNACRNACRN" => "acrn",
        "QNXQVMBSQG" => "qnx",
        "VBoxVBoxVBox" => "virtualbox",
        "lrpepyh  vr" | "lrpepyh vr" => "parallels",
        _ => "unknown",
    }
}

struct Score {
    name: &'static str,
    weight: u32,
    evidence: String,
}

/// Detect runtime, sandbox kernel and VM. `own` is true when auditing the calling process (its
/// environment is then consulted; another process's environment is never read).
pub fn detect(
    host: &dyn Host,
    proc_dir: &str,
    own: bool,
    mounts: &[Mount],
    cgroup_paths: &[String],
) -> Runtime {
    let mut scores: Vec<Score> = Vec::new();
    let mut add = |name: &'static str, weight: u32, evidence: String| {
        scores.push(Score {
            name,
            weight,
            evidence,
        })
    };
    let mut container_id = None;

    for p in cgroup_paths {
        if let Some(c) = container_from_cgroup(p) {
            add(c.runtime, 3, format!("cgroup path {p}"));
            container_id.get_or_insert(c.id.clone());
            if c.pod_uid.is_some() && c.runtime != "kubernetes" {
                add("kubernetes", 2, format!("pod cgroup in {p}"));
            }
        }
    }
    if host.exists("/.dockerenv") {
        add("docker", 3, "/.dockerenv exists".into());
    }
    if let Ok(t) = host.read_text("/run/.containerenv") {
        let engine = t
            .lines()
            .find_map(|l| l.strip_prefix("engine=\""))
            .map(|e| e.trim_end_matches('"').to_string());
        let is_crio = engine.as_deref().is_some_and(|e| e.contains("cri-o"));
        add(
            if is_crio { "cri-o" } else { "podman" },
            3,
            format!(
                "/run/.containerenv exists (engine {})",
                engine.as_deref().unwrap_or("?")
            ),
        );
        if let Some(id) = t.lines().find_map(|l| l.strip_prefix("id=\"")) {
            container_id.get_or_insert(id.trim_end_matches('"').to_string());
        }
    }
    if let Ok(t) = host.read_text("/run/host/container-manager") {
        let m = t.trim().to_string();
        if m == "systemd-nspawn" {
            add(
                "systemd-nspawn",
                3,
                "/run/host/container-manager says systemd-nspawn".into(),
            );
        } else if m.starts_with("podman") {
            add("podman", 3, format!("/run/host/container-manager says {m}"));
        }
    }
    if own {
        match host.own_env("container").as_deref() {
            Some("podman") => add("podman", 2, "environment container=podman".into()),
            Some("lxc") => add("lxc", 2, "environment container=lxc".into()),
            Some("systemd-nspawn") => add(
                "systemd-nspawn",
                2,
                "environment container=systemd-nspawn".into(),
            ),
            Some("docker") => add("docker", 2, "environment container=docker".into()),
            Some("oci") => add("runc", 1, "environment container=oci".into()),
            _ => {}
        }
        if host.own_env("KUBERNETES_SERVICE_HOST").is_some() {
            add(
                "kubernetes",
                2,
                "environment KUBERNETES_SERVICE_HOST is set".into(),
            );
        }
    }
    for m in mounts {
        if m.mount_point.starts_with("/var/run/secrets/kubernetes.io")
            || m.mount_point.starts_with("/run/secrets/kubernetes.io")
        {
            add(
                "kubernetes",
                3,
                format!("service-account mount at {}", m.mount_point),
            );
        }
        if matches!(
            m.mount_point.as_str(),
            "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf"
        ) {
            let r = &m.root;
            if let Some(rest) = r
                .split("/containers/")
                .nth(1)
                .filter(|_| r.contains("/docker/containers/"))
            {
                add("docker", 3, format!("{} comes from {r}", m.mount_point));
                if let Some(id) = rest.split('/').next().filter(|i| is_hex_id(i)) {
                    container_id.get_or_insert(id.to_string());
                }
            } else if r.contains("/containers/storage/overlay-containers/") {
                add(
                    "podman",
                    1,
                    format!("{} comes from {r} (podman or CRI-O storage)", m.mount_point),
                );
                if let Some(id) = r
                    .split("/overlay-containers/")
                    .nth(1)
                    .and_then(|x| x.split('/').next())
                    .filter(|i| is_hex_id(i))
                {
                    container_id.get_or_insert(id.to_string());
                }
            } else if r.contains("/kubelet/pods/") {
                add("kubernetes", 3, format!("{} comes from {r}", m.mount_point));
            } else if r.contains("/lxc/") || r.contains("/lxd/") {
                add("lxc", 1, format!("{} comes from {r}", m.mount_point));
            }
        }
        if m.fstype == "fuse.lxcfs" || m.source == "lxcfs" {
            add("lxc", 1, format!("lxcfs mounted at {}", m.mount_point));
        }
    }
    let _ = proc_dir;

    // gVisor: a user-space kernel with a fixed fake uname and a distinctive kernel log.
    let mut sandbox_kernel = None;
    let mut sandbox_evidence = Vec::new();
    if let Some(u) = host.uname() {
        if u.version.contains("Sun Jan 10 15:06:54 PST 2016") || u.release.contains("gvisor") {
            sandbox_evidence.push(format!("uname {} {} is gVisor's", u.release, u.version));
        }
    }
    if let Some(log) = host.kernel_log_head() {
        if log.contains("Starting gVisor") {
            sandbox_evidence.push("kernel log starts with \"Starting gVisor...\"".into());
        }
    }
    if let Ok(v) = host.read_text("/proc/version") {
        if v.contains("gvisor") {
            sandbox_evidence.push("/proc/version mentions gvisor".into());
        }
    }
    if !sandbox_evidence.is_empty() {
        sandbox_kernel = Some("gvisor".to_string());
    }

    let vm = detect_vm(host, mounts);

    // Pick the runtime with the most weight.
    let mut totals: Vec<(&'static str, u32)> = Vec::new();
    for s in &scores {
        match totals.iter_mut().find(|(n, _)| *n == s.name) {
            Some(t) => t.1 += s.weight,
            None => totals.push((s.name, s.weight)),
        }
    }
    // Kubernetes is an orchestrator over containerd or CRI-O; report it when pods are seen.
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let (name, conf) = match totals.first() {
        Some((n, w)) => (
            Some((*n).to_string()),
            if *w >= 3 {
                "high"
            } else if *w == 2 {
                "medium"
            } else {
                "low"
            },
        ),
        None => (None, "none"),
    };
    let mut evidence: Vec<String> = scores
        .iter()
        .map(|s| format!("{}: {}", s.name, s.evidence))
        .collect();
    evidence.extend(sandbox_evidence.iter().map(|e| format!("gvisor: {e}")));
    Runtime {
        name,
        confidence: conf.into(),
        container_id,
        evidence,
        sandbox_kernel,
        vm,
    }
}

/// Marker files (`/.dockerenv`, `/run/.containerenv`) are plain files in the root filesystem: a
/// machine built from a container export keeps them forever. When they are the only evidence and
/// the process shares the host's initial mount and PID namespaces, it is not in a container of
/// that runtime: keep the evidence, say why it does not count, and report no runtime.
pub fn discount_stale_markers(rt: &mut Runtime, host_mnt_and_pid: bool) {
    if !host_mnt_and_pid || rt.name.is_none() {
        return;
    }
    let only_markers = !rt.evidence.is_empty()
        && rt
            .evidence
            .iter()
            .all(|e| e.contains("/.dockerenv exists") || e.contains("/run/.containerenv exists"));
    if only_markers {
        rt.name = None;
        rt.confidence = "none".into();
        rt.evidence.push(
            "but the process is in the host's initial mnt and pid namespaces: the marker file \
             was probably left by the image this system was built from"
                .into(),
        );
    }
}

fn acpi_oem(host: &dyn Host) -> Option<String> {
    for t in [
        "/sys/firmware/acpi/tables/DSDT",
        "/sys/firmware/acpi/tables/FACP",
    ] {
        if let Ok(b) = host.read(t, 36) {
            if b.len() >= 24 {
                let oem = String::from_utf8_lossy(&b[10..16]).trim().to_string();
                let table = String::from_utf8_lossy(&b[16..24]).trim().to_string();
                return Some(format!("{oem} {table}"));
            }
        }
    }
    None
}

/// VM, microVM and Kata detection.
pub fn detect_vm(host: &dyn Host, mounts: &[Mount]) -> Vm {
    let mut vm = Vm::default();
    if let Some(c) = host.cpuid() {
        if c.hypervisor_bit {
            vm.detected = true;
            let name = c
                .vendor
                .as_deref()
                .map(hypervisor_from_vendor)
                .unwrap_or("unknown");
            vm.hypervisor = Some(name.to_string());
            vm.evidence.push(format!(
                "CPUID hypervisor bit set, vendor {:?}",
                c.vendor.as_deref().unwrap_or("")
            ));
        }
    }
    let dmi = |f: &str| {
        host.read_text(&format!("/sys/class/dmi/id/{f}"))
            .ok()
            .map(|s| s.trim().to_string())
    };
    let vendor = dmi("sys_vendor").unwrap_or_default();
    let product = dmi("product_name").unwrap_or_default();
    let dmi_vm = [
        ("QEMU", "qemu"),
        ("Amazon EC2", "kvm"),
        ("Google", "kvm"),
        ("VMware", "vmware"),
        ("innotek", "virtualbox"),
        ("Xen", "xen"),
        ("Cloud Hypervisor", "kvm"),
        ("Microsoft Corporation", "hyperv"),
    ];
    if let Some((_, hv)) = dmi_vm
        .iter()
        .find(|(k, _)| vendor.contains(k) || product.contains(k))
    {
        if !vendor.contains("Microsoft") || product.contains("Virtual") {
            vm.detected = true;
            vm.hypervisor.get_or_insert((*hv).to_string());
            vm.evidence
                .push(format!("DMI sys_vendor {vendor:?}, product {product:?}"));
            if vendor.contains("Cloud Hypervisor") {
                vm.flavour = Some("cloud-hypervisor".into());
            }
        }
    }
    if let Ok(t) = host.read_text("/sys/hypervisor/type") {
        let t = t.trim().to_string();
        if !t.is_empty() {
            vm.detected = true;
            vm.hypervisor.get_or_insert(t.clone());
            vm.evidence.push(format!("/sys/hypervisor/type is {t}"));
        }
    }
    let virtio = host
        .list_dir("/sys/bus/virtio/devices")
        .map(|d| d.len())
        .unwrap_or(0);
    if virtio > 0 {
        vm.evidence.push(format!(
            "{virtio} virtio devices in /sys/bus/virtio/devices"
        ));
        vm.detected = true;
    }
    if let Some(oem) = acpi_oem(host) {
        if oem.starts_with("FIRECK") {
            vm.flavour = Some("firecracker".into());
            vm.evidence.push(format!("ACPI OEM ID {oem} (Firecracker)"));
            vm.detected = true;
        } else if oem.starts_with("CLOUDH") {
            vm.flavour = Some("cloud-hypervisor".into());
            vm.evidence
                .push(format!("ACPI OEM ID {oem} (Cloud Hypervisor)"));
            vm.detected = true;
        } else if oem.starts_with("BOCHS") {
            vm.evidence.push(format!("ACPI OEM ID {oem} (QEMU)"));
            vm.detected = true;
        }
    }
    if let Ok(cmd) = host.read_text("/proc/cmdline") {
        if cmd.contains("virtio_mmio.device=") {
            vm.evidence.push(
                "kernel command line declares virtio-mmio devices (Firecracker style)".into(),
            );
            vm.detected = true;
            if vendor.is_empty() && vm.flavour.is_none() {
                vm.flavour = Some("firecracker".into());
            }
        }
    }
    let kata = mounts
        .iter()
        .find(|m| m.source == "kataShared" && (m.fstype == "virtiofs" || m.fstype == "9p"));
    if let Some(k) = kata {
        vm.flavour = Some("kata".into());
        vm.detected = true;
        vm.evidence.push(format!(
            "{} mount of kataShared at {}",
            k.fstype, k.mount_point
        ));
    } else if let Some(k) = mounts.iter().find(|m| {
        m.root.starts_with("/run/kata-containers/") || m.source.starts_with("/run/kata-containers/")
    }) {
        vm.flavour = Some("kata".into());
        vm.detected = true;
        vm.evidence
            .push(format!("mount from {} (Kata shared directory)", k.root));
    }
    vm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker_only() -> Runtime {
        Runtime {
            name: Some("docker".into()),
            confidence: "high".into(),
            container_id: None,
            evidence: vec!["docker: /.dockerenv exists".into()],
            sandbox_kernel: None,
            vm: Vm::default(),
        }
    }

    #[test]
    fn stale_marker_files_on_a_host_do_not_make_a_container() {
        // In the host's namespaces: the marker is a leftover, not a container.
        let mut rt = marker_only();
        discount_stale_markers(&mut rt, true);
        assert_eq!((rt.name.as_deref(), rt.confidence.as_str()), (None, "none"));
        assert_eq!(rt.evidence.len(), 2);
        assert!(rt.evidence[1].contains("initial mnt and pid namespaces"));
        // In private namespaces the marker stands.
        let mut rt = marker_only();
        discount_stale_markers(&mut rt, false);
        assert_eq!(rt.name.as_deref(), Some("docker"));
        assert_eq!(rt.confidence, "high");
        // With other evidence (a docker cgroup path) it stands too.
        let mut rt = marker_only();
        rt.evidence.push("docker: cgroup path /docker/abc".into());
        discount_stale_markers(&mut rt, true);
        assert_eq!(rt.name.as_deref(), Some("docker"));
    }

    const ID: &str = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff";

    #[test]
    fn patterns() {
        let c = container_from_cgroup(&format!("/docker/{ID}")).unwrap();
        assert_eq!((c.runtime, c.id.as_str()), ("docker", ID));
        let c = container_from_cgroup(&format!("/system.slice/docker-{ID}.scope")).unwrap();
        assert_eq!(c.runtime, "docker");
        let c = container_from_cgroup(&format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f60718.slice/cri-containerd-{ID}.scope"
        ))
        .unwrap();
        assert_eq!(c.runtime, "kubernetes");
        assert_eq!(c.qos.as_deref(), Some("burstable"));
        assert_eq!(
            c.pod_uid.as_deref(),
            Some("1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718")
        );
        let c = container_from_cgroup(&format!(
            "/kubepods/besteffort/pod1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718/{ID}"
        ))
        .unwrap();
        assert_eq!(
            (c.runtime, c.qos.as_deref()),
            ("kubernetes", Some("besteffort"))
        );
        let c = container_from_cgroup(&format!(
            "/kubepods/pod1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718/{ID}"
        ))
        .unwrap();
        assert_eq!(c.qos.as_deref(), Some("guaranteed"));
        let c = container_from_cgroup(&format!(
            "/kubepods.slice/kubepods-pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f60718.slice/crio-{ID}.scope"
        ))
        .unwrap();
        assert_eq!((c.runtime, c.qos.as_deref()), ("cri-o", Some("guaranteed")));
        let c = container_from_cgroup(&format!(
            "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"
        ))
        .unwrap();
        assert_eq!(c.runtime, "podman");
        assert!(
            container_from_cgroup(&format!("/machine.slice/libpod-conmon-{ID}.scope")).is_none()
        );
        let c = container_from_cgroup("/lxc.payload.web1").unwrap();
        assert_eq!((c.runtime, c.id.as_str()), ("lxc", "web1"));
        let c = container_from_cgroup("/lxc/web2").unwrap();
        assert_eq!(c.id, "web2");
        let c = container_from_cgroup("/machine.slice/machine-debian\\x2dtest.scope").unwrap();
        assert_eq!(
            (c.runtime, c.id.as_str()),
            ("systemd-nspawn", "debian-test")
        );
        assert!(container_from_cgroup("/machine.slice/machine-qemu\\x2d1\\x2dvm.scope").is_none());
        assert!(container_from_cgroup("/user.slice/user-1000.slice/session-2.scope").is_none());
        assert!(container_from_cgroup("/").is_none());
    }
}
