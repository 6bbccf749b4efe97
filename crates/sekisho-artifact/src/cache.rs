//! Per-layer result cache, so rescanning an image re-reads no unchanged layer and images that share
//! base layers share work.
//!
//! A layer's result is stored in parts, one file each: the structural part ([`Part::BASE`]:
//! whiteouts, opaque directories, symlinks, counts and the walk's own notes), one part per
//! capture (its captured versions and notes, plus the paths written when it tracks history), and
//! the index part when one was kept. Each part's key is the layer's diff_id, its blob digest when
//! known, the part's id (a capture id is versioned, e.g. `elf-binary-v2`), this crate's version
//! and the cache format. So a scan that enables one more analyzer reads its other parts from the
//! cache and walks the layer for the new one only; a cached layer never hides an analyzer.
//! Including the blob digest means an image that *claims* a popular diff_id for different content
//! can never be served someone else's cached result: its blob digest differs, so it misses, is
//! walked, and fails diff_id verification. Only layers that verify their diff_id while walking
//! ([`crate::image::TarLayer`]) have one; directories and disks are never cached.
//!
//! Entries: `SKLC` magic, format version, sha256 of the payload, payload (a compact binary
//! encoding of a [`Part`]). Writes go to a temp file in the same directory and are renamed into
//! place, so readers never see half an entry. A corrupt entry (bad magic, checksum or encoding) is
//! deleted and rebuilt. Hits refresh the file's mtime; when the directory grows past its bound,
//! the least recently used entries are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::layer::{EntryKind, EntryMeta, LayerInfo, Note};
use crate::walk::{Capture, CaptureNote, Captured, IndexEntry, IndexMode, LayerResult};

const MAGIC: &[u8; 4] = b"SKLC";
/// Bump when the encoding or [`Part`] semantics change.
const FORMAT: u32 = 3;
/// Default size bound.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// One cached part of a layer's result (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// [`Part::BASE`], a capture id, or an index part id.
    pub id: String,
    pub captured: Vec<Captured>,
    /// The walk's notes (base part).
    pub notes: Vec<Note>,
    /// A capture's notes (capture parts).
    pub capture_notes: Vec<CaptureNote>,
    pub whiteouts: BTreeSet<String>,
    pub opaques: BTreeSet<String>,
    pub symlinks: BTreeMap<String, String>,
    pub written: BTreeMap<String, bool>,
    pub index: Vec<IndexEntry>,
    pub entries: u64,
    pub bytes: u64,
}

impl Part {
    /// The id of the structural part.
    pub const BASE: &'static str = "base";
}

/// Split a walked layer into its parts: the base, one per capture in `captures`, and the index
/// when `index` says one was kept.
pub fn split(r: &LayerResult, captures: &[&dyn Capture], index: Option<IndexMode>) -> Vec<Part> {
    let mut parts = vec![Part {
        id: Part::BASE.to_string(),
        notes: r.notes.clone(),
        whiteouts: r.whiteouts.clone(),
        opaques: r.opaques.clone(),
        symlinks: r.symlinks.clone(),
        entries: r.entries,
        bytes: r.bytes,
        ..Part::default()
    }];
    for c in captures {
        parts.push(Part {
            id: c.id().to_string(),
            captured: r
                .captured
                .iter()
                .filter(|x| x.capture == c.id())
                .cloned()
                .collect(),
            capture_notes: r
                .capture_notes
                .iter()
                .filter(|n| n.capture == c.id())
                .cloned()
                .collect(),
            written: if c.tracks_history() {
                r.written.clone()
            } else {
                BTreeMap::new()
            },
            ..Part::default()
        });
    }
    if let Some(id) = index.and_then(IndexMode::part_id) {
        parts.push(Part {
            id: id.to_string(),
            index: r.index.clone(),
            ..Part::default()
        });
    }
    parts
}

