//! Matching stored components, and re-matching them when the vulnerability DB changes.
//!
//! The DB file is replaced atomically by `sekisho db import/update` (a new file renamed over the
//! old one). The watcher polls the file's identity (device, inode, size, mtime); on a change it
//! opens the new file, fingerprints every advisory ([`sekisho_vulndb::Db::fingerprints`]),
//! compares them with the fingerprints of the revision last matched (kept in the store) and, in
//! one transaction, stores the new fingerprints and queues the added, changed and withdrawn
//! advisories. The worker then takes queued advisories in batches: the stored components those
//! advisories name (by normalised ecosystem, release and package) or that have a finding from
//! one of them are matched again, and their new findings, the resulting `finding.new` /
//! `finding.resolved` events and the events' deliveries are written with the batch's removal
//! from the queue, in one transaction. A crash anywhere leaves the batch queued; doing it again
//! finds nothing changed for the components already done, so no event is duplicated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sekisho_catalog::{Catalog, Package};
use sekisho_finding::{Coverage, Finding};
use sekisho_match::MatchState;
use sekisho_policy::Policy;
use sekisho_vulndb::Db;
use sekisho_vulndb::normalize::{self, Key};

use crate::store::{ComponentRef, ComponentRow, ComponentUpdate, Store, StoredFinding};

/// The key a package is matched under, normalised as the DB stores advisory packages.
pub fn key_of(pkg: &Package) -> Option<Key> {
    let k = sekisho_match::match_key(pkg).ok()?;
    Some(normalize::key(&k.ecosystem, &k.name))
}

/// Match `packages` (position in their artifact, package) against `db`: the findings per
/// package id (their `package` index is 0: readers place them by `package_id`), and whether
/// the default policy shows each.
///
/// # Errors
/// When the DB cannot be read.
pub fn match_packages(
    db: &Db,
    packages: &[(u64, Package)],
) -> Result<HashMap<String, Vec<StoredFinding>>, String> {
    match_packages_with(db, packages, &mut MatchState::default())
}

/// [`match_packages`], keeping what was looked up in `db` in `state` for the next call against
/// the same `db`.
///
/// # Errors
/// When the DB cannot be read.
pub fn match_packages_with(
    db: &Db,
    packages: &[(u64, Package)],
    state: &mut MatchState,
) -> Result<HashMap<String, Vec<StoredFinding>>, String> {
    let cat = Catalog {
        os: None,
        packages: packages.iter().map(|(_, p)| p.clone()).collect(),
        layers: Vec::new(),
        notes: Vec::new(),
    };
    let out = sekisho_match::match_catalog_with(&cat, db, state).map_err(|e| {
        let mut s = e.to_string();
        if let Some(src) = std::error::Error::source(&e) {
            s.push_str(&format!(": {src}"));
        }
        s
    })?;
    let mut by_pkg: HashMap<String, Vec<Finding>> = HashMap::new();
    for mut v in out.findings {
        // Stored findings name their package by the row's `package_id`, and the index is set
        // by whoever renders them with a package list: the body leaves both out (the store
        // puts the id back, `store::with_package_id`), so the same finding in many artifacts is
        // the same bytes, stored once.
        v.package = 0;
        by_pkg
            .entry(v.package_id.clone())
            .or_default()
            .push(Finding::Vulnerability(v));
    }
    let policy = Policy::default();
    let mut with_id: HashMap<&str, Vec<&Package>> = HashMap::new();
    for (_, p) in packages {
        with_id.entry(p.id.as_str()).or_default().push(p);
    }
    let mut res: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    for (pid, findings) in by_pkg {
        let pkg: Vec<Package> = with_id
            .get(pid.as_str())
            .map(|ps| ps.iter().map(|p| (*p).clone()).collect())
            .unwrap_or_default();
        // Each body is written before the policy takes the findings (it needs their package
        // id, which the body leaves out).
        let mut stored = Vec::with_capacity(findings.len());
        let mut findings = findings;
        for f in &mut findings {
            let Finding::Vulnerability(v) = f else {
                continue;
            };
            let id = std::mem::take(&mut v.package_id);
            let json = serde_json::to_string(&*f).map_err(|e| e.to_string());
            let Finding::Vulnerability(v) = f else {
                continue;
            };
            v.package_id = id;
            stored.push(StoredFinding {
                package_id: pid.clone(),
                shown: false,
                vuln_id: v.id.clone(),
                advisories: v.advisories.clone(),
                json: json?.into(),
            });
        }
        let shown: std::collections::HashSet<String> = policy
            .apply(&pkg, findings)
            .findings
            .into_iter()
            .filter_map(|f| match f {
                Finding::Vulnerability(v) => Some(v.id),
                _ => None,
            })
            .collect();
        for f in &mut stored {
            f.shown = shown.contains(&f.vuln_id);
        }
        res.insert(pid, stored);
    }
    Ok(res)
}

