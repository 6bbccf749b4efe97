//! OCI image layout directories (OCI image spec, image-layout.md): `oci-layout`, `index.json`
//! and `blobs/<alg>/<hex>`. Named on the command line as `DIR[:TAG]`, where TAG matches the
//! `org.opencontainers.image.ref.name` annotation of an `index.json` entry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::image::manifest::{Descriptor, Index};
use crate::image::resolve::{BlobStore, ImageOptions, OpenedImage, open_document};
use crate::image::tar_layer::{BlobOpener, FileBlob};
use crate::image::{Digest, ImageError, MAX_MANIFEST_BYTES, read_capped};

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// Split `DIR[:TAG]`: the whole string if it is a directory, else at the last `:`.
pub fn split_dir_tag(spec: &str) -> (PathBuf, Option<String>) {
    if Path::new(spec).is_dir() {
        return (PathBuf::from(spec), None);
    }
    match spec.rsplit_once(':') {
        Some((d, t)) if !t.contains('/') && !d.is_empty() => {
            (PathBuf::from(d), Some(t.to_string()))
        }
        _ => (PathBuf::from(spec), None),
    }
}

/// Pick the `index.json` entry for `tag` (or the only entry when no tag is given).
pub fn select_ref<'a>(
    idx: &'a Index,
    tag: Option<&str>,
    what: &str,
) -> Result<&'a Descriptor, ImageError> {
    let names = |d: &Descriptor| -> Vec<String> {
        [REF_NAME, CONTAINERD_NAME]
            .iter()
            .filter_map(|k| d.annotations.get(*k).cloned())
            .collect()
    };
    if let Some(tag) = tag {
        let hit = idx.manifests.iter().find(|d| {
            names(d).iter().any(|n| {
                n == tag
                    || n.rsplit_once(':')
                        .is_some_and(|(repo, t)| t == tag && !repo.ends_with('/'))
            })
        });
        return hit.ok_or_else(|| {
            let all: Vec<String> = idx.manifests.iter().flat_map(names).collect();
            ImageError::invalid(
                what,
                format!(
                    "no image tagged {tag:?}; tags: {}",
                    if all.is_empty() {
                        "none".to_string()
                    } else {
                        all.join(", ")
                    }
                ),
            )
        });
    }
    match idx.manifests.as_slice() {
        [] => Err(ImageError::invalid(what, "index.json lists no images")),
        [one] => Ok(one),
        many if many.iter().all(|d| d.digest == many[0].digest) => Ok(&many[0]),
        many => {
            let all: Vec<String> = many.iter().flat_map(names).collect();
            Err(ImageError::invalid(
                what,
                format!(
                    "holds {} images; name one with :TAG (tags: {})",
                    many.len(),
                    all.join(", ")
                ),
            ))
        }
    }
}

/// Blobs in a layout directory.
pub struct LayoutStore {
    root: PathBuf,
}

impl LayoutStore {
    fn blob_path(&self, d: &Digest) -> PathBuf {
        // `Digest` guarantees 64 hex digits, so this cannot leave the layout.
        self.root.join("blobs/sha256").join(d.hex())
    }
}

impl BlobStore for LayoutStore {
    fn what(&self) -> String {
        format!("OCI layout {}", self.root.display())
    }
    fn read_small(
        &self,
        digest: &Digest,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), ImageError> {
        let p = self.blob_path(digest);
        let f = std::fs::File::open(&p).map_err(|e| ImageError::io(p.display().to_string(), e))?;
        let b = read_capped(f, cap, &p.display().to_string())?;
        digest.verify(&format!("{} blob {digest}", self.what()), &b)?;
        Ok((b, None))
    }
    fn layer_blob(
        &self,
        digest: &Digest,
        _size: Option<u64>,
    ) -> Result<Arc<dyn BlobOpener>, ImageError> {
        let p = self.blob_path(digest);
        if !p.is_file() {
            return Err(ImageError::invalid(
                self.what(),
                format!("layer blob {digest} is missing"),
            ));
        }
        Ok(Arc::new(FileBlob {
            path: p,
            offset: 0,
            len: None,
            keep: None,
        }))
    }
}

/// Open `DIR[:TAG]`.
pub fn open_layout(spec: &str, opts: &ImageOptions) -> Result<OpenedImage, ImageError> {
    let (dir, tag) = split_dir_tag(spec);
    let what = format!("OCI layout {}", dir.display());
    let marker = dir.join("oci-layout");
    if !marker.is_file() {
        return Err(ImageError::invalid(
            &what,
            "not an OCI image layout (no oci-layout file)",
        ));
    }
    let ip = dir.join("index.json");
    let f = std::fs::File::open(&ip).map_err(|e| ImageError::io(ip.display().to_string(), e))?;
    let ib = read_capped(f, MAX_MANIFEST_BYTES, &ip.display().to_string())?;
    let idx: Index = serde_json::from_slice(&ib)
        .map_err(|e| ImageError::invalid(ip.display().to_string(), format!("bad index: {e}")))?;
    let d = select_ref(&idx, tag.as_deref(), &what)?;
    let store = LayoutStore { root: dir.clone() };
    let dd = d.digest()?;
    let (b, _) = store.read_manifest(&dd)?;
    let mut img = open_document(&store, b, Some(d.media_type.clone()), dd, spec, opts)?;
    if let Some(t) = tag {
        img.meta.repo_tags.push(t);
    }
    Ok(img)
}
