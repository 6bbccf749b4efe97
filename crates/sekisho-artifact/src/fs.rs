//! The layered filesystem view.
//!
//! A target is an ordered list of [`LayerSource`]s (an image's layers bottom to top; a root
//! filesystem or a VM filesystem is one layer). [`collect`] walks every layer once and hands
//! each entry a [`Capture`] wants to that capture, which keeps what it needs (usually the file's
//! bytes, capped). Per-layer results ([`LayerResult`]) are plain, serialisable data so they can be
//! cached by diff_id. [`Inventory::from_layers`] then applies the layers in order — whiteouts,
//! opaque directories, overwrites, symlinks — and knows, for every captured file version, whether
//! it is visible in the final filesystem or was deleted or shadowed by a later layer (secret
//! scanning still wants those).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::path::{self, PathError};

/// Where a layer came from. For a root filesystem or a VM filesystem only `index` (0) and a
/// description are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Position in the image, 0 = bottom.
    pub index: usize,
    /// Digest of the (compressed) blob, as in the manifest.
    pub digest: Option<String>,
    /// Digest of the uncompressed tar, as in the image config's `rootfs.diff_ids`.
    pub diff_id: Option<String>,
    /// The history `created_by` line that made this layer, when known.
    pub created_by: Option<String>,
    /// Media type of the blob, when known.
    pub media_type: Option<String>,
    /// Compressed size in bytes, when known.
    pub size: Option<u64>,
    /// Free-form description for non-image sources, e.g. `rootfs /srv/root` or `partition 2 (ext4)`.
    pub description: Option<String>,
}

/// What kind of entry a layer holds at a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link; `target` is the raw link text (resolve with [`Inventory::resolve`]).
    Symlink {
        target: String,
    },
    /// A hard link to another entry of the same layer; `target` is normalised.
    Hardlink {
        target: String,
    },
    CharDevice,
    BlockDevice,
    Fifo,
    /// An overlay/OCI whiteout: the path is deleted from lower layers (`.wh.NAME`).
    Whiteout,
    /// An opaque directory marker: the directory's lower-layer children are hidden (`.wh..wh..opq`).
    Opaque,
    Other,
}

/// Metadata of one entry in a layer. `path` is always normalised (see [`crate::path::normalize`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
}

impl EntryMeta {
    /// A regular file with default metadata (handy for tests and synthetic layers).
    pub fn file(path: impl Into<String>, size: u64) -> Self {
        Self {
            path: path.into(),
            kind: EntryKind::File,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    /// True when any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Something that was skipped or not understood. Notes are carried all the way to the report:
/// we never silently return fewer results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The layer (index) the note is about, if any.
    pub layer: Option<usize>,
    /// The path (or digest) the note is about.
    pub subject: String,
    /// What happened, e.g. `skipped: device node`.
    pub message: String,
}

impl Note {
    pub fn new(
        layer: Option<usize>,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            layer,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

/// Errors that stop a layer walk. Entry-level problems become [`Note`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("layer {layer}: {message}")]
    Layer { layer: String, message: String },
    #[error("layer {layer}: reading {path}: {source}")]
    Io {
        layer: String,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("layer {layer}: bad path {path:?}: {source}")]
    Path {
        layer: String,
        path: String,
        #[source]
        source: PathError,
    },
    #[error("walk stopped: {0}")]
    Stopped(String),
}

/// Callback for [`LayerSource::walk`]: gets each entry's metadata and, for regular files, a reader
/// over its content. It may leave the reader unread.
pub type Visitor<'a> = dyn FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()> + 'a;

/// One layer that can be walked once, front to back.
pub trait LayerSource: Send {
    /// Where the layer came from.
    fn info(&self) -> &LayerInfo;
    /// Visit every entry in order. Paths handed to `visit` are already normalised; whiteout files
    /// are reported as [`EntryKind::Whiteout`] / [`EntryKind::Opaque`] on the path they affect.
    /// Problems with single entries are pushed to `notes` and the walk goes on.
    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError>;
}

/// Default cap on one captured file (bytes).
pub const DEFAULT_CAPTURE_LIMIT: u64 = 64 << 20;

/// A request, registered by an analyzer, for certain entries' bytes.
pub trait Capture: Send + Sync {
    /// Stable identifier; part of the per-layer cache key, so bump it when `capture` changes.
    fn id(&self) -> &'static str;
    /// Whether this entry is wanted. Decide from the path (and kind/size/mode); must be cheap.
    fn wants(&self, meta: &EntryMeta) -> bool;
    /// Largest entry this capture reads; larger ones are skipped with a note.
    fn max_size(&self) -> u64 {
        DEFAULT_CAPTURE_LIMIT
    }
    /// Read the entry and return what to keep. The default keeps the whole content.
    /// `Ok(None)` means "looked at it, nothing to keep" (e.g. an ELF without Go build info).
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::with_capacity(meta.size.min(1 << 20) as usize);
        r.take(self.max_size().saturating_add(1))
            .read_to_end(&mut buf)?;
        if buf.len() as u64 > self.max_size() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than the {} byte capture limit", self.max_size()),
            ));
        }
        Ok(Some(buf))
    }
}