/// Coverage of a package list against `db` (per ecosystem: packages, whether the DB has data,
/// how many advisories), computed now so a stored artifact's report says what today's DB knows.
pub fn coverage(db: Option<&Db>, packages: &[Package]) -> Vec<Coverage> {
    coverage_of(db, &ecosystem_counts(packages))
}

/// Packages per ecosystem (as matched), sorted by ecosystem: what [`coverage_of`] needs of a
/// package list.
pub fn ecosystem_counts(packages: &[Package]) -> Vec<(String, usize)> {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for p in packages {
        if let Ok(k) = sekisho_match::match_key(p) {
            *per.entry(k.ecosystem).or_default() += 1;
        }
    }
    per.into_iter().collect()
}

/// [`coverage`] from the packages per ecosystem ([`ecosystem_counts`]). The DB's answers are
/// kept by the handle, so this is cheap after the first call.
pub fn coverage_of(db: Option<&Db>, counts: &[(String, usize)]) -> Vec<Coverage> {
    counts
        .iter()
        .map(|(ecosystem, packages)| {
            let has_data = db.is_some_and(|d| d.has_data(ecosystem).unwrap_or(false));
            let advisories = if has_data {
                db.and_then(|d| d.advisories_for(ecosystem).ok())
            } else {
                Some(0)
            };
            Coverage {
                ecosystem: ecosystem.clone(),
                packages: *packages,
                has_data,
                advisories,
            }
        })
        .collect()
}

/// What identifies one revision of the DB file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdent {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

/// The file's identity now, `None` when it is missing.
pub fn file_ident(path: &Path) -> Option<FileIdent> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileIdent {
        dev: m.dev(),
        ino: m.ino(),
        size: m.len(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
    })
}

/// The DB handle in use and the state of the watcher.
pub struct Matcher {
    pub db_path: PathBuf,
    db: RwLock<Option<Arc<Db>>>,
    seen: std::sync::Mutex<Option<FileIdent>>,
    /// Why the DB could not be opened last time, if it could not.
    pub db_error: std::sync::Mutex<Option<String>>,
    /// With a shared store: the artifacts this process stored since its last look at the DB
    /// file (see [`Matcher::check`]). `None`: the store is this process's alone.
    stored: Option<std::sync::Mutex<Vec<String>>>,
}

/// Most components re-matched and written in one transaction of a batch.
const COMMIT_CHUNK: usize = 2000;

/// Match every stored component of a page of artifacts again, in one transaction.
fn rematch_page<'a>(
    db: &Db,
    store: &dyn Store,
    artifacts: impl Iterator<Item = &'a str>,
    cache: &mut MatchCache,
    pass: &mut Pass,
) -> Result<(), String> {
    let t = Instant::now();
    let mut comps = Vec::new();
    for a in artifacts {
        comps.extend(store.components_of(a).map_err(|e| e.to_string())?);
    }
    pass.read += t.elapsed();
    let t = Instant::now();
    let (updates, fresh) = cache.rematch(db, comps)?;
    pass.packages += fresh;
    pass.matched += t.elapsed();
    pass.components += updates.len();
    let t = Instant::now();
    pass.events += store
        .apply_rematch(&[], &updates, crate::ids::now_ms())
        .map_err(|e| e.to_string())?;
    pass.written += t.elapsed();
    Ok(())
}

/// What one pass of the re-match worker did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pass {
    pub advisories: usize,
    pub components: usize,
    /// Distinct packages matched (components of the same package and version match once).
    pub packages: usize,
    pub events: usize,
    /// Time spent reading components, matching them and writing the changes.
    pub read: Duration,
    pub matched: Duration,
    pub written: Duration,
}

