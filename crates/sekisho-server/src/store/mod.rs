//! Where the server keeps its state, behind [`Store`]: artifacts with their components and
//! findings, the advisory fingerprints of the last DB revision matched, the advisories waiting
//! to be re-matched, events, webhooks and deliveries. Every method that changes state is one
//! transaction: a `kill -9` between two calls loses nothing that a call returned, and a call
//! cut short changes nothing.
//!
//! [`sqlite::SqliteStore`] is the embedded default (one file under `--data`);
//! [`postgres::PgStore`] is the shared store several replicas use (`--database`).

#[cfg(test)]
mod conformance;
pub mod postgres;
pub mod sqlite;

use serde::Serialize;

use sekisho_catalog::Package;
use sekisho_vulndb::normalize::Key;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("store: {}", pg_message(.0))]
    Pg(#[from] ::postgres::Error),
    #[error("store: stored row does not decode: {0}")]
    Decode(String),
    #[error("store: {0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A PostgreSQL error with the server's message (the plain `Display` says only "db error").
fn pg_message(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("postgres: {}: {}", d.code().code(), d.message()),
        None => match std::error::Error::source(e) {
            Some(src) => format!("postgres: {e}: {src}"),
            None => format!("postgres: {e}"),
        },
    }
}

/// The key of a finding body in the content-addressed body table (first 16 bytes of SHA-256).
pub(crate) fn body_hash(json: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(json.as_bytes());
    let mut h = [0u8; 16];
    h.copy_from_slice(&d[..16]);
    h
}

/// How one component's stored findings become its re-matched ones, finding by finding: a
/// component with hundreds of findings whose re-match changed one rewrites one.
#[derive(Debug, Default)]
pub(crate) struct FindingDiff<'a> {
    /// Finding IDs stored and not kept as they are (gone, or their shown flag or body changed).
    pub gone: Vec<String>,
    /// New findings not stored as they are, with their body hashes.
    pub added: Vec<(&'a StoredFinding, [u8; 16])>,
    /// Advisories no finding of the component comes from any more.
    pub advisories_gone: Vec<String>,
    /// Advisories a finding of the component now comes from, not recorded before.
    pub advisories_added: Vec<&'a str>,
}

impl FindingDiff<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.gone.is_empty() && self.added.is_empty()
    }

    /// The finding IDs whose rows change (gone or added): only these can appear in or go from
    /// the artifact's shown findings.
    pub(crate) fn changed_ids(&self) -> impl Iterator<Item = &str> {
        self.gone
            .iter()
            .map(String::as_str)
            .chain(self.added.iter().map(|(f, _)| f.vuln_id.as_str()))
    }
}

/// The [`FindingDiff`] from the `stored` findings of a component (finding ID, shown flag, body
/// hash) and the advisories recorded for it to its `new` findings.
pub(crate) fn finding_diff<'a>(
    stored: &[(String, bool, Vec<u8>)],
    stored_advisories: &[String],
    new: &'a [StoredFinding],
) -> FindingDiff<'a> {
    use std::collections::{BTreeSet, HashMap};
    let mut old: HashMap<&str, (bool, &[u8])> = stored
        .iter()
        .map(|(v, shown, h)| (v.as_str(), (*shown, h.as_slice())))
        .collect();
    let mut diff = FindingDiff::default();
    for f in new {
        let h = *f.json.hash();
        match old.remove(f.vuln_id.as_str()) {
            Some((shown, stored_hash)) if shown == f.shown && stored_hash == h.as_slice() => {}
            Some(_) => {
                diff.gone.push(f.vuln_id.clone());
                diff.added.push((f, h));
            }
            None => diff.added.push((f, h)),
        }
    }
    diff.gone.extend(old.into_keys().map(str::to_string));
    diff.gone.sort();
    let want: BTreeSet<&str> = new
        .iter()
        .flat_map(|f| f.advisories.iter().map(String::as_str))
        .collect();
    let have: BTreeSet<&str> = stored_advisories.iter().map(String::as_str).collect();
    diff.advisories_gone = have
        .iter()
        .filter(|a| !want.contains(*a))
        .map(|a| a.to_string())
        .collect();
    diff.advisories_added = want.into_iter().filter(|a| !have.contains(a)).collect();
    diff
}

