//! OCI runtime `config.json` (what runc, crun and youki actually run): the user, capabilities,
//! no_new_privs, namespaces, seccomp, host bind mounts, masked and read-only paths, the root.

use crate::Hit;
use crate::compose::{DANGEROUS_CAPS, cap_name};
use crate::k8s::extra::is_runtime_socket;
use crate::yaml::Node;

pub fn check(doc: &Node, hits: &mut Vec<Hit>) {
    let process = doc.get("process");
    if let Some(p) = process {
        match p.get("user") {
            Some(u) => {
                if u.get("uid").and_then(Node::as_i64).unwrap_or(0) == 0 {
                    let pos = if u.get("uid").is_some() {
                        u.key_pos("uid")
                    } else {
                        u.pos
                    };
                    hits.push(
                        Hit::new("oci-root-user", pos)
                            .object("process.user")
                            .value("uid 0"),
                    );
                }
            }
            None => hits.push(
                Hit::new("oci-root-user", doc.key_pos("process"))
                    .object("process")
                    .value("no user: uid 0"),
            ),
        }
        let mut seen: Vec<String> = Vec::new();
        if let Some(caps) = p.get("capabilities") {
            for set in [
                "bounding",
                "effective",
                "permitted",
                "inheritable",
                "ambient",
            ] {
                for c in caps.get(set).into_iter().flat_map(Node::items) {
                    let n = cap_name(c.as_str().unwrap_or(""));
                    if DANGEROUS_CAPS.contains(&n.as_str()) && !seen.contains(&n) {
                        seen.push(n.clone());
                        hits.push(
                            Hit::new("oci-dangerous-capability", c.pos)
                                .object(format!("process.capabilities.{set}"))
                                .value(format!("CAP_{n}")),
                        );
                    }
                }
            }
        }
        if p.get("noNewPrivileges").and_then(Node::as_bool) != Some(true) {
            let pos = if p.get("noNewPrivileges").is_some() {
                p.key_pos("noNewPrivileges")
            } else {
                doc.key_pos("process")
            };
            hits.push(Hit::new("oci-no-new-privileges-off", pos).object("process"));
        }
    }
    let linux = doc.get("linux");
    let linux_pos = doc.key_pos("linux");
    let ns_node = linux.and_then(|l| l.get("namespaces"));
    let ns_pos = linux.map_or(linux_pos, |l| l.key_pos("namespaces"));
    let has_ns = |t: &str| {
        ns_node.into_iter().flat_map(Node::items).any(|n| {
            n.get("type").and_then(Node::as_str) == Some(t)
                && n.get("path").is_none_or(Node::is_null)
        })
    };
    for t in ["pid", "mount", "ipc", "uts", "network"] {
        if !has_ns(t) {
            hits.push(
                Hit::new("oci-missing-namespace", ns_pos)
                    .object("linux.namespaces")
                    .value(t),
            );
        }
    }
    if !has_ns("user") {
        hits.push(Hit::new("oci-no-user-namespace", ns_pos).object("linux.namespaces"));
    }
    match linux
        .and_then(|l| l.get("seccomp"))
        .filter(|s| !s.is_null())
    {
        None => hits.push(Hit::new("oci-no-seccomp", linux_pos).object("linux")),
        Some(s) => {
            if s.get("defaultAction").and_then(Node::as_str) == Some("SCMP_ACT_ALLOW") {
                hits.push(
                    Hit::new("oci-seccomp-default-allow", s.key_pos("defaultAction"))
                        .object("linux.seccomp")
                        .value("SCMP_ACT_ALLOW"),
                );
            }
        }
    }
    for m in doc.get("mounts").into_iter().flat_map(Node::items) {
        let bind = m.get("type").and_then(Node::as_str) == Some("bind")
            || m.get("options")
                .into_iter()
                .flat_map(Node::items)
                .any(|o| matches!(o.as_str(), Some("bind" | "rbind")));
        if !bind {
            continue;
        }
        let Some(src) = m.get("source").and_then(Node::as_str) else {
            continue;
        };
        let p = src.trim_end_matches('/');
        if p.is_empty() || p == "/proc" || p == "/sys" || is_runtime_socket(p) {
            hits.push(
                Hit::new("oci-host-mount", m.key_pos("source"))
                    .object(format!(
                        "mount {}",
                        m.get("destination").and_then(Node::as_str).unwrap_or("")
                    ))
                    .value(src),
            );
        }
    }
    for key in ["maskedPaths", "readonlyPaths"] {
        let empty = linux
            .and_then(|l| l.get(key))
            .is_none_or(|v| v.items().next().is_none());
        if empty {
            let pos = linux.map_or(linux_pos, |l| l.key_pos(key));
            hits.push(
                Hit::new("oci-masked-paths-removed", pos)
                    .object("linux")
                    .value(key),
            );
        }
    }
    let ro = doc.path(&["root", "readonly"]).and_then(Node::as_bool);
    if ro != Some(true) {
        let pos = match doc.get("root") {
            Some(r) if r.get("readonly").is_some() => r.key_pos("readonly"),
            _ => doc.key_pos("root"),
        };
        hits.push(Hit::new("oci-writable-root", pos).object("root"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runc_spec_default_is_clean_but_for_userns_and_root() {
        // The shape `runc spec` writes (abridged), made strict.
        let j = r#"{
  "ociVersion": "1.0.2",
  "process": {
    "user": {"uid": 1000, "gid": 1000},
    "capabilities": {"bounding": ["CAP_KILL"]},
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}],
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"},
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"]
  }
}"#;
        let doc = crate::yaml::parse(j).docs.remove(0);
        let mut h = Vec::new();
        check(&doc, &mut h);
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn weak_config() {
        let j = "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"user\": {\"uid\": 0},\n    \"capabilities\": {\"bounding\": [\"CAP_SYS_ADMIN\"], \"effective\": [\"CAP_SYS_ADMIN\"]}\n  },\n  \"mounts\": [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"/\", \"options\": [\"rbind\"]}],\n  \"linux\": {\n    \"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}],\n    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n  }\n}\n";
        let doc = crate::yaml::parse(j).docs.remove(0);
        let mut h = Vec::new();
        check(&doc, &mut h);
        let v: Vec<_> = h
            .iter()
            .map(|h| (h.check, h.pos.line, h.value.clone().unwrap_or_default()))
            .collect();
        for want in [
            ("oci-root-user", 4, "uid 0".to_string()),
            ("oci-dangerous-capability", 5, "CAP_SYS_ADMIN".to_string()),
            ("oci-no-new-privileges-off", 3, String::new()),
            ("oci-host-mount", 7, "/".to_string()),
            ("oci-missing-namespace", 9, "network".to_string()),
            ("oci-missing-namespace", 9, "pid".to_string()),
            ("oci-no-user-namespace", 9, String::new()),
            (
                "oci-seccomp-default-allow",
                10,
                "SCMP_ACT_ALLOW".to_string(),
            ),
            ("oci-masked-paths-removed", 8, "maskedPaths".to_string()),
            ("oci-writable-root", 1, String::new()),
        ] {
            assert!(v.contains(&want), "{want:?} not in {v:?}");
        }
        assert_eq!(
            v.iter()
                .filter(|x| x.0 == "oci-dangerous-capability")
                .count(),
            1
        );
    }
}
