//! The merged, layered view: every captured version of every wanted file with its fate in the
//! final filesystem (visible, or deleted or replaced by a later layer, and which one), the final
//! symlinks for resolving paths inside the root, and, when the walk kept one, the final
//! per-entry tree (drift compares a running container with it).
//!
//! Layers apply bottom to top as an OCI runtime extracts them: a whiteout deletes a path and
//! everything under it; an opaque directory hides what lower layers put in it; an entry written
//! at a path replaces what was there (and, when it is not a directory, everything under it); a
//! symlink written at a path replaces the directory that was there.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::layer::{EntryKind, LayerInfo, Note};
use crate::path::{self, PathError};
use crate::walk::{Captured, IndexEntry, LayerResult};

/// Longest chain of symlinks [`Inventory::resolve`] follows.
pub const MAX_SYMLINK_HOPS: usize = 40;

/// What became of one captured version in the final filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// It is what the final filesystem holds at its path.
    Visible,
    /// A later layer deleted it (a whiteout of it or a parent, or an opaque parent).
    Deleted { layer: usize },
    /// A later layer wrote something else at its path (a file, an empty file, a symlink, a
    /// directory) or replaced a parent directory with a non-directory.
    Replaced { layer: usize },
}

impl Fate {
    /// The layer that removed the version, when one did.
    pub fn by_layer(self) -> Option<usize> {
        match self {
            Self::Visible => None,
            Self::Deleted { layer } | Self::Replaced { layer } => Some(layer),
        }
    }
}

/// One entry of the final filesystem tree, with the layer that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    #[serde(flatten)]
    pub entry: IndexEntry,
    pub layer: usize,
}

/// The merged, layered view.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub layers: Vec<LayerInfo>,
    /// Every captured version, in layer order; `fate[i]` says what became of `captured[i]`.
    captured: Vec<Captured>,
    fate: Vec<Fate>,
    /// Final symlinks: path → (raw target, layer).
    symlinks: BTreeMap<String, (String, usize)>,
    /// The final tree, when every layer was walked with an index.
    tree: Option<BTreeMap<String, TreeEntry>>,
    pub notes: Vec<Note>,
    /// Total entries and bytes seen, per layer.
    pub stats: Vec<(u64, u64)>,
}

/// The proper ancestors of a normalised path, nearest last (`a`, `a/b` for `a/b/c`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Remove `dir`'s descendants (not `dir` itself) from `tree`.
fn remove_under<V>(tree: &mut BTreeMap<String, V>, dir: &str) {
    if dir.is_empty() {
        tree.clear();
        return;
    }
    let lo = format!("{dir}/");
    let hi = format!("{dir}0"); // '0' is the byte after '/'
    let doomed: Vec<String> = tree.range(lo..hi).map(|(k, _)| k.clone()).collect();
    for k in doomed {
        tree.remove(&k);
    }
}

/// What one layer does to the paths below it.
struct LayerEffects<'a> {
    l: &'a LayerResult,
    /// Paths written, with whether each is a directory: captured files and symlinks always;
    /// every entry when a capture tracks history or the walk kept an index.
    written: BTreeMap<&'a str, bool>,
}

impl<'a> LayerEffects<'a> {
    fn new(l: &'a LayerResult) -> Self {
        let mut written: BTreeMap<&str, bool> = BTreeMap::new();
        for (p, is_dir) in &l.written {
            written.insert(p.as_str(), *is_dir);
        }
        for e in &l.index {
            written.insert(e.meta.path.as_str(), e.meta.kind == EntryKind::Dir);
        }
        for c in &l.captured {
            written.insert(c.meta.path.as_str(), false);
        }
        for p in l.symlinks.keys() {
            written.insert(p.as_str(), false);
        }
        Self { l, written }
    }

