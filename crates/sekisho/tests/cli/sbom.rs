//! `sekisho sbom`: formats, `--output`, and the default format (CycloneDX 1.6, schema-valid).

use std::fs;

use serde_json::Value;

use crate::report::validate;
use crate::util::{sekisho, shared_data};

#[test]
fn sbom_of_the_debian12_fixture_is_valid_cyclonedx_and_spdx() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let fx = shared_data().join("fixtures-debian12-local");
    fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::copy(
        fx.join("var_lib_dpkg_status"),
        root.join("var/lib/dpkg/status"),
    )
    .unwrap();
    fs::copy(fx.join("etc_os-release"), root.join("etc/os-release")).unwrap();
    // Default format is CycloneDX; --output writes the file.
    let out_file = dir.path().join("bom.json");
    let out = sekisho()
        .args([
            "sbom",
            "rootfs",
            root.to_str().unwrap(),
            "--quiet",
            "--output",
        ])
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_slice(&fs::read(&out_file).unwrap()).unwrap();
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
    let libs = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .count();
    assert_eq!(
        libs, 189,
        "the fixture's README lists 189 installed packages"
    );
    let out = sekisho()
        .args([
            "sbom",
            "rootfs",
            root.to_str().unwrap(),
            "--quiet",
            "--format",
            "spdx-json",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate("spdx-2.3-schema.json", &doc);
    assert_eq!(doc["packages"].as_array().unwrap().len(), 189 + 2);
}
