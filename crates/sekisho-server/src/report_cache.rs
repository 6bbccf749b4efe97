//! Encoded findings reports kept ready per artifact.
//!
//! Building a report decodes every stored package and finding and encodes the report again:
//! milliseconds of CPU for a few hundred findings, which is what a burst of readers queues on.
//! A report is kept as a [`Template`]: the encoded body with four values left open, filled in
//! per request: `created`, the DB's description (`db`), the target's `coverage` and the summary's
//! `no_data_for` (both what the DB in use knows of the target's ecosystems). What is kept then
//! depends only on the artifact's stored state, so it is keyed by the artifact's store
//! [`Fingerprint`](crate::store) (and whether a DB was loaded at all): a DB swap leaves every
//! report whose findings it did not change valid. A request reads only the fingerprint (no
//! package or finding JSON) and, when it matches, fills the kept template. Any change to the
//! artifact's findings (this replica's or another's) changes the fingerprint, so a kept report
//! is never served for a state it was not built from.
//!
//! Large parts are kept zstd-compressed (a report's JSON shrinks about fivefold). Two tiers: in
//! memory, bounded by bytes (the oldest entries go first), and on disk, one file per artifact
//! under `DIR/reports` (about a quarter of what the store holds for the artifact), so every
//! artifact's report stays ready however many there are, and across restarts. A file is written whole and
//! renamed into place, carries its artifact id, fingerprint and a CRC-32 of its content, and is
//! read only when all three check out; anything else is a miss, and the report is built again.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::Duration;

use sekisho_finding::Coverage;
use sekisho_report::DbInfo;
use sekisho_vulndb::Db;

use crate::report_file::ReportFile;

/// Parts at least this long are kept compressed.
const PACK_MIN: usize = 8 << 10;

/// The values a report is built with where its open values go, each unique to this process
/// (a random id), so no stored content can be mistaken for one.
pub struct Markers {
    /// For `created`.
    pub created: String,
    /// For `db` (the report of a server without a DB gets `null` there).
    pub db: DbInfo,
    /// For the target's `coverage`.
    pub coverage: Vec<Coverage>,
    /// The encoded forms searched for, in the order they appear in a report.
    needles: [Vec<u8>; 4],
}

impl Markers {
    fn new() -> Self {
        let base = crate::ids::new_id("sekisho-open-");
        let created = format!("{base}-created");
        let db = DbInfo {
            path: Some(format!("{base}-db")),
            updated: None,
            advisories: None,
        };
        let eco = format!("{base}-coverage");
        let coverage = vec![Coverage {
            ecosystem: eco.clone(),
            packages: 0,
            has_data: false,
            advisories: None,
        }];
        let needles = [
            created.clone().into_bytes(),
            encode(&db),
            encode(&coverage),
            // The summary lists the marker ecosystem as one without data.
            encode(&vec![eco]),
        ];
        Self {
            created,
            db,
            coverage,
            needles,
        }
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

#[derive(Clone)]
enum Part {
    Plain(Arc<[u8]>),
    Packed { data: Arc<[u8]>, len: usize },
}

impl Part {
    fn new(bytes: &[u8]) -> Self {
        if bytes.len() >= PACK_MIN
            && let Ok(data) = zstd::bulk::compress(bytes, 1)
            && data.len() < bytes.len() - bytes.len() / 8
        {
            return Self::Packed {
                data: data.into(),
                len: bytes.len(),
            };
        }
        Self::Plain(bytes.into())
    }

    fn len(&self) -> usize {
        match self {
            Self::Plain(b) => b.len(),
            Self::Packed { len, .. } => *len,
        }
    }

    fn kept(&self) -> usize {
        match self {
            Self::Plain(b) => b.len(),
            Self::Packed { data, .. } => data.len(),
        }
    }

    fn append(&self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Self::Plain(b) => out.extend_from_slice(b),
            Self::Packed { data, len } => {
                thread_local! {
                    static UNPACK: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
                        const { RefCell::new(None) };
                }
                let at = out.len();
                out.reserve(*len);
                // Into the spare capacity, after what is there (nothing zeroed first).
                let mut cursor = std::io::Cursor::new(&mut *out);
                cursor.set_position(at as u64);
                let n = UNPACK.with(|u| {
                    let mut u = u.borrow_mut();
                    let d = match &mut *u {
                        Some(d) => d,
                        None => u.insert(
                            zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?,
                        ),
                    };
                    d.decompress_to_buffer(data, &mut cursor)
                        .map_err(|e| format!("zstd: {e}"))
                })?;
                if n != *len {
                    return Err(format!("kept report part: {n} bytes, not {len}"));
                }
            }
        }
        Ok(())
    }
}

/// One encoded report with its open values cut out.
#[derive(Clone)]
pub struct Template {
    /// Five parts around the four open values.
    parts: Arc<[Part]>,
    /// The target's packages per ecosystem ([`crate::matching::ecosystem_counts`]), what its
    /// coverage is computed from.
    ecosystems: Arc<[(String, usize)]>,
}

impl Template {
    /// Cut `body` (a report built with `markers`) at its open values. `None` when one is not
    /// where a report has it.
    #[must_use]
    pub fn split(body: &[u8], markers: &Markers, ecosystems: Vec<(String, usize)>) -> Option<Self> {
        let mut parts = Vec::with_capacity(5);
        let mut rest = body;
        for needle in &markers.needles {
            let at = memchr::memmem::find(rest, needle)?;
            parts.push(Part::new(&rest[..at]));
            rest = &rest[at + needle.len()..];
        }
        parts.push(Part::new(rest));
        Some(Self {
            parts: parts.into(),
            ecosystems: ecosystems.into(),
        })
    }

