//! Kubernetes checks beyond the Pod Security Standards: unpinned images, missing limits, the
//! service-account token, runtime sockets, secrets in `env`, token Secrets, RBAC wildcards and
//! escalation verbs, exposed Services.

use crate::Hit;
use crate::k8s::Object;
use crate::yaml::Node;

/// `(name, tag, digest)` of an image reference; the tag is of the last path component (a
/// registry port is not a tag).
pub fn image_parts(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(c) => (&rest[..slash + c], Some(&rest[slash + c + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// Whether an environment variable name says it holds a credential.
pub fn secret_name(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| u.contains(w))
}

/// A literal value worth flagging: not empty, not a reference (`$(VAR)`, `${VAR}`).
pub fn literal_secret_value(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && !v.starts_with("$(") && !v.starts_with("${") && v.len() >= 4
}

/// Host paths that hold (or are a parent of) a container runtime socket.
pub const RUNTIME_SOCKET_PATHS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/podman/podman.sock",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
    "/run/crio",
    "/var/run",
    "/run",
];

/// Whether a host path reaches a runtime socket.
pub fn is_runtime_socket(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    RUNTIME_SOCKET_PATHS.contains(&p)
}

fn containers(spec: &Node) -> impl Iterator<Item = (&'static str, &Node)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |l| {
            spec.get(l)
                .into_iter()
                .flat_map(Node::items)
                .map(move |c| (l, c))
        })
}

/// Checks of a workload's pod spec.
pub fn check_pod(obj: &Object<'_>, spec: &Node, hits: &mut Vec<Hit>) {
    let label = obj.label();
    for (list, c) in containers(spec) {
        let cname = c.get("name").and_then(Node::as_str).unwrap_or("");
        let who = format!("{label} container {cname}");
        if let Some(img) = c.get("image").and_then(Node::as_str) {
            let (_, tag, digest) = image_parts(img);
            let pos = c.key_pos("image");
            if digest.is_none() && matches!(tag, None | Some("latest")) {
                hits.push(Hit::new("k8s-image-latest", pos).object(&who).value(img));
            } else if digest.is_none() {
                hits.push(Hit::new("k8s-image-no-digest", pos).object(&who).value(img));
            }
        }
        if list != "ephemeralContainers" {
            let limits = c.path(&["resources", "limits"]);
            let pos = if c.get("resources").is_some() {
                c.key_pos("resources")
            } else {
                c.pos
            };
            for (res, check) in [
                ("cpu", "k8s-no-cpu-limit"),
                ("memory", "k8s-no-memory-limit"),
            ] {
                if limits.and_then(|l| l.get(res)).is_none_or(Node::is_null) {
                    hits.push(Hit::new(check, pos).object(&who));
                }
            }
        }
        let ro = c
            .path(&["securityContext", "readOnlyRootFilesystem"])
            .and_then(Node::as_bool);
        if ro != Some(true) {
            let pos = match c.get("securityContext") {
                Some(s) if s.get("readOnlyRootFilesystem").is_some() => {
                    s.key_pos("readOnlyRootFilesystem")
                }
                _ => c.pos,
            };
            hits.push(Hit::new("k8s-writable-root-filesystem", pos).object(&who));
        }
        for e in c.get("env").into_iter().flat_map(Node::items) {
            let name = e.get("name").and_then(Node::as_str).unwrap_or("");
            if let Some(val) = e.get("value").and_then(Node::as_str)
                && secret_name(name)
                && literal_secret_value(val)
            {
                hits.push(
                    Hit::new("k8s-secret-in-env", e.key_pos("value"))
                        .object(&who)
                        .value(format!("{name}=****")),
                );
            }
        }
    }
    match spec
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool)
    {
        Some(false) => {}
        Some(true) => hits.push(
            Hit::new(
                "k8s-automount-sa-token",
                spec.key_pos("automountServiceAccountToken"),
            )
            .object(&label),
        ),
        None => hits.push(Hit::new("k8s-automount-sa-token", spec.pos).object(&label)),
    }
    for vol in spec.get("volumes").into_iter().flat_map(Node::items) {
        if let Some(hp) = vol.get("hostPath")
            && let Some(p) = hp.get("path").and_then(Node::as_str)
            && is_runtime_socket(p)
        {
            hits.push(
                Hit::new("k8s-runtime-socket-mount", hp.key_pos("path"))
                    .object(format!(
                        "{label} volume {}",
                        vol.get("name").and_then(Node::as_str).unwrap_or("")
                    ))
                    .value(p),
            );
        }
    }
}

/// Checks of objects that are not workloads.
pub fn check_other(obj: &Object<'_>, hits: &mut Vec<Hit>) {
    let label = obj.label();
    match obj.kind {
        "Secret" => {
            if obj.node.get("type").and_then(Node::as_str)
                == Some("kubernetes.io/service-account-token")
            {
                hits.push(Hit::new("k8s-sa-token-secret", obj.node.key_pos("type")).object(&label));
            }
        }
        "Role" | "ClusterRole" => {
            for rule in obj.node.get("rules").into_iter().flat_map(Node::items) {
                for field in ["verbs", "resources", "apiGroups"] {
                    for item in rule.get(field).into_iter().flat_map(Node::items) {
                        if item.as_str() == Some("*") {
                            hits.push(
                                Hit::new("k8s-rbac-wildcard", item.pos)
                                    .object(&label)
                                    .value(format!("{field}: *")),
                            );
                        }
                    }
                }
                for item in rule.get("verbs").into_iter().flat_map(Node::items) {
                    if let Some(v @ ("escalate" | "bind" | "impersonate")) = item.as_str() {
                        hits.push(
                            Hit::new("k8s-rbac-escalation-verb", item.pos)
                                .object(&label)
                                .value(v),
                        );
                    }
                }
            }
        }
        "Service" => {
            if let Some(spec) = obj.node.get("spec")
                && let Some(t @ ("NodePort" | "LoadBalancer")) =
                    spec.get("type").and_then(Node::as_str)
            {
                hits.push(
                    Hit::new("k8s-service-exposed", spec.key_pos("type"))
                        .object(&label)
                        .value(t),
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(image_parts("nginx"), ("nginx", None, None));
        assert_eq!(image_parts("reg:5000/a/b"), ("reg:5000/a/b", None, None));
        assert_eq!(
            image_parts("reg:5000/a/b:1.2"),
            ("reg:5000/a/b", Some("1.2"), None)
        );
        assert_eq!(image_parts("b@sha256:abc"), ("b", None, Some("sha256:abc")));
    }
}
