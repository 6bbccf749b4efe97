//! The report: plain data, serialised as the JSON documented in `docs/isolation.md`
//! (`{"schema_version": 1, "kind": "isolation", ...}`), and the host facts it is built from
//! (`uname`, CPUID). The checks and the host readers depend on this module; it depends on
//! neither (a finding meets its rule's text in [`crate::checks`]).

use serde::Serialize;

use crate::parse::idmap::IdRange;
use crate::probe::ProbeClass;

pub const SCHEMA_VERSION: u32 = 1;

/// The inside view of one process.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub kind: &'static str,
    pub view: &'static str,
    pub target: TargetInfo,
    pub kernel: KernelInfo,
    pub namespaces: Vec<Namespace>,
    pub user_namespace: UserNamespace,
    pub cgroups: Cgroups,
    pub seccomp: Seccomp,
    pub capabilities: Capabilities,
    pub lsm: Lsm,
    pub exposure: Exposure,
    /// `null` with `--no-probe`.
    pub probes: Option<Vec<ProbeResult>>,
    pub runtime: Runtime,
    pub walls: Vec<Wall>,
    pub findings: Vec<Finding>,
    pub grade: String,
    pub summary: String,
    pub notes: Vec<String>,
    /// Known escapes through this kernel (see `docs/kernel.md`).
    pub known_escapes: Option<sekisho_kernel::Section>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    /// The PID as given (`--pid`), or this process's own PID.
    pub pid: u32,
    /// True when auditing the calling process itself.
    pub own: bool,
    pub name: Option<String>,
    pub uid: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KernelInfo {
    pub release: Option<String>,
    pub version: Option<String>,
    pub machine: Option<String>,
}

// What the host says about itself (read through `host::Host`, made by `sys` on a real host).

/// `uname(2)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Uname {
    pub sysname: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