    /// The target's packages per ecosystem.
    #[must_use]
    pub fn ecosystems(&self) -> &[(String, usize)] {
        &self.ecosystems
    }

    /// The report with its open values: `created` (an RFC 3339 time) and the encoded `db`,
    /// `coverage` and `no_data_for`.
    ///
    /// # Errors
    /// A kept part that does not decompress (memory corruption; never expected).
    pub fn fill(
        &self,
        created: &str,
        db: &[u8],
        coverage: &[u8],
        no_data_for: &[u8],
    ) -> Result<Vec<u8>, String> {
        let open: [&[u8]; 4] = [created.as_bytes(), db, coverage, no_data_for];
        let len = self.parts.iter().map(Part::len).sum::<usize>()
            + open.iter().map(|o| o.len()).sum::<usize>();
        let mut out = Vec::with_capacity(len);
        for (i, part) in self.parts.iter().enumerate() {
            part.append(&mut out)?;
            if let Some(o) = open.get(i) {
                out.extend_from_slice(o);
            }
        }
        Ok(out)
    }

    /// Bytes held.
    fn kept(&self) -> usize {
        self.parts.iter().map(Part::kept).sum::<usize>()
            + self
                .ecosystems
                .iter()
                .map(|(e, _)| e.len() + 16)
                .sum::<usize>()
    }
}

struct Entry {
    fingerprint: [u8; 32],
    /// Whether it was built with a DB loaded.
    with_db: bool,
    template: Template,
    /// Insertion number, to tell a live entry from a replaced one in `order`.
    n: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    order: VecDeque<(String, u64)>,
    bytes: usize,
    next: u64,
}

/// What is said of one DB handle in every report (`db`), worked out once per handle.
struct DbSaid {
    /// A `Weak` keeps the allocation, so the pointer cannot be reused by a later handle while
    /// this lives.
    db: Weak<Db>,
    json: Arc<[u8]>,
}

pub struct ReportCache {
    inner: Mutex<Inner>,
    limit: usize,
    markers: Markers,
    said: Mutex<Option<DbSaid>>,
    disk: Option<Disk>,
}

impl ReportCache {
    /// A cache of at most `limit` bytes in memory (0: nothing is kept there), and on disk under
    /// `dir` when given.
    #[must_use]
    pub fn new(limit: usize, dir: Option<PathBuf>) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            limit,
            markers: Markers::new(),
            said: Mutex::new(None),
            disk: dir.map(Disk::open),
        }
    }

    /// What to build a report that will be kept with.
    #[must_use]
    pub fn markers(&self) -> &Markers {
        &self.markers
    }

    /// The report's `db` value for `db` (`null` without one), encoded.
    #[must_use]
    pub fn db_json(&self, db: Option<&Arc<Db>>) -> Arc<[u8]> {
        let Some(db) = db else {
            return Arc::from(&b"null"[..]);
        };
        let mut g = self.said.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = &*g
            && std::ptr::eq(s.db.as_ptr(), Arc::as_ptr(db))
            && s.db.strong_count() > 0
        {
            return s.json.clone();
        }
        let st = db.summary().ok();
        let info = DbInfo {
            path: Some(db.path().display().to_string()),
            updated: st
                .as_ref()
                .and_then(|s| s.updated_at.clone().or_else(|| s.built_at.clone())),
            advisories: st.as_ref().map(|s| s.advisories),
        };
        let json: Arc<[u8]> = encode(&info).into();
        *g = Some(DbSaid {
            db: Arc::downgrade(db),
            json: json.clone(),
        });
        json
    }

    /// The kept report of `id`, if it was built from this fingerprint (with a DB loaded or not,
    /// as now).
    pub fn get(&self, id: &str, fingerprint: &[u8; 32], with_db: bool) -> Option<Template> {
        if let Some(t) = self.in_memory(id, fingerprint, with_db) {
            return Some(t);
        }
        let t = self.disk.as_ref()?.load(id, fingerprint, with_db)?;
        self.keep_in_memory(id, *fingerprint, with_db, t.clone());
        Some(t)
    }

    fn in_memory(&self, id: &str, fingerprint: &[u8; 32], with_db: bool) -> Option<Template> {
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let e = g.map.get(id)?;
        (e.fingerprint == *fingerprint && e.with_db == with_db).then(|| e.template.clone())
    }

    /// Whether the report of `id` is kept for this state (in memory or on disk), without
    /// bringing it into memory.
    #[must_use]
    pub fn has(&self, id: &str, fingerprint: &[u8; 32], with_db: bool) -> bool {
        self.in_memory(id, fingerprint, with_db).is_some()
            || self
                .disk
                .as_ref()
                .is_some_and(|d| d.load(id, fingerprint, with_db).is_some())
    }

    /// Whether a report built for `id` now would be kept without pushing another out: it goes
    /// to disk, or there is room in memory, or `id` has an entry there (an outdated one, to
    /// replace).
    #[must_use]
    pub fn has_room_for(&self, id: &str) -> bool {
        if self.disk.is_some() {
            return true;
        }
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.map.contains_key(id) || g.bytes < self.limit - self.limit / 16
    }

    /// Keep a report: on disk, and in memory unless it is larger than an eighth of the limit.
    pub fn put(&self, id: &str, fingerprint: [u8; 32], with_db: bool, template: Template) {
        if let Some(d) = &self.disk {
            d.store(id, &fingerprint, with_db, &template);
        }
        self.keep_in_memory(id, fingerprint, with_db, template);
    }

    fn keep_in_memory(&self, id: &str, fingerprint: [u8; 32], with_db: bool, template: Template) {
        let len = template.kept() + id.len();
        if len > self.limit / 8 {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let n = g.next;
        g.next += 1;
        let entry = Entry {
            fingerprint,
            with_db,
            template,
            n,
        };
        if let Some(old) = g.map.insert(id.to_string(), entry) {
            g.bytes -= old.template.kept() + id.len();
        }
        g.bytes += len;
        g.order.push_back((id.to_string(), n));
        while g.bytes > self.limit {
            let Some((oid, on)) = g.order.pop_front() else {
                break;
            };
            if g.map.get(&oid).is_some_and(|e| e.n == on)
                && let Some(old) = g.map.remove(&oid)
            {
                g.bytes -= old.template.kept() + oid.len();
            }
        }
        // Replaced entries leave stale positions behind; keep the queue from growing with them.
        if g.order.len() > 2 * g.map.len() + 64 {
            let Inner { map, order, .. } = &mut *g;
            order.retain(|(k, n)| map.get(k).is_some_and(|e| e.n == *n));
        }
    }

    /// Forget `id` (deleted).
    pub fn remove(&self, id: &str) {
        if let Some(d) = &self.disk {
            d.remove(id);
        }
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = g.map.remove(id) {
            g.bytes -= old.template.kept() + id.len();
        }
    }

    /// Remove the files of artifacts not in `keep` (deleted by another replica, or while this
    /// one was down) that were last written before `before`.
    pub fn forget_others(&self, keep: &HashSet<String>, before: std::time::SystemTime) {
        if let Some(d) = &self.disk {
            d.forget_others(keep, before);
        }
    }

    /// Bytes of report files on disk, and how many.
    #[must_use]
    pub fn disk_usage(&self) -> (u64, u64) {
        self.disk.as_ref().map_or((0, 0), |d| {
            (
                d.bytes.load(Ordering::Relaxed),
                d.files.load(Ordering::Relaxed),
            )
        })
    }

    /// Bytes kept now.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }

    /// Reports kept now.
    #[must_use]
    pub fn count(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }
}

