//! What every [`Store`] does, checked the same way on each (the SQLite tests and the PostgreSQL
//! tests call these).

use sekisho_catalog::Package;

use super::{ArtifactMeta, ComponentUpdate, NewArtifact, NewComponent, Store, StoredFinding};

pub(crate) fn artifact(id: &str, finding: &str) -> NewArtifact {
    let package: Package = serde_json::from_value(serde_json::json!({
        "id": "pkg-0000000000000001", "name": "jquery", "version": "3.3.9", "kind": "npm",
        "ecosystem": "npm", "purl": "pkg:npm/jquery@3.3.9", "source": null, "licenses": [],
        "arch": null, "modularity_label": null, "locations": [], "layer": null
    }))
    .unwrap();
    NewArtifact {
        meta: ArtifactMeta {
            id: id.into(),
            name: id.into(),
            kind: "sbom".into(),
            digest: "sha256:00".into(),
            created: "2026-01-01T00:00:00Z".into(),
            updated: "2026-01-01T00:00:00Z".into(),
            components: 1,
            findings: 1,
        },
        target: "{}".into(),
        components: vec![NewComponent {
            key: None,
            findings: vec![StoredFinding {
                package_id: package.id.clone(),
                vuln_id: "CVE-1".into(),
                shown: true,
                advisories: vec!["GHSA-1".into()],
                json: finding.into(),
            }],
            package,
        }],
    }
}

