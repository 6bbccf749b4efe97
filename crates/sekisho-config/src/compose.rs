//! Compose files: per service, privileged mode, host namespaces, runtime sockets and the host
//! root mounted, dangerous capabilities, disabled seccomp/AppArmor/SELinux, a root user, no
//! read-only root.

use crate::Hit;
use crate::k8s::extra::is_runtime_socket;
use crate::yaml::Node;

/// Capabilities that open escape paths (the isolation audit's list).
pub const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_PTRACE",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "NET_RAW",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
];

/// `CAP_SYS_ADMIN` / `sys_admin` → `SYS_ADMIN`.
pub fn cap_name(c: &str) -> String {
    let u = c.trim().to_ascii_uppercase();
    u.strip_prefix("CAP_").map_or(u.clone(), str::to_string)
}

/// The host side of a compose volume: `src:dst[:mode]` or `{type: bind, source: ...}`.
fn bind_source(v: &Node) -> Option<(&str, &Node)> {
    if let Some(s) = v.as_str() {
        let src = s.split(':').next()?;
        return (src.starts_with('/') || src.starts_with("./") || src.starts_with('~'))
            .then_some((src, v));
    }
    let t = v.get("type").and_then(Node::as_str).unwrap_or("bind");
    if t != "bind" {
        return None;
    }
    let src = v.get("source")?;
    src.as_str().map(|s| (s, src))
}

pub fn check(doc: &Node, hits: &mut Vec<Hit>) {
    let Some(services) = doc.get("services") else {
        return;
    };
    for (name, kn, svc) in services.entries() {
        let who = format!("service {name}");
        if svc.get("privileged").and_then(Node::as_bool) == Some(true) {
            hits.push(Hit::new("compose-privileged", svc.key_pos("privileged")).object(&who));
        }
        for key in ["network_mode", "pid", "ipc", "userns_mode", "uts", "cgroup"] {
            if svc.get(key).and_then(Node::as_str) == Some("host") {
                hits.push(
                    Hit::new("compose-host-namespace", svc.key_pos(key))
                        .object(&who)
                        .value(format!("{key}: host")),
                );
            }
        }
        for v in svc.get("volumes").into_iter().flat_map(Node::items) {
            if let Some((src, at)) = bind_source(v) {
                let p = src.trim_end_matches('/');
                if p.is_empty() {
                    hits.push(
                        Hit::new("compose-host-root-mount", at.pos)
                            .object(&who)
                            .value(src),
                    );
                } else if is_runtime_socket(p) {
                    hits.push(
                        Hit::new("compose-runtime-socket", at.pos)
                            .object(&who)
                            .value(src),
                    );
                }
            }
        }
        for c in svc.get("cap_add").into_iter().flat_map(Node::items) {
            let n = cap_name(c.as_str().unwrap_or(""));
            if DANGEROUS_CAPS.contains(&n.as_str()) {
                hits.push(
                    Hit::new("compose-dangerous-capability", c.pos)
                        .object(&who)
                        .value(n),
                );
            }
        }
        for o in svc.get("security_opt").into_iter().flat_map(Node::items) {
            let s = o.as_str().unwrap_or("").replace('=', ":");
            if matches!(
                s.as_str(),
                "seccomp:unconfined"
                    | "apparmor:unconfined"
                    | "label:disable"
                    | "systempaths:unconfined"
            ) {
                hits.push(Hit::new("compose-unconfined", o.pos).object(&who).value(s));
            }
        }
        if let Some(u) = svc.get("user") {
            let s = u.as_str().unwrap_or("");
            let user = s.split(':').next().unwrap_or("");
            if user == "root" || user == "0" {
                hits.push(
                    Hit::new("compose-root-user", svc.key_pos("user"))
                        .object(&who)
                        .value(s),
                );
            }
        }
        if svc.get("read_only").and_then(Node::as_bool) != Some(true) {
            let pos = if svc.get("read_only").is_some() {
                svc.key_pos("read_only")
            } else {
                kn.pos
            };
            hits.push(Hit::new("compose-no-read-only", pos).object(&who));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services() {
        let y = "services:\n  web:\n    image: x\n    privileged: true\n    network_mode: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n      - type: bind\n        source: /\n        target: /host\n      - data:/data\n    cap_add: [SYS_ADMIN, NET_BIND_SERVICE]\n    security_opt:\n      - seccomp=unconfined\n    user: \"0:0\"\n    cgroup: host\n  ok:\n    image: y\n    read_only: true\n    user: app\n";
        let doc = crate::yaml::parse(y).docs.remove(0);
        let mut h = Vec::new();
        check(&doc, &mut h);
        let v: Vec<_> = h
            .iter()
            .map(|h| (h.check, h.pos.line, h.pos.column))
            .collect();
        for want in [
            ("compose-privileged", 4, 5),
            ("compose-host-namespace", 5, 5),
            ("compose-runtime-socket", 7, 9),
            ("compose-host-root-mount", 9, 17),
            ("compose-dangerous-capability", 12, 15),
            ("compose-unconfined", 14, 9),
            ("compose-root-user", 15, 5),
            ("compose-host-namespace", 16, 5),
            ("compose-no-read-only", 2, 3),
        ] {
            assert!(v.contains(&want), "{want:?} not in {v:?}");
        }
        assert_eq!(v.len(), 9, "{v:?}");
    }
}
