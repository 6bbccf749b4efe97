//! Snapshot tests of every report format (insta), with paths, times and UUIDs normalised.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::{sekisho, shared_data};

/// Structural checks of the documents (the full validation against the official schemas runs in
/// `crates/sekisho-report/tests/schemas.rs`, on documents built with the same renderers).
pub fn validate(schema_file: &str, doc: &Value) {
    if schema_file.starts_with("sarif") {
        assert_eq!(doc["version"], "2.1.0");
        assert!(doc["runs"][0]["tool"]["driver"]["rules"].is_array());
    } else if schema_file.starts_with("cyclonedx") {
        assert_eq!(doc["bomFormat"], "CycloneDX");
        assert_eq!(doc["specVersion"], "1.6");
        assert!(
            doc["serialNumber"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:")
        );
    } else {
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    }
}

/// Replace what changes between runs: the temp dir, times, UUIDs, the tool version.
pub fn normalize(text: &str, root: &Path) -> String {
    let mut s = text.replace(root.to_str().unwrap(), "[TMP]");
    s = s.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let mut v: Value = match serde_json::from_str(&s) {
        Ok(v) => v,
        Err(_) => return s,
    };
    fn walk(v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match k.as_str() {
                        "created" | "timestamp" | "updated" if x.is_string() => {
                            *x = Value::String("[TIME]".into());
                        }
                        "serialNumber" | "documentNamespace" => *x = Value::String("[UUID]".into()),
                        "sekishoFinding/v1" => *x = Value::String("[FP]".into()),
                        "path" if x.as_str().is_some_and(|p| p.ends_with(".sqlite")) => {
                            *x = Value::String("[DB]".into());
                        }
                        _ => walk(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

fn tree(root: &Path) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    w(
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
    );
    w(
        "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\nLicense: Apache-2.0\n\n",
    );
    w(
        "var/lib/dpkg/status",
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nDescription: z\n\n",
    );
}

#[test]
fn every_format_snapshots_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    tree(&root);
    let db = dir.path().join("db.sqlite");
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(shared_data().join("osv-pypa-json/requests"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = dir.path();
    for format in ["table", "json", "sarif", "cyclonedx"] {
        let out = sekisho()
            .args([
                "rootfs",
                root.to_str().unwrap(),
                "--offline",
                "--quiet",
                "--format",
                format,
                "--db",
            ])
            .arg(&db)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        match format {
            "sarif" => validate(
                "sarif-2.1.0-schema.json",
                &serde_json::from_str(&text).unwrap(),
            ),
            "cyclonedx" => validate(
                "cyclonedx-1.6/bom-1.6.schema.json",
                &serde_json::from_str(&text).unwrap(),
            ),
            _ => {}
        }
        insta::assert_snapshot!(format!("scan_{format}"), normalize(&text, base));
    }
    for format in ["cyclonedx", "spdx-json", "json", "table"] {
        let out = sekisho()
            .args([
                "sbom",
                "rootfs",
                root.to_str().unwrap(),
                "--quiet",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        match format {
            "cyclonedx" => validate(
                "cyclonedx-1.6/bom-1.6.schema.json",
                &serde_json::from_str(&text).unwrap(),
            ),
            "spdx-json" => validate(
                "spdx-2.3-schema.json",
                &serde_json::from_str(&text).unwrap(),
            ),
            _ => {}
        }
        insta::assert_snapshot!(format!("sbom_{format}"), normalize(&text, base));
    }
}
