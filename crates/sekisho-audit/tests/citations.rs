//! The isolation audit's citations of config checks ([`sekisho_audit::citations`]) are true:
//! every cited ID is a check of `sekisho-config` (its own ID, not an alias), and for every
//! (isolation check, config check) pair, a configuration that weakens that wall in that way
//! makes `sekisho config` report that check — the namespace, capability or path the
//! isolation check is about, not just any finding of the same ID.

use sekisho_audit::checks::RULES as ISOLATION;
use sekisho_audit::citations::{CITATIONS, caught_by, markdown_table};
use sekisho_config::{Level, Options, scan_file};
use serde_json::{Value, json};

/// A Pod whose one container is hardened (restricted PSS, limits, digest), with `spec` merged
/// into the pod spec and `sc` into the container's securityContext.
fn pod(spec: Value, sc: Value) -> (String, String) {
    let mut p = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "w"},
        "spec": {
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app",
                "image": "registry.example/app:1@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    });
    merge(&mut p["spec"], spec);
    merge(&mut p["spec"]["containers"][0]["securityContext"], sc);
    ("pod.json".into(), serde_json::to_string_pretty(&p).unwrap())
}

/// Merge `b` into `a`; `null` in `b` removes the key.
fn merge(a: &mut Value, b: Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                if v.is_null() {
                    a.remove(&k);
                } else {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (a, b) => *a = b,
    }
}

/// A compose file with one service carrying `lines` (each indented under the service).
fn compose(lines: &str) -> (String, String) {
    let body: String = lines.lines().map(|l| format!("    {l}\n")).collect();
    (
        "compose.yaml".into(),
        format!("services:\n  app:\n    image: app:1\n    read_only: true\n{body}"),
    )
}

/// A strict OCI runtime config (as `runc spec`, hardened) with `patch` merged in.
fn oci(patch: Value) -> (String, String) {
    let mut c = json!({
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
    });
    merge(&mut c, patch);
    (
        "config.json".into(),
        serde_json::to_string_pretty(&c).unwrap(),
    )
}

/// The capability an isolation check is about (`cap-sys-admin` → `SYS_ADMIN`).
fn cap_of(iso: &str) -> String {
    match iso.strip_prefix("cap-") {
        Some(c) => c.replace('-', "_").to_ascii_uppercase(),
        // privileged and the release_agent escape: CAP_SYS_ADMIN.
        None => "SYS_ADMIN".into(),
    }
}

fn wall_of(iso: &str) -> &'static str {
    ISOLATION.iter().find(|r| r.id == iso).unwrap().group
}

