//! Linux security modules: the AppArmor profile or the SELinux context of a process.
//!
//! AppArmor writes `profile (mode)` or `unconfined` to `/proc/<pid>/attr/apparmor/current`
//! (Linux 5.1+, LSM stacking) and, when it is the major LSM, to `/proc/<pid>/attr/current`.
//! SELinux writes `user:role:type:level` to `/proc/<pid>/attr/current` and its global mode to
//! `/sys/fs/selinux/enforce`.

use crate::host::Host;
use crate::model::{AppArmor, Lsm, SeLinux};

/// Parse an AppArmor label: `docker-default (enforce)`, `unconfined`.
pub fn parse_apparmor(t: &str) -> Option<AppArmor> {
    let t = t.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if t.is_empty() {
        return None;
    }
    if t == "unconfined" {
        return Some(AppArmor {
            profile: "unconfined".into(),
            mode: "unconfined".into(),
        });
    }
    let (profile, mode) = match t.rfind(" (") {
        Some(i) if t.ends_with(')') => (&t[..i], &t[i + 2..t.len() - 1]),
        _ => (t, "enforce"),
    };
    Some(AppArmor {
        profile: profile.to_string(),
        mode: mode.to_string(),
    })
}

/// Parse an SELinux context `user:role:type:level`.
pub fn parse_selinux(t: &str) -> Option<SeLinux> {
    let t = t.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let parts: Vec<&str> = t.splitn(4, ':').collect();
    if parts.len() < 3
        || parts
            .iter()
            .take(3)
            .any(|p| p.is_empty() || p.contains(' '))
    {
        return None;
    }
    Some(SeLinux {
        context: t.to_string(),
        kind: Some(parts[2].to_string()),
        mode: None,
    })
}

/// SELinux types that are not confined for containers.
pub fn selinux_unconfined(kind: &str) -> bool {
    matches!(
        kind,
        "unconfined_t" | "spc_t" | "kernel_t" | "initrc_t" | "unconfined_service_t" | "init_t"
    )
}

pub fn gather(host: &dyn Host, proc_dir: &str) -> Lsm {
    let mut l = Lsm {
        active: host
            .read_text("/sys/kernel/security/lsm")
            .map(|t| {
                t.trim()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        ..Lsm::default()
    };
    let selinux_on =
        l.active.iter().any(|s| s == "selinux") || host.exists("/sys/fs/selinux/enforce");
    if let Ok(t) = host.read_text(&format!("{proc_dir}/attr/apparmor/current")) {
        l.apparmor = parse_apparmor(&t);
    }
    if let Ok(t) = host.read_text(&format!("{proc_dir}/attr/current")) {
        if selinux_on {
            if let Some(mut s) = parse_selinux(&t) {
                s.mode = host.read_text("/sys/fs/selinux/enforce").ok().map(|e| {
                    if e.trim() == "1" {
                        "enforcing".into()
                    } else {
                        "permissive".into()
                    }
                });
                l.selinux = Some(s);
            }
        } else if l.apparmor.is_none() {
            l.apparmor = parse_apparmor(&t).filter(|_| {
                l.active.iter().any(|s| s == "apparmor")
                    || host.exists("/sys/kernel/security/apparmor")
                    || host.exists("/sys/module/apparmor")
            });
        }
    }
    let aa_confined = l
        .apparmor
        .as_ref()
        .is_some_and(|a| a.mode == "enforce" || a.mode == "kill");
    let se_confined = l.selinux.as_ref().is_some_and(|s| {
        s.mode.as_deref() != Some("permissive")
            && !s.kind.as_deref().is_some_and(selinux_unconfined)
    });
    l.confined = aa_confined || se_confined;
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let a = parse_apparmor("docker-default (enforce)\n").unwrap();
        assert_eq!(
            (a.profile.as_str(), a.mode.as_str()),
            ("docker-default", "enforce")
        );
        let a = parse_apparmor("cri-containerd.apparmor.d (complain)").unwrap();
        assert_eq!(a.mode, "complain");
        assert_eq!(parse_apparmor("unconfined").unwrap().mode, "unconfined");
        let s = parse_selinux("system_u:system_r:container_t:s0:c123,c456\0").unwrap();
        assert_eq!(s.kind.as_deref(), Some("container_t"));
        assert!(parse_selinux("docker-default (enforce)").is_none());
    }
}
