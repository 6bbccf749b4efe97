//! The shared store: PostgreSQL (`--database postgres://...`). Several server processes
//! (replicas) use one database and share the work:
//!
//! - jobs, deliveries, watched tags and queued advisories are taken with
//!   `FOR UPDATE SKIP LOCKED` and held by a lease: a replica killed mid-job stops renewing it,
//!   and another takes the job once the lease ends (`requeue_running_jobs` is a no-op here, as a
//!   restart cannot tell its own jobs from the other replicas');
//! - every change of an artifact's findings (upload, re-match, re-catalog, delete) locks the
//!   artifact's row first, so two replicas re-matching the same component are serialised and
//!   the second finds nothing changed: no duplicate event;
//! - events are numbered in commit order (an advisory lock is held from the first event to the
//!   commit), so `GET /events?after=` never skips one committed late;
//! - content-addressed finding bodies are only collected under their row locks, so a body
//!   another transaction is about to reference is never dropped from under it.
//!
//! Every method is one transaction, as in [`super::sqlite`]. Connections come from a small
//! bounded pool; a connection that broke (a database restart) is replaced on the next call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Transaction};

use sekisho_catalog::Package;
use sekisho_vulndb::normalize::Key;

use super::{
    ArtifactFull, ArtifactMeta, Attempt, AttemptRow, ComponentRef, ComponentRow, ComponentUpdate,
    Counts, DayCount, DeliveryJob, DeliveryRow, EventRow, JobRow, NewArtifact, NewComponent,
    Result, Store, StoreError, StoredFinding, WatchRow, WebhookRow, event_payload, scrub_params,
};
use crate::ids;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS artifacts(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  target TEXT NOT NULL);
-- Stores made before artifacts had a revision (`Fingerprint`) get one.
ALTER TABLE artifacts ADD COLUMN IF NOT EXISTS rev BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS artifacts_name ON artifacts(name, digest);
CREATE TABLE IF NOT EXISTS components(
  artifact BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  package_id TEXT NOT NULL,
  eco TEXT, rel TEXT, name TEXT,
  package TEXT NOT NULL,
  PRIMARY KEY(artifact, idx));
CREATE INDEX IF NOT EXISTS components_key ON components(eco, rel, name) WHERE eco IS NOT NULL;
CREATE INDEX IF NOT EXISTS components_pkg ON components(artifact, package_id);
CREATE TABLE IF NOT EXISTS findings(
  artifact BIGINT NOT NULL,
  package_id TEXT NOT NULL,
  vuln TEXT NOT NULL,
  shown BOOLEAN NOT NULL,
  body BIGINT NOT NULL,
  PRIMARY KEY(artifact, package_id, vuln));
CREATE INDEX IF NOT EXISTS findings_body ON findings(body);
CREATE TABLE IF NOT EXISTS bodies(id BIGSERIAL PRIMARY KEY, hash BYTEA NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS finding_advisories(
  advisory TEXT NOT NULL,
  artifact BIGINT NOT NULL,
  package_id TEXT NOT NULL,
  PRIMARY KEY(advisory, artifact, package_id));
CREATE INDEX IF NOT EXISTS finding_advisories_pkg ON finding_advisories(artifact, package_id);
CREATE TABLE IF NOT EXISTS adv_state(id TEXT PRIMARY KEY, fp BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS pending_advisories(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  gen BIGINT NOT NULL DEFAULT 0,
  lease_until BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS events(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  artifact TEXT NOT NULL,
  vuln TEXT NOT NULL,
  created TEXT NOT NULL,
  payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks(
  id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
  created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries(
  id TEXT PRIMARY KEY,
  webhook TEXT NOT NULL,
  event TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_at BIGINT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE(webhook, event));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_at);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook, created);
CREATE TABLE IF NOT EXISTS attempts(
  delivery TEXT NOT NULL, n BIGINT NOT NULL, at BIGINT NOT NULL, status BIGINT, error TEXT,
  PRIMARY KEY(delivery, n));
CREATE TABLE IF NOT EXISTS jobs(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  artifact TEXT,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, lease_until);
CREATE TABLE IF NOT EXISTS watches(
  artifact TEXT PRIMARY KEY,
  ref TEXT NOT NULL,
  digest TEXT NOT NULL,
  next_at BIGINT NOT NULL,
  last_at BIGINT,
  checks BIGINT NOT NULL DEFAULT 0,
  recatalogs BIGINT NOT NULL DEFAULT 0,
  error TEXT);
CREATE INDEX IF NOT EXISTS watches_due ON watches(next_at);
";

const STORE_SCHEMA_VERSION: &str = "1";

/// Advisory lock keys (`pg_advisory_xact_lock(NAMESPACE, key)`): the schema set-up, the event
/// numbering, and artifacts by name (a reused image artifact is created once).
const LOCK_NS: i32 = 0x5e41_5140;
const LOCK_SCHEMA: i32 = 1;
const LOCK_EVENTS: i32 = 2;
const LOCK_NS_NAMES: i32 = 0x5e41_5141;

/// Connections one process holds at most (the API's reads are bounded separately).
const POOL: usize = 12;

/// Options of the shared store.
#[derive(Debug, Clone, Copy)]
pub struct PgOptions {
    /// How long a replica holds the advisories it took for one re-match batch. Another replica
    /// takes them after this if the batch was not written (the holder died).
    pub advisory_lease: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            advisory_lease: Duration::from_secs(300),
        }
    }
}

/// The PostgreSQL store.
pub struct PgStore {
    config: postgres::Config,
    /// Where it is, for messages (no password).
    place: String,
    opts: PgOptions,
    idle: Mutex<Vec<Client>>,
    /// Connections open (idle or in use).
    open: Mutex<usize>,
    freed: Condvar,
    /// The queue generation of each advisory this process took: a batch removes only the
    /// generation it matched, so an advisory queued again meanwhile (a newer DB, recorded by
    /// another replica) stays queued.
    taken: Mutex<HashMap<String, i64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Decode(e.to_string()))
}

/// A pooled connection, returned on drop (unless it broke).
struct Conn<'a> {
    store: &'a PgStore,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            if c.is_closed() {
                *lock(&self.store.open) -= 1;
            } else {
                lock(&self.store.idle).push(c);
            }
            self.store.freed.notify_one();
        }
    }
}

/// `user@host:port/db` of a connection URL, for messages.
fn place_of(url: &str, cfg: &postgres::Config) -> String {
    let host = cfg
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(s) => s.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_default();
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let user = cfg.get_user().unwrap_or("");
    let db = cfg.get_dbname().unwrap_or("");
    let _ = url;
    format!("postgres://{user}@{host}:{port}/{db}")
}