impl Matcher {
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            db: RwLock::new(None),
            seen: std::sync::Mutex::new(None),
            db_error: std::sync::Mutex::new(None),
            stored: None,
        }
    }

    /// A matcher for a store other processes share (several replicas on PostgreSQL).
    pub fn shared(db_path: PathBuf) -> Self {
        Self {
            stored: Some(std::sync::Mutex::new(Vec::new())),
            ..Self::new(db_path)
        }
    }

    /// Note an artifact just stored with findings from the current handle (call it inside
    /// [`Matcher::with_db`]).
    pub fn note_stored(&self, id: &str) {
        if let Some(s) = &self.stored {
            s.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(id.to_string());
        }
    }

    fn take_stored(&self) -> Vec<String> {
        self.stored.as_ref().map_or_else(Vec::new, |s| {
            std::mem::take(&mut *s.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
        })
    }

    fn give_back_stored(&self, ids: Vec<String>) {
        if let Some(s) = &self.stored {
            s.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(ids);
        }
    }

    /// The DB handle in use (`None` while there is no readable DB).
    pub fn db(&self) -> Option<Arc<Db>> {
        self.db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Run `f` with the current handle while no swap can happen: an upload matched and stored
    /// under this guard is either stored before a swap (so the swap's re-match sees it) or
    /// matched against the new DB.
    pub fn with_db<T>(&self, f: impl FnOnce(Option<&Arc<Db>>) -> T) -> T {
        let g = self
            .db
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(g.as_ref())
    }

    /// Look at the DB file; when it changed, open it, diff its advisories against the last
    /// revision matched and queue the changes. Returns how many advisories were queued, `None`
    /// when nothing changed.
    ///
    /// # Errors
    /// When the store fails (a DB that cannot be opened is kept as `db_error` and retried).
    ///
    /// With a shared store, another replica may have recorded (and re-matched) a DB change
    /// before this process saw the new file, while this process was still storing uploads
    /// matched against the old one. Those uploads are re-matched here: every artifact this
    /// process stored since its previous look at an unchanged file. (Taken before the file is
    /// looked at: an upload stored before a look that found the file unchanged was stored before
    /// any replica could have recorded the change, so that replica's re-match saw it.)
    pub fn check(&self, store: &dyn Store) -> Result<Option<usize>, String> {
        let stored = self.take_stored();
        let out = self.check_file(store);
        match &out {
            Ok(Some(_)) => {
                // Stored until the swap with the old handle (the swap waited for them).
                let mut all = stored;
                all.extend(self.take_stored());
                if !all.is_empty() {
                    let pass = self.rematch_artifacts(store, &all);
                    if let Err(e) = pass {
                        self.give_back_stored(all);
                        return Err(e);
                    }
                }
            }
            Ok(None) => {
                // Dropped only when the file is (still) the one matched: otherwise a new file is
                // not read yet (it failed to open, or came just now), and the next look decides.
                let seen = *self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let unchanged =
                    self.db().is_some() && seen.is_some() && seen == file_ident(&self.db_path);
                if !unchanged {
                    self.give_back_stored(stored);
                }
            }
            Err(_) => self.give_back_stored(stored),
        }
        out
    }

    fn check_file(&self, store: &dyn Store) -> Result<Option<usize>, String> {
        let now = file_ident(&self.db_path);
        {
            let seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *seen == now && (now.is_none() || self.db().is_some()) {
                return Ok(None);
            }
        }
        let Some(ident) = now else {
            *self
                .db_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(format!(
                "no vulnerability database at {}",
                self.db_path.display()
            ));
            *self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            return Ok(None);
        };
        let db = match Db::open(&self.db_path) {
            Ok(d) => Arc::new(d),
            Err(e) => {
                *self
                    .db_error
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
                return Ok(None);
            }
        };
        // The handle may have opened a newer file than `ident` (another swap in between): then
        // the next poll sees a change again and diffs again, which finds nothing new.
        let fps = db.fingerprints().map_err(|e| e.to_string())?;
        let old = store.advisory_state().map_err(|e| e.to_string())?;
        let changes = diff(&old, &fps);
        *self
            .db
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(db);
        *self
            .db_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        if !changes.is_empty() {
            store
                .record_db_change(&changes)
                .map_err(|e| e.to_string())?;
        }
        *self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ident);
        Ok(Some(changes.len()))
    }

    /// Re-match one batch of queued advisories. `None` when the queue is empty or there is no
    /// DB to match against (the queue waits for one).
    ///
    /// # Errors
    /// Store or DB errors.
    pub fn rematch_batch(&self, store: &dyn Store, batch: usize) -> Result<Option<Pass>, String> {
        self.rematch_batch_notify(store, batch, &|| {})
    }

    /// [`Matcher::rematch_batch`], calling `events_committed` after each transaction that
    /// recorded events (so their deliveries start while the rest of the batch is matched).
    ///
    /// # Errors
    /// Store or DB errors.
    pub fn rematch_batch_notify(
        &self,
        store: &dyn Store,
        batch: usize,
        events_committed: &dyn Fn(),
    ) -> Result<Option<Pass>, String> {
        let pending = store.pending_advisories(batch).map_err(|e| e.to_string())?;
        if pending.is_empty() {
            return Ok(None);
        }
        let Some(db) = self.db() else {
            return Ok(None);
        };
        let mut keys: Vec<Key> = Vec::new();
        for id in &pending {
            keys.extend(db.affected_keys(id).map_err(|e| e.to_string())?);
        }
        keys.sort();
        keys.dedup();
        // Only where the components are is read at once (sorted by artifact); they are then
        // read, matched and written in chunks of whole artifacts, each chunk its own
        // transaction, so an artifact's findings change once per batch, the first events (and
        // their deliveries) are out while the rest is matched, and only a chunk's rows are held
        // at once. The last chunk also takes the batch off the queue. A crash in between leaves
        // the batch queued: the chunks already written match the same again and raise no event
        // twice.
        let refs = store
            .component_refs(&keys, &pending)
            .map_err(|e| e.to_string())?;
        let mut pass = Pass {
            advisories: pending.len(),
            ..Pass::default()
        };
        // Reading and matching run on their own thread, one chunk ahead of the writes (two
        // cores: the next chunk is matched while the last is written). Chunks are written in
        // order, so the batch still leaves the queue with the last one; at most three chunks
        // are held at once (being matched, waiting, being written).
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<Result<(Vec<ComponentUpdate>, bool), String>>(1);
        let db = &db;
        std::thread::scope(|scope| {
            let producer = scope.spawn(move || {
                let mut cache = MatchCache::default();
                let (mut read, mut matched, mut packages) = (Duration::ZERO, Duration::ZERO, 0);
                let mut rest = &refs[..];
                loop {
                    let (chunk, after) = rest.split_at(chunk_end(rest));
                    rest = after;
                    let last = rest.is_empty();
                    let t = Instant::now();
                    let rows = store.components_at(chunk).map_err(|e| e.to_string());
                    read += t.elapsed();
                    let t = Instant::now();
                    let out = rows.and_then(|rows| cache.rematch(db, rows));
                    matched += t.elapsed();
                    let out = out.map(|(updates, fresh)| {
                        packages += fresh;
                        (updates, last)
                    });
                    let failed = out.is_err();
                    // The writer stops at an error and drops its end: nothing more to do.
                    if tx.send(out).is_err() || failed || last {
                        return (read, matched, packages);
                    }
                }
            });
            let written = (|| {
                for out in &rx {
                    let (updates, last) = out?;
                    pass.components += updates.len();
                    let done: &[String] = if last { &pending } else { &[] };
                    let t = Instant::now();
                    let events = store
                        .apply_rematch(done, &updates, crate::ids::now_ms())
                        .map_err(|e| e.to_string())?;
                    pass.written += t.elapsed();
                    if events > 0 {
                        events_committed();
                    }
                    pass.events += events;
                    if last {
                        return Ok(());
                    }
                }
                Err("the re-match stopped before its last chunk".to_string())
            })();
            drop(rx);
            let (read, matched, packages) = producer
                .join()
                .map_err(|_| "the re-match thread panicked".to_string())?;
            pass.read = read;
            pass.matched = matched;
            pass.packages = packages;
            written.map(|()| Some(pass))
        })
    }

    /// Match every stored component of `artifacts` again (gone ones are skipped).
    ///
    /// # Errors
    /// Store or DB errors.
    pub fn rematch_artifacts(
        &self,
        store: &dyn Store,
        artifacts: &[String],
    ) -> Result<Pass, String> {
        let Some(db) = self.db() else {
            return Err("no vulnerability database".into());
        };
        let mut pass = Pass::default();
        let mut cache = MatchCache::default();
        let mut ids: Vec<&String> = artifacts.iter().collect();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(200) {
            rematch_page(
                &db,
                store,
                chunk.iter().map(|a| a.as_str()),
                &mut cache,
                &mut pass,
            )?;
        }
        Ok(pass)
    }

    /// Match every stored component of every artifact again (the full re-match).
    ///
    /// # Errors
    /// Store or DB errors.
    pub fn rematch_all(&self, store: &dyn Store) -> Result<Pass, String> {
        let Some(db) = self.db() else {
            return Err("no vulnerability database".into());
        };
        let mut pass = Pass::default();
        let mut cache = MatchCache::default();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_artifacts(after.as_deref(), 200)
                .map_err(|e| e.to_string())?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            rematch_page(
                &db,
                store,
                page.iter().map(|a| a.id.as_str()),
                &mut cache,
                &mut pass,
            )?;
        }
        Ok(pass)
    }
}

