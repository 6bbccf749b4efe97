//! Findings reports of stored artifacts (`GET /artifacts/{id}/findings`): built from the store,
//! kept ([`crate::report_cache`]), and built ahead of the first request.
//!
//! A report is built when an artifact is stored and again when a re-match changes its findings,
//! by one background thread at the lowest CPU priority (requests and re-matches go first); at
//! start, every stored artifact's that is not kept for its current state is built the same way.
//! A request finds its report kept (in memory or on disk) and only fills in its open values; one
//! that does not (the report is still to be built, another replica changed the findings) builds
//! and keeps it itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use sekisho_finding::{Coverage, Finding};
use sekisho_policy::Policy;
use sekisho_report::{DbInfo, ScanReport, ScanTarget, Target, Tool};
use sekisho_vulndb::Db;

use crate::matching;
use crate::report_cache::{Next, Template};
use crate::state::App;
use crate::store::ArtifactFull;

/// The findings report of `id` now, encoded; `None` when there is no such artifact.
///
/// # Errors
/// Store errors.
pub fn findings_body(app: &App, id: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(fingerprint) = app
        .store
        .artifact_fingerprint(id)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let db = app.matcher.db();
    let created = crate::ids::rfc3339_ms(crate::ids::now_ms());
    if let Some(t) = app.reports.get(id, &fingerprint, db.is_some()) {
        match fill(app, &t, db.as_ref(), &created) {
            Ok(body) => {
                app.metrics.report_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(body));
            }
            // Never expected (a file is checked when read): forget it and build it again.
            Err(e) => {
                eprintln!(
                    "sekisho server: the kept report of {id} is unusable ({e}); building it again"
                );
                app.reports.remove(id);
            }
        }
    }
    app.metrics.report_builds.fetch_add(1, Ordering::Relaxed);
    let Some(t) = build(app, id, db.as_ref())? else {
        return Ok(None);
    };
    fill(app, &t, db.as_ref(), &created).map(Some)
}

/// Build and keep the report of `id` from its stored state now; `None` when it is gone.
fn build(app: &App, id: &str, db: Option<&Arc<Db>>) -> Result<Option<Template>, String> {
    let Some(full) = app.store.artifact_full(id).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let fingerprint = full.fingerprint;
    let template = template(app, full, db.is_some())?;
    app.reports
        .put(id, fingerprint, db.is_some(), template.clone());
    Ok(Some(template))
}