/// A configuration that weakens the wall of `iso` the way config check `cfg` looks for, and
/// the value the finding must carry (when the check names one).
fn witness(iso: &str, cfg: &str) -> ((String, String), Option<String>) {
    let cap = cap_of(iso);
    let ns_of = || match iso {
        "host-pid-ns" | "host-processes-visible" => "pid",
        "host-net-ns" => "network",
        "host-ipc-ns" => "ipc",
        "host-uts-ns" => "uts",
        "host-mnt-ns" => "mount",
        "host-cgroup-ns" => "cgroup",
        other => panic!("no namespace for {other}"),
    };
    match cfg {
        "pss-privileged" => (pod(json!({}), json!({"privileged": true})), None),
        "pss-capabilities-baseline" | "pss-capabilities-restricted" => (
            pod(json!({}), json!({"capabilities": {"add": [cap.clone()]}})),
            Some(cap),
        ),
        "pss-seccomp-baseline" => (
            pod(
                json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}),
                json!({}),
            ),
            None,
        ),
        "pss-seccomp-restricted" => (
            pod(
                json!({"securityContext": {"seccompProfile": null}}),
                json!({}),
            ),
            None,
        ),
        "pss-allow-privilege-escalation" => (
            pod(json!({}), json!({"allowPrivilegeEscalation": null})),
            None,
        ),
        "pss-host-pid" => (pod(json!({"hostPID": true}), json!({})), None),
        "pss-host-network" => (pod(json!({"hostNetwork": true}), json!({})), None),
        "pss-host-ipc" => (pod(json!({"hostIPC": true}), json!({})), None),
        "pss-run-as-non-root" => (
            pod(
                json!({"securityContext": {"runAsNonRoot": null}}),
                json!({}),
            ),
            None,
        ),
        "pss-run-as-user" => (pod(json!({}), json!({"runAsUser": 0})), None),
        "pss-apparmor" => (
            pod(
                json!({}),
                json!({"appArmorProfile": {"type": "Unconfined"}}),
            ),
            None,
        ),
        "pss-selinux" => (
            pod(json!({}), json!({"seLinuxOptions": {"type": "spc_t"}})),
            None,
        ),
        "pss-proc-mount" => (pod(json!({}), json!({"procMount": "Unmasked"})), None),
        "k8s-no-cpu-limit" | "k8s-no-memory-limit" => {
            let mut p = pod(json!({}), json!({}));
            let mut v: Value = serde_json::from_str(&p.1).unwrap();
            v["spec"]["containers"][0]
                .as_object_mut()
                .unwrap()
                .remove("resources");
            p.1 = v.to_string();
            (p, None)
        }
        "pss-host-path-volumes" | "pss-restricted-volumes" | "k8s-runtime-socket-mount" => {
            let path = match iso {
                "host-root-mount" => "/",
                "host-mount" => "/etc",
                _ => "/var/run/docker.sock",
            };
            (
                pod(
                    json!({"volumes": [{"name": "h", "hostPath": {"path": path}}]}),
                    json!({}),
                ),
                None,
            )
        }
        "compose-privileged" => (compose("privileged: true"), None),
        "compose-dangerous-capability" => (compose(&format!("cap_add: [{cap}]")), Some(cap)),
        "compose-unconfined" => {
            let opt = match wall_of(iso) {
                "seccomp" => "seccomp:unconfined",
                "lsm" => "apparmor:unconfined",
                _ => "systempaths:unconfined",
            };
            (
                compose(&format!("security_opt: [\"{opt}\"]")),
                Some(opt.into()),
            )
        }
        "compose-host-namespace" => {
            let key = match ns_of() {
                "network" => "network_mode",
                k => k,
            };
            (
                compose(&format!("{key}: host")),
                Some(format!("{key}: host")),
            )
        }
        "compose-root-user" => (compose("user: root"), None),
        "compose-runtime-socket" => (
            compose("volumes:\n  - /var/run/docker.sock:/var/run/docker.sock"),
            None,
        ),
        "compose-host-root-mount" => (compose("volumes:\n  - /:/host"), None),
        "oci-dangerous-capability" => (
            oci(json!({"process": {"capabilities": {"bounding": [format!("CAP_{cap}")]}}})),
            Some(format!("CAP_{cap}")),
        ),
        "oci-no-seccomp" => (oci(json!({"linux": {"seccomp": null}})), None),
        "oci-seccomp-default-allow" => (
            oci(json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}})),
            None,
        ),
        "oci-no-new-privileges-off" => (oci(json!({"process": {"noNewPrivileges": false}})), None),
        "oci-missing-namespace" => {
            let t = ns_of();
            let keep: Vec<Value> = ["pid", "network", "ipc", "uts", "mount", "user"]
                .iter()
                .filter(|k| **k != t)
                .map(|k| json!({"type": k}))
                .collect();
            (
                oci(json!({"linux": {"namespaces": keep}})),
                Some(t.to_string()),
            )
        }
        "oci-root-user" => (
            oci(json!({"process": {"user": {"uid": 0, "gid": 0}}})),
            None,
        ),
        "oci-no-user-namespace" => (
            oci(
                json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]}}),
            ),
            None,
        ),
        "oci-host-mount" => {
            let src = match iso {
                "host-root-mount" => "/",
                "sys-writable" => "/sys",
                _ => "/run/containerd/containerd.sock",
            };
            (
                oci(
                    json!({"mounts": [{"destination": "/host", "type": "bind", "source": src, "options": ["rbind"]}]}),
                ),
                Some(src.into()),
            )
        }
        "oci-masked-paths-removed" => (oci(json!({"linux": {"maskedPaths": []}})), None),
        "dockerfile-no-user" => (
            ("Dockerfile".into(), "FROM debian:12\nRUN true\n".into()),
            None,
        ),
        "dockerfile-root-user" => (
            (
                "Dockerfile".into(),
                "FROM debian:12\nUSER root\nHEALTHCHECK CMD true\n".into(),
            ),
            None,
        ),
        "image-root-user" => (
            (
                "config.json".into(),
                json!({"architecture": "amd64", "os": "linux", "config": {"User": ""},
                       "rootfs": {"type": "layers", "diff_ids": []}})
                .to_string(),
            ),
            None,
        ),
        other => panic!("no witness configuration for {other} (cited by {iso}): add one"),
    }
}

