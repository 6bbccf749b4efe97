//! The single-file SQLite store: schema, the atomic-swap [`Builder`], and the read-only [`Db`].
//!
//! Why SQLite: one file that can be copied, checksummed and swapped; indexed lookups by
//! (ecosystem, release, name); readers that keep their open file while a new one is renamed
//! over it. The file is always written in rollback-journal mode (never WAL), so a reader needs
//! nothing but the one file.
//!
//! Atomicity: a [`Builder`] copies the current file (or starts empty) to `<db>.tmp-<pid>`, writes
//! there with journalling off (a crash only loses the temporary file), switches the journal back
//! on, closes, `fsync`s the file, renames it over the DB and `fsync`s the directory. A `kill -9`
//! at any point leaves the previous DB untouched; stale temporaries of dead processes are removed
//! by the next builder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use sekisho_finding::time;
use sekisho_version::osv::{Affected, Event, RangeType};
use sekisho_version::{EcosystemName, compare};
use serde::Serialize;

use crate::error::{DbError, Result};
use crate::model::Advisory;
use crate::normalize::{self, Key};
use crate::severity::{self, Assessment};
pub use crate::status::{FixStatus, fix_status};

/// Schema version of files this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Age after which a DB is called stale (a warning, never a failure).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, imported_at TEXT NOT NULL,
  records INTEGER NOT NULL, malformed INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE advisories(
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  withdrawn INTEGER NOT NULL,
  security INTEGER NOT NULL,
  cvss3 REAL,
  cvss4 REAL,
  source TEXT NOT NULL,
  record TEXT NOT NULL);
CREATE TABLE affected(
  adv INTEGER NOT NULL,
  ecosystem TEXT NOT NULL,
  release TEXT NOT NULL,
  name TEXT NOT NULL,
  raw_ecosystem TEXT NOT NULL,
  entry TEXT NOT NULL);
CREATE INDEX affected_key ON affected(ecosystem, release, name, adv);
CREATE INDEX affected_adv ON affected(adv);
CREATE INDEX advisories_flags ON advisories(withdrawn, security);
";

/// Where the DB lives by default inside a cache directory (`$XDG_CACHE_HOME`, else
/// `~/.cache`): `<cache>/sekisho/db.sqlite`. The caller reads the environment.
pub fn default_db_path(cache_home: &Path) -> PathBuf {
    cache_home.join("sekisho").join("db.sqlite")
}

/// Now, as the RFC 3339 UTC stamp the DB's metadata keeps.
pub(crate) fn now_rfc3339() -> String {
    time::rfc3339(time::unix_now())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// What [`Builder::put`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new id.
    Inserted,
    /// Replaced a record with the same id and an older or equal `modified`.
    Replaced,
    /// Kept the stored record: it is newer than this one.
    KeptNewer,
}