/// The report with its open values for `db` and `created`.
fn fill(app: &App, t: &Template, db: Option<&Arc<Db>>, created: &str) -> Result<Vec<u8>, String> {
    let target = [ScanTarget {
        target: Target::default(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        coverage: matching::coverage_of(db.map(|d| &**d), t.ecosystems()),
    }];
    // The summary's list, computed as every report's is.
    let no_data_for = sekisho_report::model::summarize(&target).no_data_for;
    let coverage = serde_json::to_vec(&target[0].coverage).map_err(|e| e.to_string())?;
    let no_data_for = serde_json::to_vec(&no_data_for).map_err(|e| e.to_string())?;
    t.fill(created, &app.reports.db_json(db), &coverage, &no_data_for)
        .map_err(|e| e.to_string())
}

/// The report of one stored artifact, encoded with the cache's markers for its open values.
fn template(app: &App, full: ArtifactFull, with_db: bool) -> Result<Template, String> {
    let markers = app.reports.markers();
    let ecosystems = matching::ecosystem_counts(&full.packages);
    let body = encode_report(
        full,
        with_db,
        markers.created.clone(),
        Some(markers.db.clone()),
        markers.coverage.clone(),
    )?;
    Template::split(&body, markers, ecosystems)
        .ok_or_else(|| "a findings report without its open values".to_string())
}

/// The report of one stored artifact (docs/json-schema.md), with the CLI's default policy and
/// the given `created`, `db` and coverage.
fn encode_report(
    full: ArtifactFull,
    with_db: bool,
    created: String,
    db: Option<DbInfo>,
    coverage: Vec<Coverage>,
) -> Result<Vec<u8>, String> {
    let head: Value = serde_json::from_str(&full.target).map_err(|e| e.to_string())?;
    // Place each finding by its package id (a stored index is never trusted).
    let position: std::collections::HashMap<&str, usize> = full
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut findings: Vec<Finding> = Vec::with_capacity(full.findings.len());
    for f in &full.findings {
        let mut f = Finding::from_json(f).map_err(|e| e.to_string())?;
        if let Finding::Vulnerability(v) = &mut f {
            match position.get(v.package_id.as_str()) {
                Some(&i) => v.package = i,
                None => continue,
            }
        }
        findings.push(f);
    }
    findings.sort_by(|a, b| match (a, b) {
        (Finding::Vulnerability(x), Finding::Vulnerability(y)) => x
            .package
            .cmp(&y.package)
            .then(y.severity.cmp(&x.severity))
            .then(x.id.cmp(&y.id)),
        _ => std::cmp::Ordering::Equal,
    });
    let applied = Policy::default().apply(&full.packages, findings);
    let mut warnings = applied.warnings;
    if !with_db {
        warnings.push("no vulnerability database loaded: packages not checked".into());
    }
    let report = ScanReport::new(
        Tool::sekisho(env!("CARGO_PKG_VERSION")),
        created,
        with_db,
        db,
        vec![ScanTarget {
            target: Target {
                name: full.meta.name.clone(),
                kind: full.meta.kind.clone(),
                os: serde_json::from_value(head["os"].clone()).unwrap_or(None),
                layers: Vec::new(),
                packages: full.packages,
                notes: serde_json::from_value(head["notes"].clone()).unwrap_or_default(),
                partition: None,
                image: serde_json::from_value(head["image"].clone()).unwrap_or(None),
            },
            findings: applied.findings,
            suppressed: applied.suppressed,
            coverage,
        }],
        warnings,
    );
    serde_json::to_vec(&report).map_err(|e| e.to_string())
}

/// Build reports ahead of their first request until
/// [`Warmer::stop`](crate::report_cache::Warmer::stop): the artifacts wanted, and on a sweep
/// every stored one whose kept report is missing or outdated (while there is room for it). Runs
/// on its own thread at the lowest priority, so requests and re-matches go first.
pub fn warm(app: &App) {
    lower_priority();
    app.warmer.want_all();
    while let Some(next) = app.warmer.next() {
        match next {
            Next::One(id) => warm_one(app, &id),
            Next::All => {
                let started = std::time::SystemTime::now();
                let mut stored = HashSet::new();
                let mut after: Option<String> = None;
                let complete = loop {
                    if app.warmer.stopped() {
                        return;
                    }
                    let page = match app.store.list_artifacts(after.as_deref(), 200) {
                        Ok(p) => p,
                        Err(e) => {
                            eprintln!("sekisho server: building reports ahead: {e}");
                            break false;
                        }
                    };
                    let Some(last) = page.last() else {
                        break true;
                    };
                    after = Some(last.id.clone());
                    for a in &page {
                        warm_one(app, &a.id);
                        stored.insert(a.id.clone());
                    }
                };
                // Files of artifacts deleted meanwhile (by another replica, or before a crash).
                if complete {
                    app.reports.forget_others(&stored, started);
                }
            }
        }
    }
}

/// Build the report of `id` when it is not kept for its current state and there is room.
fn warm_one(app: &App, id: &str) {
    let db = app.matcher.db();
    let Ok(Some(fingerprint)) = app.store.artifact_fingerprint(id) else {
        return;
    };
    if app.reports.has(id, &fingerprint, db.is_some()) || !app.reports.has_room_for(id) {
        return;
    }
    match build(app, id, db.as_ref()) {
        Ok(_) => {
            app.metrics.report_warm.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => eprintln!("sekisho server: building the report of {id}: {e}"),
    }
}

/// Run this thread at the lowest CPU priority (on Linux a thread's nice value is its own, so
/// this is the calling thread's alone).
fn lower_priority() {
    let _ = rustix::process::setpriority_process(None, 19);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ArtifactMeta, NewArtifact, NewComponent};
    use crate::test_support::import;
    use serde_json::json;

    /// Swap in a DB of `advisories` and re-match what it changed, as the server's loop does.
    fn swap_db(app: &App, dir: &std::path::Path, advisories: &[(&str, &str, &str)]) {
        // A new file: another identity (inode, mtime) than the one before.
        std::thread::sleep(std::time::Duration::from_millis(20));
        import(&app.cfg.db, dir, advisories);
        app.matcher.check(app.store.as_ref()).unwrap();
        while app
            .matcher
            .rematch_batch(app.store.as_ref(), 100)
            .unwrap()
            .is_some()
        {}
    }

    fn open(data: &std::path::Path) -> Arc<App> {
        let tokens = crate::auth::Tokens::parse("t", "rw 0123456789abcdef0123").unwrap();
        let cfg = crate::Config::new("127.0.0.1:0".parse().unwrap(), data.to_path_buf(), tokens);
        App::open(cfg).unwrap()
    }

    /// flask 2.0.0 (PyPI, matched now) and left-pad 1.0.0 (npm), stored as an upload stores them.
    fn store_artifact(app: &App) -> String {
        let mut flask =
            sekisho_catalog::lang::package(sekisho_catalog::PackageKind::Python, "flask", "2.0.0");
        flask.id = "pkg-0000000000000001".into();
        let mut pad =
            sekisho_catalog::lang::package(sekisho_catalog::PackageKind::Npm, "left-pad", "1.0.0");
        pad.id = "pkg-0000000000000002".into();
        let packages = [flask, pad];
        let positioned: Vec<(u64, _)> = (0..).zip(packages.iter().cloned()).collect();
        let mut found = app
            .matcher
            .with_db(|db| matching::match_packages(db.unwrap(), &positioned))
            .unwrap();
        let components: Vec<NewComponent> = packages
            .iter()
            .map(|p| NewComponent {
                key: matching::key_of(p),
                package: p.clone(),
                findings: found.remove(&p.id).unwrap_or_default(),
            })
            .collect();
        let meta = ArtifactMeta {
            id: "art_test".into(),
            name: "app".into(),
            kind: "sbom".into(),
            digest: "sha256:00".into(),
            created: "2024-01-01T00:00:00.000Z".into(),
            updated: "2024-01-01T00:00:00.000Z".into(),
            components: 2,
            findings: 1,
        };
        app.store
            .insert_artifact(&NewArtifact {
                meta: meta.clone(),
                target: json!({"os": null, "notes": ["a note"]}).to_string(),
                components,
            })
            .unwrap();
        meta.id
    }

    /// The report as built directly with today's values, no template involved.
    fn direct(app: &App, id: &str, created: &str) -> Vec<u8> {
        let full = app.store.artifact_full(id).unwrap().unwrap();
        let db = app.matcher.db();
        let info = db.as_ref().map(|d| {
            let st = d.summary().unwrap();
            DbInfo {
                path: Some(d.path().display().to_string()),
                updated: st.updated_at.clone().or(st.built_at.clone()),
                advisories: Some(st.advisories),
            }
        });
        let coverage = matching::coverage(db.as_deref(), &full.packages);
        encode_report(full, db.is_some(), created.to_string(), info, coverage).unwrap()
    }

    fn created_of(body: &[u8]) -> String {
        let v: Value = serde_json::from_slice(body).unwrap();
        v["created"].as_str().unwrap().to_string()
    }

    fn counts(app: &App) -> (u64, u64) {
        let m = &app.metrics;
        (
            m.report_hits.load(Ordering::Relaxed),
            m.report_builds.load(Ordering::Relaxed),
        )
    }

    #[test]
    fn a_kept_report_is_the_report_built_now_whatever_the_db_and_process() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let db = data.join("vulndb.sqlite");
        import(&db, dir.path(), &[("GHSA-test-flask", "PyPI", "flask")]);
        let app = open(&data);
        let id = store_artifact(&app);

        // Built for the first request: byte for byte the report built directly.
        let first = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (0, 1));
        assert_eq!(first, direct(&app, &id, &created_of(&first)));
        let v: Value = serde_json::from_slice(&first).unwrap();
        assert_eq!(
            v["targets"][0]["findings"][0]["advisories"],
            json!(["GHSA-test-flask"])
        );
        assert_eq!(v["summary"]["no_data_for"], json!(["npm"]));
        assert_eq!(v["db"]["advisories"], 1);
        // Kept: the next request fills it in, with its own time.
        let second = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (1, 1));
        assert_eq!(second, direct(&app, &id, &created_of(&second)));

        // A new DB that does not change this artifact's findings: still kept, and it says what
        // the new DB knows (npm has data now, two advisories).
        swap_db(
            &app,
            dir.path(),
            &[
                ("GHSA-test-flask", "PyPI", "flask"),
                ("GHSA-test-other", "npm", "other"),
            ],
        );
        let third = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (2, 1), "a DB swap is not a rebuild");
        assert_eq!(third, direct(&app, &id, &created_of(&third)));
        let v: Value = serde_json::from_slice(&third).unwrap();
        assert_eq!(v["db"]["advisories"], 2);
        assert_eq!(v["summary"]["no_data_for"], json!([]));
        assert_eq!(v["targets"][0]["coverage"][1]["ecosystem"], "npm");
        assert_eq!(v["targets"][0]["coverage"][1]["has_data"], true);

        // A change to the findings is a rebuild.
        swap_db(
            &app,
            dir.path(),
            &[
                ("GHSA-test-flask", "PyPI", "flask"),
                ("GHSA-test-other", "npm", "other"),
                ("GHSA-test-pad", "npm", "left-pad"),
            ],
        );
        let fourth = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (2, 2));
        assert_eq!(fourth, direct(&app, &id, &created_of(&fourth)));
        let v: Value = serde_json::from_slice(&fourth).unwrap();
        assert_eq!(
            v["targets"][0]["findings"].as_array().unwrap().len(),
            2,
            "{v}"
        );
        drop(app);

        // Another process reads it from disk; a damaged file is built again, not served.
        let app = open(&data);
        let again = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (1, 0));
        assert_eq!(again, direct(&app, &id, &created_of(&again)));
        drop(app);
        for e in std::fs::read_dir(data.join("reports")).unwrap() {
            let p = e.unwrap().path();
            let mut b = std::fs::read(&p).unwrap();
            let n = b.len() - 3;
            b[n] ^= 1;
            std::fs::write(&p, b).unwrap();
        }
        let app = open(&data);
        let rebuilt = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (0, 1));
        assert_eq!(rebuilt, direct(&app, &id, &created_of(&rebuilt)));
        assert!(findings_body(&app, "art_missing").unwrap().is_none());
        drop(app);

        // A file that checks out but does not decompress (never written so): built again too.
        for e in std::fs::read_dir(data.join("reports")).unwrap() {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            let mut f = crate::report_file::ReportFile::decode(&b).unwrap();
            f.parts[0] = (Some(1000), b"\xff\xff\xff\xff not a zstd frame");
            std::fs::write(&p, f.encode()).unwrap();
        }
        let app = open(&data);
        let rebuilt = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (0, 1));
        assert_eq!(rebuilt, direct(&app, &id, &created_of(&rebuilt)));
        let again = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (1, 1), "kept again, sound");
        assert_eq!(again, direct(&app, &id, &created_of(&again)));
    }

    #[test]
    fn reports_are_built_ahead_of_the_first_request() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        import(
            &data.join("vulndb.sqlite"),
            dir.path(),
            &[("GHSA-test-flask", "PyPI", "flask")],
        );
        let app = open(&data);
        let id = store_artifact(&app);
        let a = app.clone();
        let warming = std::thread::spawn(move || warm(&a));
        let t0 = std::time::Instant::now();
        while app.metrics.report_warm.load(Ordering::Relaxed) == 0 {
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(20),
                "never built"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let body = findings_body(&app, &id).unwrap().unwrap();
        assert_eq!(counts(&app), (1, 0), "the first request found it built");
        assert_eq!(body, direct(&app, &id, &created_of(&body)));
        // Wanted again with nothing changed: nothing is built.
        app.warmer.want(&id);
        app.warmer.want_all();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(app.metrics.report_warm.load(Ordering::Relaxed), 1);
        app.warmer.stop();
        warming.join().unwrap();
    }
}
