//! Encoded findings reports kept ready per artifact.
//!
//! Building a report decodes every stored package and finding and encodes the report again:
//! milliseconds of CPU for a few hundred findings, which is what a burst of readers queues on.
//! The encoded body is kept, keyed by the artifact's store [`Fingerprint`](crate::store) and the
//! vulnerability DB handle it was built with. A request reads only the fingerprint (no package
//! or finding JSON) and, when both match, sends the kept body with this request's `created`
//! time. Any change to the artifact's findings (this replica's or another's) or a DB swap
//! changes the key, so a kept body is never served for a state it was not built from.
//!
//! Bounded by bytes; the oldest entries go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use sekisho_vulndb::Db;

/// A report encoded once, split around its `created` value.
#[derive(Clone)]
pub struct Kept {
    head: Arc<[u8]>,
    tail: Arc<[u8]>,
}

impl Kept {
    /// Split an encoded report at the first `"created":"<marker>"` (the report's own field comes
    /// before any target content). `None` when the marker is not found.
    #[must_use]
    pub fn split(body: &[u8], marker: &str) -> Option<Self> {
        let needle = format!("\"created\":\"{marker}\"");
        let at = body
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())?;
        let start = at + "\"created\":\"".len();
        Some(Self {
            head: body[..start].into(),
            tail: body[start + marker.len()..].into(),
        })
    }

    /// The body with `created` set.
    #[must_use]
    pub fn body(&self, created: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.head.len() + created.len() + self.tail.len());
        out.extend_from_slice(&self.head);
        out.extend_from_slice(created.as_bytes());
        out.extend_from_slice(&self.tail);
        out
    }

    fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }
}

struct Entry {
    fingerprint: [u8; 32],
    /// The DB handle the report was built with (`None`: without one). A `Weak` keeps the
    /// allocation, so the pointer cannot be reused by a later handle while the entry lives.
    db: Option<Weak<Db>>,
    kept: Kept,
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

pub struct ReportCache {
    inner: Mutex<Inner>,
    limit: usize,
    /// Per-process marker put in place of `created` when a report is encoded for keeping.
    marker: String,
}

fn same_db(kept: Option<&Weak<Db>>, db: Option<&Arc<Db>>) -> bool {
    match (kept, db) {
        (None, None) => true,
        (Some(w), Some(d)) => std::ptr::eq(w.as_ptr(), Arc::as_ptr(d)) && w.strong_count() > 0,
        _ => false,
    }
}

impl ReportCache {
    /// A cache of at most `limit` bytes (0: nothing is kept).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            limit,
            marker: format!("sekisho-created-{}", crate::ids::new_id("")),
        }
    }

    /// What to write as `created` in a report that will be kept.
    #[must_use]
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// The kept report of `id`, if it was built from this fingerprint and DB handle.
    pub fn get(&self, id: &str, fingerprint: &[u8; 32], db: Option<&Arc<Db>>) -> Option<Kept> {
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let e = g.map.get(id)?;
        (e.fingerprint == *fingerprint && same_db(e.db.as_ref(), db)).then(|| e.kept.clone())
    }

    /// Keep a report (one larger than an eighth of the limit is not kept).
    pub fn put(&self, id: &str, fingerprint: [u8; 32], db: Option<&Arc<Db>>, kept: Kept) {
        let len = kept.len() + id.len();
        if len > self.limit / 8 {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let n = g.next;
        g.next += 1;
        let entry = Entry {
            fingerprint,
            db: db.map(Arc::downgrade),
            kept,
            n,
        };
        if let Some(old) = g.map.insert(id.to_string(), entry) {
            g.bytes -= old.kept.len() + id.len();
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
                g.bytes -= old.kept.len() + oid.len();
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
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = g.map.remove(id) {
            g.bytes -= old.kept.len() + id.len();
        }
    }

    /// Bytes kept now.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(cache: &ReportCache, filler: &str) -> Kept {
        let body = format!(
            r#"{{"schema_version":1,"created":"{}","targets":[{{"name":"{filler}","created":"x"}}]}}"#,
            cache.marker()
        );
        Kept::split(body.as_bytes(), cache.marker()).unwrap()
    }

    #[test]
    fn a_kept_report_gets_the_requests_created_time() {
        let c = ReportCache::new(1 << 20);
        let k = kept(&c, "app");
        let body = String::from_utf8(k.body("2026-12-07T00:00:00.000Z")).unwrap();
        assert_eq!(
            body,
            r#"{"schema_version":1,"created":"2026-12-07T00:00:00.000Z","targets":[{"name":"app","created":"x"}]}"#
        );
        assert!(Kept::split(b"{}", c.marker()).is_none());
    }

    #[test]
    fn a_report_is_served_only_for_its_fingerprint_and_db() {
        let c = ReportCache::new(1 << 20);
        c.put("a", [1; 32], None, kept(&c, "one"));
        assert!(c.get("a", &[1; 32], None).is_some());
        assert!(c.get("a", &[2; 32], None).is_none(), "findings changed");
        assert!(c.get("b", &[1; 32], None).is_none());
        c.put("a", [2; 32], None, kept(&c, "two"));
        let body = c.get("a", &[2; 32], None).unwrap().body("t");
        assert!(String::from_utf8(body).unwrap().contains("two"));
        assert!(c.get("a", &[1; 32], None).is_none());
        c.remove("a");
        assert!(c.get("a", &[2; 32], None).is_none());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn a_db_swap_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let adv = dir.path().join("a.json");
        std::fs::write(
            &adv,
            r#"{"id":"GHSA-test","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        )
        .unwrap();
        sekisho_vulndb::import::import_paths(
            &path,
            &[adv],
            &sekisho_vulndb::import::ImportOptions::default(),
        )
        .unwrap();
        let one = Arc::new(Db::open(&path).unwrap());
        let two = Arc::new(Db::open(&path).unwrap());
        let c = ReportCache::new(1 << 20);
        c.put("a", [1; 32], Some(&one), kept(&c, "x"));
        assert!(c.get("a", &[1; 32], Some(&one)).is_some());
        assert!(c.get("a", &[1; 32], Some(&two)).is_none());
        assert!(c.get("a", &[1; 32], None).is_none());
        drop(one);
        drop(two);
        let three = Arc::new(Db::open(&path).unwrap());
        assert!(
            c.get("a", &[1; 32], Some(&three)).is_none(),
            "a later handle never matches"
        );
    }

    #[test]
    fn the_oldest_reports_go_when_the_limit_is_reached() {
        let c = ReportCache::new(8 * 1024);
        for i in 0..100 {
            c.put(&format!("a{i}"), [0; 32], None, kept(&c, &"x".repeat(500)));
            assert!(c.bytes() <= 8 * 1024);
        }
        assert!(c.get("a99", &[0; 32], None).is_some());
        assert!(c.get("a0", &[0; 32], None).is_none());
        // Too large for the cache: not kept.
        c.put("big", [0; 32], None, kept(&c, &"x".repeat(2000)));
        assert!(c.get("big", &[0; 32], None).is_none());
        // Replacing one entry over and over leaves the queue bounded.
        for _ in 0..1000 {
            c.put("a99", [0; 32], None, kept(&c, "y"));
        }
        let g = c.inner.lock().unwrap();
        assert!(g.order.len() <= 2 * g.map.len() + 64);
    }
}