/// Builds a new DB file beside the old one and swaps it in on [`Builder::commit`]. Dropping a
/// builder without committing deletes the temporary file and leaves the DB as it was.
pub struct Builder {
    conn: Option<Connection>,
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

fn tmp_prefix(path: &Path) -> String {
    format!(
        "{}.tmp-",
        path.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("db.sqlite")
    )
}

/// Remove `<db>.tmp-<pid>` files left by processes that no longer exist (killed mid-import).
fn remove_stale_tmps(path: &Path) {
    let Some(dir) = path.parent() else { return };
    let prefix = tmp_prefix(path);
    let Ok(rd) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = pid.split('-').next().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new("/proc").join(p.to_string()).exists());
        if !alive {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl Builder {
    /// Start building. With `fresh`, the new DB starts empty; otherwise it starts as a copy of the
    /// existing DB (if any) so imports add to what is there.
    ///
    /// # Errors
    /// When the directory cannot be created or the existing DB cannot be copied or is incompatible.
    pub fn begin(path: &Path, fresh: bool) -> Result<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| DbError::io(dir, e))?;
        }
        remove_stale_tmps(path);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = path.with_file_name(format!(
            "{}{}-{nanos}",
            tmp_prefix(path),
            std::process::id()
        ));
        let existing = path.exists() && !fresh;
        if existing {
            // Check it is ours before copying it.
            Db::open(path)?;
            std::fs::copy(path, &tmp).map_err(|e| DbError::io(&tmp, e))?;
        }
        let mut b = Builder {
            conn: None,
            tmp: tmp.clone(),
            path: path.to_path_buf(),
            committed: false,
        };
        let conn = Connection::open(&tmp).map_err(|e| DbError::sql(&tmp, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;",
        )
        .map_err(|e| DbError::sql(&tmp, e))?;
        if !existing {
            conn.execute_batch(SCHEMA)
                .map_err(|e| DbError::sql(&tmp, e))?;
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('built_at', ?2), ('format', 'sekisho-vulndb')",
                params![SCHEMA_VERSION.to_string(), now_rfc3339()],
            )
            .map_err(|e| DbError::sql(&tmp, e))?;
        }
        conn.execute_batch("BEGIN")
            .map_err(|e| DbError::sql(&tmp, e))?;
        b.conn = Some(conn);
        Ok(b)
    }

    fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("builder connection lives until commit")
    }

    /// Insert or replace one record (the newer `modified` wins; on a tie the later put wins).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn put(&mut self, adv: &Advisory, source: &str) -> Result<PutOutcome> {
        let conn = self.conn.as_ref().expect("open");
        let tmp = &self.tmp;
        let existing: Option<(i64, String)> = conn
            .prepare_cached("SELECT rid, modified FROM advisories WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&adv.id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| DbError::sql(tmp, e))?;
        let outcome = match &existing {
            Some((_, m)) if m.as_str() > adv.modified.as_str() => return Ok(PutOutcome::KeptNewer),
            Some((rid, _)) => {
                conn.prepare_cached("DELETE FROM affected WHERE adv = ?1")
                    .and_then(|mut s| s.execute([rid]))
                    .map_err(|e| DbError::sql(tmp, e))?;
                conn.prepare_cached("DELETE FROM advisories WHERE rid = ?1")
                    .and_then(|mut s| s.execute([rid]))
                    .map_err(|e| DbError::sql(tmp, e))?;
                PutOutcome::Replaced
            }
            None => PutOutcome::Inserted,
        };
        let mut head = adv.clone();
        head.affected = Vec::new();
        let record = serde_json::to_string(&head).unwrap_or_default();
        let best = |kind: &str| {
            adv.severity
                .iter()
                .filter(|s| s.kind == kind)
                .filter_map(|s| severity::cvss_score(&s.score))
                .reduce(f64::max)
        };
        conn.prepare_cached(
            "INSERT INTO advisories(id, modified, withdrawn, security, cvss3, cvss4, source, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                adv.id,
                adv.modified,
                adv.is_withdrawn(),
                adv.is_security(),
                best("CVSS_V3"),
                best("CVSS_V4"),
                source,
                record
            ])
        })
        .map_err(|e| DbError::sql(tmp, e))?;
        let rid = conn.last_insert_rowid();
        let mut ins = conn
            .prepare_cached(
                "INSERT INTO affected(adv, ecosystem, release, name, raw_ecosystem, entry)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| DbError::sql(tmp, e))?;
        for a in &adv.affected {
            let (raw_eco, raw_name) = a
                .package
                .as_ref()
                .map(|p| (p.ecosystem.as_str(), p.name.as_str()))
                .unwrap_or(("", ""));
            let k = normalize::key(raw_eco, raw_name);
            let entry = serde_json::to_string(a).unwrap_or_default();
            ins.execute(params![rid, k.ecosystem, k.release, k.name, raw_eco, entry])
                .map_err(|e| DbError::sql(tmp, e))?;
        }
        Ok(outcome)
    }

    /// Remove a record by id (used by incremental updates when a record disappears).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        let c = self.conn();
        let rid: Option<i64> = c
            .query_row("SELECT rid FROM advisories WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| DbError::sql(&self.tmp, e))?;
        let Some(rid) = rid else { return Ok(false) };
        c.execute("DELETE FROM affected WHERE adv = ?1", [rid])
            .and_then(|_| c.execute("DELETE FROM advisories WHERE rid = ?1", [rid]))
            .map_err(|e| DbError::sql(&self.tmp, e))?;
        Ok(true)
    }

    /// Record that a source was imported (shown by `db status`).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn record_source(
        &mut self,
        name: &str,
        kind: &str,
        records: u64,
        malformed: u64,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO sources(name, kind, imported_at, records, malformed) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, imported_at = excluded.imported_at,
                 records = excluded.records, malformed = excluded.malformed",
                params![name, kind, now_rfc3339(), records as i64, malformed as i64],
            )
            .map_err(|e| DbError::sql(&self.tmp, e))?;
        Ok(())
    }

    /// Set a metadata value (e.g. the last `modified` seen per update source).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(|e| DbError::sql(&self.tmp, e))?;
        Ok(())
    }

    /// Read a metadata value of the DB being built.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| DbError::sql(&self.tmp, e))
    }

    /// Every stored record, in id order (used by `db export`).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finish: stamp `updated_at`, make the file durable and rename it over the DB.
    ///
    /// # Errors
    /// SQLite or file-system errors; the old DB is untouched in that case.
    pub fn commit(mut self) -> Result<()> {
        self.set_meta("updated_at", &now_rfc3339())?;
        let conn = self.conn.take().expect("open");
        let tmp = self.tmp.clone();
        conn.execute_batch("COMMIT; ANALYZE; PRAGMA journal_mode=DELETE;")
            .map_err(|e| DbError::sql(&tmp, e))?;
        conn.close().map_err(|(_, e)| DbError::sql(&tmp, e))?;
        let f = std::fs::File::open(&tmp).map_err(|e| DbError::io(&tmp, e))?;
        f.sync_all().map_err(|e| DbError::io(&tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(|e| DbError::io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.conn.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// One affected entry of one advisory that names the looked-up package.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The advisory without its `affected` list (see [`Candidate::affected`]).
    pub advisory: Arc<Advisory>,
    /// The `affected[]` entry for this package (ranges, versions, ecosystem/database_specific).
    pub affected: Arc<Affected>,
    /// The entry's OSV ecosystem string as published (`Debian:12`, `Ubuntu:22.04:LTS`).
    pub ecosystem: String,
    /// False for bug-fix/enhancement errata (AlmaLinux ALBA-/ALEA-, …): never report these.
    pub security: bool,
    /// True when the advisory is withdrawn: never match it.
    pub withdrawn: bool,
}

/// An advisory that affects the queried package version (or names the package, when no version
/// was given).
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    #[serde(flatten)]
    pub candidate: Candidate,
    /// Fixed versions from the entry's non-GIT ranges (above the queried version when one was given).
    pub fixed: Vec<String>,
    pub status: FixStatus,
    pub severity: Assessment,
}

/// Options of [`Db::query`].
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryOptions {
    /// Include withdrawn records (`--all`).
    pub include_withdrawn: bool,
    /// Include non-security errata (`--all`).
    pub include_non_security: bool,
}

/// The answer of [`Db::query`]: matches plus notes about entries that could not be evaluated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueryOutcome {
    pub matches: Vec<Match>,
    /// E.g. "GHSA-…: cannot evaluate: invalid version …" — never silently dropped.
    pub notes: Vec<String>,
}

/// Counts of one ecosystem (and release) in `db status`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EcosystemCount {
    pub ecosystem: String,
    /// `""` for ecosystems without releases.
    pub release: String,
    /// Distinct advisories with at least one affected entry here.
    pub advisories: u64,
    /// Distinct package names.
    pub packages: u64,
}

