//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>): the SBOM (`sekisho sbom`, the
//! default format there) and, for scans, the same inventory with `vulnerabilities`.
//!
//! Each package is a `library` component with its purl, licenses and `sekisho:*` properties (the
//! layer that introduced it, the files it was found in, its source package). The OS is an
//! `operating-system` component. The target is `metadata.component`; with several targets (the
//! filesystems of a VM disk) each target is a component that holds its packages.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use sekisho_catalog::{Package, PackageLookup};
use sekisho_finding::{Finding, RatingMethod, Severity, Status, Vulnerability};

use crate::license;
use crate::model::{SbomReport, ScanReport, Target, note_text, uuid_v4};

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

fn licenses(p: &Package) -> Option<Value> {
    if p.licenses.is_empty() {
        return None;
    }
    let list: Vec<Value> = p
        .licenses
        .iter()
        .map(|l| match license::spdx_id(l) {
            Some(id) => json!({"license": {"id": id}}),
            None => json!({"license": {"name": l}}),
        })
        .collect();
    Some(Value::Array(list))
}

fn component(p: &Package, bom_ref: &str, target: Option<&str>) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("library"));
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("name".into(), json!(p.name));
    c.insert("version".into(), json!(p.version));
    if !p.purl.is_empty() {
        c.insert("purl".into(), json!(p.purl));
    }
    if let Some(l) = licenses(p) {
        c.insert("licenses".into(), l);
    }
    let mut props = vec![prop("sekisho:package_kind", kind_name(p))];
    if let Some(e) = &p.ecosystem {
        props.push(prop("sekisho:ecosystem", e.clone()));
    }
    if let Some(l) = p.layer {
        props.push(prop("sekisho:layer", l.to_string()));
    }
    if !p.locations.is_empty() {
        props.push(prop("sekisho:locations", p.locations.join(",")));
    }
    if let Some(s) = &p.source {
        props.push(prop("sekisho:source_name", s.name.clone()));
        if let Some(v) = &s.version {
            props.push(prop("sekisho:source_version", v.clone()));
        }
    }
    if let Some(a) = &p.arch {
        props.push(prop("sekisho:arch", a.clone()));
    }
    if let Some(m) = &p.modularity_label {
        props.push(prop("sekisho:modularity_label", m.clone()));
    }
    if let Some(t) = target {
        props.push(prop("sekisho:target", t));
    }
    c.insert("properties".into(), Value::Array(props));
    Value::Object(c)
}

fn kind_name(p: &Package) -> String {
    serde_json::to_value(p.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn target_type(kind: &str) -> &'static str {
    match kind {
        "image" => "container",
        "vm" | "rootfs" => "file",
        _ => "application",
    }
}

/// bom-refs for every package of every target: the purl, made unique.
fn bom_refs(targets: &[&Target]) -> Vec<Vec<String>> {
    let mut used: HashSet<String> = HashSet::new();
    targets
        .iter()
        .map(|t| {
            t.packages
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let base = if p.purl.is_empty() {
                        format!("package:{}@{}", p.name, p.version)
                    } else {
                        p.purl.clone()
                    };
                    let mut r = base.clone();
                    let mut n = 1;
                    while !used.insert(r.clone()) {
                        n += 1;
                        r = format!("{base}#{n}");
                    }
                    let _ = i;
                    r
                })
                .collect()
        })
        .collect()
}