/// Finding bodies are stored once per content and collected with their last reference.
pub(crate) fn finding_bodies_are_shared_and_collected(s: &dyn Store, bodies: &dyn Fn() -> i64) {
    s.insert_artifact(&artifact("a", r#"{"kind":"vulnerability","id":"CVE-1"}"#))
        .unwrap();
    s.insert_artifact(&artifact("b", r#"{"kind":"vulnerability","id":"CVE-1"}"#))
        .unwrap();
    assert_eq!(bodies(), 1);
    let full = s.artifact_full("b").unwrap().unwrap();
    assert_eq!(
        full.findings,
        vec![r#"{"kind":"vulnerability","id":"CVE-1"}"#]
    );
    assert_eq!(full.meta.findings, 1);
    // A re-match that drops the finding of `a` keeps the body `b` still uses.
    let n = s
        .apply_rematch(
            &[],
            &[ComponentUpdate {
                artifact: "a".into(),
                package_id: "pkg-0000000000000001".into(),
                findings: Vec::new(),
            }],
            0,
        )
        .unwrap();
    assert_eq!(n, 1, "one finding.resolved");
    assert_eq!(bodies(), 1);
    assert!(s.delete_artifact("b").unwrap());
    assert_eq!(bodies(), 0);
    assert!(!s.delete_artifact("b").unwrap());
    let ev = s.events(0, 10).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, "finding.resolved");
    assert_eq!(ev[0].artifact, "a");
}

/// Jobs are leased, taken over after a lease ends, finished once; watches and re-catalogs.
pub(crate) fn jobs_are_leased_and_finished_once(s: &dyn Store, bodies: &dyn Fn() -> i64) {
    s.create_job("job_1", "image", r#"{"ref":"r.example/a:1"}"#, 0)
        .unwrap();
    let a = s.claim_jobs("A", 0, 1000, 10).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].state.as_str(), a[0].attempts), ("running", 1));
    // Held: nobody else takes it before the lease ends.
    assert!(s.claim_jobs("B", 999, 1000, 10).unwrap().is_empty());
    assert!(s.renew_job("job_1", "A", 2000).unwrap());
    assert!(s.claim_jobs("B", 1500, 1000, 10).unwrap().is_empty());
    // A stops renewing (crashed): B takes it after the lease.
    let b = s.claim_jobs("B", 2000, 1000, 10).unwrap();
    assert_eq!((b[0].id.as_str(), b[0].attempts), ("job_1", 2));
    assert!(!s.renew_job("job_1", "A", 5000).unwrap());
    let art = artifact("art_1", r#"{"kind":"vulnerability","id":"CVE-1"}"#);
    // A's late result is dropped; B's is stored once, with the watch.
    assert_eq!(
        s.finish_image_job("job_1", "A", &art, Some(("r.example/a:1", 9)), false, 3)
            .unwrap(),
        None
    );
    assert_eq!(
        s.finish_image_job("job_1", "B", &art, Some(("r.example/a:1", 9)), false, 3)
            .unwrap()
            .as_deref(),
        Some("art_1")
    );
    let j = s.job("job_1").unwrap().unwrap();
    assert_eq!(
        (j.state.as_str(), j.artifact.as_deref()),
        ("done", Some("art_1"))
    );
    assert!(s.claim_jobs("C", 10_000, 1000, 10).unwrap().is_empty());
    assert_eq!(s.list_artifacts(None, 10).unwrap().len(), 1);
    // A failed job says why; a restart queues running jobs again.
    s.create_job("job_2", "image", "{}", 0).unwrap();
    assert_eq!(s.claim_jobs("C", 0, 1000, 10).unwrap().len(), 1);
    // C holds it until 1000: D gets nothing before, and it after.
    assert!(s.claim_jobs("D", 999, 1000, 10).unwrap().is_empty());
    assert_eq!(s.claim_jobs("D", 1000, 1000, 10).unwrap().len(), 1);
    // C's late failure is not recorded: D holds the job.
    s.fail_job("job_2", "C", "too late", 1).unwrap();
    assert_eq!(s.job("job_2").unwrap().unwrap().state, "running");
    s.fail_job("job_2", "D", "no such image", 1).unwrap();
    let j = s.job("job_2").unwrap().unwrap();
    assert_eq!(
        (j.state.as_str(), j.error.as_deref()),
        ("failed", Some("no such image"))
    );
    assert_eq!(s.job_params("job_2").unwrap().as_deref(), Some("{}"));
    s.create_job(
        "job_3",
        "harbor",
        r#"{"registry":{"url":"http://r","authorization":"Basic eDp5"},"artifact":{}}"#,
        0,
    )
    .unwrap();
    assert_eq!(s.claim_jobs("D", 0, 1000, 10).unwrap().len(), 1);
    assert_eq!(s.job_queue().unwrap(), (0, 1));
    s.fail_job("job_3", "D", "401", 1).unwrap();
    let params: serde_json::Value =
        serde_json::from_str(&s.job_params("job_3").unwrap().unwrap()).unwrap();
    assert_eq!(
        params,
        serde_json::json!({"registry": {"url": "http://r"}, "artifact": {}}),
        "an ended job forgets the credential"
    );
    // The watch: leased while checked; a re-catalog replaces the findings with events.
    let w = s.claim_watches(9, 100, 10).unwrap();
    assert_eq!(
        (w[0].reference.as_str(), w[0].digest.as_str()),
        ("r.example/a:1", "sha256:00")
    );
    assert!(s.claim_watches(50, 100, 10).unwrap().is_empty());
    s.checked_watch("art_1", 60, 70, None).unwrap();
    let mut next = artifact("art_1", r#"{"kind":"vulnerability","id":"CVE-1"}"#);
    next.meta.digest = "sha256:11".into();
    next.components[0].findings.clear();
    assert_eq!(s.recatalog(&next, 80, 90).unwrap(), Some(1));
    let w = &s.watches().unwrap()[0];
    assert_eq!(
        (w.checks, w.recatalogs, w.digest.as_str()),
        (2, 1, "sha256:11")
    );
    let ev = s.events(0, 10).unwrap();
    assert_eq!((ev.len(), ev[0].kind.as_str()), (1, "finding.resolved"));
    assert_eq!(s.artifact("art_1").unwrap().unwrap().digest, "sha256:11");
    assert_eq!(bodies(), 0);
    next.meta.id = "art_gone".into();
    assert_eq!(s.recatalog(&next, 80, 90).unwrap(), None);
}

/// An artifact's fingerprint is the same from both reads and changes with any change to its
/// findings, including a body change that raises no event (a re-rated advisory).
pub(crate) fn fingerprints_follow_the_findings(s: &dyn Store) {
    let fp = |id: &str| s.artifact_fingerprint(id).unwrap();
    let full = |id: &str| s.artifact_full(id).unwrap().unwrap().fingerprint;
    assert_eq!(fp("a"), None);
    s.insert_artifact(&artifact("a", r#"{"kind":"vulnerability","id":"CVE-1"}"#))
        .unwrap();
    s.insert_artifact(&artifact("b", r#"{"kind":"vulnerability","id":"CVE-1"}"#))
        .unwrap();
    let (a0, b0) = (fp("a").unwrap(), fp("b").unwrap());
    assert_eq!(a0, full("a"));
    assert_ne!(a0, b0, "artifacts with the same findings differ");
    assert_eq!(fp("a"), Some(a0), "stable");

    let update = |json: &str| ComponentUpdate {
        artifact: "a".into(),
        package_id: "pkg-0000000000000001".into(),
        findings: vec![StoredFinding {
            package_id: "pkg-0000000000000001".into(),
            vuln_id: "CVE-1".into(),
            shown: true,
            advisories: vec!["GHSA-1".into()],
            json: json.into(),
        }],
    };
    let n = s
        .apply_rematch(
            &[],
            &[update(
                r#"{"kind":"vulnerability","id":"CVE-1","severity":"high"}"#,
            )],
            0,
        )
        .unwrap();
    assert_eq!(n, 0, "same finding id: no event");
    let a1 = fp("a").unwrap();
    assert_ne!(a1, a0, "the body changed");
    assert_eq!(a1, full("a"));
    assert_eq!(fp("b"), Some(b0), "b untouched");
    // A re-match that finds the same leaves it as it was.
    s.apply_rematch(
        &[],
        &[update(
            r#"{"kind":"vulnerability","id":"CVE-1","severity":"high"}"#,
        )],
        0,
    )
    .unwrap();
    assert_eq!(fp("a"), Some(a1), "nothing changed");
    // Back to the first body: a change all the same (the revision went up).
    s.apply_rematch(
        &[],
        &[update(r#"{"kind":"vulnerability","id":"CVE-1"}"#)],
        0,
    )
    .unwrap();
    let back = fp("a").unwrap();
    assert!(back != a0 && back != a1, "changed again");
    assert_eq!(back, full("a"));
    s.apply_rematch(
        &[],
        &[ComponentUpdate {
            findings: Vec::new(),
            ..update("")
        }],
        0,
    )
    .unwrap();
    let a2 = fp("a").unwrap();
    assert!(a2 != back && a2 != a1, "finding gone");
    assert_eq!(a2, full("a"));
    assert!(s.delete_artifact("a").unwrap());
    assert_eq!(fp("a"), None);
}

/// Components are found by package key and by advisory, each once and in artifact order, and
/// read back by place; a deleted artifact's are gone.
pub(crate) fn components_are_found_by_key_and_advisory(s: &dyn Store) {
    let pkg = |n: usize, name: &str| -> Package {
        let mut p =
            sekisho_catalog::lang::package(sekisho_catalog::PackageKind::Npm, name, "1.0.0");
        p.id = format!("pkg-{n:016}");
        p
    };
    let comp = |n: usize, name: &str, advisory: Option<&str>| {
        let package = pkg(n, name);
        NewComponent {
            key: crate::matching::key_of(&package),
            findings: advisory
                .map(|a| StoredFinding {
                    package_id: package.id.clone(),
                    vuln_id: a.into(),
                    shown: true,
                    advisories: vec![a.into()],
                    json: format!(r#"{{"id":"{a}","package_id":"{}"}}"#, package.id).into(),
                })
                .into_iter()
                .collect(),
            package,
        }
    };
    // Inserted out of name order: the refs follow the store's artifact order.
    for (id, comps) in [
        (
            "z",
            vec![comp(0, "jquery", None), comp(1, "lodash", Some("GHSA-l"))],
        ),
        (
            "a",
            vec![
                comp(0, "lodash", None),
                comp(1, "left-pad", None),
                comp(2, "jquery", Some("GHSA-j")),
            ],
        ),
        ("m", vec![comp(0, "express", None)]),
    ] {
        let mut art = artifact(id, "{}");
        art.meta.components = comps.len() as u64;
        art.components = comps;
        s.insert_artifact(&art).unwrap();
    }
    let key = |name: &str| crate::matching::key_of(&pkg(0, name)).unwrap();
    let names = |refs: &[super::ComponentRef]| -> Vec<(String, String)> {
        s.components_at(refs)
            .unwrap()
            .into_iter()
            .map(|r| (r.artifact, r.package.name))
            .collect()
    };
    let pair = |a: &str, n: &str| (a.to_string(), n.to_string());
    let by_key = s
        .component_refs(&[key("jquery"), key("express")], &[])
        .unwrap();
    assert!(
        by_key.windows(2).all(|w| w[0] < w[1]),
        "sorted, each once: {by_key:?}"
    );
    assert_eq!(
        names(&by_key),
        [
            pair("z", "jquery"),
            pair("a", "jquery"),
            pair("m", "express")
        ]
    );
    // By advisory (a finding from it), merged with the keys without doubles.
    let both = s
        .component_refs(
            &[key("jquery")],
            &["GHSA-l".into(), "GHSA-j".into(), "GHSA-none".into()],
        )
        .unwrap();
    assert_eq!(
        names(&both),
        [
            pair("z", "jquery"),
            pair("z", "lodash"),
            pair("a", "jquery")
        ]
    );
    assert!(s.component_refs(&[key("nothing")], &[]).unwrap().is_empty());
    assert!(s.components_at(&[]).unwrap().is_empty());
    // Read back in the order given; a deleted artifact's components are left out.
    let rows = s.components_at(&both).unwrap();
    assert_eq!(rows[1].idx, 1);
    assert_eq!(rows[1].package.id, "pkg-0000000000000001");
    assert!(s.delete_artifact("z").unwrap());
    assert_eq!(names(&both), [pair("a", "jquery")]);
}
