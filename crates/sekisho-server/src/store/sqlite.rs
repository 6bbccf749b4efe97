//! The embedded store: one SQLite file (`DIR/server.sqlite`, WAL mode). One writer connection
//! behind a lock, a small pool of readers. A `kill -9` loses no committed transaction (WAL
//! survives a process crash; `synchronous=NORMAL` only risks the last commits on power loss).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use sekisho_catalog::Package;
use sekisho_vulndb::normalize::Key;

use super::{
    ArtifactFull, ArtifactMeta, Attempt, AttemptRow, ComponentRef, ComponentRow, ComponentUpdate,
    Counts, DeliveryJob, DeliveryRow, EventRow, JobRow, NewArtifact, NewComponent, Result, Store,
    StoreError, StoredFinding, WatchRow, WebhookRow, event_payload,
};
use crate::ids;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artifacts(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  target TEXT NOT NULL,
  rev INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS components(
  artifact INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  package_id TEXT NOT NULL,
  eco TEXT, rel TEXT, name TEXT,
  package TEXT NOT NULL,
  PRIMARY KEY(artifact, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS components_key ON components(eco, rel, name) WHERE eco IS NOT NULL;
CREATE INDEX IF NOT EXISTS components_pkg ON components(artifact, package_id);
CREATE TABLE IF NOT EXISTS findings(
  artifact INTEGER NOT NULL,
  package_id TEXT NOT NULL,
  vuln TEXT NOT NULL,
  shown INTEGER NOT NULL,
  body INTEGER NOT NULL,
  PRIMARY KEY(artifact, package_id, vuln)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS findings_body ON findings(body);
-- Finding JSON, content-addressed (first 16 bytes of SHA-256): the same package version with the
-- same advisory in many artifacts is stored once.
-- A rowid table: rows are large, so they are appended densely; only the small hash index is
-- in random order.
CREATE TABLE IF NOT EXISTS bodies(id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS finding_advisories(
  advisory TEXT NOT NULL,
  artifact INTEGER NOT NULL,
  package_id TEXT NOT NULL,
  PRIMARY KEY(advisory, artifact, package_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS finding_advisories_pkg ON finding_advisories(artifact, package_id);
CREATE TABLE IF NOT EXISTS adv_state(id TEXT PRIMARY KEY, fp BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_advisories(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  artifact TEXT NOT NULL,
  vuln TEXT NOT NULL,
  created TEXT NOT NULL,
  payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks(
  id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
  created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries(
  id TEXT PRIMARY KEY,
  webhook TEXT NOT NULL,
  event TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  UNIQUE(webhook, event)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_at);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook, created);
CREATE TABLE IF NOT EXISTS attempts(
  delivery TEXT NOT NULL, n INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT,
  PRIMARY KEY(delivery, n)) WITHOUT ROWID;
";

/// Jobs and watched tags (added to schema 1; created when missing).
const JOB_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  artifact TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, lease_until);
CREATE TABLE IF NOT EXISTS watches(
  artifact TEXT PRIMARY KEY,
  ref TEXT NOT NULL,
  digest TEXT NOT NULL,
  next_at INTEGER NOT NULL,
  last_at INTEGER,
  checks INTEGER NOT NULL DEFAULT 0,
  recatalogs INTEGER NOT NULL DEFAULT 0,
  error TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watches_due ON watches(next_at);
";

const STORE_SCHEMA_VERSION: &str = "1";
const READERS: usize = 8;

/// The embedded store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// The background checkpointer ([`checkpoints`]): told to stop when the store goes.
    checkpointer: (Arc<AtomicBool>, std::thread::Thread),
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let (stop, thread) = &self.checkpointer;
        stop.store(true, Ordering::Relaxed);
        thread.unpark();
    }
}

/// How often the background checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL pages after which a commit checkpoints by itself (64 MiB): only when the background
/// checkpointer falls behind.
const AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Copy the WAL into the database file every [`CHECKPOINT_EVERY`] on a connection of its own
/// (`PASSIVE`: it never blocks the writer or readers), so a commit does not pay for the copy
/// and its sync. Ends when `stop` is set, or at the first error (commits then checkpoint by
/// themselves past [`AUTOCHECKPOINT_PAGES`]).
fn checkpoints(conn: Connection, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::park_timeout(CHECKPOINT_EVERY);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            eprintln!("sekisho server: store checkpoints stopped: {e}");
            break;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Decode(e.to_string()))
}

struct Reader<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut p = lock(&self.store.readers);
            if p.len() < READERS {
                p.push(c);
            }
        }
    }
}

fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.execute_batch("PRAGMA foreign_keys=OFF; PRAGMA cache_size=-32768;")
}

impl SqliteStore {
    /// Open (creating) the store at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or holds another schema.
    pub fn open(path: &Path) -> Result<Self> {
        let c = Connection::open(path)?;
        configure(&c)?;
        // The WAL is truncated back to 16 MiB after each checkpoint (it never stays at its peak).
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=16777216;",
        )?;
        c.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
        c.execute_batch(SCHEMA)?;
        c.execute_batch(JOB_SCHEMA)?;
        // Stores made before artifacts had a revision (`Fingerprint`) get one.
        let has_rev: bool = c.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('artifacts') WHERE name = 'rev'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if !has_rev {
            c.execute_batch("ALTER TABLE artifacts ADD COLUMN rev INTEGER NOT NULL DEFAULT 0")?;
        }
        let ver: Option<String> = c
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match ver.as_deref() {
            None => {
                c.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)",
                    [STORE_SCHEMA_VERSION],
                )?;
            }
            Some(STORE_SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(StoreError::Other(format!(
                    "{} has store schema {v}, this sekisho reads {STORE_SCHEMA_VERSION}",
                    path.display()
                )));
            }
        }
        let cp = Connection::open(path)?;
        configure(&cp)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sekisho-store-checkpoint".into())
            .spawn(move || checkpoints(cp, &flag))
            .map_err(|e| StoreError::Other(format!("starting the checkpointer: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(c),
            readers: Mutex::new(Vec::new()),
            checkpointer: (stop, thread.thread().clone()),
        })
    }

    fn reader(&self) -> Result<Reader<'_>> {
        if let Some(c) = lock(&self.readers).pop() {
            return Ok(Reader {
                store: self,
                conn: Some(c),
            });
        }
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&c)?;
        Ok(Reader {
            store: self,
            conn: Some(c),
        })
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut c = lock(&self.writer);
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn meta_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArtifactMeta> {
    Ok(ArtifactMeta {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        digest: r.get(3)?,
        created: r.get(4)?,
        updated: r.get(5)?,
        components: r.get::<_, i64>(6)? as u64,
        findings: r.get::<_, i64>(7)? as u64,
    })
}

