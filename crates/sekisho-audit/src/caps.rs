//! Linux capability numbers and names (`capabilities(7)`, include/uapi/linux/capability.h), and
//! which ones let a workload reach past its walls.

/// Capability names by number, 0..=40 (CAP_CHECKPOINT_RESTORE, Linux 5.9).
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The name of capability `n` (`CAP_63` style for numbers this table does not know).
pub fn name(n: u8) -> &'static str {
    NAMES.get(usize::from(n)).copied().unwrap_or("CAP_UNKNOWN")
}

/// Decode a mask into names, lowest bit first.
pub fn decode(mask: u64) -> Vec<String> {
    (0u8..64)
        .filter(|b| mask & (1u64 << b) != 0)
        .map(|b| match NAMES.get(usize::from(b)) {
            Some(n) => (*n).to_string(),
            None => format!("CAP_{b}"),
        })
        .collect()
}

/// Capabilities that let a workload cross its walls, with the check severity and the reason.
/// Severity: "critical" breaks isolation on its own; "high" is a known escape ingredient.
pub const DANGEROUS: &[(u8, &str, &str)] = &[
    (
        21,
        "critical",
        "mount filesystems, load BPF, use most namespace and device operations",
    ),
    (16, "critical", "load kernel modules"),
    (17, "critical", "raw I/O to devices and /dev/mem"),
    (
        2,
        "high",
        "open any file by handle, escaping the mount namespace (\"shocker\")",
    ),
    (19, "high", "trace and inject into any process it can see"),
    (12, "high", "reconfigure networking, firewall and routing"),
    (39, "high", "load BPF programs into the kernel"),
    (38, "high", "observe the whole system with perf"),
    (22, "high", "reboot or kexec a new kernel"),
    (33, "high", "reconfigure the LSM policy"),
    (32, "high", "override the LSM policy"),
    (25, "medium", "set the system clock"),
    (34, "medium", "read kernel logs and kernel pointers"),
];

/// `cap-sys-admin` for capability 21.
pub fn check_id(n: u8) -> String {
    let name = name(n).trim_start_matches("CAP_").to_ascii_lowercase();
    format!("cap-{}", name.replace('_', "-"))
}

/// Full mask for capabilities `0..=last`.
pub fn full_mask(last: u8) -> u64 {
    if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runc_default_set() {
        assert_eq!(
            decode(0x2000_0420),
            vec!["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
        );
        assert_eq!(check_id(21), "cap-sys-admin");
        assert_eq!(check_id(2), "cap-dac-read-search");
        assert_eq!(full_mask(40), 0x1ff_ffff_ffff);
        // Docker's default set has no dangerous capability.
        let docker = 0xa804_25fbu64;
        assert!(DANGEROUS.iter().all(|(c, _, _)| docker & (1 << c) == 0));
    }
}