/// One imported source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub kind: String,
    pub imported_at: String,
    pub records: u64,
    pub malformed: u64,
}

/// `db status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub path: PathBuf,
    pub schema_version: u32,
    pub built_at: Option<String>,
    pub updated_at: Option<String>,
    /// Seconds since `updated_at`.
    pub age_seconds: Option<u64>,
    pub size_bytes: u64,
    pub advisories: u64,
    pub withdrawn: u64,
    pub non_security: u64,
    /// Advisories with no package-level affected entry (e.g. `affected: []`, GIT-only records).
    pub without_package: u64,
    /// Per base ecosystem (release `""`).
    pub ecosystems: Vec<EcosystemCount>,
    /// Per ecosystem and release, for OS ecosystems.
    pub releases: Vec<EcosystemCount>,
    pub sources: Vec<SourceInfo>,
}

impl Status {
    /// Whether the DB is older than `max_age` (or has no update time).
    pub fn is_stale(&self, max_age: Duration) -> bool {
        self.age_seconds.is_none_or(|a| a > max_age.as_secs())
    }
}

type CandList = Arc<[Candidate]>;

/// A read-only handle on a DB file. Opening never blocks an update: updates rename a new file
/// over the path and this handle keeps reading the file it opened (its connections hold it open;
/// a further connection is opened only while the path still names that file, see [`Db::conn`]).
///
/// `Send + Sync`: one handle can serve many threads (a server's scans and re-matches). Each
/// query takes a connection from a small pool (SQLite connections are not shareable across
/// threads), and the decoded-row caches are behind locks that are never held across a query.
pub struct Db {
    pool: Mutex<Vec<Connection>>,
    /// Signalled when a connection goes back to the pool.
    returned: std::sync::Condvar,
    path: PathBuf,
    /// Identity of the file the handle opened (device, inode): a pooled connection is only
    /// opened on the same file, so a swap mid-scan never mixes two DBs.
    ident: Option<(u64, u64)>,
    keys: OnceLock<HashSet<Key>>,
    releases: Mutex<HashMap<(String, String), bool>>,
    counts: Mutex<HashMap<(String, String), u64>>,
    advs: Mutex<HashMap<i64, Arc<Advisory>>>,
    cache: Mutex<HashMap<Key, CandList>>,
}