/// A stored finding body as its readers take it: with `"package_id"` naming the component's
/// package.
///
/// Bodies are stored without it (`StoredFinding::json` leaves `package_id` empty, so serde
/// omits the field), so one package version's finding is one body however many artifacts
/// hold it, and a re-match compares and writes each distinct finding once. The id goes back in
/// right after `"package":<index>`: the fields serialised before it (`kind`, `id`,
/// `advisories`, `aliases`, `related`) are strings and arrays of strings, where an unescaped
/// `"package":` cannot occur, so the first one is the field. A body stored with its
/// `package_id` (by an earlier version), or any body that is not a vulnerability, is returned
/// as it is.
pub(crate) fn with_package_id(json: String, package_id: &str) -> String {
    const FIELD: &str = "\"package\":";
    let Some(at) = json.find(FIELD) else {
        return json;
    };
    let digits = json[at + FIELD.len()..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let end = at + FIELD.len() + digits;
    if digits == 0 || json[end..].starts_with(",\"package_id\":") {
        return json;
    }
    let Ok(id) = serde_json::to_string(package_id) else {
        return json;
    };
    let mut out = String::with_capacity(json.len() + id.len() + 16);
    out.push_str(&json[..end]);
    out.push_str(",\"package_id\":");
    out.push_str(&id);
    out.push_str(&json[end..]);
    out
}

/// A job's parameters once it ended: without the registry credential it was queued with
/// (`registry.authorization`). Parameters that are not JSON are kept as they are.
pub(crate) fn scrub_params(params: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(params) else {
        return params.to_string();
    };
    let removed = v
        .get_mut("registry")
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|r| r.remove("authorization"));
    match removed {
        Some(_) => v.to_string(),
        None => params.to_string(),
    }
}

/// An artifact as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArtifactMeta {
    pub id: String,
    pub name: String,
    /// `sbom` (and `image` for watched images).
    pub kind: String,
    /// `sha256:` of what was uploaded.
    pub digest: String,
    /// RFC 3339.
    pub created: String,
    /// When its findings last changed (RFC 3339).
    pub updated: String,
    pub components: u64,
    /// Findings shown by default (the CLI's default policy).
    pub findings: u64,
}

/// One vulnerability finding of one component, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    pub package_id: String,
    /// The finding's id (a CVE when known): events are per artifact and this id.
    pub vuln_id: String,
    /// Shown by the default policy (status not hidden, not informational): only these raise
    /// events.
    pub shown: bool,
    /// Every advisory merged into it.
    pub advisories: Vec<String>,
    /// The finding in the scan JSON schema (`sekisho_finding::Finding`), without its
    /// `package_id` (see [`with_package_id`]).
    pub json: Body,
}

/// A finding body: its JSON and the hash it is stored under, computed once and shared by every
/// component that has the same finding (a re-match gives one body to a thousand components).
#[derive(Clone, PartialEq, Eq)]
pub struct Body(std::sync::Arc<(String, [u8; 16])>);

impl Body {
    /// The key it is stored under ([`body_hash`] of the JSON).
    pub fn hash(&self) -> &[u8; 16] {
        &self.0.1
    }
}

impl From<String> for Body {
    fn from(json: String) -> Self {
        let h = body_hash(&json);
        Self(std::sync::Arc::new((json, h)))
    }
}

impl From<&str> for Body {
    fn from(json: &str) -> Self {
        json.to_string().into()
    }
}

impl std::ops::Deref for Body {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0.0
    }
}