/// The BOM skeleton (metadata, components, dependencies) for `targets`.
fn bom(
    tool: &crate::model::Tool,
    created: &str,
    targets: &[&Target],
) -> (Map<String, Value>, Vec<Vec<String>>) {
    let refs = bom_refs(targets);
    let mut components: Vec<Value> = Vec::new();
    let mut deps: Vec<Value> = Vec::new();
    let single = targets.len() == 1;
    let mut meta_component = json!({
        "type": targets.first().map_or("application", |t| target_type(&t.kind)),
        "bom-ref": "target-0",
        "name": targets.first().map_or("", |t| t.name.as_str()),
    });
    if !single {
        meta_component = json!({
            "type": targets.first().map_or("application", |t| target_type(&t.kind)),
            "bom-ref": "scan",
            // Several targets are the filesystems of one VM disk: the BOM describes the disk.
            "name": targets.first().map_or("", |t| t
                .partition
                .as_ref()
                .map_or(t.name.as_str(), |p| p.disk.as_str())),
        });
    }
    let mut top_depends: Vec<Value> = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        let tref = format!("target-{ti}");
        let mut own: Vec<Value> = Vec::new();
        let mut own_refs: Vec<Value> = Vec::new();
        if let Some(os) = &t.os {
            let os_ref = format!("os-{ti}");
            let mut c = json!({
                "type": "operating-system",
                "bom-ref": os_ref,
                "name": os.id,
            });
            if let Some(v) = &os.version_id {
                c["version"] = json!(v);
            }
            if let Some(d) = &os.pretty_name {
                c["description"] = json!(d);
            }
            let mut props = vec![prop("sekisho:os_source", os.source.clone())];
            if let Some(e) = &os.osv_ecosystem {
                props.push(prop("sekisho:ecosystem", e.clone()));
            }
            if os.eol {
                props.push(prop("sekisho:eol", "true"));
            }
            c["properties"] = Value::Array(props);
            own.push(c);
            own_refs.push(json!(os_ref));
        }
        for (p, r) in t.packages.iter().zip(&refs[ti]) {
            own.push(component(p, r, (!single).then_some(t.name.as_str())));
            own_refs.push(json!(r));
        }
        if single {
            components.extend(own);
        } else {
            components.push(json!({
                "type": target_type(&t.kind),
                "bom-ref": tref,
                "name": t.name,
                "components": own,
            }));
            top_depends.push(json!(tref));
        }
        deps.push(json!({"ref": tref, "dependsOn": own_refs}));
    }
    if !single {
        deps.push(json!({"ref": "scan", "dependsOn": top_depends}));
    }
    let mut doc = Map::new();
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!("1.6"));
    doc.insert(
        "serialNumber".into(),
        json!(format!("urn:uuid:{}", uuid_v4())),
    );
    doc.insert("version".into(), json!(1));
    // Nothing skipped silently: every note (a corrupt lockfile, an unsupported database, a
    // skipped partition) travels in the BOM as a `sekisho:note` property.
    let notes: Vec<Value> = targets
        .iter()
        .flat_map(|t| {
            t.notes.iter().map(move |n| {
                let text = note_text(n);
                prop(
                    "sekisho:note",
                    if single {
                        text
                    } else {
                        format!("{}: {text}", t.name)
                    },
                )
            })
        })
        .collect();
    let mut metadata = json!({
        "timestamp": created,
        "tools": {"components": [{
            "type": "application",
            "name": tool.name,
            "version": tool.version,
        }]},
        "component": meta_component,
    });
    if !notes.is_empty() {
        metadata["properties"] = Value::Array(notes);
    }
    doc.insert("metadata".into(), metadata);
    doc.insert("components".into(), Value::Array(components));
    doc.insert("dependencies".into(), Value::Array(deps));
    (doc, refs)
}

/// A CycloneDX 1.6 SBOM of `report`.
pub fn sbom_document(report: &SbomReport) -> Value {
    let targets: Vec<&Target> = report.targets.iter().collect();
    Value::Object(bom(&report.tool, &report.created, &targets).0)
}

fn cdx_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
        Severity::Unknown => "unknown",
    }
}

fn ratings(f: &Vulnerability) -> Vec<Value> {
    f.ratings
        .iter()
        .map(|r| {
            let method = match r.method {
                RatingMethod::CvssV4 => "CVSSv4",
                RatingMethod::CvssV3 => {
                    if r.vector
                        .as_deref()
                        .is_some_and(|v| v.starts_with("CVSS:3.0"))
                    {
                        "CVSSv3"
                    } else {
                        "CVSSv31"
                    }
                }
                RatingMethod::CvssV2 => "CVSSv2",
                RatingMethod::Distro | RatingMethod::Advisory => "other",
            };
            let mut v = json!({
                "source": {"name": r.source},
                "severity": cdx_severity(r.severity),
                "method": method,
            });
            if let Some(s) = r.score {
                v["score"] = json!(s);
            }
            if let Some(vec) = &r.vector
                && matches!(
                    r.method,
                    RatingMethod::CvssV2 | RatingMethod::CvssV3 | RatingMethod::CvssV4
                )
            {
                v["vector"] = json!(vec);
            }
            v
        })
        .collect()
}