/// Most connections a [`Db`] keeps open at once.
const POOL_MAX: usize = 8;

/// A pooled connection; returned to the pool when dropped.
pub(crate) struct Conn<'a> {
    db: &'a Db,
    conn: Option<Connection>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut pool = lock(&self.db.pool);
            if pool.len() < POOL_MAX {
                pool.push(c);
            }
            self.db.returned.notify_one();
        }
    }
}

/// Lock a mutex; a poisoned lock (a panic elsewhere) still guards consistent data here, since
/// every critical section only inserts or reads whole values.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn file_ident(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn open_ro(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

const CACHE_MAX: usize = 200_000;

impl Db {
    /// Open an existing DB read-only.
    ///
    /// # Errors
    /// [`DbError::Missing`] when there is no file; [`DbError::Incompatible`] when it is not a
    /// sekisho DB or has another schema version.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(DbError::Missing(path.to_path_buf()));
        }
        let ident = file_ident(path);
        let conn = open_ro(path).map_err(|e| DbError::sql(path, e))?;
        let ver: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| DbError::Incompatible {
                path: path.to_path_buf(),
                reason: format!("not a sekisho vulnerability database ({e})"),
            })?;
        match ver.as_deref().and_then(|v| v.parse::<u32>().ok()) {
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(DbError::Incompatible {
                    path: path.to_path_buf(),
                    reason: format!(
                        "schema version {v}, this sekisho reads {SCHEMA_VERSION} (run `sekisho db update`)"
                    ),
                });
            }
            None => {
                return Err(DbError::Incompatible {
                    path: path.to_path_buf(),
                    reason: "no schema version".into(),
                });
            }
        }
        Ok(Db {
            pool: Mutex::new(vec![conn]),
            returned: std::sync::Condvar::new(),
            path: path.to_path_buf(),
            ident,
            keys: OnceLock::new(),
            releases: Mutex::new(HashMap::new()),
            counts: Mutex::new(HashMap::new()),
            advs: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// A connection from the pool, or a new one on the same file. When the file at `path` is no
    /// longer the one this handle opened (a `db update` renamed a new one over it), a new
    /// connection would read the new file, so the caller waits for a pooled one instead: one
    /// handle never mixes two DBs.
    pub(crate) fn conn(&self) -> Result<Conn<'_>> {
        let mut pool = lock(&self.pool);
        loop {
            if let Some(c) = pool.pop() {
                return Ok(Conn {
                    db: self,
                    conn: Some(c),
                });
            }
            if self.ident.is_none() || file_ident(&self.path) == self.ident {
                break;
            }
            // Every connection is in use (at least one exists: the handle opened it).
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        drop(pool);
        let c = open_ro(&self.path).map_err(|e| DbError::sql(&self.path, e))?;
        Ok(Conn {
            db: self,
            conn: Some(c),
        })
    }

    /// The file this handle reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql<T>(&self, r: rusqlite::Result<T>) -> Result<T> {
        r.map_err(|e| DbError::sql(&self.path, e))
    }

    /// A metadata value.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.conn()?;
        self.sql(
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional(),
        )
    }

    /// Whether the DB holds any advisory for this ecosystem and release (`Debian:13`, `PyPI`).
    /// Use it to say "no advisory data for Debian:13" instead of reporting a clean result.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn has_data(&self, ecosystem: &str) -> Result<bool> {
        let (eco, rel) = normalize::ecosystem(ecosystem);
        if let Some(b) = lock(&self.releases).get(&(eco.clone(), rel.clone())) {
            return Ok(*b);
        }
        let conn = self.conn()?;
        let b = self.sql(
            conn.prepare_cached(
                "SELECT 1 FROM affected WHERE ecosystem = ?1 AND release = ?2 LIMIT 1",
            )
            .and_then(|mut s| s.exists(params![eco, rel])),
        )?;
        lock(&self.releases).insert((eco, rel), b);
        Ok(b)
    }

    /// How many distinct advisories name a package of this ecosystem and release.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn advisories_for(&self, ecosystem: &str) -> Result<u64> {
        let (eco, rel) = normalize::ecosystem(ecosystem);
        if let Some(n) = lock(&self.counts).get(&(eco.clone(), rel.clone())) {
            return Ok(*n);
        }
        let conn = self.conn()?;
        let n: i64 = self.sql(
            conn.prepare_cached(
                "SELECT COUNT(DISTINCT adv) FROM affected WHERE ecosystem = ?1 AND release = ?2",
            )
            .and_then(|mut s| s.query_row(params![eco, rel], |r| r.get(0))),
        )?;
        drop(conn);
        let n = n.max(0) as u64;
        lock(&self.counts).insert((eco, rel), n);
        Ok(n)
    }

    fn load_keys(&self) -> Result<&HashSet<Key>> {
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let mut set = HashSet::new();
        let conn = self.conn()?;
        let mut st =
            self.sql(conn.prepare("SELECT DISTINCT ecosystem, release, name FROM affected"))?;
        let rows = self.sql(st.query_map([], |r| {
            Ok(Key {
                ecosystem: r.get(0)?,
                release: r.get(1)?,
                name: r.get(2)?,
            })
        }))?;
        for k in rows {
            set.insert(self.sql(k)?);
        }
        drop(st);
        drop(conn);
        // Two threads may load at once; either set is the same.
        Ok(self.keys.get_or_init(|| set))
    }

    fn advisory_by_rid(&self, rid: i64) -> Result<Arc<Advisory>> {
        if let Some(a) = lock(&self.advs).get(&rid) {
            return Ok(a.clone());
        }
        let conn = self.conn()?;
        let (rec, _): (String, i64) = self.sql(
            conn.prepare_cached("SELECT record, rid FROM advisories WHERE rid = ?1")
                .and_then(|mut s| s.query_row([rid], |r| Ok((r.get(0)?, r.get(1)?)))),
        )?;
        let a: Advisory = serde_json::from_str(&rec).map_err(|e| DbError::Incompatible {
            path: self.path.clone(),
            reason: format!("stored record {rid} does not decode: {e}"),
        })?;
        let a = Arc::new(a);
        lock(&self.advs).insert(rid, a.clone());
        Ok(a)
    }

    /// Every advisory entry naming the package `name` in `ecosystem` (an OSV ecosystem string with
    /// optional release, normalised: `Debian:bookworm` = `Debian:12`, `Ubuntu:22.04` =
    /// `Ubuntu:22.04:LTS`, PyPI names per PEP 503). Withdrawn and non-security records are
    /// included and flagged; no version evaluation happens here.
    ///
    /// # Errors
    /// SQLite errors or a stored row that does not decode.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Arc<[Candidate]>> {
        self.lookup_key(&normalize::key(ecosystem, name))
    }

    /// [`Db::lookup`] with an already normalised key.
    ///
    /// # Errors
    /// As [`Db::lookup`].
    pub fn lookup_key(&self, key: &Key) -> Result<Arc<[Candidate]>> {
        if !self.load_keys()?.contains(key) {
            return Ok(Arc::from(Vec::new()));
        }
        if let Some(c) = lock(&self.cache).get(key) {
            return Ok(c.clone());
        }
        let rows: Vec<(i64, String, String, bool, bool)> = {
            let conn = self.conn()?;
            let mut st = self.sql(conn.prepare_cached(
                "SELECT a.adv, a.raw_ecosystem, a.entry, v.security, v.withdrawn
                 FROM affected a JOIN advisories v ON v.rid = a.adv
                 WHERE a.ecosystem = ?1 AND a.release = ?2 AND a.name = ?3
                 ORDER BY v.id",
            ))?;
            let it = self.sql(
                st.query_map(params![key.ecosystem, key.release, key.name], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                }),
            )?;
            let mut v = Vec::new();
            for r in it {
                v.push(self.sql(r)?);
            }
            v
        };
        let mut out = Vec::with_capacity(rows.len());
        for (rid, eco, entry, security, withdrawn) in rows {
            let affected: Affected =
                serde_json::from_str(&entry).map_err(|e| DbError::Incompatible {
                    path: self.path.clone(),
                    reason: format!("stored affected entry of {rid} does not decode: {e}"),
                })?;
            out.push(Candidate {
                advisory: self.advisory_by_rid(rid)?,
                affected: Arc::new(affected),
                ecosystem: eco,
                security,
                withdrawn,
            });
        }
        let out: CandList = Arc::from(out);
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key.clone(), out.clone());
        Ok(out)
    }

    /// One full advisory by id (with every affected entry), or `None`.
    ///
    /// # Errors
    /// SQLite errors or a stored row that does not decode.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>> {
        let conn = self.conn()?;
        let rid: Option<i64> = self.sql(
            conn.query_row("SELECT rid FROM advisories WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional(),
        )?;
        let Some(rid) = rid else { return Ok(None) };
        let mut a = (*self.advisory_by_rid(rid)?).clone();
        let mut st =
            self.sql(conn.prepare("SELECT entry FROM affected WHERE adv = ?1 ORDER BY rowid"))?;
        let rows = self.sql(st.query_map([rid], |r| r.get::<_, String>(0)))?;
        for r in rows {
            let e = self.sql(r)?;
            if let Ok(x) = serde_json::from_str(&e) {
                a.affected.push(x);
            }
        }
        Ok(Some(a))
    }

    /// Call `f` with every stored advisory (full records), in id order.
    ///
    /// # Errors
    /// SQLite errors, or the first error `f` returns.
    pub fn for_each_advisory(&self, mut f: impl FnMut(Advisory) -> Result<()>) -> Result<()> {
        let ids: Vec<String> = {
            let conn = self.conn()?;
            let mut st = self.sql(conn.prepare("SELECT id FROM advisories ORDER BY id"))?;
            self.sql(st.query_map([], |r| r.get(0)))?
                .collect::<rusqlite::Result<_>>()
                .map_err(|e| DbError::sql(&self.path, e))?
        };
        for id in ids {
            if let Some(a) = self.advisory(&id)? {
                lock(&self.advs).clear();
                f(a)?;
            }
        }
        Ok(())
    }

    /// The advisories affecting `version` of `package` in `ecosystem` (every advisory naming the
    /// package when `version` is `None`), with fixed versions, fix status and severity.
    /// Withdrawn and non-security records are left out unless `opts` asks for them.
    ///
    /// # Errors
    /// [`DbError::Ecosystem`] for an ecosystem sekisho cannot evaluate versions of (only when a
    /// version is given), SQLite errors.
    pub fn query(
        &self,
        ecosystem: &str,
        package: &str,
        version: Option<&str>,
        opts: QueryOptions,
    ) -> Result<QueryOutcome> {
        let eco = match version {
            Some(_) => Some(EcosystemName::parse(ecosystem)?.ecosystem),
            None => None,
        };
        let mut out = QueryOutcome::default();
        for c in self.lookup(ecosystem, package)?.iter() {
            if c.withdrawn && !opts.include_withdrawn {
                continue;
            }
            if !c.security && !opts.include_non_security {
                continue;
            }
            if let (Some(v), Some(e)) = (version, eco) {
                match sekisho_version::osv::affects(e, v, &c.affected) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(err) => {
                        out.notes.push(format!(
                            "{}: cannot evaluate {package} {v}: {err}",
                            c.advisory.id
                        ));
                        continue;
                    }
                }
            }
            let mut fixed: Vec<String> = c
                .affected
                .ranges
                .iter()
                .filter(|r| r.kind != RangeType::Git)
                .flat_map(|r| r.events.iter())
                .filter_map(|e| match e {
                    Event::Fixed(f) => Some(f.clone()),
                    _ => None,
                })
                .collect();
            if let (Some(v), Some(e)) = (version, eco) {
                // The fix for this version: the smallest fixed version above it (the next fix of
                // its own branch when a range has several introduced/fixed pairs).
                fixed.retain(|f| {
                    matches!(compare(e, f, v), Ok(std::cmp::Ordering::Greater) | Err(_))
                });
                fixed.sort_by(|a, b| compare(e, a, b).unwrap_or(std::cmp::Ordering::Equal));
                fixed.truncate(1);
            }
            fixed.dedup();
            let status = fix_status(&c.affected, &fixed);
            out.matches.push(Match {
                severity: severity::assess(&c.advisory, Some(&c.affected)),
                candidate: c.clone(),
                fixed,
                status,
            });
        }
        Ok(out)
    }

    /// A content fingerprint of every stored advisory: SHA-256 over its stored record and its
    /// `affected` entries in order, with its id. Two revisions of a DB file can be compared with
    /// these to find the advisories that were added, changed or removed, whatever `modified`
    /// says (a re-import with the same `modified` but other ranges is a change too). Two
    /// sequential reads of the file, no decoding.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn fingerprints(&self) -> Result<Vec<(String, [u8; 32])>> {
        use sha2::{Digest, Sha256};
        let conn = self.conn()?;
        let mut heads: HashMap<i64, (String, Sha256)> = HashMap::new();
        {
            let mut st = self.sql(conn.prepare("SELECT rid, id, record FROM advisories"))?;
            let mut rows = self.sql(st.query([]))?;
            while let Some(r) = self.sql(rows.next())? {
                let rid: i64 = self.sql(r.get(0))?;
                let id: String = self.sql(r.get(1))?;
                let rec: String = self.sql(r.get(2))?;
                let mut h = Sha256::new();
                h.update(id.as_bytes());
                h.update([0u8]);
                h.update(rec.as_bytes());
                heads.insert(rid, (id, h));
            }
        }
        {
            let mut st =
                self.sql(conn.prepare("SELECT adv, entry FROM affected ORDER BY adv, rowid"))?;
            let mut rows = self.sql(st.query([]))?;
            while let Some(r) = self.sql(rows.next())? {
                let rid: i64 = self.sql(r.get(0))?;
                let entry: String = self.sql(r.get(1))?;
                if let Some((_, h)) = heads.get_mut(&rid) {
                    h.update([0u8]);
                    h.update(entry.as_bytes());
                }
            }
        }
        let mut out: Vec<(String, [u8; 32])> = heads
            .into_values()
            .map(|(id, h)| (id, h.finalize().into()))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The normalised (ecosystem, release, name) keys an advisory's `affected` entries name
    /// (deduplicated; empty for an unknown id or an advisory without packages).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn affected_keys(&self, id: &str) -> Result<Vec<Key>> {
        let conn = self.conn()?;
        let mut st = self.sql(conn.prepare_cached(
            "SELECT DISTINCT a.ecosystem, a.release, a.name FROM affected a
             JOIN advisories v ON v.rid = a.adv WHERE v.id = ?1 AND a.ecosystem <> ''",
        ))?;
        let rows = self.sql(st.query_map([id], |r| {
            Ok(Key {
                ecosystem: r.get(0)?,
                release: r.get(1)?,
                name: r.get(2)?,
            })
        }))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| DbError::sql(&self.path, e))
    }

    /// `db status` numbers.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn status(&self) -> Result<Status> {
        let base = self.summary()?;
        let conn = self.conn()?;
        let count = |q: &str| -> Result<u64> {
            self.sql(conn.query_row(q, [], |r| r.get::<_, i64>(0)))
                .map(|n| n as u64)
        };
        let group = |q: &str| -> Result<Vec<EcosystemCount>> {
            let mut st = self.sql(conn.prepare(q))?;
            let rows = self.sql(st.query_map([], |r| {
                Ok(EcosystemCount {
                    ecosystem: r.get(0)?,
                    release: r.get(1)?,
                    advisories: r.get::<_, i64>(2)? as u64,
                    packages: r.get::<_, i64>(3)? as u64,
                })
            }))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| DbError::sql(&self.path, e))
        };
        let ecosystems = group(
            "SELECT ecosystem, '', COUNT(DISTINCT adv), COUNT(DISTINCT name) FROM affected
             WHERE ecosystem <> '' GROUP BY ecosystem ORDER BY ecosystem",
        )?;
        let releases = group(
            "SELECT ecosystem, release, COUNT(DISTINCT adv), COUNT(DISTINCT name) FROM affected
             WHERE ecosystem <> '' AND release <> '' GROUP BY ecosystem, release ORDER BY ecosystem, release",
        )?;
        let mut st = self.sql(conn.prepare(
            "SELECT name, kind, imported_at, records, malformed FROM sources ORDER BY name",
        ))?;
        let sources = self
            .sql(st.query_map([], |r| {
                Ok(SourceInfo {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    imported_at: r.get(2)?,
                    records: r.get::<_, i64>(3)? as u64,
                    malformed: r.get::<_, i64>(4)? as u64,
                })
            }))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| DbError::sql(&self.path, e))?;
        Ok(Status {
            withdrawn: count("SELECT COUNT(*) FROM advisories WHERE withdrawn")?,
            non_security: count("SELECT COUNT(*) FROM advisories WHERE NOT security")?,
            without_package: count(
                "SELECT COUNT(*) FROM advisories v WHERE NOT EXISTS
                 (SELECT 1 FROM affected a WHERE a.adv = v.rid AND a.ecosystem <> '')",
            )?,
            ecosystems,
            releases,
            sources,
            ..base
        })
    }

    /// The cheap part of [`Db::status`]: when the DB was built and updated, its age and the
    /// advisory count, without the per-ecosystem counts (which scan the whole DB). Scans use this.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn summary(&self) -> Result<Status> {
        let updated_at = self.meta("updated_at")?;
        let now = time::unix_now();
        let age_seconds = updated_at
            .as_deref()
            .and_then(time::parse_rfc3339)
            .map(|t| now.saturating_sub(t));
        let advisories = self.sql(self.conn()?.query_row(
            "SELECT COUNT(*) FROM advisories",
            [],
            |r| r.get::<_, i64>(0),
        ))? as u64;
        Ok(Status {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at: self.meta("built_at")?,
            updated_at,
            age_seconds,
            size_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            advisories,
            withdrawn: 0,
            non_security: 0,
            without_package: 0,
            ecosystems: Vec::new(),
            releases: Vec::new(),
            sources: Vec::new(),
        })
    }

    /// A warning line when the DB is older than `max_age`, else `None`. Never an error.
    pub fn stale_warning(&self, max_age: Duration) -> Option<String> {
        let st = self.summary().ok()?;
        if !st.is_stale(max_age) {
            return None;
        }
        Some(match st.age_seconds {
            Some(a) => format!(
                "vulnerability database {} is {} days old (older than {} days); run `sekisho db update`",
                self.path.display(),
                a / 86_400,
                max_age.as_secs() / 86_400
            ),
            None => format!(
                "vulnerability database {} has no update time",
                self.path.display()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_change_with_content_and_keys_are_normalised() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let rec = |fixed: &str| -> Advisory {
            serde_json::from_str(&format!(
                r#"{{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"Foo_Bar"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
            ))
            .unwrap()
        };
        let mut b = Builder::begin(&path, true).unwrap();
        b.put(&rec("2.0"), "test").unwrap();
        b.commit().unwrap();
        let first = Db::open(&path).unwrap().fingerprints().unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].0, "PYSEC-1");
        let db = Db::open(&path).unwrap();
        assert_eq!(db.fingerprints().unwrap(), first, "stable");
        let keys = db.affected_keys("PYSEC-1").unwrap();
        assert_eq!(keys, vec![normalize::key("PyPI", "foo-bar")]);
        assert!(db.affected_keys("nope").unwrap().is_empty());
        // Same id and `modified`, other range: a change.
        let mut b = Builder::begin(&path, false).unwrap();
        b.put(&rec("3.0"), "test").unwrap();
        b.commit().unwrap();
        let second = Db::open(&path).unwrap().fingerprints().unwrap();
        assert_ne!(second[0].1, first[0].1);
    }

    #[test]
    fn a_handle_is_shared_by_threads() {
        fn is_sync<T: Send + Sync>() {}
        is_sync::<Db>();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut b = Builder::begin(&path, true).unwrap();
        let rec: Advisory = serde_json::from_str(
            r#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#,
        )
        .unwrap();
        b.put(&rec, "test").unwrap();
        b.commit().unwrap();
        let db = Db::open(&path).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let c = db.lookup("PyPI", "foo-bar").unwrap();
                        assert_eq!(c.len(), 1);
                        assert!(db.has_data("PyPI").unwrap());
                    }
                });
            }
        });
        assert!(lock(&db.pool).len() <= POOL_MAX);
    }
}
