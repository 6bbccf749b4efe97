//! One finding model for every kind of check sekisho makes, and one severity scale.
//!
//! A scan of one image may find vulnerable packages, weakened configuration, secrets, drift from
//! the image, and missing isolation walls. Each is a [`Finding`]: JSON tags it with `kind`, and
//! every kind has a stable ID, a [`Severity`] on the same scale, a title, why it matters, how to
//! fix it and where it is ([`Location`], with the image layer where that applies). Renderers,
//! policy (ignore files, `--severity`, `--fail-on`) and the server handle all kinds through the
//! accessors of [`Finding`], without knowing how a finding was made.
//!
//! - [`severity`]: the scale (`UNKNOWN < INFO < LOW < MEDIUM < HIGH < CRITICAL`), CVSS bands and
//!   distro words.
//! - [`vuln`]: vulnerability findings, statuses and ratings.
//! - [`kinds`]: misconfiguration, secret, drift and isolation findings.
//! - [`location`]: files with exact lines and columns, logical places, layers.
//! - [`rules`]: the registry of rule and check IDs (unique, kebab-case).
//! - [`time`]: dates and RFC 3339 stamps.
//!
//! This crate sits at the bottom of the flow: it depends on nothing else of sekisho.

#![forbid(unsafe_code)]

pub mod finding;
pub mod kinds;
pub mod location;
pub mod rules;
pub mod severity;
pub mod time;
pub mod vuln;

pub use finding::{Finding, Kind, fnv_hex};
pub use kinds::{Change, Drift, Isolation, Misconfiguration, Secret, VendorContent};
pub use location::{LayerRef, Location};
pub use rules::{Registry, RegistryError, Rule};
pub use severity::Severity;
pub use vuln::{
    Coverage, Rating, RatingMethod, Status, VexApplied, Vulnerability, advisory_uri,
    choose_severity,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn vuln() -> Vulnerability {
        Vulnerability {
            id: "CVE-2024-0001".into(),
            advisories: vec!["GHSA-aaaa-bbbb-cccc".into()],
            aliases: vec!["CVE-2024-0001".into()],
            related: vec![],
            package: 0,
            package_id: "pkg-0011223344556677".into(),
            matched_name: "requests".into(),
            matched_version: "2.19.0".into(),
            ecosystem: "PyPI".into(),
            status: Status::Fixed,
            fixed_version: Some("2.20.0".into()),
            severity: Severity::High,
            ratings: vec![],
            summary: Some("Leaks credentials".into()),
            references: vec![],
            published: None,
            modified: None,
            vex: None,
            informational: None,
        }
    }

    #[test]
    fn json_is_tagged_and_legacy_reads() {
        let f = Finding::from(vuln());
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "vulnerability");
        assert_eq!(v["id"], "CVE-2024-0001");
        let back: Finding = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, f);
        // A document written before `kind` existed still reads, as a vulnerability.
        let mut legacy = v;
        legacy.as_object_mut().unwrap().remove("kind");
        legacy.as_object_mut().unwrap().remove("package_id");
        let back: Finding = serde_json::from_value(legacy).unwrap();
        assert_eq!(back.kind(), Kind::Vulnerability);
        assert_eq!(back.fix(), "upgrade requests to 2.20.0 or later");
        assert_eq!(back.title(), "Leaks credentials");
    }

    #[test]
    fn every_kind_round_trips_with_common_accessors() {
        let loc = Location::at("k8s/web.yaml", 12, 9).in_layer(Some(LayerRef {
            index: 2,
            digest: Some("sha256:ab".into()),
            created_by: None,
        }));
        let all = vec![
            Finding::from(vuln()),
            Finding::from(Misconfiguration {
                id: "run-as-root".into(),
                aliases: vec!["KSV012".into()],
                severity: Severity::Medium,
                title: "Runs as root".into(),
                why: "w".into(),
                fix: "f".into(),
                location: loc.clone(),
                file_type: "kubernetes".into(),
                object: Some("Deployment/web".into()),
                value: Some("0".into()),
            }),
            Finding::from(Secret {
                id: "github-pat".into(),
                severity: Severity::High,
                title: "GitHub token".into(),
                why: "w".into(),
                fix: "f".into(),
                location: loc.clone(),
                redacted: "ghp_****".into(),
                fingerprint: "0123456789abcdef".into(),
                deleted_in: Some(LayerRef {
                    index: 3,
                    ..LayerRef::default()
                }),
                present: false,
                vendor: None,
            }),
            Finding::from(Drift {
                id: "drift-executable".into(),
                severity: Severity::High,
                title: "t".into(),
                why: "w".into(),
                fix: "f".into(),
                location: Location::file("usr/bin/nc"),
                change: Change::Added,
                class: "executable".into(),
                detail: "new ELF".into(),
            }),
            Finding::from(Isolation {
                id: "no-seccomp".into(),
                severity: Severity::High,
                title: "t".into(),
                why: "w".into(),
                fix: "f".into(),
                wall: "seccomp".into(),
                evidence: vec!["Seccomp: 0".into()],
                caught_by: vec!["oci-no-seccomp".into()],
                location: Location::logical("wall:seccomp"),
            }),
        ];
        for f in &all {
            let v = serde_json::to_value(f).unwrap();
            assert_eq!(v["kind"], f.kind().as_str());
            let back: Finding = serde_json::from_value(v).unwrap();
            assert_eq!(&back, f);
            assert!(!f.id().is_empty() && !f.title().is_empty());
            assert!(!f.why().is_empty() && !f.fix().is_empty());
        }
        assert_eq!(all[1].layer(), Some(2));
        assert!(all[2].all_ids().contains(&"0123456789abcdef"));
        assert!(all[1].all_ids().contains(&"KSV012"));
        let fp1 = all[1].fingerprint("img", None);
        assert_eq!(fp1, all[1].fingerprint("img", None));
        assert_ne!(fp1, all[1].fingerprint("other", None));
        // Garbage is an error, not a panic.
        assert!(serde_json::from_str::<Finding>(r#"{"kind":"nope"}"#).is_err());
        assert!(serde_json::from_str::<Finding>("[1,2]").is_err());
    }
}
