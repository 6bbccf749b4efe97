//! Per-layer result cache, so rescanning an image re-reads no unchanged layer and images that share
//! base layers share work.
//!
//! Key: the layer's diff_id, its blob digest when known, the sorted set of capture ids, and this
//! crate's cache format version. Including the blob digest means an image that *claims* a popular
//! diff_id for different content can never be served someone else's cached result: its blob digest
//! differs, so it misses, is walked, and fails diff_id verification. Only layers that verify their
//! diff_id while walking ([`crate::image::TarLayer`]) have one; directories and disks are never
//! cached.
//!
//! Entries are one file each: `SKLC` magic, format version, sha256 of the payload, payload (a
//! compact binary encoding of [`LayerResult`]). Writes go to a temp file in the same directory
//! and are renamed into place, so readers never see half an entry. A corrupt entry (bad magic,
//! checksum or encoding) is deleted and rebuilt. Hits refresh the file's mtime; when the
//! directory grows past its bound, the least recently used entries are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::fs::{Captured, EntryKind, EntryMeta, LayerInfo, LayerResult, Note};

const MAGIC: &[u8; 4] = b"SKLC";
/// Bump when the encoding or [`LayerResult`] semantics change.
const FORMAT: u32 = 1;
/// Default size bound.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// A cache directory.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// `$XDG_CACHE_HOME/sekisho` (or `~/.cache/sekisho`).
pub fn default_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("sekisho"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sekisho"))
}