impl PgStore {
    /// Connect to the database at `url` and create the schema when it is missing.
    ///
    /// # Errors
    /// When the URL does not parse, the database cannot be reached, or it holds another schema
    /// version.
    pub fn open(url: &str, opts: PgOptions) -> Result<Self> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Other(format!("--database: not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("sekisho-server");
        }
        let place = place_of(url, &config);
        let store = Self {
            config,
            place,
            opts,
            idle: Mutex::new(Vec::new()),
            open: Mutex::new(0),
            freed: Condvar::new(),
            taken: Mutex::new(HashMap::new()),
        };
        store.write(|tx| {
            // Replicas starting together create the schema once.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&LOCK_NS, &LOCK_SCHEMA],
            )?;
            tx.batch_execute(SCHEMA)?;
            let ver: Option<String> = tx
                .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])?
                .map(|r| r.get(0));
            match ver.as_deref() {
                None => {
                    tx.execute(
                        "INSERT INTO meta(key, value) VALUES ('schema_version', $1)",
                        &[&STORE_SCHEMA_VERSION],
                    )?;
                    Ok(())
                }
                Some(STORE_SCHEMA_VERSION) => Ok(()),
                Some(v) => Err(StoreError::Other(format!(
                    "the database has store schema {v}, this sekisho reads {STORE_SCHEMA_VERSION}"
                ))),
            }
        })?;
        Ok(store)
    }

    /// Where the store is (`postgres://user@host:port/db`, no password).
    pub fn place(&self) -> &str {
        &self.place
    }

    fn conn(&self) -> Result<Conn<'_>> {
        loop {
            if let Some(c) = lock(&self.idle).pop() {
                if c.is_closed() {
                    *lock(&self.open) -= 1;
                    continue;
                }
                return Ok(Conn {
                    store: self,
                    client: Some(c),
                });
            }
            let mut open = lock(&self.open);
            if *open < POOL {
                *open += 1;
                drop(open);
                return match self.config.connect(NoTls) {
                    Ok(c) => Ok(Conn {
                        store: self,
                        client: Some(c),
                    }),
                    Err(e) => {
                        *lock(&self.open) -= 1;
                        self.freed.notify_one();
                        Err(StoreError::Other(format!("{}: {e}", self.place)))
                    }
                };
            }
            // Every connection is in use: wait for one to come back.
            let _unused = self
                .freed
                .wait_timeout(open, Duration::from_millis(200))
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// A read-only snapshot (every statement sees the same state).
    fn read<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut c = self.conn()?;
        let mut tx = c
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn meta_row(r: &Row) -> ArtifactMeta {
    ArtifactMeta {
        id: r.get(0),
        name: r.get(1),
        kind: r.get(2),
        digest: r.get(3),
        created: r.get(4),
        updated: r.get(5),
        components: r.get::<_, i64>(6) as u64,
        findings: r.get::<_, i64>(7) as u64,
    }
}

/// Feed an artifact's findings to `fp` (in report order), and collect their JSON into `json`
/// when asked.
fn finding_rows(tx: &mut Transaction<'_>, seq: i64, out: &mut Vec<String>) -> Result<()> {
    for r in tx.query(
        "SELECT f.package_id, b.json FROM findings f
         JOIN bodies b ON b.id = f.body WHERE f.artifact = $1 ORDER BY f.package_id, f.vuln",
        &[&seq],
    )? {
        out.push(super::with_package_id(r.get(1), r.get(0)));
    }
    Ok(())
}

/// The artifact's findings or components changed in this transaction (see
/// [`super::Fingerprint`]).
fn bump_rev(tx: &mut Transaction<'_>, seq: i64) -> Result<()> {
    tx.execute("UPDATE artifacts SET rev = rev + 1 WHERE seq = $1", &[&seq])?;
    Ok(())
}

const META_COLS: &str = "a.id, a.name, a.kind, a.digest, a.created, a.updated,
  (SELECT COUNT(*) FROM components c WHERE c.artifact = a.seq),
  (SELECT COUNT(*) FROM findings f WHERE f.artifact = a.seq AND f.shown)";

/// Drop the bodies of `ids` that no finding references any more. The rows are locked first: a
/// transaction that is about to reference one holds its lock (the upsert in
/// [`insert_findings`]), so this waits for it, and the delete's fresh snapshot sees its finding.
fn collect_bodies(tx: &mut Transaction<'_>, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    tx.query(
        "SELECT id FROM bodies WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &[&ids],
    )?;
    tx.execute(
        "DELETE FROM bodies b WHERE b.id = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.body = b.id)",
        &[&ids],
    )?;
    Ok(())
}