/// Advisories added or changed (`Some(new fingerprint)`) and removed (`None`). Both lists are
/// sorted by id.
pub fn diff(
    old: &[(String, [u8; 32])],
    new: &[(String, [u8; 32])],
) -> Vec<(String, Option<[u8; 32]>)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.0 == n.0 => {
                if o.1 != n.1 {
                    out.push((n.0.clone(), Some(n.1)));
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.0 < n.0 => {
                out.push((o.0.clone(), None));
                i += 1;
            }
            (Some(_), Some(n)) => {
                out.push((n.0.clone(), Some(n.1)));
                j += 1;
            }
            (Some(o), None) => {
                out.push((o.0.clone(), None));
                i += 1;
            }
            (None, Some(n)) => {
                out.push((n.0.clone(), Some(n.1)));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// What a finding depends on in its package: everything but where the package was found and
/// its id (the stored findings name it by the row's package id, not in their bodies).
fn match_identity(p: &Package) -> Result<String, String> {
    let mut q = p.clone();
    q.id = String::new();
    q.locations = Vec::new();
    q.layer = None;
    q.files = Vec::new();
    q.licenses = Vec::new();
    serde_json::to_string(&q).map_err(|e| e.to_string())
}

/// Most distinct packages matched in one call (one catalog: alias ratings and coverage are
/// looked up once per call).
const MATCH_CHUNK: usize = 2000;

/// How far the first chunk of `refs` goes: [`COMMIT_CHUNK`] components, then on to the end of
/// the last artifact in it (one artifact's findings change in one transaction), but never past
/// twice that (an artifact with more is split; each part is still right on its own).
fn chunk_end(refs: &[ComponentRef]) -> usize {
    let mut end = refs.len().min(COMMIT_CHUNK);
    let cap = refs.len().min(2 * COMMIT_CHUNK);
    while end > 0 && end < cap && refs[end].artifact == refs[end - 1].artifact {
        end += 1;
    }
    end
}

/// Most bytes of finding JSON a [`MatchCache`] holds before it starts again.
const MATCH_CACHE_BYTES: usize = 64 << 20;

/// The findings of each distinct package matched so far in one pass against one DB (the same
/// name and version in a thousand artifacts is matched once per pass, not once per chunk), and
/// the advisories looked up for them (a package's advisories are read and parsed once per
/// pass, not once per version or chunk).
struct MatchCache {
    /// One per matching thread; a package name always goes to the same one
    /// ([`MatchCache::part`]), so no name's advisories are prepared twice.
    states: Vec<MatchState>,
    /// Match identity ([`match_identity`]) to its slot.
    slot: HashMap<String, usize>,
    /// Per slot: the findings (found for the stand-in package id `m<slot>`; their bodies do not
    /// name it).
    found: Vec<Vec<StoredFinding>>,
    bytes: usize,
}

impl Default for MatchCache {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        Self {
            states: (0..threads).map(|_| MatchState::default()).collect(),
            slot: HashMap::new(),
            found: Vec::new(),
            bytes: 0,
        }
    }
}

/// A stand-in package id and its findings.
type Matched = (String, Vec<StoredFinding>);

/// Fewest packages matched afresh worth a second thread.
const PARALLEL_MATCH_MIN: usize = 64;

impl MatchCache {
    /// Which matching thread (and state) takes packages named `name`.
    fn part(&self, name: &str) -> usize {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(name);
        (h % self.states.len() as u64) as usize
    }

    /// Match each distinct package of `comps` not matched before (in chunks), then give every
    /// component its findings under its own package id. Also says how many packages were
    /// matched afresh.
    fn rematch(
        &mut self,
        db: &Db,
        comps: Vec<ComponentRow>,
    ) -> Result<(Vec<ComponentUpdate>, usize), String> {
        if self.bytes > MATCH_CACHE_BYTES {
            *self = Self::default();
        }
        let mut fresh: Vec<Package> = Vec::new();
        let mut which: Vec<usize> = Vec::with_capacity(comps.len());
        for c in &comps {
            let k = match_identity(&c.package)?;
            let n = self.found.len() + fresh.len();
            let i = *self.slot.entry(k).or_insert(n);
            if i == n {
                let mut stand_in = c.package.clone();
                stand_in.id = format!("m{i}");
                fresh.push(stand_in);
            }
            which.push(i);
        }
        let base = self.found.len();
        self.found.resize(base + fresh.len(), Vec::new());
        // Split by package name over the matching threads (each with its own state); a small
        // batch is matched on this thread alone.
        let mut parts: Vec<Vec<Package>> = vec![Vec::new(); self.states.len()];
        let fresh_count = fresh.len();
        for p in fresh {
            let k = if fresh_count < PARALLEL_MATCH_MIN {
                0
            } else {
                self.part(&p.name)
            };
            parts[k].push(p);
        }
        let run = |state: &mut MatchState, part: &[Package]| {
            let mut out = Vec::new();
            for chunk in part.chunks(MATCH_CHUNK) {
                let batch: Vec<(u64, Package)> = chunk
                    .iter()
                    .enumerate()
                    .map(|(j, p)| (j as u64, p.clone()))
                    .collect();
                out.extend(match_packages_with(db, &batch, state)?);
            }
            Ok::<_, String>(out)
        };
        let results: Vec<Result<Vec<Matched>, String>> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut states = self.states.iter_mut().zip(&parts);
            let here = states.next();
            for (state, part) in states {
                if !part.is_empty() {
                    handles.push(scope.spawn(move || run(state, part)));
                }
            }
            let mut out = vec![here.map_or(Ok(Vec::new()), |(st, part)| run(st, part))];
            for h in handles {
                out.push(
                    h.join()
                        .unwrap_or_else(|_| Err("a matching thread panicked".to_string())),
                );
            }
            out
        });
        for r in results {
            for (id, fs) in r? {
                let i: usize = id
                    .strip_prefix('m')
                    .and_then(|n| n.parse().ok())
                    .filter(|i| (base..base + fresh_count).contains(i))
                    .ok_or_else(|| format!("match returned unknown package id {id}"))?;
                self.bytes += fs.iter().map(|f| f.json.len()).sum::<usize>();
                self.found[i] = fs;
            }
        }
        let mut updates = Vec::with_capacity(comps.len());
        for (c, i) in comps.into_iter().zip(which) {
            // The bodies leave the package id out: the same for every component.
            let findings = self.found[i]
                .iter()
                .map(|f| StoredFinding {
                    package_id: c.package.id.clone(),
                    ..f.clone()
                })
                .collect();
            updates.push(ComponentUpdate {
                artifact: c.artifact,
                package_id: c.package.id,
                findings,
            });
        }
        Ok((updates, fresh_count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_sorted_lists() {
        let a = [0u8; 32];
        let b = [1u8; 32];
        let old = vec![
            ("A".to_string(), a),
            ("B".to_string(), a),
            ("D".to_string(), a),
        ];
        let new = vec![
            ("B".to_string(), b),
            ("C".to_string(), a),
            ("D".to_string(), a),
        ];
        assert_eq!(
            diff(&old, &new),
            vec![
                ("A".to_string(), None),
                ("B".to_string(), Some(b)),
                ("C".to_string(), Some(a)),
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    /// Identical packages in many artifacts are matched once, and every component still gets
    /// the findings under its own package id (in the stored JSON too), while a different
    /// version of the same package gets its own answer.
    #[test]
    fn rematch_matches_each_distinct_package_once_and_names_each_component() {
        let dir = tempfile::tempdir().unwrap();
        let adv = dir.path().join("GHSA-test-0001.json");
        std::fs::write(
            &adv,
            r#"{"id":"GHSA-test-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
            "affected":[{"package":{"ecosystem":"PyPI","name":"flask"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.5"}]}]}]}"#,
        )
        .unwrap();
        let db_path = dir.path().join("db.sqlite");
        sekisho_vulndb::import::import_paths(
            &db_path,
            &[adv],
            &sekisho_vulndb::import::ImportOptions::default(),
        )
        .unwrap();
        let db = Db::open(&db_path).unwrap();
        let pkg = |id: &str, version: &str, loc: &str| Package {
            id: id.into(),
            name: "flask".into(),
            version: version.into(),
            kind: sekisho_catalog::PackageKind::Python,
            ecosystem: Some("PyPI".into()),
            purl: format!("pkg:pypi/flask@{version}"),
            source: None,
            licenses: Vec::new(),
            arch: None,
            modularity_label: None,
            locations: vec![loc.into()],
            layer: None,
            files: Vec::new(),
        };
        let comps = vec![
            ComponentRow {
                artifact: "a1".into(),
                idx: 0,
                package: pkg("pkg-0000000000000001", "2.0.0", "app/requirements.txt"),
            },
            ComponentRow {
                artifact: "a2".into(),
                idx: 3,
                package: pkg("pkg-00000000000000ff", "2.0.0", "srv/poetry.lock"),
            },
            ComponentRow {
                artifact: "a3".into(),
                idx: 1,
                package: pkg("pkg-0000000000000002", "3.0.0", "app/requirements.txt"),
            },
        ];
        let mut cache = MatchCache::default();
        let (up, fresh) = cache.rematch(&db, comps.clone()).unwrap();
        assert_eq!(up.len(), 3);
        assert_eq!(fresh, 2, "the first two components are one package");
        for (u, (artifact, id)) in up.iter().zip([
            ("a1", "pkg-0000000000000001"),
            ("a2", "pkg-00000000000000ff"),
        ]) {
            assert_eq!((u.artifact.as_str(), u.package_id.as_str()), (artifact, id));
            assert_eq!(u.findings.len(), 1, "{u:?}");
            let f = &u.findings[0];
            assert_eq!(f.package_id, id);
            assert!(f.shown);
            // The body leaves the package out; the store puts the row's id back in.
            let v: serde_json::Value = serde_json::from_str(&f.json).unwrap();
            assert_eq!(v.get("package_id"), None, "{}", f.json);
            assert_eq!(v["fixed_version"], "2.2.5", "{}", f.json);
            let stamped: serde_json::Value =
                serde_json::from_str(&crate::store::with_package_id(f.json.to_string(), id))
                    .unwrap();
            assert_eq!(stamped["package_id"], id);
        }
        assert_eq!(up[2].package_id, "pkg-0000000000000002");
        assert!(up[2].findings.is_empty(), "3.0.0 is fixed: {:?}", up[2]);
        // A later chunk of the same pass takes the kept matches: the same findings, bytes and
        // all, and nothing matched again.
        let kept = cache.found.len();
        let (again, fresh) = cache
            .rematch(&db, comps.into_iter().rev().collect())
            .unwrap();
        assert_eq!(cache.found.len(), kept, "no package matched twice");
        assert_eq!(fresh, 0);
        for (a, b) in again.iter().rev().zip(&up) {
            assert_eq!((&a.artifact, &a.package_id), (&b.artifact, &b.package_id));
            let json = |u: &ComponentUpdate| {
                u.findings
                    .iter()
                    .map(|f| f.json.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(json(a), json(b));
        }
    }

    #[test]
    fn chunks_end_with_an_artifact() {
        let refs = |sizes: &[usize]| -> Vec<ComponentRef> {
            sizes
                .iter()
                .enumerate()
                .flat_map(|(a, n)| {
                    (0..*n).map(move |idx| ComponentRef {
                        artifact: a as i64,
                        idx: idx as u64,
                    })
                })
                .collect()
        };
        assert_eq!(chunk_end(&[]), 0);
        assert_eq!(chunk_end(&refs(&[3, 4])), 7);
        // Exactly at an artifact's end.
        assert_eq!(chunk_end(&refs(&[COMMIT_CHUNK, 5])), COMMIT_CHUNK);
        // On to the end of the artifact the chunk reached into.
        assert_eq!(
            chunk_end(&refs(&[COMMIT_CHUNK - 1, 10, 5])),
            COMMIT_CHUNK + 9
        );
        // An artifact larger than twice a chunk is split.
        assert_eq!(chunk_end(&refs(&[1, 3 * COMMIT_CHUNK])), 2 * COMMIT_CHUNK);
    }

    use crate::store::NewArtifact;

    /// Import PyPI advisories `(id, package)`.
    fn import(db: &Path, dir: &Path, advisories: &[(&str, &str)]) {
        let all: Vec<(&str, &str, &str)> = advisories
            .iter()
            .map(|(id, pkg)| (*id, "PyPI", *pkg))
            .collect();
        crate::test_support::import(db, dir, &all);
    }

    /// Match `flask 2.0.0` with `m`'s current DB and store it, as an upload does.
    fn upload(m: &Matcher, store: &dyn Store, id: &str) {
        m.with_db(|db| {
            let mut p = sekisho_catalog::lang::package(
                sekisho_catalog::PackageKind::Python,
                "flask",
                "2.0.0",
            );
            p.id = "pkg-0000000000000001".into();
            let mut found = match_packages(db.unwrap(), &[(0, p.clone())]).unwrap();
            let findings = found.remove(&p.id).unwrap_or_default();
            let meta = crate::store::ArtifactMeta {
                id: id.into(),
                name: id.into(),
                kind: "sbom".into(),
                digest: format!("sha256:{id}"),
                created: "2024-01-01T00:00:00.000Z".into(),
                updated: "2024-01-01T00:00:00.000Z".into(),
                components: 1,
                findings: findings.len() as u64,
            };
            store
                .insert_artifact(&NewArtifact {
                    meta,
                    target: "{}".into(),
                    components: vec![crate::store::NewComponent {
                        key: key_of(&p),
                        package: p,
                        findings,
                    }],
                })
                .unwrap();
            m.note_stored(id);
        });
    }

    fn finding_ids(store: &dyn Store, id: &str) -> Vec<String> {
        let a = store.artifact_full(id).unwrap().unwrap();
        a.findings
            .iter()
            .map(|f| {
                let v: serde_json::Value = serde_json::from_str(f).unwrap();
                v["id"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// Two replicas on one shared store: B sees the new DB file first, records the change and
    /// re-matches what is stored, while A, still on the old file, stores an upload matched
    /// against it. A's next look re-matches that upload, so its finding is not lost; an upload
    /// stored before the change is left to B's re-match, and events are raised once.
    #[test]
    fn an_upload_matched_against_the_old_db_by_another_replica_is_matched_again() {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("db.sqlite");
        import(&db_path, dir.path(), &[("GHSA-test-django", "django")]);
        let store = crate::store::sqlite::SqliteStore::open(&dir.path().join("state")).unwrap();
        let a = Matcher::shared(db_path.clone());
        let b = Matcher::shared(db_path.clone());
        assert!(a.check(&store).unwrap().is_some());
        assert!(b.check(&store).unwrap().is_some());
        upload(&a, &store, "early");
        assert_eq!(a.check(&store).unwrap(), None, "unchanged file");
        assert!(a.stored.as_ref().unwrap().lock().unwrap().is_empty());

        // The DB changes; the file's identity must differ (a new inode from the atomic swap).
        import(
            &db_path,
            dir.path(),
            &[("GHSA-test-django", "django"), ("GHSA-test-flask", "flask")],
        );
        assert!(b.check(&store).unwrap().is_some(), "B records the change");
        // Deliveries are woken after each transaction that recorded events.
        let woken = std::cell::Cell::new(0);
        while let Some(p) = b
            .rematch_batch_notify(&store, 100, &|| woken.set(woken.get() + 1))
            .unwrap()
        {
            assert!(p.advisories > 0);
        }
        assert_eq!(woken.get(), 1);
        assert_eq!(finding_ids(&store, "early"), ["GHSA-test-flask"]);
        let events = store.events(0, 100).unwrap().len();
        assert_eq!(events, 1);

        upload(&a, &store, "late");
        assert!(
            finding_ids(&store, "late").is_empty(),
            "matched against the old DB"
        );
        assert_eq!(
            a.check(&store).unwrap(),
            Some(0),
            "no advisory left to queue"
        );
        assert_eq!(finding_ids(&store, "late"), ["GHSA-test-flask"]);
        assert_eq!(finding_ids(&store, "early"), ["GHSA-test-flask"]);
        let ev = store.events(0, 100).unwrap();
        assert_eq!(ev.len(), 2, "one more event, for the late upload: {ev:?}");
        assert_eq!(ev[1].artifact, "late");
        assert_eq!(ev[1].kind, "finding.new");

        // An embedded store belongs to one process: no list, nothing re-matched.
        let solo = Matcher::new(db_path);
        assert_eq!(solo.check(&store).unwrap(), Some(0));
        upload(&solo, &store, "solo");
        assert!(solo.stored.is_none());
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::store::{ArtifactMeta, NewArtifact, NewComponent};

    /// A delta re-match over many keys and more components than one transaction: every
    /// component is matched once, each transaction with events wakes the deliveries, and the
    /// batch leaves the queue with the last one.
    #[test]
    fn a_batch_is_written_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("db.sqlite");
        let names: Vec<String> = (0..19).map(|i| format!("pkg{i}")).collect();
        let write = |with: &[String]| {
            let ids: Vec<String> = with.iter().map(|n| format!("GHSA-{n}")).collect();
            let all: Vec<(&str, &str, &str)> = ids
                .iter()
                .zip(with)
                .map(|(id, n)| (id.as_str(), "PyPI", n.as_str()))
                .collect();
            crate::test_support::import(&db_path, dir.path(), &all);
        };
        write(&names[..1]);
        let store = crate::store::sqlite::SqliteStore::open(&dir.path().join("state")).unwrap();
        let m = Matcher::new(db_path.clone());
        assert!(m.check(&store).unwrap().is_some());
        let per_artifact = 500;
        let artifacts = COMMIT_CHUNK / per_artifact + 1;
        for a in 0..artifacts {
            let components = (0..per_artifact)
                .map(|i| {
                    let mut package = sekisho_catalog::lang::package(
                        sekisho_catalog::PackageKind::Python,
                        &names[1 + i % (names.len() - 1)],
                        "1.0",
                    );
                    package.id = format!("pkg-{i:016}");
                    NewComponent {
                        key: key_of(&package),
                        package,
                        findings: Vec::new(),
                    }
                })
                .collect();
            store
                .insert_artifact(&NewArtifact {
                    meta: ArtifactMeta {
                        id: format!("art{a}"),
                        name: format!("art{a}"),
                        kind: "sbom".into(),
                        digest: format!("sha256:{a}"),
                        created: "2024-01-01T00:00:00.000Z".into(),
                        updated: "2024-01-01T00:00:00.000Z".into(),
                        components: per_artifact as u64,
                        findings: 0,
                    },
                    target: "{}".into(),
                    components,
                })
                .unwrap();
        }
        // Every other package gets an advisory.
        write(&names);
        assert_eq!(m.check(&store).unwrap(), Some(names.len() - 1));
        let woken = std::cell::Cell::new(0);
        let pass = m
            .rematch_batch_notify(&store, 1000, &|| woken.set(woken.get() + 1))
            .unwrap()
            .unwrap();
        let total = artifacts * per_artifact;
        // With the first import's, still queued (no component names it).
        assert_eq!(pass.advisories, names.len());
        assert_eq!(pass.components, total, "each component matched once");
        let events = artifacts * (names.len() - 1);
        assert_eq!(
            pass.events, events,
            "one finding.new per artifact and advisory"
        );
        assert_eq!(woken.get(), total.div_ceil(COMMIT_CHUNK));
        assert!(store.pending_advisories(10).unwrap().is_empty());
        assert!(m.rematch_batch(&store, 1000).unwrap().is_none());
        assert_eq!(store.events(0, 10_000).unwrap().len(), events);
        let shown: u64 = (0..artifacts)
            .map(|a| {
                store
                    .artifact(&format!("art{a}"))
                    .unwrap()
                    .unwrap()
                    .findings
            })
            .sum();
        assert_eq!(shown, total as u64, "every component has its finding");
    }
}