/// Put parts back together into one layer result, labelled with `info`.
pub fn assemble(info: &LayerInfo, parts: Vec<Part>) -> LayerResult {
    let mut r = LayerResult {
        info: info.clone(),
        ..LayerResult::default()
    };
    for p in parts {
        if p.id == Part::BASE {
            r.notes = p.notes;
            r.whiteouts = p.whiteouts;
            r.opaques = p.opaques;
            r.symlinks = p.symlinks;
            r.entries = p.entries;
            r.bytes = p.bytes;
        } else if p.id.starts_with("index-") {
            r.index = p.index;
        } else {
            r.captured.extend(p.captured);
            r.written.extend(p.written);
            r.capture_notes.extend(p.capture_notes);
        }
    }
    // Notes in walk order again (the sort is stable).
    r.capture_notes.sort_by_key(|n| n.seq);
    for c in &mut r.captured {
        c.layer = info.index;
    }
    for n in r
        .notes
        .iter_mut()
        .chain(r.capture_notes.iter_mut().map(|n| &mut n.note))
    {
        if n.layer.is_some() {
            n.layer = Some(info.index);
        }
    }
    r
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl LayerCache {
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self {
            dir: dir.into().join("layers"),
            max_bytes,
        }
    }

    /// The cache key of a layer, or `None` if the layer is not cacheable (no diff_id).
    pub fn key(info: &LayerInfo) -> Option<String> {
        let diff_id = info.diff_id.as_deref()?;
        let mut h = Sha256::new();
        h.update(FORMAT.to_le_bytes());
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0diff_id\0");
        h.update(diff_id.as_bytes());
        h.update(b"\0digest\0");
        h.update(info.digest.as_deref().unwrap_or("").as_bytes());
        Some(hex::encode(h.finalize()))
    }

    fn path(&self, key: &str, part: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(key.as_bytes());
        h.update(b"\0part\0");
        h.update(part.as_bytes());
        self.dir.join(format!("{}.bin", hex::encode(h.finalize())))
    }

    /// The cached part `part` of the layer `key`.
    pub fn get(&self, key: &str, part: &str) -> Option<Part> {
        let p = self.path(key, part);
        let bytes = std::fs::read(&p).ok()?;
        match decode_file(&bytes).filter(|x| x.id == part) {
            Some(r) => {
                // LRU: a hit makes the entry recent.
                if let Ok(f) = std::fs::File::options().append(true).open(&p) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                Some(r)
            }
            None => {
                let _ = std::fs::remove_file(&p);
                None
            }
        }
    }

    /// Store a part (atomically) and keep the directory within its bound.
    pub fn put(&self, key: &str, part: &Part) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode_file(part);
        if bytes.len() as u64 > self.max_bytes {
            return Ok(());
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_data()?;
        tmp.persist(self.path(key, &part.id)).map_err(|e| e.error)?;
        self.evict()
    }

    /// Remove least recently used entries until the directory fits in its bound.
    pub fn evict(&self) -> std::io::Result<()> {
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
        let mut total = 0u64;
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let md = e.metadata()?;
            if !md.is_file() {
                continue;
            }
            total += md.len();
            files.push((
                md.modified().unwrap_or(std::time::UNIX_EPOCH),
                md.len(),
                e.path(),
            ));
        }
        if total <= self.max_bytes {
            return Ok(());
        }
        files.sort();
        for (_, len, p) in files {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&p).is_ok() {
                total -= len;
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn encode_file(r: &Part) -> Vec<u8> {
    let mut payload = Vec::new();
    encode(r, &mut payload);
    let mut out = Vec::with_capacity(payload.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

fn decode_file(b: &[u8]) -> Option<Part> {
    if b.len() < 40 || &b[..4] != MAGIC || b[4..8] != FORMAT.to_le_bytes() {
        return None;
    }
    let payload = &b[40..];
    if Sha256::digest(payload).as_slice() != &b[8..40] {
        return None;
    }
    let mut d = Dec { b: payload };
    let r = decode(&mut d)?;
    d.b.is_empty().then_some(r)
}

fn put_u64(o: &mut Vec<u8>, v: u64) {
    o.extend_from_slice(&v.to_le_bytes());
}
fn put_bytes(o: &mut Vec<u8>, b: &[u8]) {
    put_u64(o, b.len() as u64);
    o.extend_from_slice(b);
}
fn put_str(o: &mut Vec<u8>, s: &str) {
    put_bytes(o, s.as_bytes());
}
fn put_opt_str(o: &mut Vec<u8>, s: &Option<String>) {
    match s {
        Some(s) => {
            o.push(1);
            put_str(o, s);
        }
        None => o.push(0),
    }
}
fn put_note(o: &mut Vec<u8>, n: &Note) {
    o.push(u8::from(n.layer.is_some()));
    put_str(o, &n.subject);
    put_str(o, &n.message);
}

fn encode_meta(o: &mut Vec<u8>, m: &EntryMeta) {
    put_str(o, &m.path);
    let (tag, target) = match &m.kind {
        EntryKind::File => (0u8, None),
        EntryKind::Dir => (1, None),
        EntryKind::Symlink { target } => (2, Some(target)),
        EntryKind::Hardlink { target } => (3, Some(target)),
        EntryKind::CharDevice => (4, None),
        EntryKind::BlockDevice => (5, None),
        EntryKind::Fifo => (6, None),
        EntryKind::Whiteout => (7, None),
        EntryKind::Opaque => (8, None),
        EntryKind::Other => (9, None),
    };
    o.push(tag);
    if let Some(t) = target {
        put_str(o, t);
    }
    put_u64(o, m.size);
    put_u64(o, u64::from(m.mode));
    put_u64(o, m.uid);
    put_u64(o, m.gid);
    put_u64(o, m.mtime as u64);
    put_opt_str(o, &m.capability);
}

fn encode(r: &Part, o: &mut Vec<u8>) {
    put_str(o, &r.id);
    put_u64(o, r.captured.len() as u64);
    for c in &r.captured {
        put_str(o, &c.capture);
        encode_meta(o, &c.meta);
        put_bytes(o, &c.data);
    }
    for set in [&r.whiteouts, &r.opaques] {
        put_u64(o, set.len() as u64);
        for s in set {
            put_str(o, s);
        }
    }
    put_u64(o, r.symlinks.len() as u64);
    for (k, v) in &r.symlinks {
        put_str(o, k);
        put_str(o, v);
    }
    put_u64(o, r.written.len() as u64);
    for (k, dir) in &r.written {
        put_str(o, k);
        o.push(u8::from(*dir));
    }
    put_u64(o, r.index.len() as u64);
    for e in &r.index {
        encode_meta(o, &e.meta);
        put_opt_str(o, &e.digest);
    }
    put_u64(o, r.entries);
    put_u64(o, r.bytes);
    put_u64(o, r.notes.len() as u64);
    for n in &r.notes {
        put_note(o, n);
    }
    put_u64(o, r.capture_notes.len() as u64);
    for n in &r.capture_notes {
        put_str(o, &n.capture);
        put_u64(o, n.seq);
        put_note(o, &n.note);
    }
}

struct Dec<'a> {
    b: &'a [u8],
}

impl Dec<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.b.len() {
            return None;
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.b.len()).then_some(n)
    }
    /// A count of items each at least one byte long (so a hostile count cannot allocate).
    fn count(&mut self) -> Option<usize> {
        self.len()
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.len()?;
        Some(self.take(n)?.to_vec())
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.string()?)),
            _ => None,
        }
    }
    fn note(&mut self) -> Option<Note> {
        let has_layer = self.u8()? != 0;
        let subject = self.string()?;
        let message = self.string()?;
        Some(Note {
            layer: has_layer.then_some(0),
            subject,
            message,
        })
    }
    fn meta(&mut self) -> Option<EntryMeta> {
        let path = self.string()?;
        let kind = match self.u8()? {
            0 => EntryKind::File,
            1 => EntryKind::Dir,
            2 => EntryKind::Symlink {
                target: self.string()?,
            },
            3 => EntryKind::Hardlink {
                target: self.string()?,
            },
            4 => EntryKind::CharDevice,
            5 => EntryKind::BlockDevice,
            6 => EntryKind::Fifo,
            7 => EntryKind::Whiteout,
            8 => EntryKind::Opaque,
            9 => EntryKind::Other,
            _ => return None,
        };
        Some(EntryMeta {
            path,
            kind,
            size: self.u64()?,
            mode: u32::try_from(self.u64()?).ok()?,
            uid: self.u64()?,
            gid: self.u64()?,
            mtime: self.u64()? as i64,
            capability: self.opt_string()?,
        })
    }
}