    /// What this layer does to a lower version at `path`, if anything.
    fn effect(&self, path: &str) -> Option<Fate> {
        let layer = self.l.info.index;
        if self.l.whiteouts.contains(path) {
            return Some(Fate::Deleted { layer });
        }
        for a in ancestors(path) {
            if self.l.whiteouts.contains(a) || self.l.opaques.contains(a) {
                return Some(Fate::Deleted { layer });
            }
        }
        if self.l.opaques.contains("") {
            return Some(Fate::Deleted { layer });
        }
        if self.written.contains_key(path) {
            return Some(Fate::Replaced { layer });
        }
        // A non-directory (a symlink, a file) written where a parent directory was.
        for a in ancestors(path) {
            if self.written.get(a).is_some_and(|is_dir| !is_dir) {
                return Some(Fate::Replaced { layer });
            }
        }
        None
    }
}

impl Inventory {
    /// Apply layer results bottom to top.
    pub fn from_layers(mut layers: Vec<LayerResult>) -> Self {
        layers.sort_by_key(|l| l.info.index);
        let mut inv = Inventory::default();
        let mut symlinks: BTreeMap<String, (String, usize)> = BTreeMap::new();
        let with_tree =
            !layers.is_empty() && layers.iter().all(|l| l.entries == 0 || !l.index.is_empty());
        let mut tree: BTreeMap<String, TreeEntry> = BTreeMap::new();
        for l in &layers {
            let fx = LayerEffects::new(l);
            for (i, c) in inv.captured.iter().enumerate() {
                if inv.fate[i] == Fate::Visible
                    && let Some(f) = fx.effect(&c.meta.path)
                {
                    inv.fate[i] = f;
                }
            }
            symlinks.retain(|p, _| fx.effect(p).is_none());
            for (p, t) in &l.symlinks {
                symlinks.insert(p.clone(), (t.clone(), l.info.index));
            }
            if with_tree {
                for w in &l.whiteouts {
                    tree.remove(w);
                    remove_under(&mut tree, w);
                }
                for o in &l.opaques {
                    remove_under(&mut tree, o);
                }
                for e in &l.index {
                    if e.meta.kind != EntryKind::Dir {
                        remove_under(&mut tree, &e.meta.path);
                    }
                    tree.insert(
                        e.meta.path.clone(),
                        TreeEntry {
                            entry: e.clone(),
                            layer: l.info.index,
                        },
                    );
                }
            }
            inv.fate
                .extend(std::iter::repeat_n(Fate::Visible, l.captured.len()));
            inv.captured.extend(l.captured.iter().cloned());
            inv.notes.extend(l.all_notes().cloned());
            inv.stats.push((l.entries, l.bytes));
            inv.layers.push(l.info.clone());
        }
        inv.symlinks = symlinks;
        inv.tree = with_tree.then_some(tree);
        inv
    }