#[test]
fn every_cited_id_is_a_config_check() {
    for (iso, cited) in CITATIONS {
        for c in *cited {
            assert!(
                sekisho_config::checks::RULES.iter().any(|r| r.id == *c),
                "{iso} cites {c}, which is not a sekisho-config check ID"
            );
        }
    }
}

#[test]
fn every_citation_fires_on_a_config_that_weakens_the_wall() {
    let mut pairs = 0;
    for (iso, cited) in CITATIONS {
        for cfg in *cited {
            let ((path, text), value) = witness(iso, cfg);
            // The restricted level replaces the baseline capability and seccomp checks with
            // its stricter ones (as pod-security-admission does): judge those at baseline.
            let opts = if cfg.ends_with("-baseline") || *cfg == "pss-host-path-volumes" {
                Options {
                    policy: Some(Level::Baseline),
                    ..Options::default()
                }
            } else {
                Options::default()
            };
            let r = scan_file(&path, text.as_bytes(), &opts);
            assert!(r.error.is_none(), "{iso}/{cfg}: {:?}\n{text}", r.error);
            let hits: Vec<_> = r.findings.iter().filter(|f| f.id == *cfg).collect();
            assert!(
                !hits.is_empty(),
                "{iso}: {cfg} did not fire on\n{text}\nfindings: {:?}",
                r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
            );
            if let Some(v) = value {
                assert!(
                    hits.iter()
                        .any(|f| f.value.as_deref().is_some_and(|x| x.contains(&v))),
                    "{iso}: {cfg} fired but not about {v:?}: {hits:?}"
                );
            }
            pairs += 1;
        }
    }
    assert!(pairs > 100, "{pairs}");
}

#[test]
fn the_hardened_witnesses_are_clean() {
    // The bases the witnesses start from report none of the cited checks, so each witness's
    // finding comes from its one change.
    let cited: Vec<&str> = CITATIONS
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .collect();
    for (path, text) in [
        pod(json!({}), json!({})),
        compose(""),
        oci(json!({})),
        (
            "Dockerfile".into(),
            "FROM debian:12\nUSER app\nHEALTHCHECK CMD true\n".into(),
        ),
    ] {
        let r = scan_file(&path, text.as_bytes(), &Options::default());
        let bad: Vec<_> = r
            .findings
            .iter()
            .filter(|f| cited.contains(&f.id.as_str()))
            .map(|f| &f.id)
            .collect();
        assert!(bad.is_empty(), "{path}: {bad:?}\n{text}");
    }
}

#[test]
fn isolation_page_carries_the_citation_table() {
    const BEGIN: &str =
        "<!-- BEGIN GENERATED CITATION TABLE (sekisho_audit::citations::markdown_table) -->";
    const END: &str = "<!-- END GENERATED CITATION TABLE -->";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/isolation.md");
    let page = std::fs::read_to_string(path).expect("docs/isolation.md");
    let (head, rest) = page.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let want = format!(
        "{head}{BEGIN}\n{}{END}{tail}",
        markdown_table(sekisho_audit::checks::RULES.iter().map(|r| r.id))
    );
    if page != want {
        if std::env::var_os("SEKISHO_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        panic!(
            "docs/isolation.md is stale: run SEKISHO_UPDATE_DOCS=1 cargo test -p sekisho-audit --test citations"
        );
    }
    assert!(caught_by("privileged").contains(&"pss-privileged"));
}