/// Store findings of components of one artifact: `(package id, finding)`. Bodies are
/// upserted in hash order (two transactions lock shared bodies in the same order).
fn insert_findings(
    tx: &mut Transaction<'_>,
    seq: i64,
    per: &[(&str, &StoredFinding)],
) -> Result<()> {
    let mut bodies: BTreeMap<[u8; 16], &str> = BTreeMap::new();
    // (package id, finding id) -> (shown, body hash); a later one replaces an earlier one.
    let mut rows: BTreeMap<(&str, &str), (bool, [u8; 16])> = BTreeMap::new();
    let mut advs: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (pid, f) in per {
        let h = *f.json.hash();
        bodies.entry(h).or_insert(&f.json);
        rows.insert((pid, &f.vuln_id), (f.shown, h));
        for a in &f.advisories {
            advs.insert((a, pid));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let hashes: Vec<Vec<u8>> = bodies.keys().map(|h| h.to_vec()).collect();
    let jsons: Vec<&str> = bodies.values().copied().collect();
    let mut id_of: HashMap<Vec<u8>, i64> = HashMap::with_capacity(hashes.len());
    for r in tx.query(
        "INSERT INTO bodies(hash, json) SELECT * FROM unnest($1::bytea[], $2::text[])
         ON CONFLICT (hash) DO UPDATE SET hash = EXCLUDED.hash RETURNING hash, id",
        &[&hashes, &jsons],
    )? {
        id_of.insert(r.get(0), r.get(1));
    }
    let mut pids = Vec::with_capacity(rows.len());
    let mut vulns = Vec::with_capacity(rows.len());
    let mut shown = Vec::with_capacity(rows.len());
    let mut body = Vec::with_capacity(rows.len());
    for ((pid, vuln), (s, h)) in &rows {
        let id = *id_of
            .get(h.as_slice())
            .ok_or_else(|| StoreError::Other("a finding body was not stored".into()))?;
        pids.push(*pid);
        vulns.push(*vuln);
        shown.push(*s);
        body.push(id);
    }
    tx.execute(
        "INSERT INTO findings(artifact, package_id, vuln, shown, body)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bool[], $5::bigint[])
         ON CONFLICT (artifact, package_id, vuln) DO UPDATE SET shown = EXCLUDED.shown, body = EXCLUDED.body",
        &[&seq, &pids, &vulns, &shown, &body],
    )?;
    if !advs.is_empty() {
        let (a, p): (Vec<&str>, Vec<&str>) = advs.into_iter().unzip();
        tx.execute(
            "INSERT INTO finding_advisories(advisory, artifact, package_id)
             SELECT a, $1, p FROM unnest($2::text[], $3::text[]) AS t(a, p)
             ON CONFLICT DO NOTHING",
            &[&seq, &a, &p],
        )?;
    }
    Ok(())
}

fn insert_components(tx: &mut Transaction<'_>, seq: i64, comps: &[NewComponent]) -> Result<()> {
    if comps.is_empty() {
        return Ok(());
    }
    let mut idx = Vec::with_capacity(comps.len());
    let mut pid = Vec::with_capacity(comps.len());
    let mut eco: Vec<Option<&str>> = Vec::with_capacity(comps.len());
    let mut rel: Vec<Option<&str>> = Vec::with_capacity(comps.len());
    let mut name: Vec<Option<&str>> = Vec::with_capacity(comps.len());
    let mut json = Vec::with_capacity(comps.len());
    for (i, c) in comps.iter().enumerate() {
        idx.push(i as i64);
        pid.push(c.package.id.as_str());
        eco.push(c.key.as_ref().map(|k| k.ecosystem.as_str()));
        rel.push(c.key.as_ref().map(|k| k.release.as_str()));
        name.push(c.key.as_ref().map(|k| k.name.as_str()));
        json.push(serde_json::to_string(&c.package).map_err(|e| StoreError::Other(e.to_string()))?);
    }
    tx.execute(
        "INSERT INTO components(artifact, idx, package_id, eco, rel, name, package)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])",
        &[&seq, &idx, &pid, &eco, &rel, &name, &json],
    )?;
    let per: Vec<(&str, &StoredFinding)> = comps
        .iter()
        .flat_map(|c| c.findings.iter().map(|f| (c.package.id.as_str(), f)))
        .collect();
    insert_findings(tx, seq, &per)
}

fn insert_artifact_row(tx: &mut Transaction<'_>, a: &NewArtifact) -> Result<i64> {
    let m = &a.meta;
    let r = tx.query_one(
        "INSERT INTO artifacts(id, name, kind, digest, created, updated, target)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
        &[
            &m.id, &m.name, &m.kind, &m.digest, &m.created, &m.updated, &a.target,
        ],
    )?;
    Ok(r.get(0))
}

/// Shown findings of an artifact among the finding IDs `only`, by finding id: their package ids
/// and body ids, in package order (only a finding ID with a changed row can appear or go away).
fn shown_ids(
    tx: &mut Transaction<'_>,
    seq: i64,
    only: &[&str],
) -> Result<BTreeMap<String, Vec<(String, i64)>>> {
    let mut out: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for r in tx.query(
        "SELECT vuln, package_id, body FROM findings
         WHERE artifact = $1 AND shown AND vuln = ANY($2)
         ORDER BY vuln, package_id",
        &[&seq, &only],
    )? {
        out.entry(r.get(0)).or_default().push((r.get(1), r.get(2)));
    }
    Ok(out)
}

/// The JSON of the finding IDs only one side has (an ID on both sides raises no event).
#[allow(clippy::type_complexity)]
fn with_event_json(
    tx: &mut Transaction<'_>,
    before: &BTreeMap<String, Vec<(String, i64)>>,
    after: &BTreeMap<String, Vec<(String, i64)>>,
) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>)> {
    let mut want: Vec<i64> = Vec::new();
    for (this, other) in [(before, after), (after, before)] {
        for (v, ids) in this {
            if !other.contains_key(v) {
                want.extend(ids.iter().map(|(_, b)| *b));
            }
        }
    }
    want.sort_unstable();
    want.dedup();
    let mut json: HashMap<i64, String> = HashMap::new();
    if !want.is_empty() {
        for r in tx.query("SELECT id, json FROM bodies WHERE id = ANY($1)", &[&want])? {
            json.insert(r.get(0), r.get(1));
        }
    }
    let side = |this: &BTreeMap<String, Vec<(String, i64)>>,
                other: &BTreeMap<String, Vec<(String, i64)>>| {
        let mut out = BTreeMap::new();
        for (v, ids) in this {
            let j = if other.contains_key(v) {
                Vec::new()
            } else {
                ids.iter()
                    .map(|(pid, id)| {
                        json.get(id)
                            .map(|j| super::with_package_id(j.clone(), pid))
                            .ok_or_else(|| StoreError::Decode(format!("finding body {id}")))
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            out.insert(v.clone(), j);
        }
        Ok::<_, StoreError>(out)
    };
    Ok((side(before, after)?, side(after, before)?))
}

/// Shown findings of an artifact by finding id (their JSON, in package order).
fn shown_by_vuln(tx: &mut Transaction<'_>, seq: i64) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in tx.query(
        "SELECT f.vuln, b.json, f.package_id FROM findings f JOIN bodies b ON b.id = f.body
         WHERE f.artifact = $1 AND f.shown ORDER BY f.vuln, f.package_id",
        &[&seq],
    )? {
        out.entry(r.get(0))
            .or_default()
            .push(super::with_package_id(r.get(1), r.get(2)));
    }
    Ok(out)
}

fn component_rows(rows: Vec<Row>) -> Result<Vec<ComponentRow>> {
    rows.into_iter()
        .map(|r| {
            Ok(ComponentRow {
                artifact: r.get(0),
                idx: r.get::<_, i64>(1) as u64,
                package: decode(r.get::<_, &str>(2))?,
            })
        })
        .collect()
}

fn hooks_of(tx: &mut Transaction<'_>) -> Result<Vec<(String, Vec<String>)>> {
    Ok(tx
        .query("SELECT id, events FROM webhooks", &[])?
        .into_iter()
        .map(|r| {
            let ev: &str = r.get(1);
            (r.get(0), serde_json::from_str(ev).unwrap_or_default())
        })
        .collect())
}

/// Record the events of one artifact's change of shown findings and queue their deliveries
/// (as in the embedded store). The first event takes the event-numbering lock, held to commit.
#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's context, passed through"
)]
fn record_changes(
    tx: &mut Transaction<'_>,
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
    tx.execute(
        "UPDATE artifacts SET updated = $1 WHERE seq = $2",
        &[&now, &seq],
    )?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_NS, &LOCK_EVENTS],
    )?;
    let ins_event = tx.prepare(
        "INSERT INTO events(id, kind, artifact, vuln, created, payload) VALUES ($1, $2, $3, $4, $5, $6)",
    )?;
    let ins_delivery = tx.prepare(
        "INSERT INTO deliveries(id, webhook, event, state, attempts, next_at, created, updated)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4) ON CONFLICT DO NOTHING",
    )?;
    for (kind, vuln, fs) in changed {
        let id = ids::new_id("msg_");
        let payload = event_payload(kind, now_ms, (artifact, name, digest), fs);
        tx.execute(&ins_event, &[&id, &kind, &artifact, &vuln, &now, &payload])?;
        *events += 1;
        for (hook, types) in hooks {
            if !types.is_empty() && !types.iter().any(|t| t == kind) {
                continue;
            }
            tx.execute(&ins_delivery, &[&ids::new_id("dlv_"), hook, &id, &now_ms])?;
        }
    }
    Ok(())
}

/// Lock an artifact's row (every change of its findings does, first) and return
/// `(seq, name, digest)`.
fn lock_artifact(tx: &mut Transaction<'_>, id: &str) -> Result<Option<(i64, String, String)>> {
    Ok(tx
        .query_opt(
            "SELECT seq, name, digest FROM artifacts WHERE id = $1 FOR UPDATE",
            &[&id],
        )?
        .map(|r| (r.get(0), r.get(1), r.get(2))))
}

fn event_row(r: &Row) -> EventRow {
    EventRow {
        seq: r.get(0),
        id: r.get(1),
        kind: r.get(2),
        artifact: r.get(3),
        vuln_id: r.get(4),
        created: r.get(5),
        payload: r.get(6),
    }
}

const JOB_COLS: &str = "id, kind, state, error, artifact, attempts, created, updated";

fn job_row(r: &Row) -> JobRow {
    JobRow {
        id: r.get(0),
        kind: r.get(1),
        state: r.get(2),
        error: r.get(3),
        artifact: r.get(4),
        attempts: r.get::<_, i64>(5) as u32,
        created: ids::rfc3339_ms(r.get(6)),
        updated: ids::rfc3339_ms(r.get(7)),
    }
}

const WATCH_COLS: &str = "artifact, ref, digest, checks, recatalogs, last_at, next_at, error";

fn watch_row(r: &Row) -> WatchRow {
    WatchRow {
        artifact: r.get(0),
        reference: r.get(1),
        digest: r.get(2),
        checks: r.get::<_, i64>(3) as u64,
        recatalogs: r.get::<_, i64>(4) as u64,
        last_check: r.get::<_, Option<i64>>(5).map(ids::rfc3339_ms),
        next_check: ids::rfc3339_ms(r.get(6)),
        error: r.get(7),
    }
}