/// One kept version of one wanted file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    /// The [`Capture::id`] that kept it.
    pub capture: String,
    /// Metadata of the entry (normalised path).
    pub meta: EntryMeta,
    /// Layer index that wrote this version.
    pub layer: usize,
    /// What the capture kept.
    pub data: Vec<u8>,
}

/// The result of walking one layer: plain data, cacheable by diff_id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerResult {
    pub info: LayerInfo,
    pub captured: Vec<Captured>,
    /// Paths deleted by whiteouts in this layer.
    pub whiteouts: BTreeSet<String>,
    /// Directories made opaque in this layer.
    pub opaques: BTreeSet<String>,
    /// Every symlink in this layer: path → raw target.
    pub symlinks: BTreeMap<String, String>,
    /// Every non-directory, non-symlink path that a capture did not want but that shadows
    /// something: kept only for paths that are (or could be) ancestors of captured paths is too
    /// costly to know up front, so we keep only captured paths and links; see `Inventory`.
    pub entries: u64,
    /// Bytes of regular-file content in the layer.
    pub bytes: u64,
    pub notes: Vec<Note>,
}

/// Walk one layer with the given captures.
pub fn walk_layer(
    source: &mut dyn LayerSource,
    captures: &[&dyn Capture],
) -> Result<LayerResult, WalkError> {
    let info = source.info().clone();
    let layer = info.index;
    let mut res = LayerResult {
        info,
        ..LayerResult::default()
    };
    let mut notes = Vec::new();
    {
        let res = &mut res;
        let mut local_notes: Vec<Note> = Vec::new();
        let mut visit = |meta: &EntryMeta, r: &mut dyn Read| -> io::Result<()> {
            res.entries += 1;
            match &meta.kind {
                EntryKind::Whiteout => {
                    res.whiteouts.insert(meta.path.clone());
                    return Ok(());
                }
                EntryKind::Opaque => {
                    res.opaques.insert(meta.path.clone());
                    return Ok(());
                }
                EntryKind::Symlink { target } => {
                    res.symlinks.insert(meta.path.clone(), target.clone());
                }
                EntryKind::File => res.bytes += meta.size,
                _ => {}
            }
            let wanted: Vec<&&dyn Capture> = captures.iter().filter(|c| c.wants(meta)).collect();
            if wanted.is_empty() {
                return Ok(());
            }
            match &meta.kind {
                EntryKind::File => {}
                EntryKind::Hardlink { target } => {
                    // Content lives at the target, written earlier in this layer.
                    for c in &wanted {
                        if let Some(prev) = res
                            .captured
                            .iter()
                            .find(|x| x.capture == c.id() && &x.meta.path == target)
                            .cloned()
                        {
                            let mut m = prev.meta.clone();
                            m.path = meta.path.clone();
                            res.captured.push(Captured {
                                capture: c.id().to_string(),
                                meta: m,
                                layer,
                                data: prev.data,
                            });
                        } else {
                            local_notes.push(Note::new(
                                Some(layer),
                                meta.path.clone(),
                                format!(
                                    "skipped: hard link to {target}, which is missing or not captured by {}",
                                    c.id()
                                ),
                            ));
                        }
                    }
                    return Ok(());
                }
                _ => return Ok(()),
            }
            // Several captures may want the same file: read it once.
            if wanted.len() == 1 {
                let c = wanted[0];
                if meta.size > c.max_size() {
                    local_notes.push(Note::new(
                        Some(layer),
                        meta.path.clone(),
                        format!(
                            "skipped by {}: {} bytes exceeds its {} byte limit",
                            c.id(),
                            meta.size,
                            c.max_size()
                        ),
                    ));
                    return Ok(());
                }
                match c.capture(meta, r) {
                    Ok(Some(data)) => res.captured.push(Captured {
                        capture: c.id().to_string(),
                        meta: meta.clone(),
                        layer,
                        data,
                    }),
                    Ok(None) => {}
                    Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                        local_notes.push(Note::new(
                            Some(layer),
                            meta.path.clone(),
                            format!("skipped by {}: {e}", c.id()),
                        ))
                    }
                    Err(e) => return Err(e),
                }
            } else {
                let limit = wanted.iter().map(|c| c.max_size()).max().unwrap_or(0);
                let mut buf = Vec::with_capacity(meta.size.min(1 << 20) as usize);
                r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
                for c in wanted {
                    if buf.len() as u64 > c.max_size() {
                        local_notes.push(Note::new(
                            Some(layer),
                            meta.path.clone(),
                            format!(
                                "skipped by {}: larger than its {} byte limit",
                                c.id(),
                                c.max_size()
                            ),
                        ));
                        continue;
                    }
                    match c.capture(meta, &mut buf.as_slice()) {
                        Ok(Some(data)) => res.captured.push(Captured {
                            capture: c.id().to_string(),
                            meta: meta.clone(),
                            layer,
                            data,
                        }),
                        Ok(None) => {}
                        Err(e) => local_notes.push(Note::new(
                            Some(layer),
                            meta.path.clone(),
                            format!("skipped by {}: {e}", c.id()),
                        )),
                    }
                }
            }
            Ok(())
        };
        source.walk(&mut visit, &mut notes)?;
        notes.append(&mut local_notes);
    }
    res.notes = notes;
    Ok(res)
}

