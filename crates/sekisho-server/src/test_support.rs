//! Helpers shared by the unit tests.

use std::path::{Path, PathBuf};

/// Import one OSV advisory per `(id, ecosystem, package)` into the DB at `db` (a new file renamed
/// over the old one, as `sekisho db import` does), each affecting versions below 9.0. The JSON
/// files are written to `dir`.
pub fn import(db: &Path, dir: &Path, advisories: &[(&str, &str, &str)]) {
    let paths: Vec<PathBuf> = advisories
        .iter()
        .map(|(id, eco, pkg)| {
            let p = dir.join(format!("{id}.json"));
            let v = serde_json::json!({
                "id": id, "modified": "2024-01-01T00:00:00Z", "summary": format!("{pkg} is broken"),
                "affected": [{"package": {"ecosystem": eco, "name": pkg},
                    "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "9.0"}]}]}]});
            std::fs::write(&p, v.to_string()).unwrap();
            p
        })
        .collect();
    sekisho_vulndb::import::import_paths(
        db,
        &paths,
        &sekisho_vulndb::import::ImportOptions::default(),
    )
    .unwrap();
}