impl std::fmt::Display for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// One component of a new artifact.
#[derive(Debug, Clone)]
pub struct NewComponent {
    pub package: Package,
    /// The key it is matched under (`None`: cannot be matched; listed, never re-matched).
    pub key: Option<Key>,
    pub findings: Vec<StoredFinding>,
}

/// A new artifact, stored in one transaction.
#[derive(Debug, Clone)]
pub struct NewArtifact {
    pub meta: ArtifactMeta,
    /// The report target without packages (os, notes), JSON.
    pub target: String,
    pub components: Vec<NewComponent>,
}

/// A stored component, for re-matching.
#[derive(Debug, Clone)]
pub struct ComponentRow {
    pub artifact: String,
    pub idx: u64,
    pub package: Package,
}

/// Where a stored component is: its artifact's row number in the store and its index there.
/// Sorted, the components of one artifact are together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentRef {
    pub artifact: i64,
    pub idx: u64,
}

/// The new findings of one component after a re-match.
#[derive(Debug, Clone)]
pub struct ComponentUpdate {
    pub artifact: String,
    pub package_id: String,
    pub findings: Vec<StoredFinding>,
}

/// A stored artifact with everything its report needs.
#[derive(Debug, Clone)]
pub struct ArtifactFull {
    pub meta: ArtifactMeta,
    pub target: String,
    /// In stored order (a finding's `package` index is a position here).
    pub packages: Vec<Package>,
    pub findings: Vec<String>,
    /// [`Fingerprint`] of this state, read in the same transaction.
    pub fingerprint: [u8; 32],
}

/// A digest of what an artifact's report is built from in the store: its row (sequence number,
/// revision, name, kind, digest, times, counts) and its target. The revision goes up in every
/// transaction that changes one of its findings (a re-match, by any replica, including a body
/// change that raises no event) or its components (a re-catalog), so the findings need not be
/// read to know the report is the same. Two reads with the same fingerprint build the same
/// report (for the same vulnerability DB).
pub(crate) struct Fingerprint(sha2::Sha256);

impl Fingerprint {
    pub(crate) fn new(seq: i64, rev: i64, meta: &ArtifactMeta, target: &str) -> Self {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(seq.to_le_bytes());
        h.update(rev.to_le_bytes());
        for part in [
            meta.id.as_str(),
            &meta.name,
            &meta.kind,
            &meta.digest,
            &meta.created,
            &meta.updated,
            target,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(meta.components.to_le_bytes());
        h.update(meta.findings.to_le_bytes());
        Self(h)
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        use sha2::Digest;
        self.0.finalize().into()
    }
}

/// One event (`finding.new`, `finding.resolved`).
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub seq: i64,
    /// The `webhook-id` of its deliveries.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub artifact: String,
    pub vuln_id: String,
    pub created: String,
    /// The Standard Webhooks payload, as sent.
    #[serde(skip)]
    pub payload: String,
}

/// A registered webhook.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// Event types; empty = every type.
    pub events: Vec<String>,
    pub created: String,
    #[serde(skip)]
    pub secret: String,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRow {
    pub attempt: u32,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One delivery of one event to one webhook.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook: String,
    /// The event id (= the `webhook-id` header).
    pub event: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
    pub created: String,
    pub updated: String,
    pub history: Vec<AttemptRow>,
}

/// A delivery taken for one attempt.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub msg_id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery.
    pub id: String,
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
    /// When to try again (`None` after a failure: dead letter).
    pub next_ms: Option<i64>,
}

impl Attempt {
    /// The state the delivery goes to, and when it is next due (or when it settled).
    fn outcome(&self) -> (&'static str, i64) {
        match (self.delivered, self.next_ms) {
            (true, _) => ("delivered", self.at_ms),
            (false, Some(t)) => ("pending", t),
            (false, None) => ("dead", self.at_ms),
        }
    }
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub artifacts: u64,
    pub components: u64,
    pub pending_advisories: u64,
    pub pending_deliveries: u64,
    pub dead_deliveries: u64,
    pub events: u64,
}

