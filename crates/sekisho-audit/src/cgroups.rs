//! cgroups: which version, where the process sits, and which limits apply to it.
//!
//! The cgroup path in `/proc/<pid>/cgroup` is relative to the reader's cgroup namespace; the
//! files live under the cgroup filesystem's mount point, whose `root` (mountinfo field 4) says
//! which part of the hierarchy the mount shows. A limit set on any ancestor applies too, so the
//! effective limit is the smallest one from the process's directory up to the mount root.

use crate::host::Host;
use crate::model::{CgroupHierarchy, CgroupLimits, Cgroups};
use crate::parse::cgroup::{self, CgroupLine};
use crate::parse::mountinfo::Mount;
use crate::parse::parse_limit;

/// v1 / v2 / hybrid from the mounts (and the cgroup file when there are no cgroup mounts).
pub fn version(mounts: &[Mount], lines: &[CgroupLine]) -> &'static str {
    let v2 = mounts.iter().any(|m| m.fstype == "cgroup2");
    let v1 = mounts.iter().any(|m| {
        m.fstype == "cgroup"
            && m.super_options
                .iter()
                .any(|o| !o.starts_with("name=") && o != "rw" && o != "ro")
    });
    match (v1, v2) {
        (true, true) => "hybrid",
        (true, false) => "v1",
        (false, true) => "v2",
        (false, false) => {
            let has0 = lines.iter().any(|l| l.hierarchy == 0);
            let has_v1 = lines.iter().any(|l| l.hierarchy != 0);
            match (has_v1, has0) {
                (true, true) => "hybrid",
                (true, false) => "v1",
                (false, true) => "v2",
                (false, false) => "unknown",
            }
        }
    }
}

/// The directory holding `path` for a hierarchy, from the mounts of that filesystem.
fn dir_for(
    mounts: &[Mount],
    v2: bool,
    controller: Option<&str>,
    path: &str,
) -> Option<(String, String)> {
    mounts
        .iter()
        .filter(|m| {
            if v2 {
                m.fstype == "cgroup2"
            } else {
                m.fstype == "cgroup"
                    && controller.is_some_and(|c| m.super_options.iter().any(|o| o == c))
            }
        })
        .filter_map(|m| {
            let root = m.root.trim_end_matches('/');
            let rel = if root.is_empty() {
                path
            } else if path == root {
                ""
            } else {
                path.strip_prefix(root).filter(|r| r.starts_with('/'))?
            };
            let dir = format!("{}{}", m.mount_point.trim_end_matches('/'), rel);
            let dir = dir.trim_end_matches('/').to_string();
            Some((dir, m.mount_point.trim_end_matches('/').to_string()))
        })
        .max_by_key(|(d, _)| d.len())
}

/// Walk from `dir` up to `top`, reading `file` and keeping the smallest parsed value.
fn min_up(
    host: &dyn Host,
    dir: &str,
    top: &str,
    file: &str,
    parse: &dyn Fn(&str) -> Option<u64>,
) -> Option<u64> {
    let mut best: Option<u64> = None;
    let mut d = dir.to_string();
    for _ in 0..64 {
        if let Ok(t) = host.read_text(&format!("{d}/{file}")) {
            if let Some(v) = parse(&t) {
                best = Some(best.map_or(v, |b| b.min(v)));
            }
        }
        if d.len() <= top.len() {
            break;
        }
        match d.rfind('/') {
            Some(i) if i >= top.len() => d.truncate(i),
            _ => break,
        }
    }
    best
}