fn source_of(id: &str) -> Value {
    let (name, url) = if id.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        ("GitHub", format!("https://github.com/advisories/{id}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    };
    json!({"name": name, "url": url})
}

/// A CycloneDX 1.6 BOM of `report` with its findings as `vulnerabilities`: one per vulnerability
/// ID, affecting every package it was found in; and one per other finding (a misconfiguration, a
/// secret, drift, an isolation wall), rated on the same scale, with its fix as the
/// `recommendation`, affecting a `file` component for its file (or the target), and its kind and
/// location as `sekisho:*` properties.
pub fn vulnerability_document(report: &ScanReport) -> Value {
    let targets: Vec<&Target> = report.targets.iter().map(|t| &t.target).collect();
    let (mut doc, refs) = bom(&report.tool, &report.created, &targets);
    // One vulnerability entry per (id, status/analysis); affects lists package refs.
    let mut by_id: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    let mut checks: Vec<Value> = Vec::new();
    let mut files: BTreeMap<String, Value> = BTreeMap::new();
    for (ti, t) in report.targets.iter().enumerate() {
        let lookup = PackageLookup::new(&t.target.packages);
        let target_ref = target_bom_ref(report, ti);
        for f in &t.findings {
            if !matches!(f, Finding::Vulnerability(_)) {
                checks.push(check_entry(f, &t.target.name, &target_ref, &mut files));
            }
        }
        let shown = t.findings.iter().filter_map(Finding::as_vulnerability);
        // VEX'd findings are part of the answer too: they carry an analysis.
        let vexed = t
            .suppressed
            .iter()
            .filter_map(|s| s.finding.as_vulnerability())
            .filter(|f| f.vex.is_some());
        for f in shown.chain(vexed) {
            let Some(pos) = lookup.position(&f.package_id, f.package) else {
                continue;
            };
            let Some(pref) = refs[ti].get(pos) else {
                continue;
            };
            let key = format!(
                "{}|{}",
                f.id,
                f.vex.as_ref().map_or("", |v| v.status.as_str())
            );
            let pkg = &t.target.packages[pos];
            let affect = json!({
                "ref": pref,
                "versions": [{"version": pkg.version, "status": if f.vex.is_some() { "unaffected" } else { "affected" }}],
            });
            let entry = by_id.entry(key).or_insert_with(|| {
                let mut v = Map::new();
                v.insert("bom-ref".into(), json!(format!("vuln-{}", f.id)));
                v.insert("id".into(), json!(f.id));
                v.insert("source".into(), source_of(&f.id));
                let r = ratings(f);
                if !r.is_empty() {
                    v.insert("ratings".into(), Value::Array(r));
                }
                let mut refs_: Vec<Value> = f
                    .advisories
                    .iter()
                    .chain(&f.aliases)
                    .filter(|a| **a != f.id)
                    .map(|a| json!({"id": a, "source": source_of(a)}))
                    .collect();
                refs_.dedup();
                if !refs_.is_empty() {
                    v.insert("references".into(), Value::Array(refs_));
                }
                if let Some(s) = &f.summary {
                    v.insert("description".into(), json!(s));
                }
                if let Some(fx) = &f.fixed_version {
                    v.insert(
                        "recommendation".into(),
                        json!(format!("Upgrade {} to {fx} or later", f.matched_name)),
                    );
                }
                let adv: Vec<Value> = f
                    .references
                    .iter()
                    .filter(|u| u.starts_with("http"))
                    .map(|u| json!({"url": u}))
                    .collect();
                if !adv.is_empty() {
                    v.insert("advisories".into(), Value::Array(adv));
                }
                if let Some(p) = &f.published {
                    v.insert("published".into(), json!(p));
                }
                if let Some(m) = &f.modified {
                    v.insert("updated".into(), json!(m));
                }
                let state = match (&f.vex, f.status) {
                    (Some(x), _) if x.status == Status::Fixed => Some("resolved"),
                    (Some(_), _) => Some("not_affected"),
                    (None, _) => None,
                };
                if let Some(state) = state {
                    let mut a = json!({"state": state});
                    if let Some(x) = &f.vex
                        && let Some(d) = &x.statement
                    {
                        a["detail"] = json!(d);
                    }
                    v.insert("analysis".into(), a);
                }
                v.insert(
                    "properties".into(),
                    json!([prop("sekisho:status", f.status.as_str())]),
                );
                (Value::Object(v), Vec::new())
            });
            entry.1.push(affect);
        }
    }
    let mut vulns = Vec::new();
    let mut seen_refs: HashSet<String> = HashSet::new();
    for (_, (mut v, affects)) in by_id {
        // bom-refs must be unique across the BOM.
        let mut r = v["bom-ref"].as_str().unwrap_or("vuln").to_string();
        let base = r.clone();
        let mut n = 1;
        while !seen_refs.insert(r.clone()) {
            n += 1;
            r = format!("{base}#{n}");
        }
        v["bom-ref"] = json!(r);
        v["affects"] = Value::Array(affects);
        vulns.push(v);
    }
    for mut c in checks {
        let mut r = c["bom-ref"].as_str().unwrap_or("finding").to_string();
        let base = r.clone();
        let mut n = 1;
        while !seen_refs.insert(r.clone()) {
            n += 1;
            r = format!("{base}#{n}");
        }
        c["bom-ref"] = json!(r);
        vulns.push(c);
    }
    if !files.is_empty()
        && let Some(Value::Array(comps)) = doc.get_mut("components")
    {
        comps.extend(files.into_values());
    }
    doc.insert("vulnerabilities".into(), Value::Array(vulns));
    Value::Object(doc)
}

/// The bom-ref of target `ti` (the metadata component with one target, else its own component).
fn target_bom_ref(_report: &ScanReport, ti: usize) -> String {
    format!("target-{ti}")
}

/// A `vulnerabilities[]` entry for a finding that is not a vulnerability.
fn check_entry(
    f: &Finding,
    target: &str,
    target_ref: &str,
    files: &mut BTreeMap<String, Value>,
) -> Value {
    let loc = f.location().cloned().unwrap_or_default();
    let affects_ref = match &loc.path {
        Some(p) => {
            let r = format!("file:{}", sekisho_finding::fnv_hex(&[target, p]));
            files.entry(r.clone()).or_insert_with(|| {
                json!({
                    "type": "file",
                    "bom-ref": r,
                    "name": p,
                    "properties": [prop("sekisho:target", target)],
                })
            });
            r
        }
        None => target_ref.to_string(),
    };
    let mut props = vec![
        prop("sekisho:kind", f.kind().as_str()),
        prop("sekisho:location", loc.display()),
    ];
    if let Some(l) = &loc.layer {
        props.push(prop("sekisho:layer", l.index.to_string()));
        if let Some(d) = &l.digest {
            props.push(prop("sekisho:layer_digest", d.clone()));
        }
    }
    match f {
        Finding::Misconfiguration(m) => {
            props.push(prop("sekisho:file_type", m.file_type.clone()));
            if let Some(o) = &m.object {
                props.push(prop("sekisho:object", o.clone()));
            }
            if let Some(v) = &m.value {
                props.push(prop("sekisho:value", v.clone()));
            }
        }
        Finding::Secret(s) => {
            props.push(prop("sekisho:redacted", s.redacted.clone()));
            props.push(prop("sekisho:fingerprint", s.fingerprint.clone()));
            props.push(prop("sekisho:present", s.present.to_string()));
            if let Some(d) = &s.deleted_in {
                props.push(prop("sekisho:deleted_in_layer", d.index.to_string()));
            }
            if let Some(v) = &s.vendor {
                props.push(prop("sekisho:vendor_package", v.package.clone()));
            }
        }
        Finding::Drift(d) => {
            props.push(prop(
                "sekisho:change",
                serde_json::to_value(d.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            ));
            props.push(prop("sekisho:class", d.class.clone()));
            props.push(prop("sekisho:detail", d.detail.clone()));
        }
        Finding::Isolation(i) => {
            props.push(prop("sekisho:wall", i.wall.clone()));
            for e in &i.evidence {
                props.push(prop("sekisho:evidence", e.clone()));
            }
            for c in &i.caught_by {
                props.push(prop("sekisho:caught-by", c.clone()));
            }
        }
        Finding::Vulnerability(_) => {}
    }
    json!({
        "bom-ref": format!("{}-{}", f.kind().as_str(), f.fingerprint(target, None)),
        "id": f.id(),
        "source": {"name": "sekisho"},
        "ratings": [{"source": {"name": "sekisho"}, "severity": cdx_severity(f.severity()), "method": "other"}],
        "description": f.title(),
        "detail": f.why(),
        "recommendation": f.fix(),
        "affects": [{"ref": affects_ref}],
        "properties": props,
    })
}
