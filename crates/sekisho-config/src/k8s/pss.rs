//! The Pod Security Standards (baseline and restricted), field by field and version by version,
//! as the reference admission controller (kubernetes/pod-security-admission) decides them. The
//! rules follow upstream's check table: each check has versions from which it applies and
//! restricted checks that replace baseline ones (restricted volumes replace hostPath volumes,
//! restricted seccomp and capabilities replace their baseline forms, from 1.35 the restricted
//! procMount check drops the user-namespace relaxation).
//!
//! Evaluated over a pod spec as written (a [`Node`]), so every violation carries the line and
//! column of the offending field, or of the container that lacks a required one.

use crate::yaml::{Node, Pos};

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Restricted => "restricted",
        }
    }
}

/// The newest Kubernetes minor version whose rules are known; a newer version is judged by it,
/// as upstream does.
pub const LATEST_MINOR: u32 = 37;

/// `1.N` (or `v1.N`, `1.N.P`, `latest`) → N.
pub fn parse_version(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("latest") {
        return Some(LATEST_MINOR);
    }
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts = s.split('.');
    if parts.next()? != "1" {
        return None;
    }
    let minor: u32 = parts.next()?.parse().ok()?;
    if let Some(p) = parts.next() {
        p.parse::<u32>().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(minor)
}

/// One violated check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The sekisho check ID (`pss-privileged`).
    pub check: &'static str,
    /// The offending field, or the object lacking a required one.
    pub pos: Pos,
    /// What is wrong, in upstream's words where it has them.
    pub detail: String,
    /// The container, when the violation is one container's.
    pub container: Option<String>,
}

/// The checks that apply at `level` and Kubernetes `1.minor`, as sekisho check IDs, in the
/// order they are evaluated.
pub fn checks_for(level: Level, minor: u32) -> Vec<&'static str> {
    let v = minor.min(LATEST_MINOR);
    let r = level == Level::Restricted;
    let mut out = vec![
        "pss-host-network",
        "pss-host-pid",
        "pss-host-ipc",
        "pss-privileged",
    ];
    if !(r && v >= 22) {
        out.push("pss-capabilities-baseline");
    }
    if !r {
        out.push("pss-host-path-volumes");
    }
    out.extend([
        "pss-host-ports",
        "pss-apparmor",
        "pss-selinux",
        "pss-proc-mount",
    ]);
    if !(r && v >= 19) {
        out.push("pss-seccomp-baseline");
    }
    out.extend(["pss-sysctls", "pss-windows-host-process"]);
    if v >= 34 {
        out.push("pss-host-probes");
    }
    if r {
        out.push("pss-restricted-volumes");
        if v >= 8 {
            out.push("pss-allow-privilege-escalation");
        }
        out.push("pss-run-as-non-root");
        if v >= 23 {
            out.push("pss-run-as-user");
        }
        if v >= 19 {
            out.push("pss-seccomp-restricted");
        }
        if v >= 22 {
            out.push("pss-capabilities-restricted");
        }
    }
    out
}

/// A container of the pod, with its list.
struct Container<'a> {
    node: &'a Node,
    name: String,
}

/// The value under `key`, unless it is absent or null (Go's nil).
fn field<'a>(n: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    n?.get(key).filter(|v| !v.is_null())
}

fn containers(spec: &Node) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec.get(list).into_iter().flat_map(Node::items) {
            out.push(Container {
                node: c,
                name: c
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    out
}

struct Pod<'a> {
    meta: Option<&'a Node>,
    spec: &'a Node,
    containers: Vec<Container<'a>>,
    minor: u32,
    level: Level,
}

impl Pod<'_> {
    fn pod_sc(&self) -> Option<&Node> {
        field(Some(self.spec), "securityContext")
    }
    fn windows(&self) -> bool {
        field(field(Some(self.spec), "os"), "name").and_then(Node::as_str) == Some("windows")
    }
    /// `hostUsers: false`: the pod runs in a user namespace.
    fn user_namespaced(&self) -> bool {
        self.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
    }
    fn annotations(&self) -> impl Iterator<Item = (&str, &Node, &Node)> + '_ {
        field(self.meta, "annotations")
            .into_iter()
            .flat_map(Node::entries)
    }
}

fn sc<'a>(c: &Container<'a>) -> Option<&'a Node> {
    field(Some(c.node), "securityContext")
}

