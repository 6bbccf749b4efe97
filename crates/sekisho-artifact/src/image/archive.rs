//! Image archives given with `--input FILE`: `docker save` output (the `manifest.json` form, with
//! `<id>/layer.tar` or `blobs/sha256/<hex>` members, and the `index.json`-only form) and OCI
//! archives (a tar of an OCI image layout), plain or gzip-compressed.
//!
//! The archive is indexed once (member name → offset and size) without reading member data; layer
//! members are then streamed straight from the file. A gzip-compressed archive is inflated once
//! into a temp file first, because its members cannot be reached by offset otherwise.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use crate::image::config::parse_config;
use crate::image::layout::select_ref;
use crate::image::manifest::{Index, parse_docker_manifest};
use crate::image::resolve::{BlobStore, ImageOptions, OpenedImage, open_document};
use crate::image::tar_layer::{
    BlobOpener, Compression, FileBlob, Limits, TarInput, TarLayer, walk_tar,
};
use crate::image::{Digest, ImageError, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, read_capped};
use crate::layer::{EntryKind, LayerInfo, LayerSource, Note};
use crate::path;

/// A seekable file as tar input; the position is shared so the visitor can see member offsets.
struct FileInput {
    r: BufReader<std::fs::File>,
    pos: Rc<Cell<u64>>,
}

impl Read for FileInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }
}

impl TarInput for FileInput {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let len = self.r.get_ref().metadata()?.len();
        let k = n.min(len.saturating_sub(self.pos.get()));
        self.r
            .seek_relative(i64::try_from(k).map_err(io::Error::other)?)?;
        self.pos.set(self.pos.get() + k);
        Ok(k)
    }
    fn position(&self) -> u64 {
        self.pos.get()
    }
}

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

/// The members of an uncompressed archive file.
pub struct ArchiveStore {
    file: PathBuf,
    shown: String,
    keep: Option<Arc<tempfile::TempPath>>,
    members: BTreeMap<String, Member>,
}

impl ArchiveStore {
    /// Index the members of the archive at `file` (plain tar).
    fn index(
        file: PathBuf,
        shown: String,
        keep: Option<Arc<tempfile::TempPath>>,
        limits: &Limits,
    ) -> Result<Self, ImageError> {
        let f = std::fs::File::open(&file).map_err(|e| ImageError::io(&shown, e))?;
        let pos = Rc::new(Cell::new(0u64));
        let mut input = FileInput {
            r: BufReader::with_capacity(64 << 10, f),
            pos: pos.clone(),
        };
        let mut members = BTreeMap::new();
        let mut notes: Vec<Note> = Vec::new();
        {
            let mut visit = |m: &crate::layer::EntryMeta,
                             _r: &mut dyn crate::layer::EntryRead|
             -> io::Result<()> {
                let e = match &m.kind {
                    EntryKind::File => Member::File {
                        offset: pos.get(),
                        size: m.size,
                    },
                    EntryKind::Symlink { target } => {
                        match path::join_in_root(path::parent(&m.path), target) {
                            Ok(t) => Member::Link(t),
                            Err(_) => return Ok(()),
                        }
                    }
                    EntryKind::Hardlink { target } => Member::Link(target.clone()),
                    _ => return Ok(()),
                };
                members.insert(m.path.clone(), e);
                Ok(())
            };
            walk_tar(&mut input, 0, &shown, limits, &mut visit, &mut notes)
                .map_err(|e| ImageError::invalid(&shown, format!("not a readable tar: {e}")))?;
        }
        Ok(Self {
            file,
            shown,
            keep,
            members,
        })
    }

    fn find(&self, name: &str) -> Option<(u64, u64)> {
        let mut cur = path::normalize(name).ok()?;
        for _ in 0..16 {
            match self.members.get(&cur)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(t) => cur = t.clone(),
            }
        }
        None
    }

    fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn read_member(&self, name: &str, cap: u64) -> Result<Vec<u8>, ImageError> {
        let (off, size) = self.find(name).ok_or_else(|| {
            ImageError::invalid(&self.shown, format!("archive has no member {name:?}"))
        })?;
        let mut f = std::fs::File::open(&self.file).map_err(|e| ImageError::io(&self.shown, e))?;
        f.seek(io::SeekFrom::Start(off))
            .map_err(|e| ImageError::io(&self.shown, e))?;
        read_capped(f.take(size), cap, &format!("{}: {name}", self.shown))
    }

    fn blob(&self, name: &str) -> Result<Arc<dyn BlobOpener>, ImageError> {
        let (offset, size) = self.find(name).ok_or_else(|| {
            ImageError::invalid(&self.shown, format!("archive has no member {name:?}"))
        })?;
        Ok(Arc::new(FileBlob {
            path: self.file.clone(),
            offset,
            len: Some(size),
            keep: self.keep.clone(),
        }))
    }
}

impl BlobStore for ArchiveStore {
    fn what(&self) -> String {
        format!("archive {}", self.shown)
    }
    fn read_small(
        &self,
        digest: &Digest,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), ImageError> {
        let b = self.read_member(&format!("blobs/sha256/{}", digest.hex()), cap)?;
        digest.verify(&format!("{} blob {digest}", self.what()), &b)?;
        Ok((b, None))
    }
    fn layer_blob(
        &self,
        digest: &Digest,
        _size: Option<u64>,
    ) -> Result<Arc<dyn BlobOpener>, ImageError> {
        self.blob(&format!("blobs/sha256/{}", digest.hex()))
    }
}