/// End a job `owner` holds: its parameters lose the registry credential.
fn end_job(
    tx: &mut Transaction<'_>,
    id: &str,
    owner: &str,
    set: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<bool> {
    let Some(r) = tx.query_opt(
        "SELECT params FROM jobs WHERE id = $1 AND owner = $2 AND state = 'running' FOR UPDATE",
        &[&id, &owner],
    )?
    else {
        return Ok(false);
    };
    let params = scrub_params(r.get(0));
    let mut all: Vec<&(dyn ToSql + Sync)> = vec![&params, &id];
    all.extend_from_slice(args);
    tx.execute(
        &format!("UPDATE jobs SET params = $1, {set} WHERE id = $2"),
        &all,
    )?;
    Ok(true)
}

impl Store for PgStore {
    fn insert_artifact(&self, a: &NewArtifact) -> Result<()> {
        self.write(|tx| {
            let seq = insert_artifact_row(tx, a)?;
            insert_components(tx, seq, &a.components)
        })
    }

    fn list_artifacts(&self, after: Option<&str>, limit: usize) -> Result<Vec<ArtifactMeta>> {
        self.read(|tx| {
            let after_seq: i64 = match after {
                Some(id) => tx
                    .query_opt("SELECT seq FROM artifacts WHERE id = $1", &[&id])?
                    .map_or(i64::MAX, |r| r.get(0)),
                None => 0,
            };
            Ok(tx
                .query(
                    &format!(
                        "SELECT {META_COLS} FROM artifacts a WHERE a.seq > $1 ORDER BY a.seq LIMIT $2"
                    ),
                    &[&after_seq, &(limit as i64)],
                )?
                .iter()
                .map(meta_row)
                .collect())
        })
    }

    fn artifact(&self, id: &str) -> Result<Option<ArtifactMeta>> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    &format!("SELECT {META_COLS} FROM artifacts a WHERE a.id = $1"),
                    &[&id],
                )?
                .as_ref()
                .map(meta_row))
        })
    }

    fn artifact_full(&self, id: &str) -> Result<Option<ArtifactFull>> {
        self.read(|tx| {
            let Some(r) = tx.query_opt(
                &format!(
                    "SELECT {META_COLS}, a.seq, a.target, a.rev FROM artifacts a WHERE a.id = $1"
                ),
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let meta = meta_row(&r);
            let rev: i64 = r.get(10);
            let seq: i64 = r.get(8);
            let target: String = r.get(9);
            let mut packages: Vec<Package> = Vec::new();
            for r in tx.query(
                "SELECT package FROM components WHERE artifact = $1 ORDER BY idx",
                &[&seq],
            )? {
                packages.push(decode(r.get::<_, &str>(0))?);
            }
            let fp = super::Fingerprint::new(seq, rev, &meta, &target);
            let mut findings = Vec::new();
            finding_rows(tx, seq, &mut findings)?;
            Ok(Some(ArtifactFull {
                meta,
                target,
                packages,
                findings,
                fingerprint: fp.finish(),
            }))
        })
    }

    fn artifact_fingerprint(&self, id: &str) -> Result<Option<[u8; 32]>> {
        self.read(|tx| {
            let Some(row) = tx.query_opt(
                &format!(
                    "SELECT {META_COLS}, a.seq, a.target, a.rev FROM artifacts a WHERE a.id = $1"
                ),
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let fp = super::Fingerprint::new(row.get(8), row.get(10), &meta_row(&row), row.get(9));
            Ok(Some(fp.finish()))
        })
    }

    fn delete_artifact(&self, id: &str) -> Result<bool> {
        self.write(|tx| {
            let Some((seq, _, _)) = lock_artifact(tx, id)? else {
                return Ok(false);
            };
            let old: Vec<i64> = tx
                .query(
                    "DELETE FROM findings WHERE artifact = $1 RETURNING body",
                    &[&seq],
                )?
                .into_iter()
                .map(|r| r.get(0))
                .collect();
            tx.execute(
                "DELETE FROM finding_advisories WHERE artifact = $1",
                &[&seq],
            )?;
            collect_bodies(tx, &old)?;
            tx.execute("DELETE FROM components WHERE artifact = $1", &[&seq])?;
            tx.execute("DELETE FROM artifacts WHERE seq = $1", &[&seq])?;
            Ok(true)
        })
    }

    fn advisory_state(&self) -> Result<Vec<(String, [u8; 32])>> {
        self.read(|tx| {
            tx.query("SELECT id, fp FROM adv_state ORDER BY id", &[])?
                .into_iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let fp: Vec<u8> = r.get(1);
                    let fp: [u8; 32] = fp
                        .try_into()
                        .map_err(|_| StoreError::Decode(format!("fingerprint of {id}")))?;
                    Ok((id, fp))
                })
                .collect()
        })
    }

    fn record_db_change(&self, changes: &[(String, Option<[u8; 32]>)]) -> Result<()> {
        // Each replica diffs the DB file against the stored state: an advisory is queued only
        // when this transaction is the one that changed its state, so replicas that noticed the
        // same change queue it once. A queued advisory taken by a batch that is still running
        // gets a new generation: that batch (matched against the older DB) leaves it queued.
        self.write(|tx| {
            let set = tx.prepare(
                "INSERT INTO adv_state(id, fp) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET fp = EXCLUDED.fp WHERE adv_state.fp <> EXCLUDED.fp",
            )?;
            let del = tx.prepare("DELETE FROM adv_state WHERE id = $1")?;
            let pend = tx.prepare(
                "INSERT INTO pending_advisories(id) VALUES ($1)
                 ON CONFLICT (id) DO UPDATE SET gen = pending_advisories.gen + 1, lease_until = 0",
            )?;
            for (id, fp) in changes {
                let n = match fp {
                    Some(fp) => tx.execute(&set, &[id, &fp.as_slice()])?,
                    None => tx.execute(&del, &[id])?,
                };
                if n > 0 {
                    tx.execute(&pend, &[id])?;
                }
            }
            Ok(())
        })
    }

    fn pending_advisories(&self, limit: usize) -> Result<Vec<String>> {
        // Taken for this batch: leased, so another replica takes the next ones (or these, once
        // the lease ends without the batch written).
        let now = ids::now_ms();
        let lease = self.opts.advisory_lease.as_millis() as i64;
        let rows = self.write(|tx| {
            Ok(tx.query(
                "UPDATE pending_advisories p SET lease_until = $1
                 FROM (SELECT id FROM pending_advisories WHERE lease_until <= $2
                       ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) t
                 WHERE p.id = t.id RETURNING p.seq, p.id, p.gen",
                &[&(now + lease), &now, &(limit as i64)],
            )?)
        })?;
        let mut taken: Vec<(i64, String, i64)> = rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        taken.sort_unstable();
        let mut held = lock(&self.taken);
        Ok(taken
            .into_iter()
            .map(|(_, id, generation)| {
                held.insert(id.clone(), generation);
                id
            })
            .collect())
    }

    fn component_refs(&self, keys: &[Key], advisories: &[String]) -> Result<Vec<ComponentRef>> {
        self.read(|tx| {
            let mut out = Vec::new();
            let row = |r: &Row| ComponentRef {
                artifact: r.get(0),
                idx: r.get::<_, i64>(1) as u64,
            };
            if !keys.is_empty() {
                let eco: Vec<&str> = keys.iter().map(|k| k.ecosystem.as_str()).collect();
                let rel: Vec<&str> = keys.iter().map(|k| k.release.as_str()).collect();
                let name: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
                let rows = tx.query(
                    "SELECT c.artifact, c.idx
                     FROM unnest($1::text[], $2::text[], $3::text[]) AS k(eco, rel, name)
                     JOIN components c ON c.eco = k.eco AND c.rel = k.rel AND c.name = k.name",
                    &[&eco, &rel, &name],
                )?;
                out.extend(rows.iter().map(row));
            }
            if !advisories.is_empty() {
                let rows = tx.query(
                    "SELECT c.artifact, c.idx FROM finding_advisories f
                     JOIN components c ON c.artifact = f.artifact AND c.package_id = f.package_id
                     WHERE f.advisory = ANY($1)",
                    &[&advisories],
                )?;
                out.extend(rows.iter().map(row));
            }
            out.sort_unstable();
            out.dedup();
            Ok(out)
        })
    }

    fn pending_advisory_count(&self) -> Result<u64> {
        self.read(|tx| {
            Ok(tx
                .query_one("SELECT COUNT(*) FROM pending_advisories", &[])?
                .get::<_, i64>(0) as u64)
        })
    }

    fn components_at(&self, refs: &[ComponentRef]) -> Result<Vec<ComponentRow>> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let artifact: Vec<i64> = refs.iter().map(|r| r.artifact).collect();
        let idx: Vec<i64> = refs.iter().map(|r| r.idx as i64).collect();
        self.read(|tx| {
            component_rows(tx.query(
                "SELECT a.id, c.idx, c.package
                 FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(artifact, idx, n)
                 JOIN components c ON c.artifact = k.artifact AND c.idx = k.idx
                 JOIN artifacts a ON a.seq = c.artifact
                 ORDER BY k.n",
                &[&artifact, &idx],
            )?)
        })
    }

    fn components_of(&self, artifact: &str) -> Result<Vec<ComponentRow>> {
        self.read(|tx| {
            component_rows(tx.query(
                "SELECT a.id, c.idx, c.package FROM components c JOIN artifacts a ON a.seq = c.artifact
                 WHERE a.id = $1 ORDER BY c.idx",
                &[&artifact],
            )?)
        })
    }

    fn apply_rematch(
        &self,
        done: &[String],
        updates: &[ComponentUpdate],
        now_ms: i64,
    ) -> Result<usize> {
        let held: Vec<(String, Option<i64>)> = {
            let t = lock(&self.taken);
            done.iter()
                .map(|d| (d.clone(), t.get(d).copied()))
                .collect()
        };
        let events = self.write(|tx| {
            let mut by_artifact: BTreeMap<&str, Vec<&ComponentUpdate>> = BTreeMap::new();
            for u in updates {
                by_artifact.entry(u.artifact.as_str()).or_default().push(u);
            }
            let hooks = hooks_of(tx)?;
            let now = ids::rfc3339_ms(now_ms);
            let mut events = 0usize;
            // Artifacts are locked in id order (two batches never wait on each other in a
            // cycle).
            for (artifact, ups) in by_artifact {
                let Some((seq, name, digest)) = lock_artifact(tx, artifact)? else {
                    continue; // deleted since its components were read
                };
                let pids: Vec<&str> = ups.iter().map(|u| u.package_id.as_str()).collect();
                let mut stored: HashMap<String, Vec<(String, bool, Vec<u8>)>> = HashMap::new();
                for r in tx.query(
                    "SELECT f.package_id, f.vuln, f.shown, b.hash FROM findings f
                     JOIN bodies b ON b.id = f.body
                     WHERE f.artifact = $1 AND f.package_id = ANY($2)",
                    &[&seq, &pids],
                )? {
                    stored
                        .entry(r.get(0))
                        .or_default()
                        .push((r.get(1), r.get(2), r.get(3)));
                }
                let mut stored_advs: HashMap<String, Vec<String>> = HashMap::new();
                for r in tx.query(
                    "SELECT package_id, advisory FROM finding_advisories
                     WHERE artifact = $1 AND package_id = ANY($2)",
                    &[&seq, &pids],
                )? {
                    stored_advs.entry(r.get(0)).or_default().push(r.get(1));
                }
                // Only the findings that do not come out byte for byte as stored are
                // rewritten; an artifact with none is left alone.
                let diffs: Vec<(&str, super::FindingDiff<'_>)> = ups
                    .iter()
                    .map(|u| {
                        let old = stored.remove(&u.package_id).unwrap_or_default();
                        let advs = stored_advs.remove(&u.package_id).unwrap_or_default();
                        (
                            u.package_id.as_str(),
                            super::finding_diff(&old, &advs, &u.findings),
                        )
                    })
                    .filter(|(_, d)| !d.is_empty())
                    .collect();
                if diffs.is_empty() {
                    continue;
                }
                let mut touched: Vec<&str> =
                    diffs.iter().flat_map(|(_, d)| d.changed_ids()).collect();
                touched.sort_unstable();
                touched.dedup();
                let before = shown_ids(tx, seq, &touched)?;
                bump_rev(tx, seq)?;
                let (gone_pid, gone_vuln): (Vec<&str>, Vec<&str>) = diffs
                    .iter()
                    .flat_map(|(pid, d)| d.gone.iter().map(move |v| (*pid, v.as_str())))
                    .unzip();
                let old: Vec<i64> = tx
                    .query(
                        "DELETE FROM findings f USING unnest($2::text[], $3::text[]) AS g(p, v)
                         WHERE f.artifact = $1 AND f.package_id = g.p AND f.vuln = g.v
                         RETURNING f.body",
                        &[&seq, &gone_pid, &gone_vuln],
                    )?
                    .into_iter()
                    .map(|r| r.get(0))
                    .collect();
                let (adv_pid, adv): (Vec<&str>, Vec<&str>) = diffs
                    .iter()
                    .flat_map(|(pid, d)| {
                        d.advisories_gone.iter().map(move |a| (*pid, a.as_str()))
                    })
                    .unzip();
                if !adv.is_empty() {
                    tx.execute(
                        "DELETE FROM finding_advisories f USING unnest($2::text[], $3::text[]) AS g(p, a)
                         WHERE f.artifact = $1 AND f.package_id = g.p AND f.advisory = g.a",
                        &[&seq, &adv_pid, &adv],
                    )?;
                }
                // The advisories a finding now comes from are recorded with the added findings
                // (any other finding of the component is stored as it was, with its own).
                let per: Vec<(&str, &StoredFinding)> = diffs
                    .iter()
                    .flat_map(|(pid, d)| d.added.iter().map(move |(f, _)| (*pid, *f)))
                    .collect();
                insert_findings(tx, seq, &per)?;
                let after = shown_ids(tx, seq, &touched)?;
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
                collect_bodies(tx, &old)?;
            }
            let del_gen =
                tx.prepare("DELETE FROM pending_advisories WHERE id = $1 AND gen = $2")?;
            let del_any = tx.prepare("DELETE FROM pending_advisories WHERE id = $1")?;
            for (d, generation) in &held {
                match generation {
                    Some(g) => tx.execute(&del_gen, &[d, g])?,
                    None => tx.execute(&del_any, &[d])?,
                };
            }
            Ok(events)
        })?;
        let mut t = lock(&self.taken);
        for (d, _) in &held {
            t.remove(d);
        }
        Ok(events)
    }

    fn events(&self, after: i64, limit: usize) -> Result<Vec<EventRow>> {
        self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT seq, id, kind, artifact, vuln, created, payload FROM events
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&after, &(limit as i64)],
                )?
                .iter()
                .map(event_row)
                .collect())
        })
    }

    fn create_webhook(&self, w: &WebhookRow) -> Result<()> {
        let events =
            serde_json::to_string(&w.events).map_err(|e| StoreError::Other(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO webhooks(id, url, events, secret, created) VALUES ($1, $2, $3, $4, $5)",
                &[&w.id, &w.url, &events, &w.secret, &w.created],
            )?;
            Ok(())
        })
    }

    fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        self.read(|tx| {
            tx.query(
                "SELECT id, url, events, secret, created FROM webhooks ORDER BY created, id",
                &[],
            )?
            .into_iter()
            .map(|r| {
                Ok(WebhookRow {
                    id: r.get(0),
                    url: r.get(1),
                    events: decode(r.get::<_, &str>(2))?,
                    secret: r.get(3),
                    created: r.get(4),
                })
            })
            .collect()
        })
    }

    fn webhook(&self, id: &str) -> Result<Option<WebhookRow>> {
        Ok(self.webhooks()?.into_iter().find(|w| w.id == id))
    }

    fn delete_webhook(&self, id: &str) -> Result<bool> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM attempts WHERE delivery IN (SELECT id FROM deliveries WHERE webhook = $1)",
                &[&id],
            )?;
            tx.execute("DELETE FROM deliveries WHERE webhook = $1", &[&id])?;
            Ok(tx.execute("DELETE FROM webhooks WHERE id = $1", &[&id])? > 0)
        })
    }

    fn deliveries(&self, webhook: &str, limit: usize) -> Result<Vec<DeliveryRow>> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT d.id, d.webhook, d.event, e.kind, d.state, d.attempts, d.next_at, d.created, d.updated
                 FROM deliveries d JOIN events e ON e.id = d.event
                 WHERE d.webhook = $1 ORDER BY d.created, e.seq LIMIT $2",
                &[&webhook, &(limit as i64)],
            )?;
            let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            let mut history: HashMap<String, Vec<AttemptRow>> = HashMap::new();
            for r in tx.query(
                "SELECT delivery, n, at, status, error FROM attempts WHERE delivery = ANY($1)
                 ORDER BY delivery, n",
                &[&ids],
            )? {
                history.entry(r.get(0)).or_default().push(AttemptRow {
                    attempt: r.get::<_, i64>(1) as u32,
                    at: ids::rfc3339_ms(r.get(2)),
                    status: r.get::<_, Option<i64>>(3).map(|s| s as u16),
                    error: r.get(4),
                });
            }
            Ok(rows
                .into_iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let state: String = r.get(4);
                    DeliveryRow {
                        next_attempt: (state == "pending")
                            .then(|| ids::rfc3339_ms(r.get(6))),
                        history: history.remove(&id).unwrap_or_default(),
                        id,
                        webhook: r.get(1),
                        event: r.get(2),
                        kind: r.get(3),
                        state,
                        attempts: r.get::<_, i64>(5) as u32,
                        created: ids::rfc3339_ms(r.get(7)),
                        updated: ids::rfc3339_ms(r.get(8)),
                    }
                })
                .collect())
        })
    }

    fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>> {
        self.write(|tx| {
            let rows: Vec<DeliveryJob> = tx
                .query(
                    "SELECT d.id, w.url, w.secret, e.id, e.payload, d.attempts
                     FROM deliveries d JOIN webhooks w ON w.id = d.webhook JOIN events e ON e.id = d.event
                     WHERE d.state = 'pending' AND d.next_at <= $1 ORDER BY d.next_at LIMIT $2
                     FOR UPDATE OF d SKIP LOCKED",
                    &[&now_ms, &(limit as i64)],
                )?
                .into_iter()
                .map(|r| DeliveryJob {
                    id: r.get(0),
                    url: r.get(1),
                    secret: r.get(2),
                    msg_id: r.get(3),
                    payload: r.get(4),
                    attempts: r.get::<_, i64>(5) as u32,
                })
                .collect();
            let ids: Vec<&str> = rows.iter().map(|j| j.id.as_str()).collect();
            if !ids.is_empty() {
                tx.execute(
                    "UPDATE deliveries SET next_at = $1 WHERE id = ANY($2)",
                    &[&(now_ms + lease_ms), &ids],
                )?;
            }
            Ok(rows)
        })
    }

    fn finish_attempts(&self, attempts: &[Attempt]) -> Result<()> {
        // Rows are locked in id order, so two replicas finishing overlapping sets (a lease
        // that ran out) cannot deadlock.
        let mut sorted: Vec<&Attempt> = attempts.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        self.write(|tx| {
            for a in &sorted {
                let Some(r) = tx.query_opt(
                    "SELECT attempts FROM deliveries WHERE id = $1 FOR UPDATE",
                    &[&a.id],
                )?
                else {
                    continue; // the webhook was deleted meanwhile
                };
                let made: i64 = r.get(0);
                let n: i64 = tx
                    .query_one(
                        "SELECT COALESCE(MAX(n), 0) + 1 FROM attempts WHERE delivery = $1",
                        &[&a.id],
                    )?
                    .get(0);
                tx.execute(
                    "INSERT INTO attempts(delivery, n, at, status, error) VALUES ($1, $2, $3, $4, $5)",
                    &[&a.id, &n, &a.at_ms, &a.status.map(i64::from), &a.error],
                )?;
                let (state, next) = a.outcome();
                tx.execute(
                    "UPDATE deliveries SET state = $1, attempts = $2, next_at = $3, updated = $4 WHERE id = $5",
                    &[&state, &(made + 1), &next, &a.at_ms, &a.id],
                )?;
            }
            Ok(())
        })
    }

    fn redeliver(&self, webhook: &str, delivery: &str, now_ms: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = $1, updated = $1
                 WHERE id = $2 AND webhook = $3",
                &[&now_ms, &delivery, &webhook],
            )? > 0)
        })
    }

    fn next_delivery_due(&self) -> Result<Option<i64>> {
        self.read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT MIN(next_at) FROM deliveries WHERE state = 'pending'",
                    &[],
                )?
                .get(0))
        })
    }

    fn counts(&self) -> Result<Counts> {
        self.read(|tx| {
            let r = tx.query_one(
                "SELECT (SELECT COUNT(*) FROM artifacts), (SELECT COUNT(*) FROM components),
                        (SELECT COUNT(*) FROM pending_advisories),
                        (SELECT COUNT(*) FROM deliveries WHERE state = 'pending'),
                        (SELECT COUNT(*) FROM deliveries WHERE state = 'dead'),
                        (SELECT COUNT(*) FROM events)",
                &[],
            )?;
            let n = |i: usize| r.get::<_, i64>(i) as u64;
            Ok(Counts {
                artifacts: n(0),
                components: n(1),
                pending_advisories: n(2),
                pending_deliveries: n(3),
                dead_deliveries: n(4),
                events: n(5),
            })
        })
    }

    fn size_bytes(&self) -> u64 {
        // Tables with their indexes and TOAST, in the schema the store uses.
        self.read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                    &[],
                )?
                .get::<_, i64>(0))
        })
        .map_or(0, |n| n.max(0) as u64)
    }

    fn event_days(&self, days: usize) -> Result<Vec<DayCount>> {
        self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT substr(created, 1, 10) AS day,
                            COUNT(*) FILTER (WHERE kind = 'finding.new'),
                            COUNT(*) FILTER (WHERE kind = 'finding.resolved')
                     FROM events GROUP BY day ORDER BY day DESC LIMIT $1",
                    &[&(days as i64)],
                )?
                .into_iter()
                .map(|r| DayCount {
                    day: r.get(0),
                    new: r.get::<_, i64>(1) as u64,
                    resolved: r.get::<_, i64>(2) as u64,
                })
                .collect())
        })
    }

    fn recent_events(&self, limit: usize) -> Result<Vec<EventRow>> {
        self.read(|tx| {
            Ok(tx
                .query(
                    "SELECT seq, id, kind, artifact, vuln, created, payload FROM events
                     ORDER BY seq DESC LIMIT $1",
                    &[&(limit as i64)],
                )?
                .iter()
                .map(event_row)
                .collect())
        })
    }

    fn create_job(&self, id: &str, kind: &str, params: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO jobs(id, kind, params, state, created, updated) VALUES ($1, $2, $3, 'queued', $4, $4)",
                &[&id, &kind, &params, &now_ms],
            )?;
            Ok(())
        })
    }

    fn job(&self, id: &str) -> Result<Option<JobRow>> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"),
                    &[&id],
                )?
                .as_ref()
                .map(job_row))
        })
    }

    fn job_params(&self, id: &str) -> Result<Option<String>> {
        self.read(|tx| {
            Ok(tx
                .query_opt("SELECT params FROM jobs WHERE id = $1", &[&id])?
                .map(|r| r.get(0)))
        })
    }

    fn claim_jobs(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<JobRow>> {
        self.write(|tx| {
            let mut rows: Vec<(i64, JobRow)> = tx
                .query(
                    &format!(
                        "UPDATE jobs j SET state = 'running', owner = $1, lease_until = $2,
                           attempts = j.attempts + 1, updated = $3
                         FROM (SELECT seq FROM jobs
                               WHERE state = 'queued' OR (state = 'running' AND lease_until <= $3)
                               ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED) t
                         WHERE j.seq = t.seq RETURNING j.seq, {}",
                        JOB_COLS
                            .split(", ")
                            .map(|c| format!("j.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    &[&owner, &(now_ms + lease_ms), &now_ms, &(limit as i64)],
                )?
                .into_iter()
                .map(|r| {
                    let seq: i64 = r.get(0);
                    let j = JobRow {
                        id: r.get(1),
                        kind: r.get(2),
                        state: r.get(3),
                        error: r.get(4),
                        artifact: r.get(5),
                        attempts: r.get::<_, i64>(6) as u32,
                        created: ids::rfc3339_ms(r.get(7)),
                        updated: ids::rfc3339_ms(r.get(8)),
                    };
                    (seq, j)
                })
                .collect();
            rows.sort_by_key(|(s, _)| *s);
            Ok(rows.into_iter().map(|(_, j)| j).collect())
        })
    }

    fn renew_job(&self, id: &str, owner: &str, until_ms: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND state = 'running'",
                &[&until_ms, &id, &owner],
            )? > 0)
        })
    }

    fn fail_job(&self, id: &str, owner: &str, error: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            end_job(
                tx,
                id,
                owner,
                "state = 'failed', error = $3, updated = $4",
                &[&error, &now_ms],
            )?;
            Ok(())
        })
    }

    fn requeue_running_jobs(&self) -> Result<usize> {
        // Replicas share the queue: a job running here may be another replica's. A job cut short
        // by a crash is taken again when its lease ends.
        Ok(0)
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
            let held = tx
                .query_opt(
                    "SELECT 1 FROM jobs WHERE id = $1 AND owner = $2 AND state = 'running' FOR UPDATE",
                    &[&job, &owner],
                )?
                .is_some();
            if !held {
                return Ok(None);
            }
            let existing: Option<String> = if reuse {
                // Two replicas finishing jobs for the same image create its artifact once.
                tx.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                    &[&LOCK_NS_NAMES, &a.meta.name],
                )?;
                tx.query_opt(
                    "SELECT id FROM artifacts WHERE name = $1 AND digest = $2 AND kind = $3 ORDER BY seq LIMIT 1",
                    &[&a.meta.name, &a.meta.digest, &a.meta.kind],
                )?
                .map(|r| r.get(0))
            } else {
                None
            };
            let id = match existing {
                Some(id) => id,
                None => {
                    let seq = insert_artifact_row(tx, a)?;
                    insert_components(tx, seq, &a.components)?;
                    a.meta.id.clone()
                }
            };
            if let Some((reference, next)) = watch {
                tx.execute(
                    "INSERT INTO watches(artifact, ref, digest, next_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (artifact) DO UPDATE SET ref = EXCLUDED.ref, digest = EXCLUDED.digest,
                       next_at = EXCLUDED.next_at, last_at = NULL, checks = 0, recatalogs = 0, error = NULL",
                    &[&id, &reference, &a.meta.digest, &next],
                )?;
            }
            end_job(
                tx,
                job,
                owner,
                "state = 'done', artifact = $3, error = NULL, updated = $4",
                &[&id, &now_ms],
            )?;
            Ok(Some(id))
        })
    }

    fn claim_watches(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<WatchRow>> {
        self.write(|tx| {
            // A watch whose artifact was deleted goes with it.
            tx.execute(
                "DELETE FROM watches w WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.id = w.artifact)",
                &[],
            )?;
            let rows: Vec<WatchRow> = tx
                .query(
                    &format!(
                        "SELECT {WATCH_COLS} FROM watches WHERE next_at <= $1 ORDER BY next_at LIMIT $2
                         FOR UPDATE SKIP LOCKED"
                    ),
                    &[&now_ms, &(limit as i64)],
                )?
                .iter()
                .map(watch_row)
                .collect();
            let ids: Vec<&str> = rows.iter().map(|w| w.artifact.as_str()).collect();
            if !ids.is_empty() {
                tx.execute(
                    "UPDATE watches SET next_at = $1 WHERE artifact = ANY($2)",
                    &[&(now_ms + lease_ms), &ids],
                )?;
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
                "UPDATE watches SET checks = checks + 1, last_at = $1, next_at = $2, error = $3 WHERE artifact = $4",
                &[&now_ms, &next_ms, &error, &artifact],
            )?;
            Ok(())
        })
    }

    fn recatalog(&self, a: &NewArtifact, now_ms: i64, next_ms: i64) -> Result<Option<usize>> {
        self.write(|tx| {
            let Some((seq, name, _)) = lock_artifact(tx, &a.meta.id)? else {
                return Ok(None);
            };
            let before = shown_by_vuln(tx, seq)?;
            let old: Vec<i64> = tx
                .query(
                    "DELETE FROM findings WHERE artifact = $1 RETURNING body",
                    &[&seq],
                )?
                .into_iter()
                .map(|r| r.get(0))
                .collect();
            tx.execute(
                "DELETE FROM finding_advisories WHERE artifact = $1",
                &[&seq],
            )?;
            tx.execute("DELETE FROM components WHERE artifact = $1", &[&seq])?;
            insert_components(tx, seq, &a.components)?;
            bump_rev(tx, seq)?;
            collect_bodies(tx, &old)?;
            tx.execute(
                "UPDATE artifacts SET digest = $1, target = $2 WHERE seq = $3",
                &[&a.meta.digest, &a.target, &seq],
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
                "UPDATE watches SET digest = $1, checks = checks + 1, recatalogs = recatalogs + 1,
                 last_at = $2, next_at = $3, error = NULL WHERE artifact = $4",
                &[&a.meta.digest, &now_ms, &next_ms, &a.meta.id],
            )?;
            Ok(Some(events))
        })
    }

    fn watches(&self) -> Result<Vec<WatchRow>> {
        self.read(|tx| {
            Ok(tx
                .query(
                    &format!("SELECT {WATCH_COLS} FROM watches ORDER BY artifact"),
                    &[],
                )?
                .iter()
                .map(watch_row)
                .collect())
        })
    }

    fn job_queue(&self) -> Result<(u64, u64)> {
        self.read(|tx| {
            let r = tx.query_one(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE state = 'queued'),
                        (SELECT COUNT(*) FROM jobs WHERE state = 'running')",
                &[],
            )?;
            Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance;

    /// A store on a new database, and a second "replica" on the same database.
    fn replicas(tag: &str, opts: PgOptions) -> Option<(PgStore, PgStore)> {
        let url = sekisho_testutil::postgres_database(tag)?;
        let a = PgStore::open(&url, opts).unwrap();
        let b = PgStore::open(&url, opts).unwrap();
        Some((a, b))
    }

    fn count(s: &PgStore, sql: &str) -> i64 {
        s.read(|tx| Ok(tx.query_one(sql, &[])?.get(0))).unwrap()
    }

    #[test]
    fn finding_bodies_are_shared_and_collected() {
        let Some((s, _)) = replicas("bodies", PgOptions::default()) else {
            return;
        };
        conformance::finding_bodies_are_shared_and_collected(&s, &|| {
            count(&s, "SELECT COUNT(*) FROM bodies")
        });
    }

    #[test]
    fn fingerprints_follow_the_findings() {
        let Some((s, _)) = replicas("fingerprints", PgOptions::default()) else {
            return;
        };
        conformance::fingerprints_follow_the_findings(&s);
    }

    #[test]
    fn components_are_found_by_key_and_advisory() {
        let Some((s, _)) = replicas("component_refs", PgOptions::default()) else {
            return;
        };
        conformance::components_are_found_by_key_and_advisory(&s);
    }

    #[test]
    fn jobs_are_leased_and_finished_once() {
        let Some((s, _)) = replicas("jobs", PgOptions::default()) else {
            return;
        };
        conformance::jobs_are_leased_and_finished_once(&s, &|| {
            count(&s, "SELECT COUNT(*) FROM bodies")
        });
        // Replicas share the queue: a restart does not take running jobs from the others.
        s.create_job("job_9", "image", "{}", 0).unwrap();
        s.claim_jobs("A", 0, 60_000, 10).unwrap();
        assert_eq!(s.requeue_running_jobs().unwrap(), 0);
        assert_eq!(s.job("job_9").unwrap().unwrap().state, "running");
    }

    #[test]
    fn replicas_take_each_job_and_advisory_once() {
        let Some((a, b)) = replicas("claims", PgOptions::default()) else {
            return;
        };
        for i in 0..40 {
            a.create_job(&format!("job_{i:02}"), "image", "{}", 0)
                .unwrap();
        }
        // Both replicas claim at once, many times: every job is taken by exactly one.
        let (ja, jb) = std::thread::scope(|sc| {
            let ta = sc.spawn(|| {
                let mut got = Vec::new();
                for _ in 0..20 {
                    got.extend(a.claim_jobs("A", 1, 60_000, 3).unwrap());
                }
                got
            });
            let tb = sc.spawn(|| {
                let mut got = Vec::new();
                for _ in 0..20 {
                    got.extend(b.claim_jobs("B", 1, 60_000, 3).unwrap());
                }
                got
            });
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let mut all: Vec<String> = ja.iter().chain(&jb).map(|j| j.id.clone()).collect();
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (40, 40), "each job taken once");
        assert!(!ja.is_empty() && !jb.is_empty(), "both replicas got work");

        // Queued advisories: split between the replicas, each leased to its taker.
        let changes: Vec<(String, Option<[u8; 32]>)> = (0..10)
            .map(|i| (format!("GHSA-{i}"), Some([i as u8; 32])))
            .collect();
        a.record_db_change(&changes).unwrap();
        // The other replica noticed the same DB change: nothing is queued twice.
        b.record_db_change(&changes).unwrap();
        assert_eq!(count(&a, "SELECT COUNT(*) FROM pending_advisories"), 10);
        let pa = a.pending_advisories(6).unwrap();
        let pb = b.pending_advisories(6).unwrap();
        assert_eq!((pa.len(), pb.len()), (6, 4));
        assert!(pa.iter().all(|x| !pb.contains(x)));
        assert!(a.pending_advisories(6).unwrap().is_empty(), "all leased");
        a.apply_rematch(&pa, &[], 0).unwrap();
        b.apply_rematch(&pb, &[], 0).unwrap();
        assert_eq!(a.counts().unwrap().pending_advisories, 0);
    }

    #[test]
    fn an_advisory_queued_again_mid_batch_stays_queued() {
        let opts = PgOptions {
            advisory_lease: Duration::from_millis(1),
        };
        let Some((a, b)) = replicas("requeue", opts) else {
            return;
        };
        a.record_db_change(&[("GHSA-1".into(), Some([1; 32]))])
            .unwrap();
        let taken = a.pending_advisories(10).unwrap();
        assert_eq!(taken, vec!["GHSA-1".to_string()]);
        // While A matches it against the old DB, B records a newer revision of it.
        b.record_db_change(&[("GHSA-1".into(), Some([2; 32]))])
            .unwrap();
        a.apply_rematch(&taken, &[], 0).unwrap();
        assert_eq!(
            a.counts().unwrap().pending_advisories,
            1,
            "the newer revision waits to be matched"
        );
        // A lease that ran out (its holder died) hands the advisory to another replica.
        std::thread::sleep(Duration::from_millis(5));
        let again = b.pending_advisories(10).unwrap();
        assert_eq!(again, vec!["GHSA-1".to_string()]);
        b.apply_rematch(&again, &[], 0).unwrap();
        assert_eq!(b.counts().unwrap().pending_advisories, 0);
        // The same DB seen again changes nothing and queues nothing.
        a.record_db_change(&[("GHSA-1".into(), Some([2; 32]))])
            .unwrap();
        assert_eq!(a.counts().unwrap().pending_advisories, 0);
        // A withdrawn advisory is queued once, by whichever replica saw it first.
        a.record_db_change(&[("GHSA-1".into(), None)]).unwrap();
        b.record_db_change(&[("GHSA-1".into(), None)]).unwrap();
        assert_eq!(a.counts().unwrap().pending_advisories, 1);
        assert!(a.advisory_state().unwrap().is_empty());
    }

    #[test]
    fn concurrent_rematches_of_one_component_raise_one_event() {
        let Some((a, b)) = replicas("race", PgOptions::default()) else {
            return;
        };
        a.create_webhook(&WebhookRow {
            id: "wh_1".into(),
            url: "http://127.0.0.1:9/".into(),
            events: Vec::new(),
            created: "2026-01-01T00:00:00Z".into(),
            secret: "whsec_x".into(),
        })
        .unwrap();
        for i in 0..20 {
            let mut art = conformance::artifact(&format!("art_{i:02}"), "{}");
            art.components[0].findings.clear();
            a.insert_artifact(&art).unwrap();
        }
        let finding = StoredFinding {
            package_id: "pkg-0000000000000001".into(),
            vuln_id: "CVE-2".into(),
            shown: true,
            advisories: vec!["GHSA-2".into()],
            json: r#"{"kind":"vulnerability","id":"CVE-2"}"#.into(),
        };
        let updates: Vec<ComponentUpdate> = (0..20)
            .map(|i| ComponentUpdate {
                artifact: format!("art_{i:02}"),
                package_id: finding.package_id.clone(),
                findings: vec![finding.clone()],
            })
            .collect();
        // Two replicas write the same re-match at the same time, several times over.
        let (na, nb) = std::thread::scope(|sc| {
            let ta = sc.spawn(|| {
                (0..5)
                    .map(|_| a.apply_rematch(&[], &updates, 1).unwrap())
                    .sum::<usize>()
            });
            let tb = sc.spawn(|| {
                (0..5)
                    .map(|_| b.apply_rematch(&[], &updates, 1).unwrap())
                    .sum::<usize>()
            });
            (ta.join().unwrap(), tb.join().unwrap())
        });
        assert_eq!(na + nb, 20, "one finding.new per artifact");
        let ev = a.events(0, 100).unwrap();
        assert_eq!(ev.len(), 20);
        assert!(ev.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(count(&a, "SELECT COUNT(*) FROM deliveries"), 20);
        assert_eq!(count(&a, "SELECT COUNT(*) FROM bodies"), 1);
        // Each delivery is taken by one replica.
        let da = a.claim_deliveries(10, 60_000, 15).unwrap();
        let db = b.claim_deliveries(10, 60_000, 15).unwrap();
        assert_eq!((da.len(), db.len()), (15, 5));
        assert!(da.iter().all(|d| db.iter().all(|e| e.id != d.id)));
        let meta = a.artifact("art_07").unwrap().unwrap();
        assert_eq!((meta.components, meta.findings), (1, 1));
        // Deleting them all collects the shared body.
        for i in 0..20 {
            assert!(b.delete_artifact(&format!("art_{i:02}")).unwrap());
        }
        assert_eq!(count(&a, "SELECT COUNT(*) FROM bodies"), 0);
        assert!(a.size_bytes() > 0);
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_named() {
        let e = PgStore::open("postgres://nobody@127.0.0.1:1/none", PgOptions::default())
            .err()
            .expect("nothing listens on port 1");
        let m = e.to_string();
        assert!(m.contains("postgres://nobody@127.0.0.1:1/none"), "{m}");
        let e = PgStore::open("mysql://x", PgOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a PostgreSQL URL"), "{e}");
    }
}