/// The server's state.
pub trait Store: Send + Sync {
    /// Store an artifact with its components and findings (all or nothing).
    fn insert_artifact(&self, a: &NewArtifact) -> Result<()>;
    /// Artifacts in upload order, after the cursor.
    fn list_artifacts(&self, after: Option<&str>, limit: usize) -> Result<Vec<ArtifactMeta>>;
    fn artifact(&self, id: &str) -> Result<Option<ArtifactMeta>>;
    fn artifact_full(&self, id: &str) -> Result<Option<ArtifactFull>>;
    /// The artifact's [`Fingerprint`] as [`Store::artifact_full`] would give it, without reading
    /// its packages or finding JSON; `None` when it is gone.
    fn artifact_fingerprint(&self, id: &str) -> Result<Option<[u8; 32]>>;
    /// Delete an artifact, its components and findings (events stay).
    fn delete_artifact(&self, id: &str) -> Result<bool>;

    /// The advisory fingerprints of the DB revision last matched.
    fn advisory_state(&self) -> Result<Vec<(String, [u8; 32])>>;
    /// Record a new DB revision: set (`Some`) or drop (`None`) fingerprints and queue the
    /// advisories to re-match, in one transaction.
    fn record_db_change(&self, changes: &[(String, Option<[u8; 32]>)]) -> Result<()>;
    /// Advisories waiting to be re-matched (oldest first).
    fn pending_advisories(&self, limit: usize) -> Result<Vec<String>>;
    /// How many advisories wait to be re-matched (what `/readyz` says: cheap, unlike
    /// [`Store::counts`], which counts every stored component).
    fn pending_advisory_count(&self) -> Result<u64>;
    /// Where the stored components matched under one of `keys`, or with a finding from one of
    /// `advisories`, are: sorted by artifact and index, each once. Only the places are read
    /// (16 bytes a component), so a delta re-match can take its components artifact by
    /// artifact with [`Store::components_at`].
    fn component_refs(&self, keys: &[Key], advisories: &[String]) -> Result<Vec<ComponentRef>>;
    /// The components at `refs` (as [`Store::component_refs`] gave them), in that order; the
    /// ones gone since (their artifact was deleted) are left out.
    fn components_at(&self, refs: &[ComponentRef]) -> Result<Vec<ComponentRow>>;
    /// Every stored component of one artifact (a full re-match).
    fn components_of(&self, artifact: &str) -> Result<Vec<ComponentRow>>;
    /// Replace the findings of re-matched components, record the finding changes as events
    /// (per artifact and finding id: `finding.new` when it appears, `finding.resolved` when it
    /// goes), queue their deliveries, and drop `done` from the pending advisories: one
    /// transaction. Returns the number of events.
    fn apply_rematch(
        &self,
        done: &[String],
        updates: &[ComponentUpdate],
        now_ms: i64,
    ) -> Result<usize>;

    fn events(&self, after: i64, limit: usize) -> Result<Vec<EventRow>>;

    fn create_webhook(&self, w: &WebhookRow) -> Result<()>;
    fn webhooks(&self) -> Result<Vec<WebhookRow>>;
    fn webhook(&self, id: &str) -> Result<Option<WebhookRow>>;
    fn delete_webhook(&self, id: &str) -> Result<bool>;
    fn deliveries(&self, webhook: &str, limit: usize) -> Result<Vec<DeliveryRow>>;
    /// Take up to `limit` due deliveries for one attempt; each is leased until `now + lease`
    /// (a crash mid-attempt makes it due again: at least once).
    fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>>;
    /// Record attempts, all in one transaction: each delivered, to retry at `next_ms`, or dead
    /// (`next_ms` `None` on failure). Deliveries gone meanwhile (webhook deleted) are skipped.
    fn finish_attempts(&self, attempts: &[Attempt]) -> Result<()>;
    /// Make a delivery due now with a fresh retry budget. `false` when unknown.
    fn redeliver(&self, webhook: &str, delivery: &str, now_ms: i64) -> Result<bool>;
    /// When the next pending delivery is due, if any.
    fn next_delivery_due(&self) -> Result<Option<i64>>;