/// If `file` is gzip-compressed, inflate it into a temp file (capped by `limits.max_inflated`).
fn spool_if_compressed(
    file: &Path,
    limits: &Limits,
) -> Result<(PathBuf, Option<Arc<tempfile::TempPath>>), ImageError> {
    let shown = file.display().to_string();
    let mut f = std::fs::File::open(file).map_err(|e| ImageError::io(&shown, e))?;
    let mut head = [0u8; 8];
    let n = f.read(&mut head).map_err(|e| ImageError::io(&shown, e))?;
    let comp = Compression::detect(&head[..n]).map_err(|m| ImageError::invalid(&shown, m))?;
    if comp == Compression::None {
        return Ok((file.to_path_buf(), None));
    }
    f.rewind().map_err(|e| ImageError::io(&shown, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix("sekisho-archive-")
        .tempfile()
        .map_err(|e| ImageError::io("temp file", e))?;
    let br = BufReader::with_capacity(256 << 10, f);
    let mut dec: Box<dyn Read> = match comp {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(br).map_err(|e| ImageError::io(&shown, e))?,
        ),
        Compression::None => unreachable!("handled above"),
    };
    let copied = io::copy(
        &mut (&mut dec).take(limits.max_inflated + 1),
        tmp.as_file_mut(),
    )
    .map_err(|e| {
        ImageError::invalid(
            &shown,
            format!("truncated or corrupt compressed archive: {e}"),
        )
    })?;
    if copied > limits.max_inflated {
        return Err(ImageError::invalid(
            &shown,
            format!(
                "inflates to more than the {} byte limit",
                limits.max_inflated
            ),
        ));
    }
    let tp = tmp.into_temp_path();
    Ok((tp.to_path_buf(), Some(Arc::new(tp))))
}

/// Open a docker-archive or OCI archive (optionally compressed).
pub fn open_archive(file: &Path, opts: &ImageOptions) -> Result<OpenedImage, ImageError> {
    let shown = file.display().to_string();
    let (plain, keep) = spool_if_compressed(file, &opts.limits)?;
    let store = ArchiveStore::index(plain, shown.clone(), keep, &opts.limits)?;
    if store.has("manifest.json") {
        return open_docker_form(&store, &shown, opts);
    }
    if store.has("index.json") {
        let ib = store.read_member("index.json", MAX_MANIFEST_BYTES)?;
        let idx: Index = serde_json::from_slice(&ib)
            .map_err(|e| ImageError::invalid(&shown, format!("bad index.json: {e}")))?;
        let mut notes = Vec::new();
        let d = match select_ref(&idx, None, &shown) {
            Ok(d) => d,
            Err(_) if !idx.manifests.is_empty() => {
                notes.push(Note::new(
                    None,
                    shown.clone(),
                    format!(
                        "archive holds {} images; scanning the first",
                        idx.manifests.len()
                    ),
                ));
                &idx.manifests[0]
            }
            Err(e) => return Err(e),
        };
        let dd = d.digest()?;
        let (b, _) = store.read_manifest(&dd)?;
        let mut img = open_document(&store, b, Some(d.media_type.clone()), dd, &shown, opts)?;
        img.notes.extend(notes);
        return Ok(img);
    }
    Err(ImageError::invalid(
        &shown,
        "neither a docker-archive (manifest.json) nor an OCI archive (index.json)",
    ))
}

fn open_docker_form(
    store: &ArchiveStore,
    shown: &str,
    opts: &ImageOptions,
) -> Result<OpenedImage, ImageError> {
    let mb = store.read_member("manifest.json", MAX_MANIFEST_BYTES)?;
    let entries = parse_docker_manifest(&mb)?;
    let Some(e) = entries.first() else {
        return Err(ImageError::invalid(shown, "manifest.json lists no images"));
    };
    let mut notes = Vec::new();
    if entries.len() > 1 {
        notes.push(Note::new(
            None,
            shown.to_string(),
            format!(
                "archive holds {} images; scanning the first ({})",
                entries.len(),
                e.repo_tags.clone().unwrap_or_default().join(", ")
            ),
        ));
    }
    let cb = store.read_member(&e.config, MAX_CONFIG_BYTES)?;
    let cd = Digest::of(&cb);
    let mut meta = parse_config(&cb, &format!("{shown}: {}", e.config))?;
    meta.name = shown.to_string();
    meta.config_digest = Some(cd.to_string());
    meta.repo_tags = e.repo_tags.clone().unwrap_or_default();
    if meta.diff_ids.len() != e.layers.len() {
        return Err(ImageError::invalid(
            shown,
            format!(
                "manifest.json lists {} layers but the config has {} diff_ids",
                e.layers.len(),
                meta.diff_ids.len()
            ),
        ));
    }
    let created_by = meta.created_by_per_layer(e.layers.len());
    let mut layers: Vec<Box<dyn LayerSource>> = Vec::new();
    for (i, lp) in e.layers.iter().enumerate() {
        let diff_id = Digest::parse(&meta.diff_ids[i])?;
        // `blobs/sha256/<hex>` members carry their digest in their name.
        let digest = lp
            .strip_prefix("blobs/sha256/")
            .and_then(|h| Digest::parse(&format!("sha256:{h}")).ok());
        let (_, size) = store.find(lp).ok_or_else(|| {
            ImageError::invalid(shown, format!("layer {lp:?} is missing from the archive"))
        })?;
        let info = LayerInfo {
            index: i,
            digest: digest.map(|d| d.to_string()),
            diff_id: Some(diff_id.to_string()),
            created_by: created_by[i].clone(),
            media_type: None,
            size: Some(size),
            description: Some(format!("{shown}: {lp}")),
        };
        layers.push(Box::new(TarLayer::new(
            info,
            store.blob(lp)?,
            opts.limits.clone(),
        )));
    }
    Ok(OpenedImage {
        meta,
        layers,
        notes,
    })
}