fn decode(d: &mut Dec<'_>) -> Option<Part> {
    let id = d.string()?;
    let n = d.count()?;
    let mut captured = Vec::new();
    for _ in 0..n {
        let capture = d.string()?;
        let meta = d.meta()?;
        let data = d.bytes()?;
        captured.push(Captured {
            capture,
            meta,
            layer: 0,
            data,
        });
    }
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    for _ in 0..2 {
        let n = d.count()?;
        let mut s = BTreeSet::new();
        for _ in 0..n {
            s.insert(d.string()?);
        }
        sets.push(s);
    }
    let n = d.count()?;
    let mut symlinks = BTreeMap::new();
    for _ in 0..n {
        let k = d.string()?;
        symlinks.insert(k, d.string()?);
    }
    let n = d.count()?;
    let mut written = BTreeMap::new();
    for _ in 0..n {
        let k = d.string()?;
        written.insert(k, d.u8()? != 0);
    }
    let n = d.count()?;
    let mut index = Vec::new();
    for _ in 0..n {
        let meta = d.meta()?;
        index.push(IndexEntry {
            meta,
            digest: d.opt_string()?,
        });
    }
    let entries = d.u64()?;
    let bytes = d.u64()?;
    let n = d.count()?;
    let mut notes = Vec::new();
    for _ in 0..n {
        notes.push(d.note()?);
    }
    let n = d.count()?;
    let mut capture_notes = Vec::new();
    for _ in 0..n {
        let capture = d.string()?;
        let seq = d.u64()?;
        capture_notes.push(CaptureNote {
            capture,
            seq,
            note: d.note()?,
        });
    }
    let opaques = sets.pop()?;
    let whiteouts = sets.pop()?;
    Some(Part {
        id,
        captured,
        notes,
        capture_notes,
        whiteouts,
        opaques,
        symlinks,
        written,
        index,
        entries,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &str) -> Part {
        let mut r = Part {
            id: id.into(),
            entries: 7,
            bytes: 99,
            ..Part::default()
        };
        r.captured.push(Captured {
            capture: "os".into(),
            meta: EntryMeta::file("etc/os-release", 3),
            layer: 0,
            data: b"ID=".to_vec(),
        });
        r.captured.push(Captured {
            capture: "os".into(),
            meta: EntryMeta {
                kind: EntryKind::Hardlink {
                    target: "etc/os-release".into(),
                },
                ..EntryMeta::file("etc/x", 0)
            },
            layer: 0,
            data: Vec::new(),
        });
        r.whiteouts.insert("a".into());
        r.opaques.insert("b".into());
        r.symlinks.insert("lib".into(), "usr/lib".into());
        r.written.insert("c".into(), true);
        r.index.push(IndexEntry {
            meta: EntryMeta::file("etc/os-release", 3),
            digest: Some("sha256:00".into()),
        });
        r.notes.push(Note::new(Some(0), "p", "m"));
        r.capture_notes.push(CaptureNote {
            capture: "os".into(),
            seq: 4,
            note: Note::new(Some(0), "q", "n"),
        });
        r
    }

    fn info(d: &str, index: usize) -> LayerInfo {
        LayerInfo {
            index,
            diff_id: Some(d.into()),
            ..LayerInfo::default()
        }
    }

    #[test]
    fn parts_round_trip_relabel_and_reject_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let c = LayerCache::new(dir.path(), 1 << 20);
        let key = LayerCache::key(&info("sha256:x", 3)).unwrap();
        // The key does not depend on the layer's position, only on what it is.
        assert_eq!(key, LayerCache::key(&info("sha256:x", 9)).unwrap());
        assert_ne!(key, LayerCache::key(&info("sha256:y", 3)).unwrap());
        let os = sample("os");
        c.put(&key, &os).unwrap();
        assert_eq!(c.get(&key, "os").unwrap(), os);
        // Another part of the same layer is a miss, not this one.
        assert!(c.get(&key, "dpkg").is_none());
        let got = assemble(&info("sha256:x", 5), vec![c.get(&key, "os").unwrap()]);
        assert_eq!(got.captured[0].layer, 5);
        assert_eq!(got.capture_notes[0].note.layer, Some(5));
        assert_eq!(got.written.get("c"), Some(&true));
        // Flip one payload byte: the entry is rejected and removed.
        let p = c.path(&key, "os");
        let mut b = std::fs::read(&p).unwrap();
        let last = b.len() - 1;
        b[last] ^= 1;
        std::fs::write(&p, b).unwrap();
        assert!(c.get(&key, "os").is_none());
        assert!(!p.exists());
        // No diff_id, no key.
        assert!(LayerCache::key(&LayerInfo::default()).is_none());
        // Truncated and garbage payloads never panic.
        let full = encode_file(&sample("os"));
        for n in 0..full.len() {
            let _ = decode_file(&full[..n]);
        }
    }

    #[test]
    fn split_and_assemble_keep_each_part() {
        let mut r = LayerResult {
            info: info("sha256:x", 0),
            entries: 2,
            bytes: 5,
            ..LayerResult::default()
        };
        r.captured.push(Captured {
            capture: "a".into(),
            meta: EntryMeta::file("x", 1),
            layer: 0,
            data: b"1".to_vec(),
        });
        r.captured.push(Captured {
            capture: "b".into(),
            meta: EntryMeta::file("y", 1),
            layer: 0,
            data: b"2".to_vec(),
        });
        r.capture_notes.push(CaptureNote {
            capture: "b".into(),
            seq: 0,
            note: Note::new(Some(0), "y", "late"),
        });
        r.capture_notes.push(CaptureNote {
            capture: "a".into(),
            seq: 1,
            note: Note::new(Some(0), "x", "later"),
        });
        struct C(&'static str);
        impl Capture for C {
            fn id(&self) -> &'static str {
                self.0
            }
            fn wants(&self, _: &EntryMeta) -> bool {
                true
            }
        }
        let parts = split(&r, &[&C("a"), &C("b")], None);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].captured.len(), 1);
        let back = assemble(&r.info, parts);
        assert_eq!(back.captured.len(), 2);
        assert_eq!(back.entries, 2);
        // Notes of separately cached parts come back in walk order.
        let msgs: Vec<&str> = back.all_notes().map(|n| n.message.as_str()).collect();
        assert_eq!(msgs, vec!["late", "later"]);
    }

    #[test]
    fn evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let r = sample("os");
        let one = encode_file(&r).len() as u64;
        let c = LayerCache::new(dir.path(), one * 2 + one / 2);
        let (k1, k2, k3) = (
            LayerCache::key(&info("1", 0)).unwrap(),
            LayerCache::key(&info("2", 0)).unwrap(),
            LayerCache::key(&info("3", 0)).unwrap(),
        );
        c.put(&k1, &r).unwrap();
        c.put(&k2, &r).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
        let touch = |k: &str, t: std::time::SystemTime| {
            std::fs::File::options()
                .append(true)
                .open(c.path(k, "os"))
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        touch(&k1, old);
        touch(&k2, old - std::time::Duration::from_secs(100));
        // k1 is used, so it becomes the most recent.
        assert!(c.get(&k1, "os").is_some());
        c.put(&k3, &r).unwrap();
        assert!(c.path(&k1, "os").exists());
        assert!(!c.path(&k2, "os").exists());
        assert!(c.path(&k3, "os").exists());
    }
}