/// How [`collect_with`] runs.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Layers walked at once.
    pub threads: usize,
    /// Per-layer result cache directory (keyed by diff_id, see [`crate::cache`]); `None`
    /// disables caching.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Size bound of the cache directory; least recently used entries are evicted past it.
    pub cache_max_bytes: u64,
}

impl Default for CollectOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            cache_dir: None,
            cache_max_bytes: crate::cache::DEFAULT_MAX_BYTES,
        }
    }
}

/// Walk every layer (in parallel threads, at most `threads` at once) and merge.
pub fn collect(
    layers: Vec<Box<dyn LayerSource>>,
    captures: &[&dyn Capture],
    threads: usize,
) -> Result<Inventory, WalkError> {
    collect_with(
        layers,
        captures,
        &CollectOptions {
            threads,
            ..CollectOptions::default()
        },
    )
}

/// Walk every layer and merge, as configured by `opts`.
pub fn collect_with(
    layers: Vec<Box<dyn LayerSource>>,
    captures: &[&dyn Capture],
    opts: &CollectOptions,
) -> Result<Inventory, WalkError> {
    let threads = opts.threads.max(1);
    let cache = opts
        .cache_dir
        .as_ref()
        .map(|d| crate::cache::LayerCache::new(d, opts.cache_max_bytes));
    let ids: Vec<&str> = captures.iter().map(|c| c.id()).collect();
    let mut results: Vec<Option<Result<LayerResult, WalkError>>> = Vec::new();
    results.resize_with(layers.len(), || None);
    let mut queue: Vec<(usize, Option<String>, Box<dyn LayerSource>)> = Vec::new();
    for (i, src) in layers.into_iter().enumerate() {
        let key = cache
            .as_ref()
            .and_then(|_| crate::cache::LayerCache::key(src.info(), &ids));
        if let (Some(c), Some(k)) = (&cache, &key)
            && let Some(hit) = c.get(k, src.info())
        {
            results[i] = Some(Ok(hit));
            continue;
        }
        queue.push((i, key, src));
    }
    queue.reverse();
    let queue = std::sync::Mutex::new(queue);
    let out = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").pop();
                    let Some((i, key, mut src)) = next else { break };
                    let r = walk_layer(src.as_mut(), captures);
                    if let (Ok(res), Some(c), Some(k)) = (&r, &cache, &key) {
                        // A cache that cannot be written only costs time next run.
                        let _ = c.put(k, res);
                    }
                    out.lock().expect("result lock")[i] = Some(r);
                }
            });
        }
    });
    let mut done = Vec::with_capacity(results.len());
    for r in results {
        done.push(r.expect("every layer walked")?);
    }
    Ok(Inventory::from_layers(done))
}