impl LayerCache {
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self {
            dir: dir.into().join("layers"),
            max_bytes,
        }
    }

    /// The cache key for a layer and a set of captures, or `None` if the layer is not cacheable.
    pub fn key(info: &LayerInfo, capture_ids: &[&str]) -> Option<String> {
        let diff_id = info.diff_id.as_deref()?;
        let ids: BTreeSet<&str> = capture_ids.iter().copied().collect();
        let mut h = Sha256::new();
        h.update(FORMAT.to_le_bytes());
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0diff_id\0");
        h.update(diff_id.as_bytes());
        h.update(b"\0digest\0");
        h.update(info.digest.as_deref().unwrap_or("").as_bytes());
        for id in ids {
            h.update(b"\0capture\0");
            h.update(id.as_bytes());
        }
        Some(hex::encode(h.finalize()))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.bin"))
    }

    /// A cached result, re-labelled with `info` (the same layer may sit at another index).
    pub fn get(&self, key: &str, info: &LayerInfo) -> Option<LayerResult> {
        let p = self.path(key);
        let bytes = std::fs::read(&p).ok()?;
        match decode_file(&bytes) {
            Some(mut r) => {
                relabel(&mut r, info);
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

    /// Store a result (atomically) and keep the directory within its bound.
    pub fn put(&self, key: &str, r: &LayerResult) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode_file(r);
        if bytes.len() as u64 > self.max_bytes {
            return Ok(());
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_data()?;
        tmp.persist(self.path(key)).map_err(|e| e.error)?;
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

fn relabel(r: &mut LayerResult, info: &LayerInfo) {
    r.info = info.clone();
    for c in &mut r.captured {
        c.layer = info.index;
    }
    for n in &mut r.notes {
        if n.layer.is_some() {
            n.layer = Some(info.index);
        }
    }
}

fn encode_file(r: &LayerResult) -> Vec<u8> {
    let mut payload = Vec::new();
    encode(r, &mut payload);
    let mut out = Vec::with_capacity(payload.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

fn decode_file(b: &[u8]) -> Option<LayerResult> {
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
}

fn encode(r: &LayerResult, o: &mut Vec<u8>) {
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
    put_u64(o, r.entries);
    put_u64(o, r.bytes);
    put_u64(o, r.notes.len() as u64);
    for n in &r.notes {
        o.push(u8::from(n.layer.is_some()));
        put_str(o, &n.subject);
        put_str(o, &n.message);
    }
    // Info fields that describe the layer's content (not its position) for sanity checks.
    put_opt_str(o, &r.info.diff_id);
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
        })
    }
}

fn decode(d: &mut Dec<'_>) -> Option<LayerResult> {
    let n = d.u64()?;
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
        let n = d.u64()?;
        let mut s = BTreeSet::new();
        for _ in 0..n {
            s.insert(d.string()?);
        }
        sets.push(s);
    }
    let n = d.u64()?;
    let mut symlinks = BTreeMap::new();
    for _ in 0..n {
        let k = d.string()?;
        symlinks.insert(k, d.string()?);
    }
    let entries = d.u64()?;
    let bytes = d.u64()?;
    let n = d.u64()?;
    let mut notes = Vec::new();
    for _ in 0..n {
        let has_layer = d.u8()? != 0;
        let subject = d.string()?;
        let message = d.string()?;
        notes.push(Note {
            layer: has_layer.then_some(0),
            subject,
            message,
        });
    }
    let diff_id = d.opt_string()?;
    let opaques = sets.pop()?;
    let whiteouts = sets.pop()?;
    Some(LayerResult {
        info: LayerInfo {
            diff_id,
            ..LayerInfo::default()
        },
        captured,
        whiteouts,
        opaques,
        symlinks,
        entries,
        bytes,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LayerResult {
        let mut r = LayerResult {
            info: LayerInfo {
                index: 3,
                diff_id: Some("sha256:x".into()),
                ..LayerInfo::default()
            },
            entries: 7,
            bytes: 99,
            ..LayerResult::default()
        };
        r.captured.push(Captured {
            capture: "os".into(),
            meta: EntryMeta::file("etc/os-release", 3),
            layer: 3,
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
            layer: 3,
            data: Vec::new(),
        });
        r.whiteouts.insert("a".into());
        r.opaques.insert("b".into());
        r.symlinks.insert("lib".into(), "usr/lib".into());
        r.notes.push(Note::new(Some(3), "p", "m"));
        r
    }

    #[test]
    fn round_trips_relabels_and_rejects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let c = LayerCache::new(dir.path(), 1 << 20);
        let r = sample();
        let key = LayerCache::key(&r.info, &["os", "dpkg"]).unwrap();
        assert_eq!(key, LayerCache::key(&r.info, &["dpkg", "os"]).unwrap());
        assert_ne!(key, LayerCache::key(&r.info, &["os"]).unwrap());
        c.put(&key, &r).unwrap();
        let other = LayerInfo {
            index: 5,
            diff_id: Some("sha256:x".into()),
            ..LayerInfo::default()
        };
        let got = c.get(&key, &other).unwrap();
        assert_eq!(got.captured[0].layer, 5);
        assert_eq!(got.notes[0].layer, Some(5));
        assert_eq!(got.captured[1].meta.kind, r.captured[1].meta.kind);
        assert_eq!((got.whiteouts, got.opaques), (r.whiteouts, r.opaques));
        // Flip one payload byte: the entry is rejected and removed.
        let p = c.path(&key);
        let mut b = std::fs::read(&p).unwrap();
        let last = b.len() - 1;
        b[last] ^= 1;
        std::fs::write(&p, b).unwrap();
        assert!(c.get(&key, &other).is_none());
        assert!(!p.exists());
        // No diff_id, no key.
        assert!(LayerCache::key(&LayerInfo::default(), &["os"]).is_none());
    }

    #[test]
    fn evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let r = sample();
        let one = encode_file(&r).len() as u64;
        let c = LayerCache::new(dir.path(), one * 2 + one / 2);
        let info = |d: &str| LayerInfo {
            diff_id: Some(d.into()),
            ..LayerInfo::default()
        };
        let (k1, k2, k3) = (
            LayerCache::key(&info("1"), &["os"]).unwrap(),
            LayerCache::key(&info("2"), &["os"]).unwrap(),
            LayerCache::key(&info("3"), &["os"]).unwrap(),
        );
        c.put(&k1, &r).unwrap();
        c.put(&k2, &r).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
        std::fs::File::options()
            .append(true)
            .open(c.path(&k1))
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::File::options()
            .append(true)
            .open(c.path(&k2))
            .unwrap()
            .set_modified(old - std::time::Duration::from_secs(100))
            .unwrap();
        // k1 is used, so it becomes the most recent.
        assert!(c.get(&k1, &info("1")).is_some());
        c.put(&k3, &r).unwrap();
        assert!(c.path(&k1).exists());
        assert!(!c.path(&k2).exists());
        assert!(c.path(&k3).exists());
    }
}
