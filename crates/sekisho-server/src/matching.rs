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

use sekisho_catalog::{Catalog, Package};
use sekisho_finding::{Coverage, Finding};
use sekisho_policy::Policy;
use sekisho_vulndb::Db;
use sekisho_vulndb::normalize::{self, Key};

use crate::store::{ComponentRow, ComponentUpdate, Store, StoredFinding};

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
    let cat = Catalog {
        os: None,
        packages: packages.iter().map(|(_, p)| p.clone()).collect(),
        layers: Vec::new(),
        notes: Vec::new(),
    };
    let out = sekisho_match::match_catalog(&cat, db).map_err(|e| {
        let mut s = e.to_string();
        if let Some(src) = std::error::Error::source(&e) {
            s.push_str(&format!(": {src}"));
        }
        s
    })?;
    let mut by_pkg: HashMap<String, Vec<Finding>> = HashMap::new();
    for mut v in out.findings {
        // Stored findings name their package by `package_id`; the index is set by whoever
        // renders them with a package list, so identical findings in many artifacts are
        // identical bytes (stored once).
        v.package = 0;
        by_pkg
            .entry(v.package_id.clone())
            .or_default()
            .push(Finding::Vulnerability(v));
    }
    let policy = Policy::default();
    let mut res: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    for (pid, findings) in by_pkg {
        let pkg: Vec<Package> = packages
            .iter()
            .filter(|(_, p)| p.id == pid)
            .map(|(_, p)| p.clone())
            .collect();
        let shown: Vec<String> = policy
            .apply(&pkg, findings.clone())
            .findings
            .iter()
            .filter_map(|f| match f {
                Finding::Vulnerability(v) => Some(v.id.clone()),
                _ => None,
            })
            .collect();
        let mut stored = Vec::new();
        for f in findings {
            let Finding::Vulnerability(v) = &f else {
                continue;
            };
            stored.push(StoredFinding {
                package_id: pid.clone(),
                vuln_id: v.id.clone(),
                shown: shown.contains(&v.id),
                advisories: v.advisories.clone(),
                json: serde_json::to_string(&f).map_err(|e| e.to_string())?,
            });
        }
        res.insert(pid, stored);
    }
    Ok(res)
}

/// Coverage of a package list against `db` (per ecosystem: packages, whether the DB has data,
/// how many advisories), computed now so a stored artifact's report says what today's DB knows.
pub fn coverage(db: Option<&Db>, packages: &[Package]) -> Vec<Coverage> {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for p in packages {
        if let Ok(k) = sekisho_match::match_key(p) {
            *per.entry(k.ecosystem).or_default() += 1;
        }
    }
    per.into_iter()
        .map(|(ecosystem, packages)| {
            let has_data = db.is_some_and(|d| d.has_data(&ecosystem).unwrap_or(false));
            let advisories = if has_data {
                db.and_then(|d| d.advisories_for(&ecosystem).ok())
            } else {
                Some(0)
            };
            Coverage {
                ecosystem,
                packages,
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
}

/// What one pass of the re-match worker did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pass {
    pub advisories: usize,
    pub components: usize,
    pub events: usize,
}

impl Matcher {
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            db: RwLock::new(None),
            seen: std::sync::Mutex::new(None),
            db_error: std::sync::Mutex::new(None),
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
    pub fn check(&self, store: &dyn Store) -> Result<Option<usize>, String> {
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
        let comps = store
            .components_for(&keys, &pending)
            .map_err(|e| e.to_string())?;
        let updates = rematch_components(&db, comps)?;
        let n = updates.len();
        let events = store
            .apply_rematch(&pending, &updates, crate::ids::now_ms())
            .map_err(|e| e.to_string())?;
        Ok(Some(Pass {
            advisories: pending.len(),
            components: n,
            events,
        }))
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
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_artifacts(after.as_deref(), 200)
                .map_err(|e| e.to_string())?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            let mut comps = Vec::new();
            for a in &page {
                comps.extend(store.components_of(&a.id).map_err(|e| e.to_string())?);
            }
            let updates = rematch_components(&db, comps)?;
            pass.components += updates.len();
            pass.events += store
                .apply_rematch(&[], &updates, crate::ids::now_ms())
                .map_err(|e| e.to_string())?;
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

/// New findings for `comps` (identical packages are matched once).
fn rematch_components(db: &Db, comps: Vec<ComponentRow>) -> Result<Vec<ComponentUpdate>, String> {
    let mut memo: HashMap<String, Vec<StoredFinding>> = HashMap::new();
    let mut updates = Vec::with_capacity(comps.len());
    for c in comps {
        let memo_key = serde_json::to_string(&c.package).map_err(|e| e.to_string())?;
        let findings = match memo.get(&memo_key) {
            Some(f) => f.clone(),
            None => {
                let f = match_packages(db, &[(c.idx, c.package.clone())])?
                    .remove(&c.package.id)
                    .unwrap_or_default();
                memo.insert(memo_key, f.clone());
                f
            }
        };
        updates.push(ComponentUpdate {
            artifact: c.artifact,
            package_id: c.package.id.clone(),
            findings,
        });
    }
    Ok(updates)
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
}