/// Longest chain of symlinks [`Inventory::resolve`] follows.
pub const MAX_SYMLINK_HOPS: usize = 40;

/// The merged, layered view.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub layers: Vec<LayerInfo>,
    /// Every captured version, in layer order; `visible[i]` says whether `captured[i]` survives in
    /// the final filesystem.
    captured: Vec<Captured>,
    visible: Vec<bool>,
    /// Final symlinks: path → (raw target, layer).
    symlinks: BTreeMap<String, (String, usize)>,
    pub notes: Vec<Note>,
    /// Total entries and bytes seen, per layer.
    pub stats: Vec<(u64, u64)>,
}

fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

impl Inventory {
    /// Apply layer results bottom to top.
    pub fn from_layers(mut layers: Vec<LayerResult>) -> Self {
        layers.sort_by_key(|l| l.info.index);
        let mut inv = Inventory::default();
        let mut symlinks: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for l in &layers {
            // Deletions in this layer hide what lower layers wrote.
            let hides = |path: &str| {
                l.whiteouts.iter().any(|w| w == path || is_under(path, w))
                    || l.opaques.iter().any(|o| is_under(path, o))
                    || l.symlinks.keys().any(|s| is_under(path, s))
            };
            for (i, c) in inv.captured.iter().enumerate() {
                if inv.visible[i] && hides(&c.meta.path) {
                    inv.visible[i] = false;
                }
            }
            symlinks.retain(|p, _| !hides(p));
            // Overwrites: a path written again hides the older version.
            let written: BTreeSet<&str> = l
                .captured
                .iter()
                .map(|c| c.meta.path.as_str())
                .chain(l.symlinks.keys().map(String::as_str))
                .collect();
            for (i, c) in inv.captured.iter().enumerate() {
                if inv.visible[i] && written.contains(c.meta.path.as_str()) {
                    inv.visible[i] = false;
                }
            }
            for (p, t) in &l.symlinks {
                symlinks.insert(p.clone(), (t.clone(), l.info.index));
            }
            for c in &l.captured {
                symlinks.remove(&c.meta.path);
            }
            inv.visible
                .extend(std::iter::repeat_n(true, l.captured.len()));
            inv.captured.extend(l.captured.iter().cloned());
            inv.notes.extend(l.notes.iter().cloned());
            inv.stats.push((l.entries, l.bytes));
            inv.layers.push(l.info.clone());
        }
        inv.symlinks = symlinks;
        inv
    }

