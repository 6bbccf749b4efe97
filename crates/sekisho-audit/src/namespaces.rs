//! Namespaces: is each one the host's?
//!
//! The kernel gives the initial namespaces fixed nsfs inode numbers (include/uapi/linux/nsfs.h
//! `enum init_ns_ino`, include/linux/proc_ns.h `PROC_*_INIT_INO`): IPC 0xEFFFFFFF, UTS
//! 0xEFFFFFFE, user 0xEFFFFFFD, PID 0xEFFFFFFC, cgroup 0xEFFFFFFB, time 0xEFFFFFFA, and since
//! Linux 6.18 also net 0xEFFFFFF9 and mnt 0xEFFFFFF8. Before 6.18 the initial net and mount
//! namespaces got ordinary inode numbers, so for those we compare with `/proc/1/ns/*` when PID 1
//! is the host's init (our PID namespace is the initial one) and the link is readable.

use crate::host::Host;
use crate::model::{Namespace, UserNamespace};
use crate::parse::{idmap, nsfs};

/// The namespace types in report order.
pub const TYPES: [&str; 8] = ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"];

/// The fixed inode of the initial namespace of `kind` (net and mnt only from Linux 6.18 on).
pub fn initial_inode(kind: &str, kernel: Option<(u32, u32)>) -> Option<u64> {
    let fixed_net_mnt = kernel.is_some_and(|k| k >= (6, 18));
    match kind {
        "ipc" => Some(0xEFFF_FFFF),
        "uts" => Some(0xEFFF_FFFE),
        "user" => Some(0xEFFF_FFFD),
        "pid" => Some(0xEFFF_FFFC),
        "cgroup" => Some(0xEFFF_FFFB),
        "time" => Some(0xEFFF_FFFA),
        "net" if fixed_net_mnt => Some(0xEFFF_FFF9),
        "mnt" if fixed_net_mnt => Some(0xEFFF_FFF8),
        _ => None,
    }
}

/// `6.18.44-fc` → (6, 18).
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The nsfs inode of `/proc/<dir>/ns/<kind>`.
pub fn ns_inode(host: &dyn Host, proc_dir: &str, kind: &str) -> Option<u64> {
    let t = host.read_link(&format!("{proc_dir}/ns/{kind}")).ok()?;
    nsfs::parse_link(&t).map(|(_, i)| i)
}

/// Decide for one namespace. `pid1` is PID 1's inode for `kind` when usable as the host
/// reference.
pub fn judge(
    kind: &str,
    inode: Option<u64>,
    kernel: Option<(u32, u32)>,
    pid1: Option<u64>,
) -> Namespace {
    let Some(ino) = inode else {
        return Namespace {
            kind: kind.into(),
            inode: None,
            shared_with_host: None,
            evidence: format!("/proc/<pid>/ns/{kind} not readable (or the kernel lacks it)"),
        };
    };
    // Any of the fixed numbers (0xEFFFFFF8..=0xEFFFFFFF) for this type is the initial one.
    let fixed = initial_inode(kind, Some((6, 18)));
    let (shared, evidence) = if fixed == Some(ino) {
        (
            Some(true),
            format!("inode {ino} is the initial {kind} namespace's fixed number"),
        )
    } else if let Some(init) = initial_inode(kind, kernel) {
        (
            Some(false),
            format!("inode {ino} differs from the initial namespace's {init}"),
        )
    } else if let Some(p1) = pid1 {
        (
            Some(p1 == ino),
            if p1 == ino {
                format!("inode {ino} equals /proc/1/ns/{kind}")
            } else {
                format!("inode {ino} differs from /proc/1/ns/{kind} ({p1})")
            },
        )
    } else {
        (
            None,
            format!(
                "inode {ino}; this kernel has no fixed initial {kind} inode and /proc/1/ns/{kind} is not usable"
            ),
        )
    };
    Namespace {
        kind: kind.into(),
        inode: Some(ino),
        shared_with_host: shared,
        evidence,
    }
}

/// All namespaces of the process at `proc_dir` (`/proc/self`, `/proc/1234`).
pub fn namespaces(host: &dyn Host, proc_dir: &str, kernel: Option<(u32, u32)>) -> Vec<Namespace> {
    // PID 1 is the host's init only when our PID namespace is the initial one.
    let own_pid_ns = ns_inode(host, proc_dir, "pid");
    let pid1_is_host_init = own_pid_ns == Some(0xEFFF_FFFC);
    TYPES
        .iter()
        .filter_map(|k| {
            let ino = ns_inode(host, proc_dir, k);
            if ino.is_none() && *k == "time" && !host.exists(&format!("{proc_dir}/ns/time")) {
                return None; // kernel before 5.6
            }
            let pid1 = if pid1_is_host_init {
                ns_inode(host, "/proc/1", k)
            } else {
                None
            };
            Some(judge(k, ino, kernel, pid1))
        })
        .collect()
}

fn coverage(map: &[idmap::IdRange]) -> String {
    match idmap::covered(map) {
        0 => "none".into(),
        1 => "single".into(),
        n if n >= u64::from(u32::MAX) => "full".into(),
        _ => "partial".into(),
    }
}

/// The user namespace's ID maps.
pub fn user_namespace(host: &dyn Host, proc_dir: &str) -> UserNamespace {
    let read = |f: &str| {
        host.read_text(&format!("{proc_dir}/{f}"))
            .ok()
            .map(|t| idmap::parse(&t))
    };
    let uid = read("uid_map");
    let gid = read("gid_map");
    let uid_map = uid.clone().unwrap_or_default();
    let gid_map = gid.unwrap_or_default();
    UserNamespace {
        initial: uid.as_ref().map(|m| idmap::is_identity_full(m)),
        root_mapped: idmap::root_maps_to(&uid_map).is_some(),
        root_maps_to: idmap::root_maps_to(&uid_map),
        uid_coverage: coverage(&uid_map),
        gid_coverage: coverage(&gid_map),
        uid_map,
        gid_map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judging() {
        let n = judge("pid", Some(0xEFFF_FFFC), Some((5, 10)), None);
        assert_eq!(n.shared_with_host, Some(true));
        let n = judge("pid", Some(4026532201), Some((5, 10)), None);
        assert_eq!(n.shared_with_host, Some(false));
        let n = judge("mnt", Some(4026531840), Some((5, 10)), None);
        assert_eq!(n.shared_with_host, None);
        let n = judge("mnt", Some(4026531840), Some((5, 10)), Some(4026531840));
        assert_eq!(n.shared_with_host, Some(true));
        let n = judge("mnt", Some(4026532300), Some((6, 18)), None);
        assert_eq!(n.shared_with_host, Some(false));
        assert_eq!(kernel_version("6.18.44-fc-v657"), Some((6, 18)));
        assert_eq!(kernel_version("4.4.0"), Some((4, 4)));
    }
}
