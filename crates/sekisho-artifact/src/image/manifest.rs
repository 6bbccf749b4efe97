//! Manifests, indexes and descriptors: the OCI image spec (manifest.md, image-index.md,
//! descriptor.md) and Docker's Image Manifest V2 Schema 2 / manifest list, which use the same
//! JSON shapes under different media types. Also `docker save`'s `manifest.json`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::image::{Digest, ImageError};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header for manifest requests.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor (OCI descriptor.md).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub platform: Option<PlatformJson>,
}

impl Descriptor {
    pub fn digest(&self) -> Result<Digest, ImageError> {
        Digest::parse(&self.digest)
    }

    /// Foreign (Windows base) and non-distributable layers: the registry does not serve them.
    pub fn is_foreign(&self) -> bool {
        self.media_type.contains("foreign") || self.media_type.contains("nondistributable")
    }
}

/// `platform` in an index entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PlatformJson {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    #[serde(default)]
    pub schema_version: i64,
    #[serde(default)]
    pub media_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// An image index or manifest list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    #[serde(default)]
    pub schema_version: i64,
    #[serde(default)]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

/// A parsed manifest-ish document.
#[derive(Debug, Clone)]
pub enum Document {
    Index(Index),
    Manifest(Manifest),
}

/// Limits on list lengths, so hostile documents cannot make us do unbounded work.
pub const MAX_LAYERS: usize = 1024;
pub const MAX_INDEX_ENTRIES: usize = 4096;

/// Parse a manifest or index. `media_type` is the HTTP Content-Type or descriptor media type, when
/// known; the document's own `mediaType` and shape decide otherwise.
pub fn parse_document(
    bytes: &[u8],
    media_type: Option<&str>,
    what: &str,
) -> Result<Document, ImageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default)]
        schema_version: Option<i64>,
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        config: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        fs_layers: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_slice(bytes)
        .map_err(|e| ImageError::invalid(what, format!("not a manifest or index: {e}")))?;
    let mt = probe
        .media_type
        .clone()
        .or_else(|| media_type.map(|m| m.split(';').next().unwrap_or(m).trim().to_string()))
        .unwrap_or_default();
    if mt == DOCKER_SCHEMA1
        || mt == DOCKER_SCHEMA1_SIGNED
        || probe.fs_layers.is_some()
        || probe.schema_version == Some(1)
    {
        return Err(ImageError::invalid(
            what,
            "Docker schema 1 manifests are deprecated and not supported; re-push the image with a current tool",
        ));
    }
    let is_index = mt == OCI_INDEX || mt == DOCKER_LIST || probe.manifests.is_some();
    if is_index {
        let idx: Index = serde_json::from_slice(bytes)
            .map_err(|e| ImageError::invalid(what, format!("bad image index: {e}")))?;
        if idx.manifests.len() > MAX_INDEX_ENTRIES {
            return Err(ImageError::invalid(what, "index has too many entries"));
        }
        return Ok(Document::Index(idx));
    }
    if probe.config.is_none() {
        return Err(ImageError::invalid(
            what,
            format!("unsupported document (media type {mt:?}): neither a manifest nor an index"),
        ));
    }
    let m: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| ImageError::invalid(what, format!("bad image manifest: {e}")))?;
    if m.layers.len() > MAX_LAYERS {
        return Err(ImageError::invalid(
            what,
            format!("{} layers (limit {MAX_LAYERS})", m.layers.len()),
        ));
    }
    Ok(Document::Manifest(m))
}

/// A platform like `linux/amd64` or `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Self, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || ImageError::invalid(format!("platform {s:?}"), "expected OS/ARCH[/VARIANT]");
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: os.to_string(),
                architecture: normalize_arch(arch).to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Self {
                os: os.to_string(),
                architecture: normalize_arch(arch).to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(bad()),
        }
    }

    /// `linux/` + the host architecture (in Go's GOARCH names, as images use).
    pub fn host() -> Self {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Self {
            os: "linux".into(),
            architecture: arch.into(),
            variant: None,
        }
    }

    fn matches(&self, p: &PlatformJson) -> bool {
        if p.os != self.os || normalize_arch(&p.architecture) != self.architecture {
            return false;
        }
        match (&self.variant, &p.variant) {
            (None, _) => true,
            (Some(w), Some(v)) => w == v,
            // arm64 images often omit the implied v8.
            (Some(w), None) => self.architecture == "arm64" && w == "v8",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

fn normalize_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Pick the index entry for `want`. Attestation manifests (`unknown/unknown`) never match.
pub fn select_platform<'a>(
    idx: &'a Index,
    want: &Platform,
    what: &str,
) -> Result<&'a Descriptor, ImageError> {
    let mut cands: Vec<&Descriptor> = idx
        .manifests
        .iter()
        .filter(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
        .collect();
    // With no variant asked for, prefer entries without one or with the most common one.
    if want.variant.is_none() && cands.len() > 1 {
        cands.sort_by_key(|d| {
            let v = d.platform.as_ref().and_then(|p| p.variant.clone());
            match v.as_deref() {
                None => 0,
                Some("v8") | Some("v7") => 1,
                _ => 2,
            }
        });
    }
    if let Some(d) = cands.first() {
        return Ok(d);
    }
    // An index without platforms (e.g. an OCI layout made by a tool that omits them) with a
    // single manifest: take it.
    let plain: Vec<&Descriptor> = idx
        .manifests
        .iter()
        .filter(|d| d.platform.is_none())
        .collect();
    if plain.len() == 1 && idx.manifests.len() == 1 {
        return Ok(plain[0]);
    }
    let available: Vec<String> = idx
        .manifests
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    Err(ImageError::NoPlatform {
        what: what.to_string(),
        wanted: want.to_string(),
        available: if available.is_empty() {
            "none".into()
        } else {
            available.join(", ")
        },
    })
}

/// One entry of `docker save`'s `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DockerArchiveEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
}

pub fn parse_docker_manifest(bytes: &[u8]) -> Result<Vec<DockerArchiveEntry>, ImageError> {
    let v: Vec<DockerArchiveEntry> = serde_json::from_slice(bytes).map_err(|e| {
        ImageError::invalid("manifest.json", format!("bad docker-archive manifest: {e}"))
    })?;
    if v.iter().any(|e| e.layers.len() > MAX_LAYERS) {
        return Err(ImageError::invalid("manifest.json", "too many layers"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_platforms() {
        let idx = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1,"platform":{"architecture":"amd64","os":"linux"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":1,"platform":{"architecture":"unknown","os":"unknown"}}]}"#;
        let Document::Index(i) = parse_document(idx, None, "t").unwrap() else {
            panic!("index")
        };
        let d = select_platform(&i, &Platform::parse("linux/arm64").unwrap(), "t").unwrap();
        assert!(d.digest.starts_with("sha256:2"));
        let d = select_platform(&i, &Platform::parse("linux/x86_64").unwrap(), "t").unwrap();
        assert!(d.digest.starts_with("sha256:1"));
        let e = select_platform(&i, &Platform::parse("linux/s390x").unwrap(), "t").unwrap_err();
        assert!(e.to_string().contains("linux/amd64, linux/arm64/v8"), "{e}");
        assert!(Platform::parse("linux").is_err());
    }

    #[test]
    fn rejects_schema1_and_junk() {
        assert!(parse_document(br#"{"schemaVersion":1,"fsLayers":[]}"#, None, "t").is_err());
        assert!(parse_document(b"[]", None, "t").is_err());
        assert!(parse_document(br#"{"schemaVersion":2}"#, None, "t").is_err());
    }
}