/// Gather the cgroup facts for the cgroup file text `cg_text`, resolving paths with `mounts`
/// (the reader's own mounts).
pub fn gather(host: &dyn Host, cg_text: &str, mounts: &[Mount]) -> Cgroups {
    let lines = cgroup::parse(cg_text);
    let version = version(mounts, &lines);
    let unified = lines.iter().find(|l| l.hierarchy == 0);
    let v1_line = |c: &str| {
        lines
            .iter()
            .find(|l| l.hierarchy != 0 && l.controllers.iter().any(|x| x == c))
    };
    let path = unified
        .filter(|_| version != "v1")
        .map(|l| l.path.clone())
        .or_else(|| v1_line("memory").map(|l| l.path.clone()));
    let mut limits = CgroupLimits::default();
    let mut read_from = Vec::new();
    let mut note_dir = |d: &str| {
        if !read_from.iter().any(|x: &String| x == d) {
            read_from.push(d.to_string());
        }
    };
    // memory
    if let Some(l) = v1_line("memory") {
        if let Some((d, top)) = dir_for(mounts, false, Some("memory"), &l.path) {
            limits.memory_max_bytes = min_up(
                host,
                &d,
                &top,
                "memory.limit_in_bytes",
                &cgroup::v1_memory_limit,
            );
            note_dir(&d);
        }
    } else if let Some(l) = unified {
        if let Some((d, top)) = dir_for(mounts, true, None, &l.path) {
            limits.memory_max_bytes = min_up(host, &d, &top, "memory.max", &parse_limit);
            note_dir(&d);
        }
    }
    // pids
    if let Some(l) = v1_line("pids") {
        if let Some((d, top)) = dir_for(mounts, false, Some("pids"), &l.path) {
            limits.pids_max = min_up(host, &d, &top, "pids.max", &parse_limit);
            note_dir(&d);
        }
    } else if let Some(l) = unified {
        if let Some((d, top)) = dir_for(mounts, true, None, &l.path) {
            limits.pids_max = min_up(host, &d, &top, "pids.max", &parse_limit);
        }
    }
    // cpu: the quota of the process's own cgroup (ancestors' quotas are reported only when the
    // own level has none).
    let cpu = if let Some(l) = v1_line("cpu") {
        dir_for(mounts, false, Some("cpu"), &l.path).map(|(d, top)| {
            let q = min_up(host, &d, &top, "cpu.cfs_quota_us", &cgroup::v1_cpu_quota);
            let p = host
                .read_text(&format!("{d}/cpu.cfs_period_us"))
                .ok()
                .and_then(|t| t.trim().parse().ok());
            (q, p, d)
        })
    } else if let Some(l) = unified {
        dir_for(mounts, true, None, &l.path).map(|(d, top)| {
            let mut best: Option<(u64, u64)> = None;
            let mut dd = d.clone();
            for _ in 0..64 {
                if let Some((Some(q), p)) = host
                    .read_text(&format!("{dd}/cpu.max"))
                    .ok()
                    .and_then(|t| cgroup::v2_cpu_max(&t))
                {
                    if best.is_none_or(|(bq, bp)| (q as f64 / p as f64) < (bq as f64 / bp as f64)) {
                        best = Some((q, p));
                    }
                }
                if dd.len() <= top.len() {
                    break;
                }
                match dd.rfind('/') {
                    Some(i) if i >= top.len() => dd.truncate(i),
                    _ => break,
                }
            }
            (best.map(|b| b.0), best.map(|b| b.1), d)
        })
    } else {
        None
    };
    if let Some((q, p, d)) = cpu {
        limits.cpu_quota_us = q;
        limits.cpu_period_us = p.filter(|_| q.is_some());
        if let (Some(q), Some(p)) = (q, p) {
            if p > 0 {
                limits.cpus = Some((q as f64 / p as f64 * 100.0).round() / 100.0);
            }
        }
        note_dir(&d);
    }
    let any_limit = limits.memory_max_bytes.is_some()
        || limits.pids_max.is_some()
        || limits.cpu_quota_us.is_some();
    Cgroups {
        version: version.into(),
        path,
        hierarchies: lines
            .iter()
            .map(|l| CgroupHierarchy {
                id: l.hierarchy,
                controllers: l.controllers.clone(),
                path: l.path.clone(),
            })
            .collect(),
        limits,
        any_limit,
        read_from,
    }
}