/// What CPUID says about a hypervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cpuid {
    /// Leaf 1, ECX bit 31: "reserved for use by hypervisors to indicate guest status".
    pub hypervisor_bit: bool,
    /// Leaf 0x4000_0000, EBX/ECX/EDX: the hypervisor's 12-byte vendor signature.
    pub vendor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    /// `mnt`, `pid`, `net`, `ipc`, `uts`, `user`, `cgroup`, `time`.
    #[serde(rename = "type")]
    pub kind: String,
    pub inode: Option<u64>,
    /// True: the host's (initial) namespace. False: a private one. Null: could not tell.
    pub shared_with_host: Option<bool>,
    pub evidence: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UserNamespace {
    /// True when this is the initial user namespace (identity map `0 0 4294967295`).
    pub initial: Option<bool>,
    pub uid_map: Vec<IdRange>,
    pub gid_map: Vec<IdRange>,
    /// Whether UID 0 inside is mapped.
    pub root_mapped: bool,
    /// The outside UID that UID 0 maps to.
    pub root_maps_to: Option<u32>,
    /// `full` (all 2^32-1 IDs), `partial` (a range), `single` (one ID), `none`.
    pub uid_coverage: String,
    pub gid_coverage: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Cgroups {
    /// `v1`, `v2`, `hybrid` or `unknown`.
    pub version: String,
    /// The unified (v2) path, else the memory controller's path.
    pub path: Option<String>,
    pub hierarchies: Vec<CgroupHierarchy>,
    pub limits: CgroupLimits,
    pub any_limit: bool,
    /// The cgroup directories the limits were read from.
    pub read_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CgroupHierarchy {
    pub id: u32,
    pub controllers: Vec<String>,
    pub path: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CgroupLimits {
    pub memory_max_bytes: Option<u64>,
    pub pids_max: Option<u64>,
    pub cpu_quota_us: Option<u64>,
    pub cpu_period_us: Option<u64>,
    /// `quota / period`, the number of CPUs the workload may use.
    pub cpus: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Seccomp {
    /// 0 disabled, 1 strict, 2 filter.
    pub mode: Option<u8>,
    pub mode_name: String,
    pub filters: Option<u32>,
    pub no_new_privs: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CapSet {
    pub hex: String,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    pub effective: CapSet,
    pub permitted: CapSet,
    pub inheritable: CapSet,
    pub bounding: CapSet,
    pub ambient: CapSet,
    /// Dangerous capabilities in the effective or permitted set.
    pub dangerous: Vec<String>,
    /// Every capability the kernel knows (`cap_last_cap`) is effective.
    pub privileged: bool,
    /// `initial-user-namespace` (capabilities act on the host) or `user-namespace`
    /// (they act only on resources the user namespace owns).
    pub scope: String,
    pub last_cap: u8,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AppArmor {
    pub profile: String,
    /// `enforce`, `complain`, `kill`, `unconfined`.
    pub mode: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SeLinux {
    pub context: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `enforcing`, `permissive`, or null when `/sys/fs/selinux/enforce` is not readable.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Lsm {
    /// From `/sys/kernel/security/lsm` when readable.
    pub active: Vec<String>,
    pub apparmor: Option<AppArmor>,
    pub selinux: Option<SeLinux>,
    /// The process is confined by a mandatory access control policy.
    pub confined: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuntimeSocket {
    pub path: String,
    pub runtime: String,
    /// A socket that this process may connect to (write permission).
    pub reachable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostMount {
    pub mount_point: String,
    /// The path on the source filesystem.
    pub host_path: String,
    pub source: String,
    pub fstype: String,
    pub writable: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sysctls {
    pub unprivileged_userns_clone: Option<String>,
    pub max_user_namespaces: Option<String>,
    pub unprivileged_bpf_disabled: Option<String>,
    pub ptrace_scope: Option<String>,
    pub kptr_restrict: Option<String>,
    pub dmesg_restrict: Option<String>,
    pub perf_event_paranoid: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Exposure {
    pub runtime_sockets: Vec<RuntimeSocket>,
    pub host_mounts: Vec<HostMount>,
    pub proc_sys_writable: bool,
    pub sys_writable: bool,
    pub sysrq_trigger_writable: bool,
    pub kcore_readable: bool,
    pub block_devices: Vec<String>,
    pub visible_processes: usize,
    /// Visible processes in the workload's own PID namespace.
    pub own_namespace_processes: usize,
    pub host_processes_visible: bool,
    pub release_agent_writable: Vec<String>,
    pub sysctls: Sysctls,
    pub runtime_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    pub syscall: &'static str,
    pub result: ProbeClass,
    /// The errno of the real attempt (`EPERM`), or null when it succeeded.
    pub errno: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Vm {
    pub detected: bool,
    /// `kvm`, `xen`, `hyperv`, `vmware`, `qemu`, ...
    pub hypervisor: Option<String>,
    /// `firecracker`, `cloud-hypervisor`, `kata`.
    pub flavour: Option<String>,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Runtime {
    /// `docker`, `kubernetes`, `containerd`, `cri-o`, `podman`, `lxc`, `systemd-nspawn`,
    /// `runc`, or null.
    pub name: Option<String>,
    /// `high`, `medium`, `low`, or `none`.
    pub confidence: String,
    pub container_id: Option<String>,
    pub evidence: Vec<String>,
    /// `gvisor` when a user-space kernel answers the syscalls.
    pub sandbox_kernel: Option<String>,
    pub vm: Vm,
}

/// The shared severity scale (`sekisho-finding`); the audit's JSON writes it in lower case.
pub use sekisho_finding::Severity;

fn lower<S: serde::Serializer>(s: &Severity, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_lower())
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable kebab-case check ID (see `sekisho isolation --help`).
    pub id: String,
    pub wall: &'static str,
    #[serde(serialize_with = "lower")]
    pub severity: Severity,
    pub message: String,
    pub advice: String,
    /// The `sekisho config` checks that flag the setting behind this finding
    /// ([`crate::citations`]); empty when no configuration file decides it.
    pub caught_by: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WallStatus {
    Present,
    Weakened,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Wall {
    pub wall: &'static str,
    pub status: WallStatus,
    pub evidence: Vec<String>,
    /// For a weakened or missing wall: the `sekisho config` checks that would have caught
    /// its findings in the workload's configuration (empty for a present wall).
    pub caught_by: Vec<&'static str>,
}
