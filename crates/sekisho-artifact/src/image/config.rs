//! The image configuration (OCI image spec, config.md; Docker's image JSON is the same shape):
//! what later stages (misconfiguration checks, reports, SBOM metadata) want to know about an image
//! besides its files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::image::ImageError;

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// What we keep of an image config. Field names are snake_case for our JSON output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMeta {
    /// The reference or file the user named.
    pub name: String,
    /// Manifest digest, when the image came from a manifest (registry, OCI layout/archive).
    pub manifest_digest: Option<String>,
    /// Config digest (the image ID).
    pub config_digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub user: Option<String>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: Option<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    /// Docker's HEALTHCHECK test, when set.
    pub healthcheck: Option<Vec<String>>,
    pub history: Vec<History>,
    pub diff_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    stop_signal: Option<String>,
    #[serde(default)]
    healthcheck: Option<HealthJson>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct HealthJson {
    #[serde(default)]
    test: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigJson {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    config: Option<RunConfig>,
    rootfs: Option<RootFs>,
    #[serde(default)]
    history: Option<Vec<History>>,
}

/// Parse an image config.
pub fn parse_config(bytes: &[u8], what: &str) -> Result<ImageMeta, ImageError> {
    let c: ConfigJson = serde_json::from_slice(bytes)
        .map_err(|e| ImageError::invalid(what, format!("bad image config: {e}")))?;
    let Some(rootfs) = c.rootfs else {
        return Err(ImageError::invalid(
            what,
            "image config has no rootfs.diff_ids",
        ));
    };
    let rc = c.config.unwrap_or_default();
    Ok(ImageMeta {
        os: c.os,
        architecture: c.architecture,
        variant: c.variant,
        created: c.created,
        author: c.author,
        user: rc.user.filter(|u| !u.is_empty()),
        env: rc.env.unwrap_or_default(),
        entrypoint: rc.entrypoint.unwrap_or_default(),
        cmd: rc.cmd.unwrap_or_default(),
        working_dir: rc.working_dir.filter(|w| !w.is_empty()),
        exposed_ports: rc.exposed_ports.unwrap_or_default().into_keys().collect(),
        volumes: rc.volumes.unwrap_or_default().into_keys().collect(),
        labels: rc.labels.unwrap_or_default(),
        stop_signal: rc.stop_signal,
        healthcheck: rc.healthcheck.and_then(|h| h.test),
        history: c.history.unwrap_or_default(),
        diff_ids: rootfs.diff_ids,
        ..ImageMeta::default()
    })
}

impl ImageMeta {
    /// The `created_by` line for each layer, aligning history with layers by skipping
    /// `empty_layer` entries. `None` where history is missing or too short.
    pub fn created_by_per_layer(&self, layers: usize) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .take(layers)
            .collect();
        out.resize(layers, None);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_aligns_history() {
        let c = br#"{"architecture":"amd64","os":"linux","config":{"User":"app","Env":["A=1"],
          "Entrypoint":["/bin/sh"],"Cmd":null,"ExposedPorts":{"80/tcp":{}},"Labels":{"k":"v"}},
          "rootfs":{"type":"layers","diff_ids":["sha256:a","sha256:b"]},
          "history":[{"created_by":"ADD base"},{"created_by":"ENV A=1","empty_layer":true},{"created_by":"RUN x"}]}"#;
        let m = parse_config(c, "cfg").unwrap();
        assert_eq!(m.user.as_deref(), Some("app"));
        assert_eq!(m.exposed_ports, vec!["80/tcp"]);
        assert!(m.cmd.is_empty());
        assert_eq!(
            m.created_by_per_layer(3),
            vec![Some("ADD base".into()), Some("RUN x".into()), None]
        );
        assert!(parse_config(b"{}", "cfg").is_err());
    }
}
