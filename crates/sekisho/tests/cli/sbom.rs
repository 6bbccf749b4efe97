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

/// Nothing skipped silently: a corrupt lockfile and an unreadable package database show up in
/// every SBOM format (CycloneDX properties, SPDX annotations, sekisho JSON notes) and on stderr,
/// while the packages that were understood are still listed.
#[test]
fn skipped_inputs_are_said_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let fx = shared_data().join("fixtures-debian12-local");
    fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("srv/app")).unwrap();
    fs::copy(
        fx.join("var_lib_dpkg_status"),
        root.join("var/lib/dpkg/status"),
    )
    .unwrap();
    fs::copy(fx.join("etc_os-release"), root.join("etc/os-release")).unwrap();
    // Truncated JSON: the lockfile cannot be understood.
    fs::write(
        root.join("srv/app/package-lock.json"),
        "{\"name\":\"app\",\"lockfileVersion\":3,\"packages\":{\"node_modules/left-pad\":{\"version\":",
    )
    .unwrap();
    let run = |format: &str, quiet: bool| {
        let mut c = sekisho();
        c.args(["sbom", "rootfs", root.to_str().unwrap(), "--format", format]);
        if quiet {
            c.arg("--quiet");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        (doc, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let lock = "srv/app/package-lock.json";

    // sekisho JSON: the note names the file.
    let (doc, _) = run("json", true);
    let notes = doc["targets"][0]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["subject"].as_str().unwrap_or("").contains(lock)),
        "{notes:#?}"
    );
    assert_eq!(doc["targets"][0]["packages"].as_array().unwrap().len(), 189);

    // CycloneDX (the default format): a schema-valid `sekisho:note` property naming the file.
    let (doc, stderr) = run("cyclonedx", false);
    validate("cyclonedx-1.6/bom-1.6.schema.json", &doc);
    let props = doc["metadata"]["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "sekisho:note" && p["value"].as_str().unwrap().contains(lock)),
        "{props:#?}"
    );
    // ... and stderr says so too.
    assert!(stderr.contains("note") && stderr.contains(lock), "{stderr}");

    // SPDX: an annotation on the target package.
    let (doc, _) = run("spdx-json", true);
    validate("spdx-2.3-schema.json", &doc);
    let target = &doc["packages"][0];
    let ann = target["annotations"].as_array().unwrap();
    assert!(
        ann.iter()
            .any(|a| a["comment"].as_str().unwrap().contains(lock)),
        "{ann:#?}"
    );
}