/// Feed an artifact's findings to `fp` (in report order), and collect their JSON into `json`
/// when asked.
fn finding_rows(c: &Connection, seq: i64, out: &mut Vec<String>) -> Result<()> {
    let mut st = c.prepare_cached(
        "SELECT f.package_id, b.json FROM findings f
         JOIN bodies b ON b.id = f.body WHERE f.artifact = ?1 ORDER BY f.package_id, f.vuln",
    )?;
    let mut rows = st.query([seq])?;
    while let Some(r) = rows.next()? {
        out.push(super::with_package_id(r.get(1)?, &r.get::<_, String>(0)?));
    }
    Ok(())
}

const META_COLS: &str = "a.id, a.name, a.kind, a.digest, a.created, a.updated,
  (SELECT COUNT(*) FROM components c WHERE c.artifact = a.seq),
  (SELECT COUNT(*) FROM findings f WHERE f.artifact = a.seq AND f.shown)";

/// The artifact's findings or components changed in this transaction (see
/// [`super::Fingerprint`]).
fn bump_rev(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    tx.prepare_cached("UPDATE artifacts SET rev = rev + 1 WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

/// The bodies `rows` of `findings` reference (before they are deleted).
fn bodies_of(tx: &Transaction<'_>, sql: &str, p: impl rusqlite::Params) -> Result<Vec<i64>> {
    let mut st = tx.prepare_cached(sql)?;
    Ok(st
        .query_map(p, |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Drop the bodies no finding references any more.
fn collect_bodies(tx: &Transaction<'_>, ids: &[i64]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "DELETE FROM bodies WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM findings WHERE body = ?1)",
    )?;
    for h in ids {
        st.execute([h])?;
    }
    Ok(())
}

fn insert_findings(
    tx: &Transaction<'_>,
    seq: i64,
    package_id: &str,
    fs: &[StoredFinding],
) -> Result<()> {
    let mut ins = tx.prepare_cached(
        "INSERT OR REPLACE INTO findings(artifact, package_id, vuln, shown, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut adv = tx.prepare_cached(
        "INSERT OR IGNORE INTO finding_advisories(advisory, artifact, package_id) VALUES (?1, ?2, ?3)",
    )?;
    for f in fs {
        let id = body_id(tx, f.json.hash(), &f.json)?;
        ins.execute(params![seq, package_id, f.vuln_id, f.shown, id])?;
        for a in &f.advisories {
            adv.execute(params![a, seq, package_id])?;
        }
    }
    Ok(())
}

/// One component's stored findings (finding ID, shown flag, body hash) and the advisories
/// recorded for it.
#[allow(clippy::type_complexity)]
fn stored_findings(
    tx: &Transaction<'_>,
    seq: i64,
    package_id: &str,
) -> Result<(Vec<(String, bool, Vec<u8>)>, Vec<String>)> {
    let mut st = tx.prepare_cached(
        "SELECT f.vuln, f.shown, b.hash FROM findings f JOIN bodies b ON b.id = f.body
         WHERE f.artifact = ?1 AND f.package_id = ?2",
    )?;
    let stored = st
        .query_map(params![seq, package_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = tx.prepare_cached(
        "SELECT advisory FROM finding_advisories WHERE artifact = ?1 AND package_id = ?2",
    )?;
    let advisories = st
        .query_map(params![seq, package_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((stored, advisories))
}

/// Apply one component's [`super::FindingDiff`]; the bodies the deleted findings referenced
/// are added to `old` (collected once the artifact is done).
fn rewrite_findings(
    tx: &Transaction<'_>,
    seq: i64,
    package_id: &str,
    d: &super::FindingDiff<'_>,
    old: &mut Vec<i64>,
) -> Result<()> {
    let mut del = tx.prepare_cached(
        "DELETE FROM findings WHERE artifact = ?1 AND package_id = ?2 AND vuln = ?3 RETURNING body",
    )?;
    for v in &d.gone {
        if let Some(b) = del
            .query_row(params![seq, package_id, v], |r| r.get::<_, i64>(0))
            .optional()?
        {
            old.push(b);
        }
    }
    let mut ins = tx.prepare_cached(
        "INSERT INTO findings(artifact, package_id, vuln, shown, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (f, h) in &d.added {
        let body = body_id(tx, h, &f.json)?;
        ins.execute(params![seq, package_id, f.vuln_id, f.shown, body])?;
    }
    let mut del = tx.prepare_cached(
        "DELETE FROM finding_advisories WHERE advisory = ?1 AND artifact = ?2 AND package_id = ?3",
    )?;
    for a in &d.advisories_gone {
        del.execute(params![a, seq, package_id])?;
    }
    let mut add = tx.prepare_cached(
        "INSERT OR IGNORE INTO finding_advisories(advisory, artifact, package_id) VALUES (?1, ?2, ?3)",
    )?;
    for a in &d.advisories_added {
        add.execute(params![a, seq, package_id])?;
    }
    Ok(())
}

/// The id of the stored body with hash `h` (stored now when new).
fn body_id(tx: &Transaction<'_>, h: &[u8; 16], json: &str) -> Result<i64> {
    let mut find = tx.prepare_cached("SELECT id FROM bodies WHERE hash = ?1")?;
    if let Some(id) = find.query_row([h.as_slice()], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO bodies(hash, json) VALUES (?1, ?2)")?
        .execute(params![h.as_slice(), json])?;
    Ok(tx.last_insert_rowid())
}

/// Shown findings of an artifact by finding id: their package ids and body ids, in package
/// order.
type ShownIds = BTreeMap<String, Vec<(String, i64)>>;

/// The shown findings of an artifact among the finding IDs `only` (package id and body id of
/// each, in package order): only a finding ID with a changed row can appear or go away.
fn shown_ids(
    tx: &Transaction<'_>,
    seq: i64,
    only: &std::collections::HashSet<&str>,
) -> Result<ShownIds> {
    let mut st = tx.prepare_cached(
        "SELECT vuln, package_id, body FROM findings WHERE artifact = ?1 AND shown",
    )?;
    let mut out = ShownIds::new();
    let mut rows = st.query([seq])?;
    while let Some(r) = rows.next()? {
        let v = r
            .get_ref(0)?
            .as_str()
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        if !only.contains(v) {
            continue;
        }
        let v = v.to_string();
        out.entry(v)
            .or_default()
            .push((r.get::<_, String>(1)?, r.get::<_, i64>(2)?));
    }
    for ps in out.values_mut() {
        ps.sort();
    }
    Ok(out)
}

/// `before` and `after` as [`record_changes`] takes them: every finding ID, with the JSON of the
/// ones only one side has (an ID on both sides raises no event, so its JSON is not read).
#[allow(clippy::type_complexity)]
fn with_event_json(
    tx: &Transaction<'_>,
    before: &ShownIds,
    after: &ShownIds,
) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>)> {
    let mut body = tx.prepare_cached("SELECT json FROM bodies WHERE id = ?1")?;
    let mut side = |this: &ShownIds, other: &ShownIds| {
        let mut out = BTreeMap::new();
        for (v, ids) in this {
            let json = if other.contains_key(v) {
                Vec::new()
            } else {
                ids.iter()
                    .map(|(pid, id)| {
                        body.query_row([id], |r| r.get::<_, String>(0))
                            .map(|j| super::with_package_id(j, pid))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            out.insert(v.clone(), json);
        }
        Ok::<_, StoreError>(out)
    };
    let b = side(before, after)?;
    let a = side(after, before)?;
    Ok((b, a))
}

/// Shown findings of an artifact by finding id (their JSON, in package order).
fn shown_by_vuln(tx: &Transaction<'_>, seq: i64) -> Result<BTreeMap<String, Vec<String>>> {
    let mut st = tx.prepare_cached(
        "SELECT f.vuln, b.json, f.package_id FROM findings f JOIN bodies b ON b.id = f.body
         WHERE f.artifact = ?1 AND f.shown ORDER BY f.vuln, f.package_id",
    )?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let rows = st.query_map([seq], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for r in rows {
        let (v, f, p) = r?;
        out.entry(v)
            .or_default()
            .push(super::with_package_id(f, &p));
    }
    Ok(out)
}

fn component_rows(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<ComponentRow>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(p, |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (artifact, idx, pkg) = r?;
        out.push(ComponentRow {
            artifact,
            idx: idx as u64,
            package: decode(&pkg)?,
        });
    }
    Ok(out)
}

fn insert_components(tx: &Transaction<'_>, seq: i64, comps: &[NewComponent]) -> Result<()> {
    let mut ins = tx.prepare_cached(
        "INSERT INTO components(artifact, idx, package_id, eco, rel, name, package) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, c) in comps.iter().enumerate() {
        let json =
            serde_json::to_string(&c.package).map_err(|e| StoreError::Other(e.to_string()))?;
        let (e, r, n) = match &c.key {
            Some(k) => (Some(&k.ecosystem), Some(&k.release), Some(&k.name)),
            None => (None, None, None),
        };
        ins.execute(params![seq, i as i64, c.package.id, e, r, n, json])?;
        insert_findings(tx, seq, &c.package.id, &c.findings)?;
    }
    Ok(())
}

/// The webhooks and the event types each takes.
fn hooks_of(tx: &Transaction<'_>) -> Result<Vec<(String, Vec<String>)>> {
    let hooks = {
        let mut st = tx.prepare_cached("SELECT id, events FROM webhooks")?;
        st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(hooks
        .into_iter()
        .map(|(id, ev)| (id, serde_json::from_str(&ev).unwrap_or_default()))
        .collect())
}

/// The artifact's shown findings changed from `before` to `after`: record one `finding.new` per
/// finding id that appeared and one `finding.resolved` per id that went, queue their
/// deliveries, and date the artifact. Returns the number of events.
#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's context, passed through"
)]
fn record_changes(
    tx: &Transaction<'_>,
    hooks: &[(String, Vec<String>)],
    (seq, artifact, name, digest): (i64, &str, &str, &str),
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
    now: &str,
    now_ms: i64,
    events: &mut usize,
) -> Result<()> {
    let mut changed: Vec<(&str, &str, &Vec<String>)> = Vec::new();
    for (v, fs) in after {
        if !before.contains_key(v) {
            changed.push(("finding.new", v, fs));
        }
    }
    for (v, fs) in before {
        if !after.contains_key(v) {
            changed.push(("finding.resolved", v, fs));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    tx.prepare_cached("UPDATE artifacts SET updated = ?1 WHERE seq = ?2")?
        .execute(params![now, seq])?;
    for (kind, vuln, fs) in changed {
        let id = ids::new_id("msg_");
        let payload = event_payload(kind, now_ms, (artifact, name, digest), fs);
        tx.prepare_cached(
            "INSERT INTO events(id, kind, artifact, vuln, created, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![id, kind, artifact, vuln, now, payload])?;
        *events += 1;
        for (hook, types) in hooks {
            if !types.is_empty() && !types.iter().any(|t| t == kind) {
                continue;
            }
            tx.prepare_cached(
                "INSERT OR IGNORE INTO deliveries(id, webhook, event, state, attempts, next_at, created, updated)
                 VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4)",
            )?
            .execute(params![ids::new_id("dlv_"), hook, id, now_ms])?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn insert_artifact(&self, a: &NewArtifact) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO artifacts(id, name, kind, digest, created, updated, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![a.meta.id, a.meta.name, a.meta.kind, a.meta.digest, a.meta.created, a.meta.updated, a.target],
            )?;
            let seq = tx.last_insert_rowid();
            insert_components(tx, seq, &a.components)
        })
    }

    fn list_artifacts(&self, after: Option<&str>, limit: usize) -> Result<Vec<ArtifactMeta>> {
        let c = self.reader()?;
        let after_seq: i64 = match after {
            Some(id) => c
                .query_row("SELECT seq FROM artifacts WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .unwrap_or(i64::MAX),
            None => 0,
        };
        let mut st = c.prepare_cached(&format!(
            "SELECT {META_COLS} FROM artifacts a WHERE a.seq > ?1 ORDER BY a.seq LIMIT ?2"
        ))?;
        let rows = st.query_map(params![after_seq, limit as i64], meta_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn artifact(&self, id: &str) -> Result<Option<ArtifactMeta>> {
        let c = self.reader()?;
        Ok(c.query_row(
            &format!("SELECT {META_COLS} FROM artifacts a WHERE a.id = ?1"),
            [id],
            meta_row,
        )
        .optional()?)
    }

    fn artifact_full(&self, id: &str) -> Result<Option<ArtifactFull>> {
        let c = self.reader()?;
        // One read transaction: the packages and findings of one consistent state.
        c.execute_batch("BEGIN")?;
        let out = (|| -> Result<Option<ArtifactFull>> {
            let Some(meta) = c
                .query_row(
                    &format!("SELECT {META_COLS} FROM artifacts a WHERE a.id = ?1"),
                    [id],
                    meta_row,
                )
                .optional()?
            else {
                return Ok(None);
            };
            let (seq, target, rev): (i64, String, i64) = c.query_row(
                "SELECT seq, target, rev FROM artifacts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut st = c.prepare_cached(
                "SELECT package FROM components WHERE artifact = ?1 ORDER BY idx",
            )?;
            let mut packages: Vec<Package> = Vec::new();
            for r in st.query_map([seq], |r| r.get::<_, String>(0))? {
                packages.push(decode(&r?)?);
            }
            let fp = super::Fingerprint::new(seq, rev, &meta, &target);
            let mut findings = Vec::new();
            finding_rows(&c, seq, &mut findings)?;
            Ok(Some(ArtifactFull {
                meta,
                target,
                packages,
                findings,
                fingerprint: fp.finish(),
            }))
        })();
        let _ = c.execute_batch("COMMIT");
        out
    }

    fn artifact_fingerprint(&self, id: &str) -> Result<Option<[u8; 32]>> {
        let c = self.reader()?;
        // One statement: its own read transaction. Prepared once per connection (this is on
        // every findings request).
        let mut st = c.prepare_cached(&format!(
            "SELECT {META_COLS}, a.seq, a.target, a.rev FROM artifacts a WHERE a.id = ?1"
        ))?;
        let row = st
            .query_row([id], |r| {
                Ok((
                    meta_row(r)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                ))
            })
            .optional()?;
        Ok(row.map(|(meta, seq, target, rev)| {
            super::Fingerprint::new(seq, rev, &meta, &target).finish()
        }))
    }

    fn delete_artifact(&self, id: &str) -> Result<bool> {
        self.write(|tx| {
            let Some(seq): Option<i64> = tx
                .query_row("SELECT seq FROM artifacts WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
            else {
                return Ok(false);
            };
            let old = bodies_of(
                tx,
                "SELECT DISTINCT body FROM findings WHERE artifact = ?1",
                [seq],
            )?;
            tx.execute("DELETE FROM finding_advisories WHERE artifact = ?1", [seq])?;
            tx.execute("DELETE FROM findings WHERE artifact = ?1", [seq])?;
            collect_bodies(tx, &old)?;
            tx.execute("DELETE FROM components WHERE artifact = ?1", [seq])?;
            tx.execute("DELETE FROM artifacts WHERE seq = ?1", [seq])?;
            Ok(true)
        })
    }

    fn advisory_state(&self) -> Result<Vec<(String, [u8; 32])>> {
        let c = self.reader()?;
        let mut st = c.prepare("SELECT id, fp FROM adv_state ORDER BY id")?;
        let rows = st.query_map([], |r| {
            let id: String = r.get(0)?;
            let fp: Vec<u8> = r.get(1)?;
            Ok((id, fp))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (id, fp) = r?;
            let fp: [u8; 32] = fp
                .try_into()
                .map_err(|_| StoreError::Decode(format!("fingerprint of {id}")))?;
            out.push((id, fp));
        }
        Ok(out)
    }

    fn record_db_change(&self, changes: &[(String, Option<[u8; 32]>)]) -> Result<()> {
        self.write(|tx| {
            let mut set =
                tx.prepare_cached("INSERT OR REPLACE INTO adv_state(id, fp) VALUES (?1, ?2)")?;
            let mut del = tx.prepare_cached("DELETE FROM adv_state WHERE id = ?1")?;
            let mut pend =
                tx.prepare_cached("INSERT OR IGNORE INTO pending_advisories(id) VALUES (?1)")?;
            for (id, fp) in changes {
                match fp {
                    Some(fp) => set.execute(params![id, fp.as_slice()])?,
                    None => del.execute([id])?,
                };
                pend.execute([id])?;
            }
            Ok(())
        })
    }

    fn pending_advisories(&self, limit: usize) -> Result<Vec<String>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached("SELECT id FROM pending_advisories ORDER BY seq LIMIT ?1")?;
        Ok(st
            .query_map([limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn component_refs(&self, keys: &[Key], advisories: &[String]) -> Result<Vec<ComponentRef>> {
        let c = self.reader()?;
        let mut out = Vec::new();
        let row = |r: &rusqlite::Row<'_>| {
            Ok(ComponentRef {
                artifact: r.get(0)?,
                idx: r.get::<_, i64>(1)? as u64,
            })
        };
        // Both from covering indexes: no component row is read.
        let mut by_key = c.prepare_cached(
            "SELECT artifact, idx FROM components WHERE eco = ?1 AND rel = ?2 AND name = ?3",
        )?;
        for k in keys {
            for r in by_key.query_map(params![k.ecosystem, k.release, k.name], row)? {
                out.push(r?);
            }
        }
        let mut by_adv = c.prepare_cached(
            "SELECT c.artifact, c.idx FROM finding_advisories f
             JOIN components c ON c.artifact = f.artifact AND c.package_id = f.package_id
             WHERE f.advisory = ?1",
        )?;
        for adv in advisories {
            for r in by_adv.query_map([adv], row)? {
                out.push(r?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    fn pending_advisory_count(&self) -> Result<u64> {
        let c = self.reader()?;
        Ok(
            c.query_row("SELECT COUNT(*) FROM pending_advisories", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
        )
    }

    fn components_at(&self, refs: &[ComponentRef]) -> Result<Vec<ComponentRow>> {
        let c = self.reader()?;
        let mut id_of = c.prepare_cached("SELECT id FROM artifacts WHERE seq = ?1")?;
        let mut package =
            c.prepare_cached("SELECT package FROM components WHERE artifact = ?1 AND idx = ?2")?;
        let mut out = Vec::with_capacity(refs.len());
        let mut current: Option<(i64, Option<String>)> = None;
        for r in refs {
            if current.as_ref().map(|c| c.0) != Some(r.artifact) {
                let id: Option<String> = id_of.query_row([r.artifact], |x| x.get(0)).optional()?;
                current = Some((r.artifact, id));
            }
            let Some((_, Some(artifact))) = &current else {
                continue;
            };
            let Some(json): Option<String> = package
                .query_row(params![r.artifact, r.idx as i64], |x| x.get(0))
                .optional()?
            else {
                continue;
            };
            out.push(ComponentRow {
                artifact: artifact.clone(),
                idx: r.idx,
                package: decode(&json)?,
            });
        }
        Ok(out)
    }

    fn components_of(&self, artifact: &str) -> Result<Vec<ComponentRow>> {
        let c = self.reader()?;
        component_rows(
            &c,
            "SELECT a.id, c.idx, c.package FROM components c JOIN artifacts a ON a.seq = c.artifact
             WHERE a.id = ?1 ORDER BY c.idx",
            [artifact],
        )
    }

    fn apply_rematch(
        &self,
        done: &[String],
        updates: &[ComponentUpdate],
        now_ms: i64,
    ) -> Result<usize> {
        self.write(|tx| {
            let mut by_artifact: BTreeMap<&str, Vec<&ComponentUpdate>> = BTreeMap::new();
            for u in updates {
                by_artifact.entry(u.artifact.as_str()).or_default().push(u);
            }
            let hooks = hooks_of(tx)?;
            let now = ids::rfc3339_ms(now_ms);
            let mut events = 0usize;
            for (artifact, ups) in by_artifact {
                // The artifact may have been deleted since its components were read.
                let Some((seq, name, digest)): Option<(i64, String, String)> = tx
                    .query_row(
                        "SELECT seq, name, digest FROM artifacts WHERE id = ?1",
                        [artifact],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?
                else {
                    continue;
                };
                // Only the findings that do not come out byte for byte as stored are
                // rewritten; an artifact with none is left alone.
                let mut diffs = Vec::new();
                for u in &ups {
                    let (stored, advisories) = stored_findings(tx, seq, &u.package_id)?;
                    let d = super::finding_diff(&stored, &advisories, &u.findings);
                    if !d.is_empty() {
                        diffs.push((u.package_id.as_str(), d));
                    }
                }
                if diffs.is_empty() {
                    continue;
                }
                let touched: std::collections::HashSet<&str> =
                    diffs.iter().flat_map(|(_, d)| d.changed_ids()).collect();
                let before = shown_ids(tx, seq, &touched)?;
                let mut old = Vec::new();
                for (pid, d) in &diffs {
                    rewrite_findings(tx, seq, pid, d, &mut old)?;
                }
                bump_rev(tx, seq)?;
                let after = shown_ids(tx, seq, &touched)?;
                // Only the finding IDs that appeared or went away need their JSON (for the
                // events); the bodies of resolved ones are read before they are collected.
                let (before, after) = with_event_json(tx, &before, &after)?;
                record_changes(
                    tx,
                    &hooks,
                    (seq, artifact, &name, &digest),
                    &before,
                    &after,
                    &now,
                    now_ms,
                    &mut events,
                )?;
                old.sort();
                old.dedup();
                collect_bodies(tx, &old)?;
            }
            let mut del = tx.prepare_cached("DELETE FROM pending_advisories WHERE id = ?1")?;
            for d in done {
                del.execute([d])?;
            }
            Ok(events)
        })
    }

    fn events(&self, after: i64, limit: usize) -> Result<Vec<EventRow>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(
            "SELECT seq, id, kind, artifact, vuln, created, payload FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = st.query_map(params![after, limit as i64], |r| {
            Ok(EventRow {
                seq: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                artifact: r.get(3)?,
                vuln_id: r.get(4)?,
                created: r.get(5)?,
                payload: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn create_webhook(&self, w: &WebhookRow) -> Result<()> {
        let events =
            serde_json::to_string(&w.events).map_err(|e| StoreError::Other(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhooks(id, url, events, secret, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![w.id, w.url, events, w.secret, w.created],
            )?;
            Ok(())
        })
    }

    fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(
            "SELECT id, url, events, secret, created FROM webhooks ORDER BY created, id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (id, url, events, secret, created) = r?;
            out.push(WebhookRow {
                id,
                url,
                events: decode(&events)?,
                created,
                secret,
            });
        }
        Ok(out)
    }

    fn webhook(&self, id: &str) -> Result<Option<WebhookRow>> {
        Ok(self.webhooks()?.into_iter().find(|w| w.id == id))
    }

    fn delete_webhook(&self, id: &str) -> Result<bool> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM attempts WHERE delivery IN (SELECT id FROM deliveries WHERE webhook = ?1)",
                [id],
            )?;
            tx.execute("DELETE FROM deliveries WHERE webhook = ?1", [id])?;
            Ok(tx.execute("DELETE FROM webhooks WHERE id = ?1", [id])? > 0)
        })
    }

    fn deliveries(&self, webhook: &str, limit: usize) -> Result<Vec<DeliveryRow>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(
            "SELECT d.id, d.webhook, d.event, e.kind, d.state, d.attempts, d.next_at, d.created, d.updated
             FROM deliveries d JOIN events e ON e.id = d.event
             WHERE d.webhook = ?1 ORDER BY d.created, e.seq LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![webhook, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut hist = c.prepare_cached(
            "SELECT n, at, status, error FROM attempts WHERE delivery = ?1 ORDER BY n",
        )?;
        let mut out = Vec::new();
        for (id, webhook, event, kind, state, attempts, next_at, created, updated) in rows {
            let history = hist
                .query_map([&id], |r| {
                    Ok(AttemptRow {
                        attempt: r.get::<_, i64>(0)? as u32,
                        at: ids::rfc3339_ms(r.get(1)?),
                        status: r.get::<_, Option<i64>>(2)?.map(|s| s as u16),
                        error: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            out.push(DeliveryRow {
                next_attempt: (state == "pending").then(|| ids::rfc3339_ms(next_at)),
                id,
                webhook,
                event,
                kind,
                state,
                attempts: attempts as u32,
                created: ids::rfc3339_ms(created),
                updated: ids::rfc3339_ms(updated),
                history,
            });
        }
        Ok(out)
    }

    fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>> {
        self.write(|tx| {
            let rows = {
                let mut st = tx.prepare_cached(
                    "SELECT d.id, w.url, w.secret, e.id, e.payload, d.attempts
                     FROM deliveries d JOIN webhooks w ON w.id = d.webhook JOIN events e ON e.id = d.event
                     WHERE d.state = 'pending' AND d.next_at <= ?1 ORDER BY d.next_at LIMIT ?2",
                )?;
                st.query_map(params![now_ms, limit as i64], |r| {
                    Ok(DeliveryJob {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        secret: r.get(2)?,
                        msg_id: r.get(3)?,
                        payload: r.get(4)?,
                        attempts: r.get::<_, i64>(5)? as u32,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            let mut lease = tx.prepare_cached("UPDATE deliveries SET next_at = ?1 WHERE id = ?2")?;
            for j in &rows {
                lease.execute(params![now_ms + lease_ms, j.id])?;
            }
            Ok(rows)
        })
    }

    fn finish_attempts(&self, attempts: &[Attempt]) -> Result<()> {
        self.write(|tx| {
            let mut count =
                tx.prepare_cached("SELECT attempts FROM deliveries WHERE id = ?1")?;
            let mut last = tx.prepare_cached(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM attempts WHERE delivery = ?1",
            )?;
            let mut add = tx.prepare_cached(
                "INSERT INTO attempts(delivery, n, at, status, error) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut set = tx.prepare_cached(
                "UPDATE deliveries SET state = ?1, attempts = ?2, next_at = ?3, updated = ?4 WHERE id = ?5",
            )?;
            for a in attempts {
                let Some(made): Option<i64> =
                    count.query_row([&a.id], |r| r.get(0)).optional()?
                else {
                    continue; // the webhook was deleted meanwhile
                };
                let n: i64 = last.query_row([&a.id], |r| r.get(0))?;
                add.execute(params![a.id, n, a.at_ms, a.status.map(i64::from), a.error])?;
                let (state, next) = a.outcome();
                set.execute(params![state, made + 1, next, a.at_ms, a.id])?;
            }
            Ok(())
        })
    }

    fn redeliver(&self, webhook: &str, delivery: &str, now_ms: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?1, updated = ?1
                 WHERE id = ?2 AND webhook = ?3",
                params![now_ms, delivery, webhook],
            )? > 0)
        })
    }

    fn next_delivery_due(&self) -> Result<Option<i64>> {
        let c = self.reader()?;
        Ok(c.query_row(
            "SELECT MIN(next_at) FROM deliveries WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    fn counts(&self) -> Result<Counts> {
        let c = self.reader()?;
        let n = |q: &str| -> Result<u64> { Ok(c.query_row(q, [], |r| r.get::<_, i64>(0))? as u64) };
        Ok(Counts {
            artifacts: n("SELECT COUNT(*) FROM artifacts")?,
            components: n("SELECT COUNT(*) FROM components")?,
            pending_advisories: n("SELECT COUNT(*) FROM pending_advisories")?,
            pending_deliveries: n("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'")?,
            dead_deliveries: n("SELECT COUNT(*) FROM deliveries WHERE state = 'dead'")?,
            events: n("SELECT COUNT(*) FROM events")?,
        })
    }

    fn size_bytes(&self) -> u64 {
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            total += std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len());
        }
        total
    }

    fn event_days(&self, days: usize) -> Result<Vec<super::DayCount>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(
            "SELECT substr(created, 1, 10) AS day,
                    SUM(kind = 'finding.new'), SUM(kind = 'finding.resolved')
             FROM events GROUP BY day ORDER BY day DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![days as i64], |r| {
            Ok(super::DayCount {
                day: r.get(0)?,
                new: r.get::<_, i64>(1)? as u64,
                resolved: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn recent_events(&self, limit: usize) -> Result<Vec<EventRow>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(
            "SELECT seq, id, kind, artifact, vuln, created, payload FROM events ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit as i64], |r| {
            Ok(EventRow {
                seq: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                artifact: r.get(3)?,
                vuln_id: r.get(4)?,
                created: r.get(5)?,
                payload: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
    fn create_job(&self, id: &str, kind: &str, params: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO jobs(id, kind, params, state, created, updated) VALUES (?1, ?2, ?3, 'queued', ?4, ?4)",
                params![id, kind, params, now_ms],
            )?;
            Ok(())
        })
    }

    fn job(&self, id: &str) -> Result<Option<JobRow>> {
        let c = self.reader()?;
        Ok(c.query_row(
            &format!("SELECT {JOB_COLS} FROM jobs WHERE id = ?1"),
            [id],
            job_row,
        )
        .optional()?)
    }

    fn job_params(&self, id: &str) -> Result<Option<String>> {
        let c = self.reader()?;
        Ok(
            c.query_row("SELECT params FROM jobs WHERE id = ?1", [id], |r| r.get(0))
                .optional()?,
        )
    }

    fn claim_jobs(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<JobRow>> {
        self.write(|tx| {
            let ids: Vec<String> = tx
                .prepare_cached(
                    "SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until <= ?1)
                     ORDER BY seq LIMIT ?2",
                )?
                .query_map(params![now_ms, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for id in ids {
                tx.prepare_cached(
                    "UPDATE jobs SET state = 'running', owner = ?1, lease_until = ?2,
                     attempts = attempts + 1, updated = ?3 WHERE id = ?4",
                )?
                .execute(params![owner, now_ms + lease_ms, now_ms, id])?;
                out.push(tx.query_row(
                    &format!("SELECT {JOB_COLS} FROM jobs WHERE id = ?1"),
                    [&id],
                    job_row,
                )?);
            }
            Ok(out)
        })
    }

    fn renew_job(&self, id: &str, owner: &str, until_ms: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE jobs SET lease_until = ?1 WHERE id = ?2 AND owner = ?3 AND state = 'running'",
                params![until_ms, id, owner],
            )? > 0)
        })
    }

    fn fail_job(&self, id: &str, owner: &str, error: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "UPDATE jobs SET state = 'failed', error = ?1, updated = ?2, {SCRUB}
                     WHERE id = ?3 AND owner = ?4 AND state = 'running'"
                ),
                params![error, now_ms, id, owner],
            )?;
            Ok(())
        })
    }

    fn requeue_running_jobs(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = 0 WHERE state = 'running'",
                [],
            )?)
        })
    }

    fn finish_image_job(
        &self,
        job: &str,
        owner: &str,
        a: &NewArtifact,
        watch: Option<(&str, i64)>,
        reuse: bool,
        now_ms: i64,
    ) -> Result<Option<String>> {
        self.write(|tx| {
            let held: bool = tx
                .query_row(
                    "SELECT 1 FROM jobs WHERE id = ?1 AND owner = ?2 AND state = 'running'",
                    params![job, owner],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !held {
                return Ok(None);
            }
            let existing: Option<String> = if reuse {
                tx.query_row(
                    "SELECT id FROM artifacts WHERE name = ?1 AND digest = ?2 AND kind = ?3 ORDER BY seq LIMIT 1",
                    params![a.meta.name, a.meta.digest, a.meta.kind],
                    |r| r.get(0),
                )
                .optional()?
            } else {
                None
            };
            let id = match existing {
                Some(id) => id,
                None => {
                    tx.execute(
                        "INSERT INTO artifacts(id, name, kind, digest, created, updated, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![a.meta.id, a.meta.name, a.meta.kind, a.meta.digest, a.meta.created, a.meta.updated, a.target],
                    )?;
                    let seq = tx.last_insert_rowid();
                    insert_components(tx, seq, &a.components)?;
                    a.meta.id.clone()
                }
            };
            if let Some((reference, next)) = watch {
                tx.execute(
                    "INSERT OR REPLACE INTO watches(artifact, ref, digest, next_at) VALUES (?1, ?2, ?3, ?4)",
                    params![id, reference, a.meta.digest, next],
                )?;
            }
            tx.execute(
                &format!(
                    "UPDATE jobs SET state = 'done', artifact = ?1, error = NULL, updated = ?2, {SCRUB} WHERE id = ?3"
                ),
                params![id, now_ms, job],
            )?;
            Ok(Some(id))
        })
    }

    fn claim_watches(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<WatchRow>> {
        self.write(|tx| {
            // A watch whose artifact was deleted goes with it.
            tx.execute(
                "DELETE FROM watches WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.id = watches.artifact)",
                [],
            )?;
            let rows: Vec<WatchRow> = tx
                .prepare_cached(&format!(
                    "SELECT {WATCH_COLS} FROM watches WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2"
                ))?
                .query_map(params![now_ms, limit as i64], watch_row)?
                .collect::<rusqlite::Result<_>>()?;
            let mut lease = tx.prepare_cached("UPDATE watches SET next_at = ?1 WHERE artifact = ?2")?;
            for w in &rows {
                lease.execute(params![now_ms + lease_ms, w.artifact])?;
            }
            Ok(rows)
        })
    }

    fn checked_watch(
        &self,
        artifact: &str,
        now_ms: i64,
        next_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE watches SET checks = checks + 1, last_at = ?1, next_at = ?2, error = ?3 WHERE artifact = ?4",
                params![now_ms, next_ms, error, artifact],
            )?;
            Ok(())
        })
    }

    fn recatalog(&self, a: &NewArtifact, now_ms: i64, next_ms: i64) -> Result<Option<usize>> {
        self.write(|tx| {
            let Some((seq, name)): Option<(i64, String)> = tx
                .query_row(
                    "SELECT seq, name FROM artifacts WHERE id = ?1",
                    [&a.meta.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
            else {
                return Ok(None);
            };
            let before = shown_by_vuln(tx, seq)?;
            let old = bodies_of(
                tx,
                "SELECT DISTINCT body FROM findings WHERE artifact = ?1",
                [seq],
            )?;
            tx.execute("DELETE FROM finding_advisories WHERE artifact = ?1", [seq])?;
            tx.execute("DELETE FROM findings WHERE artifact = ?1", [seq])?;
            tx.execute("DELETE FROM components WHERE artifact = ?1", [seq])?;
            insert_components(tx, seq, &a.components)?;
            bump_rev(tx, seq)?;
            collect_bodies(tx, &old)?;
            tx.execute(
                "UPDATE artifacts SET digest = ?1, target = ?2 WHERE seq = ?3",
                params![a.meta.digest, a.target, seq],
            )?;
            let after = shown_by_vuln(tx, seq)?;
            let mut events = 0;
            let hooks = hooks_of(tx)?;
            record_changes(
                tx,
                &hooks,
                (seq, &a.meta.id, &name, &a.meta.digest),
                &before,
                &after,
                &ids::rfc3339_ms(now_ms),
                now_ms,
                &mut events,
            )?;
            tx.execute(
                "UPDATE watches SET digest = ?1, checks = checks + 1, recatalogs = recatalogs + 1,
                 last_at = ?2, next_at = ?3, error = NULL WHERE artifact = ?4",
                params![a.meta.digest, now_ms, next_ms, a.meta.id],
            )?;
            Ok(Some(events))
        })
    }

    fn job_queue(&self) -> Result<(u64, u64)> {
        let c = self.reader()?;
        let n = |q: &str| -> Result<u64> { Ok(c.query_row(q, [], |r| r.get::<_, i64>(0))? as u64) };
        Ok((
            n("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")?,
            n("SELECT COUNT(*) FROM jobs WHERE state = 'running'")?,
        ))
    }

    fn watches(&self) -> Result<Vec<WatchRow>> {
        let c = self.reader()?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {WATCH_COLS} FROM watches ORDER BY artifact"
        ))?;
        Ok(st
            .query_map([], watch_row)?
            .collect::<rusqlite::Result<_>>()?)
    }
}

/// A job that ended no longer needs the registry credential it was queued with.
const SCRUB: &str = "params = CASE WHEN json_valid(params)
  THEN json_remove(params, '$.registry.authorization') ELSE params END";

const JOB_COLS: &str = "id, kind, state, error, artifact, attempts, created, updated";

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        state: r.get(2)?,
        error: r.get(3)?,
        artifact: r.get(4)?,
        attempts: r.get::<_, i64>(5)? as u32,
        created: ids::rfc3339_ms(r.get(6)?),
        updated: ids::rfc3339_ms(r.get(7)?),
    })
}

const WATCH_COLS: &str = "artifact, ref, digest, checks, recatalogs, last_at, next_at, error";

fn watch_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WatchRow> {
    Ok(WatchRow {
        artifact: r.get(0)?,
        reference: r.get(1)?,
        digest: r.get(2)?,
        checks: r.get::<_, i64>(3)? as u64,
        recatalogs: r.get::<_, i64>(4)? as u64,
        last_check: r.get::<_, Option<i64>>(5)?.map(ids::rfc3339_ms),
        next_check: ids::rfc3339_ms(r.get(6)?),
        error: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance;

    fn bodies(s: &SqliteStore) -> i64 {
        s.reader()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM bodies", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn finding_bodies_are_shared_and_collected() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        conformance::finding_bodies_are_shared_and_collected(&s, &|| bodies(&s));
    }

    #[test]
    fn fingerprints_follow_the_findings() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        conformance::fingerprints_follow_the_findings(&s);
    }

    /// A store made before artifacts had a revision gets one when opened, and its artifacts
    /// keep their findings and get fingerprints.
    /// A store at `path` holding artifact `a` with one finding.
    fn with_one_artifact(path: &Path) -> SqliteStore {
        let s = SqliteStore::open(path).unwrap();
        s.insert_artifact(&conformance::artifact(
            "a",
            r#"{"kind":"vulnerability","id":"CVE-1"}"#,
        ))
        .unwrap();
        s
    }

    #[test]
    fn a_store_without_revisions_gets_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let s = with_one_artifact(&path);
            lock(&s.writer)
                .execute_batch("ALTER TABLE artifacts DROP COLUMN rev")
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let full = s.artifact_full("a").unwrap().unwrap();
        assert_eq!(full.findings.len(), 1);
        assert_eq!(s.artifact_fingerprint("a").unwrap(), Some(full.fingerprint));
        drop(s);
        assert!(
            SqliteStore::open(&path).is_ok(),
            "opened again: nothing to add"
        );
    }

    /// Commits leave the WAL to the background checkpointer: soon after a write, the database
    /// file alone (no WAL) holds it, though no commit came near the autocheckpoint size.
    #[test]
    fn the_wal_is_checkpointed_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let s = with_one_artifact(&path);
        let alone = |n: usize| {
            let copy = dir.path().join(format!("copy{n}.sqlite"));
            std::fs::copy(&path, &copy).unwrap();
            // A copy taken mid-checkpoint may be torn: then it is not there yet.
            Connection::open(&copy)
                .and_then(|c| {
                    c.query_row("SELECT COUNT(*) FROM artifacts WHERE id = 'a'", [], |r| {
                        r.get::<_, i64>(0)
                    })
                })
                .unwrap_or(0)
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut n = 0;
        while alone(n) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the write never reached the database file"
            );
            n += 1;
            std::thread::sleep(CHECKPOINT_EVERY / 2);
        }
        let wal_pages: i64 = lock(&s.writer)
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            wal_pages,
            i64::from(AUTOCHECKPOINT_PAGES),
            "commits did not do it"
        );
    }

    #[test]
    fn components_are_found_by_key_and_advisory() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        conformance::components_are_found_by_key_and_advisory(&s);
    }

    #[test]
    fn jobs_are_leased_and_finished_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        conformance::jobs_are_leased_and_finished_once(&s, &|| bodies(&s));
    }

    #[test]
    fn a_restart_queues_running_jobs_again() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        s.create_job("job_1", "image", "{}", 0).unwrap();
        s.create_job("job_2", "image", "{}", 0).unwrap();
        assert_eq!(s.claim_jobs("C", 0, 60_000, 1).unwrap().len(), 1);
        assert_eq!(s.requeue_running_jobs().unwrap(), 1);
        // Both are queued: a new holder takes them at once, not after C's lease.
        let again = s.claim_jobs("D", 1, 60_000, 10).unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].attempts, 2, "{again:?}");
    }

    #[test]
    fn an_ended_job_keeps_its_parameters_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        s.create_job(
            "job_3",
            "harbor",
            r#"{"registry":{"url":"http://r","authorization":"Basic eDp5"},"artifact":{}}"#,
            0,
        )
        .unwrap();
        s.claim_jobs("D", 0, 1000, 10).unwrap();
        s.fail_job("job_3", "D", "401", 1).unwrap();
        assert_eq!(
            s.job_params("job_3").unwrap().as_deref(),
            Some(r#"{"registry":{"url":"http://r"},"artifact":{}}"#),
        );
    }
}
