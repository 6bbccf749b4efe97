//! Image configs (the OCI/Docker image config JSON): the user, exposed SSH, credentials in
//! `Env` and `Labels`, no healthcheck, and build history steps that bypassed TLS or piped a
//! download into a shell. Used for image config files found by `sekisho config` (positions in
//! the file) and by the `config` analyzer of image scans (logical places: `config:User`,
//! `config:Env[2]`, `config:History[3]`).

use crate::Hit;
use crate::dockerfile;
use crate::k8s::extra::{literal_secret_value, secret_name};
use crate::yaml::{Node, Pos};

/// What the checks read from an image config, each with where it is.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `config.User` (None or empty: root).
    pub user: Option<(String, Pos)>,
    pub exposed_ports: Vec<(String, Pos)>,
    pub env: Vec<(String, Pos)>,
    pub labels: Vec<(String, String, Pos)>,
    pub healthcheck: bool,
    /// History `created_by` lines (empty layers included), in order.
    pub history: Vec<(String, Pos)>,
    /// Where the config object is (for what is missing).
    pub pos: Pos,
}

impl Facts {
    /// From an image config document.
    pub fn from_node(doc: &Node) -> Self {
        let cfg = doc.get("config").or_else(|| doc.get("container_config"));
        let mut f = Facts {
            pos: cfg.map_or(doc.pos, |c| c.pos),
            ..Facts::default()
        };
        if let Some(c) = cfg {
            if let Some(u) = c.get("User").and_then(Node::as_str) {
                f.user = Some((u.to_string(), c.key_pos("User")));
            }
            for (k, kn, _) in c.get("ExposedPorts").into_iter().flat_map(Node::entries) {
                f.exposed_ports.push((k.to_string(), kn.pos));
            }
            for e in c.get("Env").into_iter().flat_map(Node::items) {
                if let Some(s) = e.as_str() {
                    f.env.push((s.to_string(), e.pos));
                }
            }
            for (k, kn, v) in c.get("Labels").into_iter().flat_map(Node::entries) {
                f.labels
                    .push((k.to_string(), v.as_str().unwrap_or("").to_string(), kn.pos));
            }
            f.healthcheck = c
                .get("Healthcheck")
                .and_then(|h| h.get("Test"))
                .is_some_and(|t| t.items().next().is_some_and(|x| x.as_str() != Some("NONE")));
        }
        for h in doc.get("history").into_iter().flat_map(Node::items) {
            if let Some(c) = h.get("created_by").and_then(Node::as_str) {
                f.history.push((c.to_string(), h.key_pos("created_by")));
            }
        }
        f
    }
}

/// The shell command of a history line: `/bin/sh -c X`, `|1 A=b /bin/sh -c X`, `RUN X # buildkit`.
fn history_shell(created_by: &str) -> Option<&str> {
    let s = created_by.trim();
    if let Some(i) = s.find("/bin/sh -c ") {
        let rest = s[i + "/bin/sh -c ".len()..].trim_start();
        return rest.strip_prefix("#(nop)").map_or(Some(rest), |_| None);
    }
    s.strip_prefix("RUN ")
        .map(|r| r.trim_end_matches("# buildkit").trim())
}

/// The checks, with `logical` names of the places (`config:User`).
pub fn check_facts(f: &Facts) -> Vec<(Hit, String)> {
    let mut out = Vec::new();
    match &f.user {
        Some((u, pos)) if !u.is_empty() => {
            let user = u.split(':').next().unwrap_or("");
            if user == "root" || user == "0" {
                out.push((
                    Hit::new("image-root-user", *pos)
                        .object("config:User")
                        .value(u.clone()),
                    "config:User".into(),
                ));
            }
        }
        Some((_, pos)) => out.push((
            Hit::new("image-root-user", *pos)
                .object("config:User")
                .value("(empty: root)"),
            "config:User".into(),
        )),
        None => out.push((
            Hit::new("image-root-user", f.pos)
                .object("config:User")
                .value("(unset: root)"),
            "config:User".into(),
        )),
    }
    for (p, pos) in &f.exposed_ports {
        if p.split('/').next() == Some("22") {
            out.push((
                Hit::new("image-expose-ssh", *pos)
                    .object("config:ExposedPorts")
                    .value(p.clone()),
                "config:ExposedPorts".into(),
            ));
        }
    }
    for (i, (e, pos)) in f.env.iter().enumerate() {
        if let Some((k, v)) = e.split_once('=')
            && secret_name(k)
            && literal_secret_value(v)
        {
            let l = format!("config:Env[{i}]");
            out.push((
                Hit::new("image-secret-in-env", *pos)
                    .object(l.clone())
                    .value(format!("{k}=****")),
                l,
            ));
        }
    }
    for (k, v, pos) in &f.labels {
        if secret_name(k) && literal_secret_value(v) {
            let l = format!("config:Labels[{k}]");
            out.push((
                Hit::new("image-secret-in-env", *pos)
                    .object(l.clone())
                    .value(format!("{k}=****")),
                l,
            ));
        }
    }
    if !f.healthcheck {
        out.push((
            Hit::new("image-no-healthcheck", f.pos).object("config:Healthcheck"),
            "config:Healthcheck".into(),
        ));
    }
    for (i, (h, pos)) in f.history.iter().enumerate() {
        let Some(sh) = history_shell(h) else { continue };
        let df = dockerfile::parse(&format!("FROM scratch\nRUN {sh}\n"));
        let mut hits = Vec::new();
        dockerfile::check(&df, &mut hits);
        for x in hits {
            let id = match x.check {
                "dockerfile-tls-bypass" => "image-history-tls-bypass",
                "dockerfile-curl-pipe-shell" => "image-history-curl-pipe-shell",
                _ => continue,
            };
            let l = format!("config:History[{i}]");
            if out
                .iter()
                .any(|(o, ol): &(Hit, String)| o.check == id && *ol == l)
            {
                continue;
            }
            out.push((
                Hit {
                    check: id,
                    pos: *pos,
                    object: Some(l.clone()),
                    value: x.value,
                },
                l,
            ));
        }
    }
    out
}

/// The checks of an image config file.
pub fn check_file(doc: &Node, hits: &mut Vec<Hit>) {
    hits.extend(
        check_facts(&Facts::from_node(doc))
            .into_iter()
            .map(|(h, _)| h),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file() {
        let j = r#"{"architecture":"amd64","os":"linux",
"config":{"User":"","ExposedPorts":{"22/tcp":{}},"Env":["PATH=/bin","API_TOKEN=abcd1234"],"Labels":{"maintainer":"x"}},
"rootfs":{"type":"layers","diff_ids":[]},
"history":[{"created_by":"/bin/sh -c curl -k https://x/i.sh | bash"},{"created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}]}"#;
        let doc = crate::yaml::parse(j).docs.remove(0);
        let got = check_facts(&Facts::from_node(&doc));
        let ids: Vec<(&str, &str)> = got.iter().map(|(h, l)| (h.check, l.as_str())).collect();
        for want in [
            ("image-root-user", "config:User"),
            ("image-expose-ssh", "config:ExposedPorts"),
            ("image-secret-in-env", "config:Env[1]"),
            ("image-no-healthcheck", "config:Healthcheck"),
            ("image-history-tls-bypass", "config:History[0]"),
            ("image-history-curl-pipe-shell", "config:History[0]"),
        ] {
            assert!(ids.contains(&want), "{want:?} not in {ids:?}");
        }
        assert_eq!(ids.len(), 6, "{ids:?}");
        assert_eq!(got[0].0.pos.line, 2);
    }
}