    /// Captured file versions that survive in the final filesystem, for one capture id.
    pub fn visible<'a>(&'a self, capture: &'a str) -> impl Iterator<Item = &'a Captured> + 'a {
        self.versions(capture)
            .filter(|(_, f)| *f == Fate::Visible)
            .map(|(c, _)| c)
    }

    /// Every captured version for one capture id, including those a later layer deleted or
    /// overwrote, with whether each is visible.
    pub fn history<'a>(
        &'a self,
        capture: &'a str,
    ) -> impl Iterator<Item = (&'a Captured, bool)> + 'a {
        self.versions(capture).map(|(c, f)| (c, f == Fate::Visible))
    }

    /// Every captured version for one capture id, with what became of it (secret scanning
    /// reports the layer that added a file and the one that deleted it).
    pub fn versions<'a>(
        &'a self,
        capture: &'a str,
    ) -> impl Iterator<Item = (&'a Captured, Fate)> + 'a {
        self.captured
            .iter()
            .zip(self.fate.iter().copied())
            .filter(move |(c, _)| c.capture == capture)
    }

    /// The final filesystem tree (path → entry and layer), when the walk kept an index.
    pub fn tree(&self) -> Option<&BTreeMap<String, TreeEntry>> {
        self.tree.as_ref()
    }

    /// Paths of the final tree, when kept.
    pub fn tree_paths(&self) -> Option<BTreeSet<&str>> {
        self.tree
            .as_ref()
            .map(|t| t.keys().map(String::as_str).collect())
    }

    /// The visible version of `path` captured by `capture`, following symlinks inside the root.
    pub fn get(&self, capture: &str, path: &str) -> Option<&Captured> {
        let p = self.resolve(path).ok()?;
        self.captured
            .iter()
            .zip(&self.fate)
            .find(|(c, f)| **f == Fate::Visible && c.capture == capture && c.meta.path == p)
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
    use crate::collect::{CollectOptions, collect, collect_with};
    use crate::layer::{EntryMeta, LayerSource, Visitor, WalkError};
    use crate::walk::{Capture, CaptureSink, IndexMode};
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A layer made of in-memory entries; counts its walks and the bytes read from it.
    struct Mem {
        info: LayerInfo,
        entries: Vec<(EntryMeta, Vec<u8>)>,
        walks: Arc<AtomicUsize>,
        read: Arc<AtomicUsize>,
    }

    /// A reader that counts what is read through it.
    struct Counting<'a> {
        inner: &'a [u8],
        n: &'a AtomicUsize,
    }

    impl crate::layer::EntryRead for Counting<'_> {}

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let k = self.inner.read(buf)?;
            self.n.fetch_add(k, Ordering::Relaxed);
            Ok(k)
        }
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
            self.walks.fetch_add(1, Ordering::Relaxed);
            for (m, d) in &self.entries {
                let mut r = Counting {
                    inner: d.as_slice(),
                    n: &self.read,
                };
                visit(m, &mut r).map_err(|e| WalkError::Io {
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

    fn mem(index: usize, entries: Vec<(EntryMeta, &str)>) -> Mem {
        Mem {
            info: LayerInfo {
                index,
                ..LayerInfo::default()
            },
            entries: entries
                .into_iter()
                .map(|(m, d)| (m, d.as_bytes().to_vec()))
                .collect(),
            walks: Arc::default(),
            read: Arc::default(),
        }
    }

    fn layer(index: usize, entries: Vec<(EntryMeta, &str)>) -> Box<dyn LayerSource> {
        Box::new(mem(index, entries))
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

    /// A push capture that keeps a running byte count and the first 4 bytes.
    struct Push;
    struct PushSink {
        n: usize,
        head: Vec<u8>,
    }
    impl CaptureSink for PushSink {
        fn write(&mut self, chunk: &[u8]) -> std::io::Result<bool> {
            self.n += chunk.len();
            let room = 4usize.saturating_sub(self.head.len());
            self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
            Ok(true)
        }
        fn finish(self: Box<Self>) -> std::io::Result<Option<Vec<u8>>> {
            Ok(Some(
                format!("{}:{}", self.n, String::from_utf8_lossy(&self.head)).into_bytes(),
            ))
        }
    }
    impl Capture for Push {
        fn id(&self) -> &'static str {
            "push"
        }
        fn wants(&self, m: &EntryMeta) -> bool {
            m.is_file()
        }
        fn sink(&self, _: &EntryMeta) -> Option<Box<dyn CaptureSink>> {
            Some(Box::new(PushSink {
                n: 0,
                head: Vec::new(),
            }))
        }
        fn tracks_history(&self) -> bool {
            true
        }
    }

    #[test]
    fn one_read_feeds_pull_and_push_consumers() {
        let body = "x".repeat(600 << 10);
        let m = mem(
            0,
            vec![(EntryMeta::file("big.txt", body.len() as u64), &body)],
        );
        let read = m.read.clone();
        let inv = collect(vec![Box::new(m)], &[&Want(".txt"), &Push], 1).unwrap();
        // Each byte was read from the layer once, for both consumers.
        assert_eq!(read.load(Ordering::Relaxed), body.len());
        assert_eq!(inv.get("test", "big.txt").unwrap().data.len(), body.len());
        let p: Vec<_> = inv.visible("push").collect();
        assert_eq!(p[0].data, format!("{}:xxxx", body.len()).into_bytes());
    }

    #[test]
    fn fates_name_the_layer_that_deleted_or_replaced() {
        let layers = vec![
            layer(
                0,
                vec![
                    (EntryMeta::file("keys/a.pem", 1), "A"),
                    (EntryMeta::file("keys/b.pem", 1), "B"),
                    (EntryMeta::file("keys/c.pem", 1), "C"),
                    (EntryMeta::file("d/e.pem", 1), "E"),
                    (EntryMeta::file("f.pem", 1), "F"),
                ],
            ),
            layer(
                1,
                vec![
                    (special("keys/a.pem", EntryKind::Whiteout), ""),
                    // An empty file and a directory replace versions nobody captured again.
                    (EntryMeta::file("keys/b.pem", 0), ""),
                    (special("keys/c.pem", EntryKind::Dir), ""),
                ],
            ),
            layer(
                2,
                vec![
                    (
                        special(
                            "d",
                            EntryKind::Symlink {
                                target: "/elsewhere".into(),
                            },
                        ),
                        "",
                    ),
                    (special("", EntryKind::Dir), ""),
                ],
            ),
        ];
        struct Pem;
        impl Capture for Pem {
            fn id(&self) -> &'static str {
                "pem"
            }
            fn wants(&self, m: &EntryMeta) -> bool {
                m.is_file() && m.size > 0 && m.path.ends_with(".pem")
            }
            fn tracks_history(&self) -> bool {
                true
            }
        }
        let inv = collect(layers, &[&Pem], 2).unwrap();
        let fates: Vec<(&str, Fate)> = inv
            .versions("pem")
            .map(|(c, f)| (c.meta.path.as_str(), f))
            .collect();
        assert_eq!(
            fates,
            vec![
                ("keys/a.pem", Fate::Deleted { layer: 1 }),
                ("keys/b.pem", Fate::Replaced { layer: 1 }),
                ("keys/c.pem", Fate::Replaced { layer: 1 }),
                ("d/e.pem", Fate::Replaced { layer: 2 }),
                ("f.pem", Fate::Visible),
            ]
        );
    }

    #[test]
    fn the_index_gives_the_final_tree_with_digests() {
        let layers = vec![
            layer(
                0,
                vec![
                    (special("etc", EntryKind::Dir), ""),
                    (EntryMeta::file("etc/passwd", 5), "root\n"),
                    (EntryMeta::file("tmp/x", 1), "x"),
                    (special("opt", EntryKind::Dir), ""),
                    (EntryMeta::file("opt/old", 1), "o"),
                ],
            ),
            layer(
                1,
                vec![
                    (special("tmp/x", EntryKind::Whiteout), ""),
                    (special("opt", EntryKind::Opaque), ""),
                    (EntryMeta::file("opt/new", 1), "n"),
                    (
                        special(
                            "etc/hard",
                            EntryKind::Hardlink {
                                target: "etc/passwd".into(),
                            },
                        ),
                        "",
                    ),
                    (EntryMeta::file("etc/passwd", 6), "root2\n"),
                ],
            ),
        ];
        let inv = collect_with(
            layers,
            &[],
            &CollectOptions {
                index: IndexMode::Digest,
                ..CollectOptions::default()
            },
        )
        .unwrap();
        let tree = inv.tree().unwrap();
        let paths: Vec<&str> = tree.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            vec!["etc", "etc/hard", "etc/passwd", "opt", "opt/new"]
        );
        let pw = &tree["etc/passwd"];
        assert_eq!(pw.layer, 1);
        assert_eq!(
            pw.entry.digest.as_deref(),
            Some("sha256:d829226ecef7c67d2c2437387a0f017cd551f58f11f86ce5b3dd4c66f17f83d1")
        );
        assert_eq!(
            tree["opt/new"].entry.digest.as_deref(),
            Some("sha256:1b16b1df538ba12dc3f97edbb85caa7050d46c148134290feba80f8236c83db9")
        );
        // A hard link to a path outside its own layer has no content to hash.
        assert_eq!(tree["etc/hard"].layer, 1);
        assert!(tree["etc/hard"].entry.digest.is_none());
        assert!(tree["etc"].entry.digest.is_none());
    }

    #[test]
    fn cancel_stops_the_walk() {
        let flag = AtomicBool::new(true);
        let r = collect_with(
            vec![layer(0, vec![(EntryMeta::file("a", 1), "a")])],
            &[&Want("a")],
            &CollectOptions {
                cancel: Some(&flag),
                ..CollectOptions::default()
            },
        );
        assert!(matches!(r, Err(WalkError::Cancelled)));
    }

    #[test]
    fn the_thread_budget_bounds_concurrent_walks() {
        struct Slow {
            info: LayerInfo,
            live: Arc<AtomicUsize>,
            peak: Arc<AtomicUsize>,
        }
        impl LayerSource for Slow {
            fn info(&self) -> &LayerInfo {
                &self.info
            }
            fn walk(&mut self, _: &mut Visitor<'_>, _: &mut Vec<Note>) -> Result<(), WalkError> {
                let now = self.live.fetch_add(2, Ordering::SeqCst) + 2;
                self.peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                self.live.fetch_sub(2, Ordering::SeqCst);
                Ok(())
            }
            fn threads(&self) -> usize {
                2
            }
        }
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let layers: Vec<Box<dyn LayerSource>> = (0..6)
            .map(|i| {
                Box::new(Slow {
                    info: LayerInfo {
                        index: i,
                        ..LayerInfo::default()
                    },
                    live: live.clone(),
                    peak: peak.clone(),
                }) as Box<dyn LayerSource>
            })
            .collect();
        collect(layers, &[], 5).unwrap();
        // Two-thread layers within a budget of five: at most two at once.
        assert!(peak.load(Ordering::SeqCst) <= 4, "{peak:?}");
    }

    #[test]
    fn the_cache_is_per_capture_and_never_hides_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let make = || {
            let mut m = mem(
                0,
                vec![
                    (EntryMeta::file("a.txt", 1), "a"),
                    (EntryMeta::file("b.pem", 1), "b"),
                ],
            );
            m.info.diff_id = Some("sha256:feed".into());
            m
        };
        let opts = CollectOptions {
            cache_dir: Some(dir.path().to_path_buf()),
            ..CollectOptions::default()
        };
        // First scan: one capture; the layer is walked.
        let m = make();
        let walks = m.walks.clone();
        let inv = collect_with(vec![Box::new(m)], &[&Want(".txt")], &opts).unwrap();
        assert_eq!(walks.load(Ordering::Relaxed), 1);
        assert_eq!(inv.visible("test").count(), 1);
        // Same capture again: served from the cache, no walk.
        let m = make();
        let walks = m.walks.clone();
        let inv = collect_with(vec![Box::new(m)], &[&Want(".txt")], &opts).unwrap();
        assert_eq!(walks.load(Ordering::Relaxed), 0);
        assert_eq!(inv.visible("test").count(), 1);
        // A newly enabled capture: the layer is walked (once) for it, and its result is there.
        let m = make();
        let (walks, read) = (m.walks.clone(), m.read.clone());
        let inv = collect_with(vec![Box::new(m)], &[&Want(".txt"), &Push], &opts).unwrap();
        assert_eq!(walks.load(Ordering::Relaxed), 1);
        assert_eq!(inv.visible("test").count(), 1);
        assert_eq!(inv.visible("push").count(), 2);
        // Only the new capture's files were read: a.txt and b.pem once each.
        assert_eq!(read.load(Ordering::Relaxed), 2);
        // Both cached now.
        let m = make();
        let walks = m.walks.clone();
        let inv = collect_with(vec![Box::new(m)], &[&Want(".txt"), &Push], &opts).unwrap();
        assert_eq!(walks.load(Ordering::Relaxed), 0);
        assert_eq!(inv.visible("push").count(), 2);
    }
}