/// Artifacts whose reports are to be built ahead of their first request.
#[derive(Default)]
pub struct Warmer {
    state: Mutex<Wanted>,
    wake: Condvar,
}

#[derive(Default)]
struct Wanted {
    queue: VecDeque<String>,
    queued: HashSet<String>,
    /// Look at every stored artifact (at start, after a re-match).
    sweep: bool,
    stop: bool,
}

impl Warmer {
    /// Build the report of `id` (stored or changed) soon.
    pub fn want(&self, id: &str) {
        let mut g = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if g.queued.insert(id.to_string()) {
            g.queue.push_back(id.to_string());
        }
        self.wake.notify_one();
    }

    /// Look at every stored artifact soon (a re-match changed some).
    pub fn want_all(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweep = true;
        self.wake.notify_one();
    }

    /// End [`crate::reports::warm`].
    pub fn stop(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop = true;
        self.wake.notify_all();
    }

    /// The next thing to do; `None`: stop.
    pub fn next(&self) -> Option<Next> {
        let mut g = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if g.stop {
                return None;
            }
            if let Some(id) = g.queue.pop_front() {
                g.queued.remove(&id);
                return Some(Next::One(id));
            }
            if std::mem::take(&mut g.sweep) {
                return Some(Next::All);
            }
            g = self
                .wake
                .wait_timeout(g, Duration::from_secs(60))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Whether [`Warmer::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop
    }
}

/// What [`Warmer::next`] asks for.
pub enum Next {
    /// Build this artifact's report.
    One(String),
    /// Look at every stored artifact.
    All,
}

/// The on-disk tier: one file per artifact, named by a digest of its id (an id is never a path).
struct Disk {
    dir: PathBuf,
    bytes: AtomicU64,
    files: AtomicU64,
    /// A write error is said once, not per report.
    said_error: AtomicBool,
}

/// Larger files are not read.
const FILE_MAX: u64 = 256 << 20;

impl Disk {
    fn open(dir: PathBuf) -> Self {
        let (mut bytes, mut files) = (0, 0);
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                if let Ok(m) = e.metadata()
                    && m.is_file()
                {
                    bytes += m.len();
                    files += 1;
                }
            }
        }
        Self {
            dir,
            bytes: AtomicU64::new(bytes),
            files: AtomicU64::new(files),
            said_error: AtomicBool::new(false),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        use sha2::Digest;
        let d = sha2::Sha256::digest(id.as_bytes());
        self.dir.join(hex::encode(&d[..20]))
    }

    fn load(&self, id: &str, fingerprint: &[u8; 32], with_db: bool) -> Option<Template> {
        let path = self.path(id);
        let f = std::fs::File::open(&path).ok()?;
        if f.metadata().ok()?.len() > FILE_MAX {
            return None;
        }
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(f, FILE_MAX), &mut buf).ok()?;
        let (fid, fp, db, t) = decode_file(&buf)?;
        (fid == id && fp == *fingerprint && db == with_db).then_some(t)
    }

    fn store(&self, id: &str, fingerprint: &[u8; 32], with_db: bool, t: &Template) {
        let path = self.path(id);
        let out = encode_file(id, fingerprint, with_db, t);
        let tmp = self.dir.join(format!(".tmp-{}", crate::ids::new_id("")));
        let r = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&tmp, &out))
            .and_then(|()| {
                let old = std::fs::metadata(&path).map(|m| m.len()).ok();
                std::fs::rename(&tmp, &path)?;
                Ok(old)
            });
        match r {
            Ok(old) => {
                self.bytes.fetch_add(out.len() as u64, Ordering::Relaxed);
                match old {
                    Some(n) => {
                        self.bytes.fetch_sub(
                            n.min(self.bytes.load(Ordering::Relaxed)),
                            Ordering::Relaxed,
                        );
                    }
                    None => {
                        self.files.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                if !self.said_error.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "sekisho server: cannot keep findings reports in {}: {e} (they are built per request)",
                        self.dir.display()
                    );
                }
            }
        }
    }

    fn remove(&self, id: &str) {
        self.remove_path(&self.path(id));
    }

    fn remove_path(&self, path: &Path) {
        if let Ok(m) = std::fs::metadata(path)
            && std::fs::remove_file(path).is_ok()
        {
            let _ = self
                .bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                    Some(b.saturating_sub(m.len()))
                });
            let _ = self
                .files
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(1))
                });
        }
    }

    fn forget_others(&self, keep: &HashSet<String>, before: std::time::SystemTime) {
        let names: HashSet<PathBuf> = keep.iter().map(|id| self.path(id)).collect();
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in rd.flatten() {
            let path = e.path();
            let old = e
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| t < before);
            if old && !names.contains(&path) {
                self.remove_path(&path);
            }
        }
    }
}

fn encode_file(id: &str, fingerprint: &[u8; 32], with_db: bool, t: &Template) -> Vec<u8> {
    ReportFile {
        id,
        fingerprint: *fingerprint,
        with_db,
        ecosystems: t.ecosystems.iter().map(|(e, n)| (e.as_str(), *n)).collect(),
        parts: t
            .parts
            .iter()
            .map(|p| match p {
                Part::Plain(d) => (None, &d[..]),
                Part::Packed { data, len } => (Some(*len), &data[..]),
            })
            .collect(),
    }
    .encode()
}

/// A report file's artifact id, fingerprint, DB flag and template; `None` for anything else
/// (torn, corrupt, another format).
fn decode_file(buf: &[u8]) -> Option<(String, [u8; 32], bool, Template)> {
    let f = ReportFile::decode(buf)?;
    let parts: Vec<Part> = f
        .parts
        .iter()
        .map(|(packed, data)| match packed {
            None => Part::Plain((*data).into()),
            Some(len) => Part::Packed {
                data: (*data).into(),
                len: *len,
            },
        })
        .collect();
    Some((
        f.id.to_string(),
        f.fingerprint,
        f.with_db,
        Template {
            parts: parts.into(),
            ecosystems: f
                .ecosystems
                .iter()
                .map(|(e, n)| ((*e).to_string(), *n))
                .collect(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report-shaped body built with `c`'s markers around `filler`.
    fn body(c: &ReportCache, filler: &str) -> Vec<u8> {
        let m = c.markers();
        format!(
            r#"{{"created":"{}","db":{},"targets":[{{"name":"{filler}","coverage":{}}}],"summary":{{"no_data_for":{}}}}}"#,
            m.created,
            String::from_utf8(encode(&m.db)).unwrap(),
            String::from_utf8(encode(&m.coverage)).unwrap(),
            String::from_utf8(encode(&vec![m.coverage[0].ecosystem.clone()])).unwrap(),
        )
        .into_bytes()
    }

    fn template(c: &ReportCache, filler: &str) -> Template {
        Template::split(&body(c, filler), c.markers(), vec![("npm".into(), 3)]).unwrap()
    }

    fn filled(t: &Template) -> String {
        String::from_utf8(
            t.fill("T", b"{\"path\":\"d\"}", b"[1]", b"[\"npm\"]")
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_template_is_filled_with_this_requests_values() {
        let c = ReportCache::new(1 << 20, None);
        let t = template(&c, "app");
        assert_eq!(
            filled(&t),
            r#"{"created":"T","db":{"path":"d"},"targets":[{"name":"app","coverage":[1]}],"summary":{"no_data_for":["npm"]}}"#
        );
        assert_eq!(t.ecosystems(), &[("npm".to_string(), 3)]);
        // A body without the open values (or with them out of order) is not a template.
        assert!(Template::split(b"{}", c.markers(), Vec::new()).is_none());
        let m = c.markers();
        let swapped = format!(
            r#"{{"db":{},"created":"{}"}}"#,
            String::from_utf8(encode(&m.db)).unwrap(),
            m.created
        );
        assert!(Template::split(swapped.as_bytes(), m, Vec::new()).is_none());
        // Markers are this process's own.
        assert_ne!(ReportCache::new(1, None).markers().created, m.created);
    }

    #[test]
    fn large_parts_are_kept_compressed_and_come_back_whole() {
        let c = ReportCache::new(64 << 20, None);
        let filler = "abcdefgh-".repeat(20_000);
        let t = template(&c, &filler);
        assert!(t.kept() < filler.len() / 10, "{} kept", t.kept());
        assert!(filled(&t).contains(&filler));
        c.put("a", [1; 32], true, t);
        assert!(c.bytes() < filler.len() / 10);
    }

    #[test]
    fn a_report_is_served_only_for_its_fingerprint_and_db_presence() {
        let c = ReportCache::new(1 << 20, None);
        c.put("a", [1; 32], true, template(&c, "one"));
        assert!(c.get("a", &[1; 32], true).is_some());
        assert!(c.get("a", &[2; 32], true).is_none(), "findings changed");
        assert!(c.get("a", &[1; 32], false).is_none(), "the DB went away");
        assert!(c.get("b", &[1; 32], true).is_none());
        c.put("a", [2; 32], true, template(&c, "two"));
        assert!(filled(&c.get("a", &[2; 32], true).unwrap()).contains("two"));
        assert!(c.get("a", &[1; 32], true).is_none());
        c.remove("a");
        assert!(c.get("a", &[2; 32], true).is_none());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn the_db_description_is_worked_out_once_per_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let import = |n: usize| {
            let ids: Vec<String> = (0..n).map(|i| format!("GHSA-test-{i}")).collect();
            let all: Vec<(&str, &str, &str)> = ids
                .iter()
                .map(|id| (id.as_str(), "PyPI", "flask"))
                .collect();
            crate::test_support::import(&path, dir.path(), &all);
        };
        import(1);
        let c = ReportCache::new(1 << 20, None);
        assert_eq!(&*c.db_json(None), b"null");
        let one = Arc::new(Db::open(&path).unwrap());
        let said: Value = serde_json::from_slice(&c.db_json(Some(&one))).unwrap();
        assert_eq!(said["advisories"], 1);
        assert_eq!(said["path"], path.display().to_string());
        import(2);
        // The same handle: the same words (it reads the file it opened).
        let again: Value = serde_json::from_slice(&c.db_json(Some(&one))).unwrap();
        assert_eq!(again["advisories"], 1);
        drop(one);
        let two = Arc::new(Db::open(&path).unwrap());
        let said: Value = serde_json::from_slice(&c.db_json(Some(&two))).unwrap();
        assert_eq!(said["advisories"], 2, "a later handle is described anew");
    }

    use serde_json::Value;

    #[test]
    fn the_oldest_reports_go_when_the_memory_limit_is_reached() {
        let c = ReportCache::new(8 * 1024, None);
        for i in 0..100 {
            c.put(
                &format!("a{i}"),
                [0; 32],
                true,
                template(&c, &"x".repeat(500)),
            );
            assert!(c.bytes() <= 8 * 1024);
        }
        assert!(c.get("a99", &[0; 32], true).is_some());
        assert!(c.get("a0", &[0; 32], true).is_none());
        assert!(!c.has_room_for("new"), "full");
        assert!(c.has_room_for("a99"), "replacing an entry");
        // Too large for the cache: not kept.
        c.put("big", [0; 32], true, template(&c, &"x".repeat(2000)));
        assert!(c.get("big", &[0; 32], true).is_none());
        // Replacing one entry over and over leaves the queue bounded.
        for _ in 0..1000 {
            c.put("a99", [0; 32], true, template(&c, "y"));
        }
        let g = c.inner.lock().unwrap();
        assert!(g.order.len() <= 2 * g.map.len() + 64);
    }

    #[test]
    fn reports_on_disk_outlive_the_process_and_the_memory_limit() {
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().join("reports");
        let c = ReportCache::new(4 * 1024, Some(reports.clone()));
        assert!(
            c.has_room_for("anything"),
            "the disk tier takes every report"
        );
        let filler = "z".repeat(20_000);
        for i in 0..20 {
            c.put(
                &format!("art_{i}"),
                [i as u8; 32],
                true,
                template(&c, &format!("{i}{filler}")),
            );
        }
        let (bytes, files) = c.disk_usage();
        assert_eq!(files, 20);
        assert!(bytes > 0 && c.bytes() <= 4 * 1024);
        // From disk, after the memory tier let it go, and in a new process.
        assert!(filled(&c.get("art_0", &[0; 32], true).unwrap()).contains(&format!("0{filler}")));
        let c2 = ReportCache::new(1 << 20, Some(reports.clone()));
        assert_eq!(c2.disk_usage(), (bytes, files));
        assert!(c2.has("art_7", &[7; 32], true));
        assert!(!c2.has("art_7", &[8; 32], true), "another state");
        assert!(!c2.has("art_7", &[7; 32], false));
        let t = c2.get("art_7", &[7; 32], true).unwrap();
        assert!(filled(&t).contains(&format!("7{filler}")));
        // The markers differ per process, but a kept template has none left: it fills the same.
        assert!(!filled(&t).contains("sekisho-open-"));
        // File names are digests: an id never names a path.
        for e in std::fs::read_dir(&reports).unwrap() {
            let n = e.unwrap().file_name().into_string().unwrap();
            assert!(
                n.len() == 40 && n.bytes().all(|b| b.is_ascii_hexdigit()),
                "{n}"
            );
        }
        c2.put("../../escape", [0; 32], true, template(&c2, "x"));
        assert!(!dir.path().join("escape").exists());
        assert!(c2.get("../../escape", &[0; 32], true).is_some());
        // Deleted: gone from both tiers.
        c2.remove("art_7");
        assert!(!c2.has("art_7", &[7; 32], true));
        assert_eq!(c2.disk_usage().1, 20);
        // Files of artifacts no longer stored go; newer ones and the ones kept stay.
        let keep: std::collections::HashSet<String> =
            ["art_1".to_string(), "art_2".to_string()].into();
        c2.forget_others(&keep, std::time::UNIX_EPOCH);
        assert_eq!(c2.disk_usage().1, 20, "written after the cut-off");
        c2.forget_others(
            &keep,
            std::time::SystemTime::now() + std::time::Duration::from_secs(5),
        );
        assert_eq!(c2.disk_usage().1, 2);
        assert!(c2.has("art_1", &[1; 32], true) && c2.has("art_2", &[2; 32], true));
        assert!(!c2.has("art_3", &[3; 32], true));
    }

    #[test]
    fn a_damaged_report_file_is_a_miss_never_a_wrong_report() {
        let dir = tempfile::tempdir().unwrap();
        let c = ReportCache::new(0, Some(dir.path().to_path_buf()));
        let filler = "q".repeat(30_000);
        c.put("art_x", [9; 32], true, template(&c, &filler));
        let path = c.disk.as_ref().unwrap().path("art_x");
        let good = std::fs::read(&path).unwrap();
        assert!(decode_file(&good).is_some());
        // Each byte flipped, each length cut short, and garbage: no template comes back.
        let step = (good.len() / 300).max(1);
        for i in (0..good.len()).step_by(step) {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            assert!(decode_file(&bad).is_none(), "byte {i} flipped");
            assert!(decode_file(&good[..i]).is_none(), "cut at {i}");
        }
        assert!(decode_file(b"").is_none());
        assert!(decode_file(b"sekisho-report 1\n\0\0\0\0").is_none());
        // Well-formed but claiming a part that decompresses to more than it does.
        let t = decode_file(&good).unwrap().3;
        let wrong = Template {
            parts: t
                .parts
                .iter()
                .map(|p| match p {
                    Part::Packed { data, len } => Part::Packed {
                        data: data.clone(),
                        len: len + 1,
                    },
                    p => p.clone(),
                })
                .collect(),
            ecosystems: t.ecosystems.clone(),
        };
        assert!(wrong.fill("T", b"", b"", b"").is_err());
        // A file for another id under this id's name is not served.
        let other = encode_file("art_y", &[9; 32], true, &t);
        std::fs::write(&path, other).unwrap();
        assert!(c.get("art_x", &[9; 32], true).is_none());
        std::fs::write(&path, b"junk").unwrap();
        assert!(c.get("art_x", &[9; 32], true).is_none());
    }
}