    fn counts(&self) -> Result<Counts>;
    /// Bytes the store uses on disk.
    fn size_bytes(&self) -> u64;

    /// Finding events per UTC day (the dashboard's "what changed"), newest day first, at most
    /// `days` days.
    fn event_days(&self, days: usize) -> Result<Vec<DayCount>>;
    /// The newest `limit` events, newest first.
    fn recent_events(&self, limit: usize) -> Result<Vec<EventRow>>;

    // Jobs (images to pull and catalog, Harbor scan requests) and watched image tags.

    /// Queue a job.
    fn create_job(&self, id: &str, kind: &str, params: &str, now_ms: i64) -> Result<()>;
    fn job(&self, id: &str) -> Result<Option<JobRow>>;
    /// The parameters a job was queued with (they may hold a registry credential: never shown).
    fn job_params(&self, id: &str) -> Result<Option<String>>;
    /// Take up to `limit` jobs that are queued, or running with a lease that ran out (a crashed
    /// holder), oldest first: each becomes `running`, held by `owner` until `now + lease`. The
    /// shape of a PostgreSQL queue taken with `FOR UPDATE SKIP LOCKED`.
    fn claim_jobs(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<JobRow>>;
    /// Extend the lease of a job `owner` still holds. `false` when it no longer holds it.
    fn renew_job(&self, id: &str, owner: &str, until_ms: i64) -> Result<bool>;
    /// End a job `owner` holds as failed, with the reason.
    fn fail_job(&self, id: &str, owner: &str, error: &str, now_ms: i64) -> Result<()>;
    /// Queue every running job again: the embedded store belongs to one process, so at start
    /// whatever was running was cut short by a crash.
    fn requeue_running_jobs(&self) -> Result<usize>;
    /// Store a job's artifact, or with `reuse` link the artifact of the same name and digest
    /// when there is one; create its watch when given (`(reference, next check)`); mark the job
    /// done. One transaction, and nothing when `owner` no longer holds the job (then `None`).
    /// Returns the artifact id.
    fn finish_image_job(
        &self,
        job: &str,
        owner: &str,
        a: &NewArtifact,
        watch: Option<(&str, i64)>,
        reuse: bool,
        now_ms: i64,
    ) -> Result<Option<String>>;
    /// Take up to `limit` due watches; each is leased by moving its next check to `now + lease`.
    fn claim_watches(&self, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<WatchRow>>;
    /// A check that found the digest unchanged (or failed, `error`); the next is due at
    /// `next_ms`.
    fn checked_watch(
        &self,
        artifact: &str,
        now_ms: i64,
        next_ms: i64,
        error: Option<&str>,
    ) -> Result<()>;
    /// Replace a watched artifact's digest, target, components and findings with a new catalog
    /// (`a.meta.id` names it), record the `finding.new` / `finding.resolved` events and their
    /// deliveries, and count the re-catalog on its watch: one transaction. Returns the number of
    /// events, `None` when the artifact is gone.
    fn recatalog(&self, a: &NewArtifact, now_ms: i64, next_ms: i64) -> Result<Option<usize>>;
    /// Every watched tag.
    fn watches(&self) -> Result<Vec<WatchRow>>;
    /// Jobs queued and running.
    fn job_queue(&self) -> Result<(u64, u64)>;
}

/// A job: an image to pull and catalog (`image`) or a Harbor scan request (`harbor`).
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The artifact it stored (done only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// Times it was taken (more than 1: resumed after a crash).
    pub attempts: u32,
    pub created: String,
    pub updated: String,
}

/// A watched image tag.
#[derive(Debug, Clone, Serialize)]
pub struct WatchRow {
    pub artifact: String,
    #[serde(rename = "ref")]
    pub reference: String,
    /// The manifest digest last cataloged.
    pub digest: String,
    /// Manifest checks made.
    pub checks: u64,
    /// Checks that found a new digest and cataloged it again.
    pub recatalogs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_check: Option<String>,
    pub next_check: String,
    /// Why the last check failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The events of one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `finding.new` events.
    pub new: u64,
    /// `finding.resolved` events.
    pub resolved: u64,
}

/// The Standard Webhooks payload of an event:
/// `{"type", "timestamp", "data": {"artifact": {id, name, digest}, "findings": [...]}}`, the
/// findings in the scan JSON schema.
pub fn event_payload(
    kind: &str,
    now_ms: i64,
    artifact: (&str, &str, &str),
    findings: &[String],
) -> String {
    let findings: Vec<serde_json::Value> = findings
        .iter()
        .filter_map(|f| serde_json::from_str(f).ok())
        .collect();
    let secs = now_ms.max(0) / 1000;
    let ms = now_ms.max(0) % 1000;
    let base = sekisho_finding::time::rfc3339(secs as u64);
    let timestamp = format!("{}.{ms:03}Z", base.trim_end_matches('Z'));
    serde_json::json!({
        "type": kind,
        "timestamp": timestamp,
        "data": {
            "artifact": {"id": artifact.0, "name": artifact.1, "digest": artifact.2},
            "findings": findings,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::with_package_id;
    use sekisho_finding::Finding;

    fn body(summary: &str, package_id: &str) -> String {
        serde_json::json!({
            "kind": "vulnerability", "id": "CVE-2024-1", "advisories": ["GHSA-x"],
            "aliases": ["\"package\":1,"], "package": 0, "package_id": package_id,
            "matched_name": "flask", "matched_version": "2.0.0", "ecosystem": "PyPI",
            "status": "fixed", "severity": "HIGH", "ratings": [], "summary": summary,
        })
        .to_string()
    }

    /// A body stored without its package id gets it back at the field, whatever the strings
    /// before or after hold; one stored with it, or one that is not a vulnerability, is left
    /// as it is.
    #[test]
    fn package_ids_go_back_into_bodies() {
        let parse = |j: &str| match Finding::from_json(j).unwrap() {
            Finding::Vulnerability(v) => v,
            other => panic!("{other:?}"),
        };
        // Serialised by serde as the matcher stores it: no `package_id` field.
        let mut stored = parse(&body(r#"see "package":0,"package_id":"evil" here"#, "x"));
        stored.package_id.clear();
        let json = serde_json::to_string(&Finding::Vulnerability(stored.clone())).unwrap();
        assert!(!json.contains(r#""package":0,"package_id""#), "{json}");
        for id in ["pkg-00000000000000ff", r#"we"ird\id"#] {
            let back = parse(&with_package_id(json.clone(), id));
            assert_eq!(back.package_id, id);
            assert_eq!(back.summary, stored.summary);
            assert_eq!(back.aliases, stored.aliases);
            assert_eq!(
                serde_json::to_value(Finding::Vulnerability(back)).unwrap()["summary"],
                serde_json::to_value(Finding::Vulnerability(stored.clone())).unwrap()["summary"]
            );
        }
        // Stored with it (an earlier version): unchanged.
        let old = body("s", "pkg-1");
        assert_eq!(with_package_id(old.clone(), "pkg-2"), old);
        let with_id = serde_json::to_string(&Finding::Vulnerability(parse(&old))).unwrap();
        assert_eq!(with_package_id(with_id.clone(), "pkg-2"), with_id);
        // Not a vulnerability, or not a finding at all.
        for other in [r#"{"kind":"secret","rule":"x"}"#, "", "{\"package\":"] {
            assert_eq!(with_package_id(other.to_string(), "p"), other);
        }
    }
}