/// Evaluate the Pod Security Standards at `level` and Kubernetes `1.minor` over a pod spec
/// (`spec`) and its metadata (for the annotation forms). No violations = allowed.
pub fn evaluate(level: Level, minor: u32, meta: Option<&Node>, spec: &Node) -> Vec<Violation> {
    let pod = Pod {
        meta,
        spec,
        containers: containers(spec),
        minor: minor.min(LATEST_MINOR),
        level,
    };
    let mut out = Vec::new();
    for id in checks_for(level, minor) {
        run(id, &pod, &mut out);
    }
    out
}

fn v(
    check: &'static str,
    pos: Pos,
    detail: String,
    container: Option<&Container<'_>>,
) -> Violation {
    Violation {
        check,
        pos,
        detail,
        container: container.map(|c| c.name.clone()),
    }
}

const CAPS_BASELINE: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The sysctls allowed at `1.minor`.
pub fn sysctls_allowed(minor: u32) -> Vec<&'static str> {
    let mut s = vec![
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ];
    if minor >= 27 {
        s.push("net.ipv4.ip_local_reserved_ports");
    }
    if minor >= 29 {
        s.extend([
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ]);
    }
    if minor >= 32 {
        s.extend(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
    }
    if minor >= 37 {
        s.extend([
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ]);
    }
    s
}

