//! `/proc/<pid>/cgroup` and the cgroup limit files.
//!
//! Format: `cgroups(7)`, "/proc/pid/cgroup": `hierarchy-ID:controller-list:cgroup-path`; the
//! cgroup v2 line is `0::/path`. Limit files: cgroup v2 `memory.max`, `pids.max` (a number or
//! `max`), `cpu.max` (`$MAX $PERIOD`, `max` for no quota) per the kernel's
//! Documentation/admin-guide/cgroup-v2.rst; cgroup v1 `memory.limit_in_bytes`,
//! `cpu.cfs_quota_us` (`-1` for none) and `cpu.cfs_period_us`.

/// One line of `/proc/<pid>/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLine {
    pub hierarchy: u32,
    /// Controllers bound to the hierarchy; empty for v2; `name=systemd` for named v1 hierarchies.
    pub controllers: Vec<String>,
    pub path: String,
}

/// Parse the file; malformed lines are skipped.
pub fn parse(text: &str) -> Vec<CgroupLine> {
    text.lines()
        .take(1024)
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let hierarchy = it.next()?.parse().ok()?;
            let ctrl = it.next()?;
            let path = it.next()?;
            if !path.starts_with('/') {
                return None;
            }
            Some(CgroupLine {
                hierarchy,
                controllers: ctrl
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .take(64)
                    .map(str::to_string)
                    .collect(),
                path: path.chars().take(4096).collect(),
            })
        })
        .collect()
}

/// cgroup v1 reports "no memory limit" as a huge number (`PAGE_COUNTER_MAX * PAGE_SIZE`, e.g.
/// 9223372036854771712); anything at or above 2^62 is treated as unlimited.
pub fn v1_memory_limit(s: &str) -> Option<u64> {
    let v: u64 = s.trim().parse().ok()?;
    (v < (1u64 << 62)).then_some(v)
}

/// cgroup v2 `cpu.max`: `(quota, period)`; quota `None` for `max`.
pub fn v2_cpu_max(s: &str) -> Option<(Option<u64>, u64)> {
    let mut it = s.split_whitespace();
    let q = it.next()?;
    let period = it.next().map_or(Some(100_000), |p| p.parse().ok())?;
    let quota = if q == "max" {
        None
    } else {
        Some(q.parse().ok()?)
    };
    Some((quota, period))
}

/// cgroup v1 `cpu.cfs_quota_us`: `None` for `-1` (no quota).
pub fn v1_cpu_quota(s: &str) -> Option<u64> {
    let v: i64 = s.trim().parse().ok()?;
    u64::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_and_v2() {
        let l = parse("4:memory:/docker/abc\n9:name=systemd:/x\n0::/\nbad\n1:cpu:relative\n");
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].controllers, vec!["memory"]);
        assert_eq!(l[2].hierarchy, 0);
        assert!(l[2].controllers.is_empty());
        assert_eq!(v2_cpu_max("max 100000"), Some((None, 100_000)));
        assert_eq!(v2_cpu_max("50000 100000"), Some((Some(50_000), 100_000)));
        assert_eq!(v1_memory_limit("9223372036854771712"), None);
        assert_eq!(v1_memory_limit("536870912"), Some(536_870_912));
        assert_eq!(v1_cpu_quota("-1"), None);
    }
}