    /// Captured file versions that survive in the final filesystem, for one capture id.
    pub fn visible<'a>(&'a self, capture: &'a str) -> impl Iterator<Item = &'a Captured> + 'a {
        self.captured
            .iter()
            .zip(&self.visible)
            .filter(move |(c, v)| **v && c.capture == capture)
            .map(|(c, _)| c)
    }

    /// Every captured version for one capture id, including those a later layer deleted or
    /// overwrote (secret scanning wants them), with whether each is visible.
    pub fn history<'a>(
        &'a self,
        capture: &'a str,
    ) -> impl Iterator<Item = (&'a Captured, bool)> + 'a {
        self.captured
            .iter()
            .zip(&self.visible)
            .filter(move |(c, _)| c.capture == capture)
            .map(|(c, v)| (c, *v))
    }

    /// The visible version of `path` captured by `capture`, following symlinks inside the root.
    pub fn get(&self, capture: &str, path: &str) -> Option<&Captured> {
        let p = self.resolve(path).ok()?;
        self.captured
            .iter()
            .zip(&self.visible)
            .find(|(c, v)| **v && c.capture == capture && c.meta.path == p)
            .map(|(c, _)| c)
    }

    /// Final symlinks (path → raw target).
    pub fn symlinks(&self) -> impl Iterator<Item = (&str, &str)> {
        self.symlinks
            .iter()
            .map(|(p, (t, _))| (p.as_str(), t.as_str()))
    }

    /// Resolve `path` through the final symlinks, inside the root (as chroot would). Every
    /// component is resolved, so `lib/x` finds `usr/lib/x` when `lib -> usr/lib`.
    pub fn resolve(&self, path: &str) -> Result<String, ResolveError> {
        let mut hops = 0;
        let mut done = String::new();
        let mut todo: Vec<String> = path::normalize(path)
            .map_err(ResolveError::Path)?
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .rev()
            .collect();
        while let Some(seg) = todo.pop() {
            let cand = if done.is_empty() {
                seg.clone()
            } else {
                format!("{done}/{seg}")
            };
            if let Some((target, _)) = self.symlinks.get(&cand) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ResolveError::Loop(path.to_string()));
                }
                let joined = path::join_in_root(&done, target).map_err(ResolveError::Path)?;
                let mut rest: Vec<String> = std::mem::take(&mut todo);
                rest.reverse();
                let mut new: Vec<String> = joined
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                new.extend(rest);
                new.reverse();
                todo = new;
                done.clear();
            } else {
                done = cand;
            }
        }
        Ok(done)
    }
}