/// The SELinux types allowed at `1.minor` (empty = unset).
pub fn selinux_types_allowed(minor: u32) -> &'static [&'static str] {
    if minor >= 31 {
        &[
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ]
    } else {
        &["", "container_t", "container_init_t", "container_kvm_t"]
    }
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn valid_seccomp_type(t: Option<&str>) -> bool {
    matches!(t, Some("RuntimeDefault" | "Localhost"))
}

fn valid_seccomp_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn str_of(n: Option<&Node>) -> Option<&str> {
    n.and_then(Node::as_str)
}

fn run(id: &'static str, p: &Pod<'_>, out: &mut Vec<Violation>) {
    match id {
        "pss-host-network" | "pss-host-pid" | "pss-host-ipc" => {
            let key = match id {
                "pss-host-network" => "hostNetwork",
                "pss-host-pid" => "hostPID",
                _ => "hostIPC",
            };
            if p.spec.get(key).and_then(Node::as_bool) == Some(true) {
                out.push(v(id, p.spec.key_pos(key), format!("{key}=true"), None));
            }
        }
        "pss-privileged" => {
            for c in &p.containers {
                if let Some(s) = sc(c)
                    && s.get("privileged").and_then(Node::as_bool) == Some(true)
                {
                    out.push(v(
                        id,
                        s.key_pos("privileged"),
                        format!(
                            "container {:?} sets securityContext.privileged=true",
                            c.name
                        ),
                        Some(c),
                    ));
                }
            }
        }
        "pss-capabilities-baseline" => {
            for c in &p.containers {
                let add = field(field(sc(c), "capabilities"), "add");
                for cap in add.into_iter().flat_map(Node::items) {
                    let name = cap.as_str().unwrap_or("");
                    if !CAPS_BASELINE.contains(&name) {
                        out.push(v(
                            id,
                            cap.pos,
                            format!(
                                "container {:?} adds non-default capability {name:?}",
                                c.name
                            ),
                            Some(c),
                        ));
                    }
                }
            }
        }
        "pss-host-path-volumes" => {
            for vol in p.spec.get("volumes").into_iter().flat_map(Node::items) {
                if field(Some(vol), "hostPath").is_some() {
                    out.push(v(
                        id,
                        vol.key_pos("hostPath"),
                        format!(
                            "hostPath volume {:?}",
                            str_of(vol.get("name")).unwrap_or("")
                        ),
                        None,
                    ));
                }
            }
        }
        "pss-host-ports" => {
            for c in &p.containers {
                for port in c.node.get("ports").into_iter().flat_map(Node::items) {
                    if let Some(hp) = port.get("hostPort").and_then(Node::as_i64)
                        && hp != 0
                    {
                        out.push(v(
                            id,
                            port.key_pos("hostPort"),
                            format!("container {:?} uses hostPort {hp}", c.name),
                            Some(c),
                        ));
                    }
                }
            }
        }
        "pss-apparmor" => {
            let check = |owner: Option<&Node>,
                         who: &str,
                         c: Option<&Container<'_>>,
                         out: &mut Vec<Violation>| {
                if let Some(prof) = field(owner, "appArmorProfile") {
                    let t = str_of(prof.get("type"));
                    if !matches!(t, Some("RuntimeDefault" | "Localhost")) {
                        out.push(v(
                            id,
                            owner.map_or(prof.pos, |o| o.key_pos("appArmorProfile")),
                            format!("{who} sets AppArmor profile type {:?}", t.unwrap_or("")),
                            c,
                        ));
                    }
                }
            };
            check(p.pod_sc(), "pod", None, out);
            for c in &p.containers {
                check(sc(c), &format!("container {:?}", c.name), Some(c), out);
            }
            for (k, kn, val) in p.annotations() {
                if k.starts_with(APPARMOR_PREFIX) {
                    let s = val.as_str().unwrap_or("");
                    if !(s.is_empty() || s == "runtime/default" || s.starts_with("localhost/")) {
                        out.push(v(id, kn.pos, format!("annotation {k}={s:?}"), None));
                    }
                }
            }
        }
        "pss-selinux" => {
            let allowed = selinux_types_allowed(p.minor);
            let check = |owner: Option<&Node>,
                         who: &str,
                         c: Option<&Container<'_>>,
                         out: &mut Vec<Violation>| {
                let Some(o) = field(owner, "seLinuxOptions") else {
                    return;
                };
                let t = str_of(o.get("type")).unwrap_or("");
                if !allowed.contains(&t) {
                    out.push(v(
                        id,
                        o.key_pos("type"),
                        format!("{who} sets SELinux type {t:?}"),
                        c,
                    ));
                }
                for key in ["user", "role"] {
                    if !str_of(o.get(key)).unwrap_or("").is_empty() {
                        out.push(v(
                            id,
                            o.key_pos(key),
                            format!("{who} sets SELinux {key}"),
                            c,
                        ));
                    }
                }
            };
            check(p.pod_sc(), "pod", None, out);
            for c in &p.containers {
                check(sc(c), &format!("container {:?}", c.name), Some(c), out);
            }
        }
        "pss-proc-mount" => {
            let relax = p.level == Level::Baseline && p.minor >= 35 && p.user_namespaced();
            if relax {
                return;
            }
            for c in &p.containers {
                if let Some(s) = sc(c)
                    && let Some(pm) = field(Some(s), "procMount")
                {
                    let t = pm.as_str().unwrap_or("");
                    if t != "Default" {
                        out.push(v(
                            id,
                            s.key_pos("procMount"),
                            format!("container {:?} sets procMount {t:?}", c.name),
                            Some(c),
                        ));
                    }
                }
            }
        }
        "pss-seccomp-baseline" => {
            if p.minor < 19 {
                for (k, kn, val) in p.annotations() {
                    let applies = k == SECCOMP_POD_ANNOTATION
                        || k.strip_prefix(SECCOMP_CONTAINER_PREFIX)
                            .is_some_and(|n| p.containers.iter().any(|c| c.name == n));
                    if applies && !valid_seccomp_annotation(val.as_str().unwrap_or("")) {
                        out.push(v(
                            id,
                            kn.pos,
                            format!("annotation {k}={:?}", val.as_str().unwrap_or("")),
                            None,
                        ));
                    }
                }
                return;
            }
            if let Some(prof) = field(p.pod_sc(), "seccompProfile") {
                let t = str_of(prof.get("type"));
                if !valid_seccomp_type(t) {
                    out.push(v(
                        id,
                        prof.key_pos("type"),
                        format!("pod sets seccompProfile.type {:?}", t.unwrap_or("")),
                        None,
                    ));
                }
            }
            for c in &p.containers {
                if let Some(prof) = field(sc(c), "seccompProfile") {
                    let t = str_of(prof.get("type"));
                    if !valid_seccomp_type(t) {
                        out.push(v(
                            id,
                            prof.key_pos("type"),
                            format!(
                                "container {:?} sets seccompProfile.type {:?}",
                                c.name,
                                t.unwrap_or("")
                            ),
                            Some(c),
                        ));
                    }
                }
            }
        }
        "pss-sysctls" => {
            let allowed = sysctls_allowed(p.minor);
            for s in field(p.pod_sc(), "sysctls")
                .into_iter()
                .flat_map(Node::items)
            {
                let name = str_of(s.get("name")).unwrap_or("");
                if !allowed.contains(&name) {
                    out.push(v(id, s.key_pos("name"), format!("sysctl {name:?}"), None));
                }
            }
        }
        "pss-windows-host-process" => {
            let check = |owner: Option<&Node>,
                         who: &str,
                         c: Option<&Container<'_>>,
                         out: &mut Vec<Violation>| {
                if let Some(w) = field(owner, "windowsOptions")
                    && w.get("hostProcess").and_then(Node::as_bool) == Some(true)
                {
                    out.push(v(
                        id,
                        w.key_pos("hostProcess"),
                        format!("{who} sets windowsOptions.hostProcess=true"),
                        c,
                    ));
                }
            };
            check(p.pod_sc(), "pod", None, out);
            for c in &p.containers {
                check(sc(c), &format!("container {:?}", c.name), Some(c), out);
            }
        }
        "pss-host-probes" => {
            for c in &p.containers {
                let mut handlers: Vec<(String, &Node)> = Vec::new();
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                    if let Some(n) = field(Some(c.node), probe) {
                        handlers.push((probe.to_string(), n));
                    }
                }
                let lc = field(Some(c.node), "lifecycle");
                for hook in ["postStart", "preStop"] {
                    if let Some(n) = field(lc, hook) {
                        handlers.push((format!("lifecycle.{hook}"), n));
                    }
                }
                for (what, h) in handlers {
                    for kind in ["httpGet", "tcpSocket"] {
                        if let Some(a) = field(Some(h), kind)
                            && let Some(host) = str_of(a.get("host"))
                            && !host.is_empty()
                        {
                            out.push(v(
                                id,
                                a.key_pos("host"),
                                format!("container {:?} {what}.{kind}.host={host:?}", c.name),
                                Some(c),
                            ));
                        }
                    }
                }
            }
        }
        "pss-restricted-volumes" => {
            const ALLOWED: &[&str] = &[
                "configMap",
                "csi",
                "downwardAPI",
                "emptyDir",
                "ephemeral",
                "image",
                "persistentVolumeClaim",
                "projected",
                "secret",
            ];
            for vol in p.spec.get("volumes").into_iter().flat_map(Node::items) {
                if ALLOWED.iter().any(|k| field(Some(vol), k).is_some()) {
                    continue;
                }
                // A volume with no source is defaulted to emptyDir by the API server before
                // admission sees it.
                let Some((pos, kind)) = vol
                    .entries()
                    .find(|(k, _, val)| *k != "name" && !val.is_null())
                    .map(|(k, kn, _)| (kn.pos, k))
                else {
                    continue;
                };
                out.push(v(
                    id,
                    pos,
                    format!(
                        "volume {:?} uses restricted volume type {kind:?}",
                        str_of(vol.get("name")).unwrap_or("")
                    ),
                    None,
                ));
            }
        }
        "pss-allow-privilege-escalation" => {
            if p.minor >= 25 && p.windows() {
                return;
            }
            for c in &p.containers {
                match sc(c).and_then(|s| field(Some(s), "allowPrivilegeEscalation").map(|a| (s, a))) {
                    Some((_, a)) if a.as_bool() == Some(false) => {}
                    Some((s, _)) => out.push(v(
                        id,
                        s.key_pos("allowPrivilegeEscalation"),
                        format!(
                            "container {:?} must set securityContext.allowPrivilegeEscalation=false",
                            c.name
                        ),
                        Some(c),
                    )),
                    None => out.push(v(
                        id,
                        c.node.pos,
                        format!(
                            "container {:?} must set securityContext.allowPrivilegeEscalation=false",
                            c.name
                        ),
                        Some(c),
                    )),
                }
            }
        }
        "pss-run-as-non-root" => {
            if p.minor >= 35 && p.user_namespaced() {
                return;
            }
            let mut pod_true = false;
            if let Some(s) = p.pod_sc()
                && let Some(r) = field(Some(s), "runAsNonRoot")
            {
                if r.as_bool() == Some(true) {
                    pod_true = true;
                } else {
                    out.push(v(
                        id,
                        s.key_pos("runAsNonRoot"),
                        "pod sets securityContext.runAsNonRoot=false".into(),
                        None,
                    ));
                }
            }
            for c in &p.containers {
                match sc(c).and_then(|s| field(Some(s), "runAsNonRoot").map(|r| (s, r))) {
                    Some((s, r)) => {
                        if r.as_bool() != Some(true) {
                            out.push(v(
                                id,
                                s.key_pos("runAsNonRoot"),
                                format!("container {:?} sets runAsNonRoot=false", c.name),
                                Some(c),
                            ));
                        }
                    }
                    None if !pod_true => out.push(v(
                        id,
                        c.node.pos,
                        format!(
                            "pod or container {:?} must set securityContext.runAsNonRoot=true",
                            c.name
                        ),
                        Some(c),
                    )),
                    None => {}
                }
            }
        }
        "pss-run-as-user" => {
            if p.minor >= 35 && p.user_namespaced() {
                return;
            }
            if let Some(s) = p.pod_sc()
                && s.get("runAsUser").and_then(Node::as_i64) == Some(0)
            {
                out.push(v(
                    id,
                    s.key_pos("runAsUser"),
                    "pod sets runAsUser=0".into(),
                    None,
                ));
            }
            for c in &p.containers {
                if let Some(s) = sc(c)
                    && s.get("runAsUser").and_then(Node::as_i64) == Some(0)
                {
                    out.push(v(
                        id,
                        s.key_pos("runAsUser"),
                        format!("container {:?} sets runAsUser=0", c.name),
                        Some(c),
                    ));
                }
            }
        }
        "pss-seccomp-restricted" => {
            if p.minor >= 25 && p.windows() {
                return;
            }
            let mut pod_set = false;
            if let Some(prof) = field(p.pod_sc(), "seccompProfile") {
                let t = str_of(prof.get("type"));
                if valid_seccomp_type(t) {
                    pod_set = true;
                } else {
                    out.push(v(
                        id,
                        prof.key_pos("type"),
                        format!("pod sets seccompProfile.type {:?}", t.unwrap_or("")),
                        None,
                    ));
                }
            }
            for c in &p.containers {
                match field(sc(c), "seccompProfile") {
                    Some(prof) => {
                        let t = str_of(prof.get("type"));
                        if !valid_seccomp_type(t) {
                            out.push(v(
                                id,
                                prof.key_pos("type"),
                                format!(
                                    "container {:?} sets seccompProfile.type {:?}",
                                    c.name,
                                    t.unwrap_or("")
                                ),
                                Some(c),
                            ));
                        }
                    }
                    None if !pod_set => out.push(v(
                        id,
                        c.node.pos,
                        format!(
                            "pod or container {:?} must set securityContext.seccompProfile.type to RuntimeDefault or Localhost",
                            c.name
                        ),
                        Some(c),
                    )),
                    None => {}
                }
            }
        }
        "pss-capabilities-restricted" => {
            if p.minor >= 25 && p.windows() {
                return;
            }
            for c in &p.containers {
                let Some(caps) = field(sc(c), "capabilities") else {
                    out.push(v(
                        id,
                        c.node.pos,
                        format!(
                            "container {:?} must set securityContext.capabilities.drop=[\"ALL\"]",
                            c.name
                        ),
                        Some(c),
                    ));
                    continue;
                };
                let dropped_all = caps
                    .get("drop")
                    .into_iter()
                    .flat_map(Node::items)
                    .any(|d| d.as_str() == Some("ALL"));
                if !dropped_all {
                    out.push(v(
                        id,
                        caps.key_pos("drop"),
                        format!(
                            "container {:?} must set securityContext.capabilities.drop=[\"ALL\"]",
                            c.name
                        ),
                        Some(c),
                    ));
                }
                for cap in caps.get("add").into_iter().flat_map(Node::items) {
                    let name = cap.as_str().unwrap_or("");
                    if name != "NET_BIND_SERVICE" {
                        out.push(v(
                            id,
                            cap.pos,
                            format!("container {:?} adds capability {name:?}", c.name),
                            Some(c),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn pod(t: &str) -> Node {
        parse(t).docs.into_iter().next().unwrap()
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.25"), Some(25));
        assert_eq!(parse_version("v1.0"), Some(0));
        assert_eq!(parse_version("1.30.2"), Some(30));
        assert_eq!(parse_version("latest"), Some(LATEST_MINOR));
        assert_eq!(parse_version("2.1"), None);
        assert_eq!(parse_version("1.x"), None);
    }

    #[test]
    fn pod_level_run_as_non_root_covers_containers() {
        let d = pod(
            "spec:\n  securityContext:\n    runAsNonRoot: true\n  containers:\n  - name: a\n  - name: b\n    securityContext:\n      runAsNonRoot: false\n",
        );
        let v = evaluate(
            Level::Restricted,
            30,
            d.get("metadata"),
            d.get("spec").unwrap(),
        );
        let rn: Vec<_> = v
            .iter()
            .filter(|x| x.check == "pss-run-as-non-root")
            .collect();
        assert_eq!(rn.len(), 1);
        assert_eq!(rn[0].container.as_deref(), Some("b"));
        assert_eq!(rn[0].pos, Pos { line: 8, column: 7 });
    }

    #[test]
    fn missing_points_at_the_container() {
        let d = pod("spec:\n  containers:\n  - name: a\n    image: x\n");
        let v = evaluate(Level::Restricted, 30, None, d.get("spec").unwrap());
        let ape = v
            .iter()
            .find(|x| x.check == "pss-allow-privilege-escalation")
            .unwrap();
        assert_eq!(ape.pos, Pos { line: 3, column: 5 });
        assert!(evaluate(Level::Baseline, 30, None, d.get("spec").unwrap()).is_empty());
    }
}
