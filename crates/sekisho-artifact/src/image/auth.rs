//! Registry credentials and auth challenges.
//!
//! Credentials come, in order, from `--username`/`--password-stdin`, then Docker's
//! `config.json` (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`): `credHelpers` for the
//! registry, then `credsStore`, then `auths` (base64 `user:password` in `auth`, or
//! `username`/`password`). Helpers are the `docker-credential-<name>` programs of Docker's
//! credential-helper protocol (`get`, server URL on stdin, JSON `{Username, Secret}` on stdout).
//!
//! Challenges are RFC 7235 `WWW-Authenticate` headers; `Bearer` ones follow Docker's token
//! authentication spec (realm, service, scope).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::image::ImageError;
use crate::image::reference::DOCKER_HUB;

/// A username and a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// `Basic base64(user:password)`.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerConfig {
    #[serde(default)]
    pub auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    pub creds_store: Option<String>,
    #[serde(default)]
    pub cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuthEntry {
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub identitytoken: Option<String>,
}

/// Parse a Docker `config.json`.
pub fn parse_docker_config(bytes: &[u8]) -> Result<DockerConfig, ImageError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ImageError::invalid("docker config.json", format!("bad JSON: {e}")))
}

/// The keys a registry may be stored under in `auths` / `credHelpers`.
fn keys_for(registry: &str) -> Vec<String> {
    let mut k = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ];
    if registry == DOCKER_HUB {
        k.insert(0, "https://index.docker.io/v1/".into());
        k.push("index.docker.io".into());
        k.push("registry-1.docker.io".into());
    }
    k
}

/// What a registry's `auths` key names, stripped of scheme and path.
fn host_of_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

impl DockerConfig {
    /// The `auths` entry for `registry`, decoded.
    pub fn auths_for(&self, registry: &str) -> Result<Option<Credentials>, ImageError> {
        let keys = keys_for(registry);
        let entry = keys.iter().find_map(|k| self.auths.get(k)).or_else(|| {
            self.auths
                .iter()
                .find(|(k, _)| host_of_key(k) == registry)
                .map(|(_, v)| v)
        });
        let Some(e) = entry else { return Ok(None) };
        if let Some(a) = e.auth.as_deref().filter(|a| !a.is_empty()) {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|_| {
                    ImageError::invalid(
                        "docker config.json",
                        format!("auths[{registry}].auth is not base64"),
                    )
                })?;
            let s = String::from_utf8(raw).map_err(|_| {
                ImageError::invalid(
                    "docker config.json",
                    format!("auths[{registry}].auth is not UTF-8"),
                )
            })?;
            let Some((u, p)) = s.split_once(':') else {
                return Err(ImageError::invalid(
                    "docker config.json",
                    format!("auths[{registry}].auth is not user:password"),
                ));
            };
            return Ok(Some(Credentials {
                username: u.to_string(),
                password: p.to_string(),
            }));
        }
        if let (Some(u), Some(p)) = (&e.username, &e.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }));
        }
        if let Some(t) = &e.identitytoken {
            // Docker sends identity tokens as a refresh token; registries that accept them also
            // accept them as the password of the `<token>` user on the token endpoint.
            return Ok(Some(Credentials {
                username: "<token>".into(),
                password: t.clone(),
            }));
        }
        Ok(None)
    }

    /// The helper to ask for `registry`: `credHelpers` first, then `credsStore`.
    pub fn helper_for(&self, registry: &str) -> Option<String> {
        keys_for(registry)
            .iter()
            .find_map(|k| self.cred_helpers.get(k).cloned())
            .or_else(|| self.creds_store.clone().filter(|s| !s.is_empty()))
    }
}

/// Where Docker keeps its config: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
/// The caller passes the environment's values.
pub fn docker_config_path(
    docker_config: Option<&std::path::Path>,
    home: Option<&std::path::Path>,
) -> Option<PathBuf> {
    if let Some(d) = docker_config {
        return Some(d.join("config.json"));
    }
    home.map(|h| h.join(".docker/config.json"))
}

/// Ask `docker-credential-<helper>` for `registry`'s credentials. `Ok(None)` when it has none.
pub fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>, ImageError> {
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(ImageError::invalid(
            "docker config.json",
            format!("bad credential helper name {helper:?}"),
        ));
    }
    let prog = format!("docker-credential-{helper}");
    let server = if registry == DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let mut child = Command::new(&prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            ImageError::invalid(
                &prog,
                format!(
                    "cannot run credential helper for {registry} (named in docker config.json): {e}"
                ),
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| ImageError::invalid(&prog, format!("credential helper failed: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if msg.to_lowercase().contains("not found") {
            return Ok(None);
        }
        return Err(ImageError::invalid(
            &prog,
            format!(
                "credential helper failed for {registry} ({}): {}",
                out.status,
                msg.trim()
            ),
        ));
    }
    #[derive(Deserialize)]
    struct HelperOut {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let h: HelperOut = serde_json::from_slice(&out.stdout).map_err(|e| {
        ImageError::invalid(&prog, format!("credential helper printed bad JSON: {e}"))
    })?;
    if h.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: h.username,
        password: h.secret,
    }))
}

/// Credentials for `registry` from the Docker config file `config` (helpers first, then
/// `auths`). A missing file has none.
pub fn from_docker_config(
    registry: &str,
    config: &std::path::Path,
) -> Result<Option<Credentials>, ImageError> {
    let path = config.to_path_buf();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ImageError::io(path.display().to_string(), e)),
    };
    let cfg = parse_docker_config(&bytes)?;
    if let Some(h) = cfg.helper_for(registry)
        && let Some(c) = run_helper(&h, registry)?
    {
        return Ok(Some(c));
    }
    cfg.auths_for(registry)
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lowercased scheme: `basic` or `bearer`.
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

/// Parse the first challenge of a `WWW-Authenticate` header.
pub fn parse_challenge(h: &str) -> Option<Challenge> {
    let h = h.trim();
    let (scheme, rest) = match h.find(char::is_whitespace) {
        Some(i) => (&h[..i], &h[i..]),
        None => (h, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let key = rest[ks..i].trim().to_ascii_lowercase();
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // Push whole UTF-8 characters.
                let ch = rest[i..].chars().next()?;
                val.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = rest[vs..i].trim().to_string();
        }
        if !key.is_empty() {
            params.insert(key, val);
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.docker.io/token");
        assert_eq!(c.params["scope"], "repository:library/alpine:pull,push");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "Registry Realm");
        assert!(parse_challenge("").is_none());
        let _ = parse_challenge("Bearer realm=\"unterminated");
        let _ = parse_challenge("Bearer realm=\"\\");
    }

    #[test]
    fn docker_config_auths() {
        let cfg = parse_docker_config(
            br#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYTpzcw=="},
              "https://r.example:5000/v1/":{"username":"u","password":"p"}},
              "credHelpers":{"gcr.io":"gcloud"},"credsStore":"desktop"}"#,
        )
        .unwrap();
        let c = cfg.auths_for("docker.io").unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("user", "pa:ss")
        );
        let c = cfg.auths_for("r.example:5000").unwrap().unwrap();
        assert_eq!(c.username, "u");
        assert!(cfg.auths_for("other.io").unwrap().is_none());
        assert_eq!(cfg.helper_for("gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(cfg.helper_for("x.io").as_deref(), Some("desktop"));
        assert!(run_helper("../evil", "x").is_err());
        assert!(!format!("{c:?}").contains('p') || format!("{c:?}").contains("redacted"));
    }
}
