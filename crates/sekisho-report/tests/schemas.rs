//! Every document sekisho-report writes is checked against the official JSON schemas in
//! `../shared/data/schemas` (CycloneDX 1.6 with its referenced spdx/jsf schemas, SPDX 2.3,
//! SARIF 2.1.0).

use std::path::PathBuf;

use serde_json::{Value, json};

use sekisho_artifact::Note;
use sekisho_catalog::{OsInfo, Package, PackageKind, SourcePackage};
use sekisho_finding::{
    Change, Coverage, Drift, Finding, Isolation, LayerRef, Location, Misconfiguration, Rating,
    RatingMethod, Secret, Severity, Status, VexApplied, Vulnerability,
};
use sekisho_policy::{SuppressReason, Suppressed};
use sekisho_report::{
    SbomFormat, SbomReport, ScanFormat, ScanReport, ScanTarget, Target, Tool, render_sbom,
    render_scan,
};

fn schemas() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/schemas"
    ))
}

struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or("");
        let path = schemas().join("cyclonedx-1.6").join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn validate(schema_file: &str, doc: &Value) {
    let text = std::fs::read_to_string(schemas().join(schema_file)).expect("schema");
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .expect("compile schema");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}\n{doc:#}");
}

fn pkg(name: &str, version: &str, kind: PackageKind, eco: &str, purl: &str) -> Package {
    Package {
        id: String::new(),
        name: name.into(),
        version: version.into(),
        kind,
        ecosystem: Some(eco.into()),
        purl: purl.into(),
        source: None,
        licenses: vec![],
        arch: None,
        modularity_label: None,
        locations: vec![],
        layer: Some(0),
        files: vec![],
    }
}

fn sample_target() -> Target {
    let mut libc = pkg(
        "libc6",
        "2.36-9+deb12u3",
        PackageKind::Deb,
        "Debian:12",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=debian-12",
    );
    libc.source = Some(SourcePackage {
        name: "glibc".into(),
        version: None,
    });
    libc.licenses = vec!["LGPL-2.1-or-later".into(), "GPL-2+ with exception".into()];
    libc.locations = vec!["var/lib/dpkg/status".into()];
    let mut req = pkg(
        "requests",
        "2.19.0",
        PackageKind::Python,
        "PyPI",
        "pkg:pypi/requests@2.19.0",
    );
    req.licenses = vec!["Apache-2.0".into()];
    req.locations = vec!["usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA".into()];
    req.layer = Some(1);
    Target {
        name: "/tmp/root fs".into(),
        kind: "rootfs".into(),
        os: Some(OsInfo {
            id: "debian".into(),
            version_id: Some("12".into()),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            source: "etc/os-release".into(),
            osv_ecosystem: Some("Debian:12".into()),
            known: true,
            ..OsInfo::default()
        }),
        layers: vec![],
        packages: vec![libc, req],
        notes: vec![Note::new(Some(1), "usr/lib/x.jar", "skipped: corrupt zip")],
        partition: None,
        image: None,
    }
}

fn finding(id: &str, package: usize, sev: Severity, fixed: Option<&str>) -> Vulnerability {
    Vulnerability {
        id: id.into(),
        advisories: vec![format!("GHSA-{}", &id[4..])],
        aliases: vec!["PYSEC-2018-1".into()],
        related: vec![],
        package,
        package_id: String::new(),
        matched_name: "requests".into(),
        matched_version: "2.19.0".into(),
        ecosystem: "PyPI".into(),
        status: if fixed.is_some() {
            Status::Fixed
        } else {
            Status::Affected
        },
        fixed_version: fixed.map(str::to_string),
        severity: sev,
        ratings: vec![
            Rating {
                source: "nvd".into(),
                method: RatingMethod::CvssV3,
                score: Some(7.5),
                severity: Severity::High,
                vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
            },
            Rating {
                source: "debian".into(),
                method: RatingMethod::Distro,
                score: None,
                severity: Severity::Low,
                vector: Some("low".into()),
            },
        ],
        summary: Some("Insufficiently Protected Credentials in Requests".into()),
        references: vec!["https://example.invalid/advisory".into()],
        published: Some("2018-10-29T19:10:00Z".into()),
        modified: Some("2024-01-01T00:00:00Z".into()),
        vex: None,
        informational: None,
    }
}