/// Why a path could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    #[error("too many levels of symbolic links resolving {0}")]
    Loop(String),
    #[error(transparent)]
    Path(PathError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer made of in-memory entries.
    struct Mem {
        info: LayerInfo,
        entries: Vec<(EntryMeta, Vec<u8>)>,
    }

    impl LayerSource for Mem {
        fn info(&self) -> &LayerInfo {
            &self.info
        }
        fn walk(
            &mut self,
            visit: &mut Visitor<'_>,
            _notes: &mut Vec<Note>,
        ) -> Result<(), WalkError> {
            for (m, d) in &self.entries {
                visit(m, &mut d.as_slice()).map_err(|e| WalkError::Io {
                    layer: self.info.index.to_string(),
                    path: m.path.clone(),
                    source: e,
                })?;
            }
            Ok(())
        }
    }

    struct Want(&'static str);
    impl Capture for Want {
        fn id(&self) -> &'static str {
            "test"
        }
        fn wants(&self, meta: &EntryMeta) -> bool {
            meta.path.ends_with(self.0)
        }
    }

    fn layer(index: usize, entries: Vec<(EntryMeta, &str)>) -> Box<dyn LayerSource> {
        Box::new(Mem {
            info: LayerInfo {
                index,
                ..LayerInfo::default()
            },
            entries: entries
                .into_iter()
                .map(|(m, d)| (m, d.as_bytes().to_vec()))
                .collect(),
        })
    }

    fn special(path: &str, kind: EntryKind) -> EntryMeta {
        EntryMeta {
            kind,
            ..EntryMeta::file(path, 0)
        }
    }

    #[test]
    fn whiteouts_opaques_and_overwrites() {
        let layers = vec![
            layer(
                0,
                vec![
                    (EntryMeta::file("a/x.txt", 1), "1"),
                    (EntryMeta::file("b/y.txt", 1), "2"),
                    (EntryMeta::file("c/z.txt", 1), "3"),
                    (EntryMeta::file("d/w.txt", 1), "4"),
                ],
            ),
            layer(
                1,
                vec![
                    (special("a/x.txt", EntryKind::Whiteout), ""),
                    (special("b", EntryKind::Opaque), ""),
                    (EntryMeta::file("b/new.txt", 1), "5"),
                    (EntryMeta::file("c/z.txt", 1), "6"),
                ],
            ),
        ];
        let inv = collect(layers, &[&Want(".txt")], 2).unwrap();
        let vis: Vec<(&str, &[u8], usize)> = inv
            .visible("test")
            .map(|c| (c.meta.path.as_str(), c.data.as_slice(), c.layer))
            .collect();
        assert_eq!(
            vis,
            vec![
                ("d/w.txt", &b"4"[..], 0),
                ("b/new.txt", &b"5"[..], 1),
                ("c/z.txt", &b"6"[..], 1),
            ]
        );
        let hidden: Vec<&str> = inv
            .history("test")
            .filter(|(_, v)| !v)
            .map(|(c, _)| c.meta.path.as_str())
            .collect();
        assert_eq!(hidden, vec!["a/x.txt", "b/y.txt", "c/z.txt"]);
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let layers = vec![layer(
            0,
            vec![
                (
                    special(
                        "lib",
                        EntryKind::Symlink {
                            target: "usr/lib".into(),
                        },
                    ),
                    "",
                ),
                (
                    special(
                        "etc/os-release",
                        EntryKind::Symlink {
                            target: "../../../usr/lib/os-release".into(),
                        },
                    ),
                    "",
                ),
                (EntryMeta::file("usr/lib/os-release", 3), "ID="),
                (
                    special("loop/a", EntryKind::Symlink { target: "b".into() }),
                    "",
                ),
                (
                    special(
                        "loop/b",
                        EntryKind::Symlink {
                            target: "/loop/a".into(),
                        },
                    ),
                    "",
                ),
            ],
        )];
        let inv = collect(layers, &[&Want("os-release")], 1).unwrap();
        assert_eq!(inv.resolve("/lib/x").unwrap(), "usr/lib/x");
        assert_eq!(inv.get("test", "etc/os-release").unwrap().data, b"ID=");
        assert!(matches!(inv.resolve("loop/a"), Err(ResolveError::Loop(_))));
    }

    #[test]
    fn hardlinks_share_content_and_oversize_is_noted() {
        struct Small;
        impl Capture for Small {
            fn id(&self) -> &'static str {
                "test"
            }
            fn wants(&self, _: &EntryMeta) -> bool {
                true
            }
            fn max_size(&self) -> u64 {
                4
            }
        }
        let layers = vec![layer(
            0,
            vec![
                (EntryMeta::file("a", 2), "hi"),
                (special("b", EntryKind::Hardlink { target: "a".into() }), ""),
                (
                    special(
                        "c",
                        EntryKind::Hardlink {
                            target: "missing".into(),
                        },
                    ),
                    "",
                ),
                (EntryMeta::file("big", 10), "0123456789"),
            ],
        )];
        let inv = collect(layers, &[&Small], 1).unwrap();
        assert_eq!(inv.get("test", "b").unwrap().data, b"hi");
        assert!(
            inv.notes
                .iter()
                .any(|n| n.subject == "c" && n.message.contains("hard link"))
        );
        assert!(
            inv.notes
                .iter()
                .any(|n| n.subject == "big" && n.message.contains("limit"))
        );
    }
}
