//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>): the document DESCRIBES each target
//! (a package of its own), and each target CONTAINS its packages. Package purls are
//! `externalRefs` of category `PACKAGE-MANAGER`, type `purl` (spec annex F).
//!
//! SPDXIDs may hold only letters, digits, `.` and `-` (spec 7.2), so they are built from an index
//! and a sanitised name. `documentNamespace` is a unique URI per document (spec 6.5).

use serde_json::{Value, json};

use sekisho_catalog::Package;

use crate::license;
use crate::model::{SbomReport, uuid_v4};

/// Letters, digits, `.` and `-` only.
fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    out.trim_matches('-').chars().take(64).collect()
}

fn package(p: &Package, id: &str) -> Value {
    let declared = if p.licenses.is_empty() {
        None
    } else {
        let joined = if p.licenses.len() == 1 {
            p.licenses[0].clone()
        } else {
            p.licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        license::spdx_expression(&joined)
    };
    let mut v = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": declared.clone().unwrap_or_else(|| "NOASSERTION".into()),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "LIBRARY",
    });
    if declared.is_none() && !p.licenses.is_empty() {
        v["licenseComments"] = json!(format!("declared: {}", p.licenses.join("; ")));
    }
    if !p.purl.is_empty() {
        v["externalRefs"] = json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": p.purl,
        }]);
    }
    if let Some(s) = &p.source {
        let sv = s.version.as_deref().unwrap_or(&p.version);
        v["sourceInfo"] = json!(format!("built from source package {} {}", s.name, sv));
    }
    let mut comment = Vec::new();
    if let Some(l) = p.layer {
        comment.push(format!("layer: {l}"));
    }
    if !p.locations.is_empty() {
        comment.push(format!("found in: {}", p.locations.join(", ")));
    }
    if let Some(e) = &p.ecosystem {
        comment.push(format!("ecosystem: {e}"));
    }
    if !comment.is_empty() {
        v["comment"] = json!(comment.join("; "));
    }
    v
}

/// An SPDX 2.3 JSON document of `report`.
pub fn document(report: &SbomReport) -> Value {
    let name = report
        .targets
        .first()
        .map_or_else(|| "sekisho".to_string(), |t| t.name.clone());
    let mut packages = Vec::new();
    let mut rels = Vec::new();
    for (ti, t) in report.targets.iter().enumerate() {
        let tid = format!("SPDXRef-Target-{ti}");
        let mut tv = json!({
            "SPDXID": tid,
            "name": t.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": if t.kind == "image" { "CONTAINER" } else { "FILE" },
        });
        if let Some(os) = &t.os {
            tv["comment"] = json!(format!(
                "operating system: {} {}",
                os.id,
                os.version_id.as_deref().unwrap_or("")
            ));
        }
        // Nothing skipped silently: notes become annotations on the target.
        if !t.notes.is_empty() {
            tv["annotations"] = Value::Array(
                t.notes
                    .iter()
                    .map(|n| {
                        json!({
                            "annotationDate": report.created,
                            "annotationType": "OTHER",
                            "annotator": format!("Tool: {}-{}", report.tool.name, report.tool.version),
                            "comment": format!("sekisho note: {}", crate::model::note_text(n)),
                        })
                    })
                    .collect(),
            );
        }
        packages.push(tv);
        rels.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": tid,
        }));
        if let Some(os) = &t.os {
            let oid = format!("SPDXRef-OS-{ti}");
            let mut ov = json!({
                "SPDXID": oid,
                "name": os.id,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": "OPERATING_SYSTEM",
            });
            if let Some(v) = &os.version_id {
                ov["versionInfo"] = json!(v);
            }
            packages.push(ov);
            rels.push(json!({
                "spdxElementId": tid,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": oid,
            }));
        }
        for (pi, p) in t.packages.iter().enumerate() {
            let id = format!("SPDXRef-Package-{ti}-{pi}-{}", sanitize(&p.name));
            let id = id.trim_end_matches('-').to_string();
            packages.push(package(p, &id));
            rels.push(json!({
                "spdxElementId": tid,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": id,
            }));
        }
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!(
            "https://sekisho.invalid/spdx/{}-{}",
            sanitize(&name),
            uuid_v4()
        ),
        "creationInfo": {
            "created": report.created,
            "creators": [format!("Tool: {}-{}", report.tool.name, report.tool.version)],
        },
        "packages": packages,
        "relationships": rels,
    })
}
