//! From a manifest (or index) to layers: the part every image source shares. A source is a
//! [`BlobStore`] that can fetch small verified documents and hand out layer blob openers.

use std::sync::Arc;

use crate::image::config::{ImageMeta, parse_config};
use crate::image::manifest::{Document, Manifest, Platform, parse_document, select_platform};
use crate::image::tar_layer::{BlobOpener, Limits, TarLayer};
use crate::image::{Digest, ImageError, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES};
use crate::layer::{LayerInfo, LayerSource, Note};

/// Where an image's blobs live.
pub trait BlobStore {
    /// Name for error messages (registry host/repo, file path).
    fn what(&self) -> String;
    /// Read a small blob (manifest, index, config) and verify its digest. Returns the bytes and,
    /// when the store knows it, the media type.
    fn read_small(
        &self,
        digest: &Digest,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), ImageError>;
    /// A manifest by digest (registries use a different endpoint for manifests than for blobs).
    fn read_manifest(&self, digest: &Digest) -> Result<(Vec<u8>, Option<String>), ImageError> {
        self.read_small(digest, MAX_MANIFEST_BYTES)
    }
    /// An opener for a layer blob.
    fn layer_blob(
        &self,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<Arc<dyn BlobOpener>, ImageError>;
}

/// Options every image source takes.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// The platform to pick from an index; `None` = `linux/<host arch>`.
    pub platform: Option<Platform>,
    pub limits: Limits,
}

impl ImageOptions {
    pub fn platform(&self) -> Platform {
        self.platform.clone().unwrap_or_else(Platform::host)
    }
}

/// An image, opened: its config and one streamed layer per manifest layer.
pub struct OpenedImage {
    pub meta: ImageMeta,
    pub layers: Vec<Box<dyn LayerSource>>,
    pub notes: Vec<Note>,
}

impl std::fmt::Debug for OpenedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedImage")
            .field("meta", &self.meta)
            .field("layers", &self.layers.len())
            .field("notes", &self.notes)
            .finish()
    }
}

/// Resolve a manifest or index document down to an image.
pub fn open_document(
    store: &dyn BlobStore,
    bytes: Vec<u8>,
    media_type: Option<String>,
    digest: Digest,
    name: &str,
    opts: &ImageOptions,
) -> Result<OpenedImage, ImageError> {
    let mut bytes = bytes;
    let mut media_type = media_type;
    let mut digest = digest;
    let want = opts.platform();
    // An index may point at an index (rare, but allowed); follow a few levels.
    for _ in 0..4 {
        let what = format!("{} manifest {digest}", store.what());
        match parse_document(&bytes, media_type.as_deref(), &what)? {
            Document::Index(idx) => {
                let d = select_platform(&idx, &want, &what)?;
                let dd = d.digest()?;
                let (b, mt) = store.read_manifest(&dd)?;
                bytes = b;
                media_type = mt.or_else(|| Some(d.media_type.clone()));
                digest = dd;
            }
            Document::Manifest(m) => {
                return open_manifest(store, &m, digest, name, opts);
            }
        }
    }
    Err(ImageError::invalid(
        format!("{} manifest {digest}", store.what()),
        "image indexes nested too deeply",
    ))
}

/// Is this a layer media type we can read as a tar?
fn is_tar_layer(mt: &str) -> bool {
    mt.is_empty()
        || mt.contains(".tar")
        || mt.contains("rootfs.diff")
        || mt == "application/octet-stream"
}

fn open_manifest(
    store: &dyn BlobStore,
    m: &Manifest,
    manifest_digest: Digest,
    name: &str,
    opts: &ImageOptions,
) -> Result<OpenedImage, ImageError> {
    let cd = m.config.digest()?;
    let (cbytes, _) = store.read_small(&cd, MAX_CONFIG_BYTES)?;
    let mut meta = parse_config(&cbytes, &format!("{} config {cd}", store.what()))?;
    meta.name = name.to_string();
    meta.manifest_digest = Some(manifest_digest.to_string());
    meta.config_digest = Some(cd.to_string());
    let mut notes = Vec::new();
    if let Some(p) = &opts.platform
        && (!meta.os.is_empty() && (meta.os != p.os || meta.architecture != p.architecture))
    {
        notes.push(Note::new(
            None,
            name.to_string(),
            format!(
                "image is {}/{}, not the requested platform {p}",
                meta.os, meta.architecture
            ),
        ));
    }
    if meta.diff_ids.len() != m.layers.len() {
        return Err(ImageError::invalid(
            format!("{} manifest {manifest_digest}", store.what()),
            format!(
                "manifest lists {} layers but the config has {} diff_ids",
                m.layers.len(),
                meta.diff_ids.len()
            ),
        ));
    }
    let created_by = meta.created_by_per_layer(m.layers.len());
    let mut layers: Vec<Box<dyn LayerSource>> = Vec::new();
    for (i, d) in m.layers.iter().enumerate() {
        let digest = d.digest()?;
        let diff_id = Digest::parse(&meta.diff_ids[i])?;
        if d.is_foreign() {
            notes.push(Note::new(
                Some(i),
                digest.to_string(),
                format!(
                    "skipped: foreign/non-distributable layer ({}){}",
                    d.media_type,
                    if d.urls.is_empty() {
                        String::new()
                    } else {
                        format!(", served from {}", d.urls.join(" "))
                    }
                ),
            ));
            continue;
        }
        if !is_tar_layer(&d.media_type) {
            notes.push(Note::new(
                Some(i),
                digest.to_string(),
                format!("skipped: layer media type {} is not a tar", d.media_type),
            ));
            continue;
        }
        let size = u64::try_from(d.size).ok().filter(|s| *s > 0);
        let info = LayerInfo {
            index: i,
            digest: Some(digest.to_string()),
            diff_id: Some(diff_id.to_string()),
            created_by: created_by[i].clone(),
            media_type: Some(d.media_type.clone()).filter(|m| !m.is_empty()),
            size,
            description: None,
        };
        let blob = store.layer_blob(&digest, size)?;
        layers.push(Box::new(TarLayer::new(info, blob, opts.limits.clone())));
    }
    Ok(OpenedImage {
        meta,
        layers,
        notes,
    })
}