fn sample_scan() -> ScanReport {
    let mut vexed = finding("CVE-2023-32681", 1, Severity::Medium, Some("2.31.0"));
    vexed.status = Status::NotAffected;
    vexed.vex = Some(VexApplied {
        document: "app.vex.json".into(),
        status: Status::NotAffected,
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        statement: Some("proxies unused".into()),
    });
    let target = ScanTarget {
        target: sample_target(),
        findings: vec![
            finding("CVE-2018-18074", 1, Severity::High, Some("2.20.0")).into(),
            finding("CVE-2099-0001", 0, Severity::Low, None).into(),
        ],
        suppressed: vec![Suppressed {
            reason: SuppressReason::Vex {
                document: "app.vex.json".into(),
                status: Status::NotAffected,
            },
            finding: vexed.into(),
        }],
        coverage: vec![
            Coverage {
                ecosystem: "Debian:12".into(),
                packages: 1,
                has_data: false,
                advisories: Some(0),
            },
            Coverage {
                ecosystem: "PyPI".into(),
                packages: 1,
                has_data: true,
                advisories: Some(2661),
            },
        ],
    };
    ScanReport::new(
        Tool::sekisho("0.1.0"),
        "2026-11-26T00:00:00Z".into(),
        true,
        None,
        vec![target],
        vec!["expired rule".into()],
    )
}

fn render_scan_json(r: &ScanReport, f: ScanFormat) -> Value {
    let mut out = Vec::new();
    render_scan(r, f, &mut out, false).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn render_sbom_json(r: &SbomReport, f: SbomFormat) -> Value {
    let mut out = Vec::new();
    render_sbom(r, f, &mut out, false).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn cyclonedx_sbom_is_valid() {
    let r = SbomReport::new(
        Tool::sekisho("0.1.0"),
        "2026-11-26T00:00:00Z".into(),
        vec![sample_target()],
    );
    let doc = render_sbom_json(&r, SbomFormat::CycloneDx);
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
    assert_eq!(doc["components"].as_array().unwrap().len(), 3);
    // Several targets (a VM disk's filesystems) nest components per target.
    let mut t2 = sample_target();
    t2.name = "disk.qcow2 partition 2 (ext4)".into();
    let r = SbomReport::new(
        Tool::sekisho("0.1.0"),
        "2026-11-26T00:00:00Z".into(),
        vec![sample_target(), t2],
    );
    let doc = render_sbom_json(&r, SbomFormat::CycloneDx);
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
}

#[test]
fn spdx_sbom_is_valid() {
    let r = SbomReport::new(
        Tool::sekisho("0.1.0"),
        "2026-11-26T00:00:00Z".into(),
        vec![sample_target()],
    );
    let doc = render_sbom_json(&r, SbomFormat::SpdxJson);
    validate("spdx-2.3-schema.json", &doc);
    let ids: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(
            id.strip_prefix("SPDXRef-")
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
    assert_eq!(doc["packages"][2]["licenseDeclared"], json!("NOASSERTION"));
    assert_eq!(doc["packages"][3]["licenseDeclared"], json!("Apache-2.0"));
    let rel: Vec<&str> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relationshipType"].as_str().unwrap())
        .collect();
    assert_eq!(rel, vec!["DESCRIBES", "CONTAINS", "CONTAINS", "CONTAINS"]);
}

#[test]
fn sarif_is_valid() {
    let doc = render_scan_json(&sample_scan(), ScanFormat::Sarif);
    validate("sarif-2.1.0-schema.json", &doc);
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
    assert_eq!(run["results"].as_array().unwrap().len(), 2);
    let r0 = &run["results"][0];
    assert_eq!(r0["ruleId"], "CVE-2018-18074");
    assert_eq!(
        r0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA"
    );
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
        "7.5"
    );
}

#[test]
fn cyclonedx_vulnerabilities_are_valid() {
    let doc = render_scan_json(&sample_scan(), ScanFormat::CycloneDx);
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
    let v = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 3);
    let vexed = v.iter().find(|x| x["id"] == "CVE-2023-32681").unwrap();
    assert_eq!(vexed["analysis"]["state"], "not_affected");
}

#[test]
fn json_round_trips() {
    let r = sample_scan();
    let doc = render_scan_json(&r, ScanFormat::Json);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["kind"], "scan");
    assert_eq!(doc["summary"]["by_severity"]["HIGH"], 1);
    assert_eq!(doc["summary"]["suppressed"]["vex"], 1);
    assert_eq!(doc["summary"]["no_data_for"], json!(["Debian:12"]));
    // Everything needed to re-render: parse back and render every format identically.
    let back: ScanReport = serde_json::from_value(doc.clone()).unwrap();
    for f in [ScanFormat::Json, ScanFormat::Sarif] {
        let a = render_scan_json(&r, f);
        let b = render_scan_json(&back, f);
        assert_eq!(a, b);
    }
    let mut t1 = Vec::new();
    render_scan(&r, ScanFormat::Table, &mut t1, false).unwrap();
    let mut t2 = Vec::new();
    render_scan(&back, ScanFormat::Table, &mut t2, false).unwrap();
    assert_eq!(t1, t2);
    let text = String::from_utf8(t1).unwrap();
    assert!(
        text.contains("no advisory data for Debian:12 (1 package not checked)"),
        "{text}"
    );
    assert!(
        text.contains("severity   CRITICAL 0, HIGH 1, MEDIUM 0, LOW 1, UNKNOWN 0"),
        "{text}"
    );
    assert!(text.contains("Not shown: 1 resolved by VEX"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when colour is off");
    let mut coloured = Vec::new();
    render_scan(&r, ScanFormat::Table, &mut coloured, true).unwrap();
    assert!(String::from_utf8(coloured).unwrap().contains('\u{1b}'));
}

/// A report holding every kind of finding, as an image scan with secret and config scanners
/// would write it.
fn mixed_scan() -> ScanReport {
    let mut r = sample_scan();
    let layer = Some(LayerRef {
        index: 1,
        digest: Some(format!("sha256:{}", "ab".repeat(32))),
        created_by: Some("COPY . /app".into()),
    });
    let t = &mut r.targets[0];
    let mut at = Location::at("app/deploy/web.yaml", 12, 9).in_layer(layer.clone());
    at.logical = Some("Deployment default/web container app".into());
    t.findings.push(Finding::Misconfiguration(Misconfiguration {
        id: "run-as-root".into(),
        aliases: vec!["KSV012".into()],
        severity: Severity::Medium,
        title: "Container may run as root".into(),
        why: "A container running as root is root on the host once a wall fails.".into(),
        fix: "Set securityContext.runAsNonRoot: true.".into(),
        location: at,
        file_type: "kubernetes".into(),
        object: Some("Deployment default/web".into()),
        value: Some("runAsUser: 0".into()),
    }));
    t.findings.push(Finding::Secret(Secret {
        id: "github-pat".into(),
        severity: Severity::Critical,
        title: "GitHub personal access token".into(),
        why: "Anyone who pulls the image can act as the token's owner.".into(),
        fix: "Revoke the token and rebuild without it.".into(),
        location: Location::at("root/.config/gh/hosts.yml", 3, 17).in_layer(layer),
        redacted: "ghp_****".into(),
        fingerprint: "0123456789abcdef".into(),
        deleted_in: Some(LayerRef {
            index: 2,
            ..LayerRef::default()
        }),
        present: false,
        vendor: None,
    }));
    t.findings.push(Finding::Secret(Secret {
        id: "aws-access-key".into(),
        severity: Severity::High,
        title: "AWS access key".into(),
        why: "w".into(),
        fix: "f".into(),
        location: Location::logical("config:Env"),
        redacted: "AKIA****".into(),
        fingerprint: "fedcba9876543210".into(),
        deleted_in: None,
        present: true,
        vendor: None,
    }));
    t.findings.push(Finding::Drift(Drift {
        id: "drift-executable".into(),
        severity: Severity::High,
        title: "New executable".into(),
        why: "w".into(),
        fix: "f".into(),
        location: Location::file("usr/local/bin/nc"),
        change: Change::Added,
        class: "executable".into(),
        detail: "ELF, 34 KB".into(),
    }));
    t.findings.push(Finding::Isolation(Isolation {
        id: "no-seccomp".into(),
        severity: Severity::High,
        title: "no seccomp filter".into(),
        why: "w".into(),
        fix: "f".into(),
        wall: "seccomp".into(),
        evidence: vec!["Seccomp: 0".into()],
        caught_by: vec!["pss-seccomp-restricted".into(), "oci-no-seccomp".into()],
        location: Location::logical("wall:seccomp"),
    }));
    r.summary = sekisho_report::model::summarize(&r.targets);
    r
}

#[test]
fn sarif_with_every_kind_is_valid() {
    let doc = render_scan_json(&mixed_scan(), ScanFormat::Sarif);
    validate("sarif-2.1.0-schema.json", &doc);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // Every rule has a security-severity for dashboards.
    for r in rules {
        assert!(r["properties"]["security-severity"].is_string(), "{r}");
    }
    let results = run["results"].as_array().unwrap();
    let by_rule = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    // Levels: error for HIGH and CRITICAL, warning for MEDIUM, note below.
    assert_eq!(by_rule("run-as-root")["level"], "warning");
    assert_eq!(by_rule("github-pat")["level"], "error");
    assert_eq!(by_rule("CVE-2099-0001")["level"], "note");
    // A file finding has the exact line and column; a field has a logical location.
    let region = &by_rule("run-as-root")["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(12), Some(9))
    );
    assert_eq!(
        by_rule("aws-access-key")["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "config:Env"
    );
    assert_eq!(by_rule("github-pat")["properties"]["deleted_in_layer"], 2);
}

#[test]
fn cyclonedx_and_json_with_every_kind() {
    let r = mixed_scan();
    let doc = render_scan_json(&r, ScanFormat::CycloneDx);
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
    let kinds: Vec<String> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| {
            v["properties"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == "sekisho:kind")?["value"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    for k in ["misconfiguration", "secret", "drift", "isolation"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing: {kinds:?}");
    }
    let json = render_scan_json(&r, ScanFormat::Json);
    let fs = json["targets"][0]["findings"].as_array().unwrap();
    let mut kinds: Vec<&str> = fs.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        vec![
            "vulnerability",
            "misconfiguration",
            "secret",
            "drift",
            "isolation"
        ]
    );
    assert_eq!(json["summary"]["by_kind"]["secret"], 2);
    // Every kind re-renders from JSON.
    let back: ScanReport = serde_json::from_value(json.clone()).unwrap();
    for f in [ScanFormat::Json, ScanFormat::Sarif] {
        assert_eq!(render_scan_json(&r, f), render_scan_json(&back, f));
    }
    let mut table = Vec::new();
    render_scan(&back, ScanFormat::Table, &mut table, false).unwrap();
    let text = String::from_utf8(table).unwrap();
    for h in [
        "Misconfigurations:",
        "Secrets:",
        "Drift:",
        "Isolation:",
        "app/deploy/web.yaml:12:9",
        "ghp_****",
    ] {
        assert!(text.contains(h), "{h} missing:\n{text}");
    }
}

#[test]
fn stored_reports_with_dangling_package_references_render() {
    // A stored (possibly hostile) report whose findings name packages it does not hold.
    let mut doc = render_scan_json(&sample_scan(), ScanFormat::Json);
    doc["targets"][0]["findings"][0]["package"] = json!(999_999);
    doc["targets"][0]["findings"][1]["package_id"] = json!("pkg-nonexistent");
    doc["targets"][0]["suppressed"][0]["finding"]["package"] = json!(usize::MAX);
    let back: ScanReport = serde_json::from_value(doc).unwrap();
    for f in [
        ScanFormat::Table,
        ScanFormat::Json,
        ScanFormat::Sarif,
        ScanFormat::CycloneDx,
    ] {
        let mut out = Vec::new();
        render_scan(&back, f, &mut out, false).unwrap();
        assert!(!out.is_empty());
    }
    let sarif = render_scan_json(&back, ScanFormat::Sarif);
    validate("sarif-2.1.0-schema.json", &sarif);
}
