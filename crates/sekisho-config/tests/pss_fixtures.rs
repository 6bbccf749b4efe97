//! Every Pod of `../shared/data/fixtures-pss` (kubernetes/pod-security-admission's conformance
//! fixtures, v1.0 to v1.37): each `fail/` Pod is denied and each `pass/` Pod allowed, at the
//! level and version in its path. 100% or the test fails.

use std::path::{Path, PathBuf};

use sekisho_config::k8s::pss::{self, Level};
use sekisho_config::yaml;

fn root() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/fixtures-pss"
    ))
    .to_path_buf()
}

#[test]
fn every_fixture_agrees_with_the_reference() {
    let root = root();
    assert!(
        root.join("README.md").is_file(),
        "fixtures-pss missing at {} (see /work/shared/data/MANIFEST.md)",
        root.display()
    );
    let mut total = 0usize;
    let mut wrong = Vec::new();
    for (level_dir, level) in [
        ("baseline", Level::Baseline),
        ("restricted", Level::Restricted),
    ] {
        let mut versions: Vec<_> = std::fs::read_dir(root.join(level_dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        versions.sort();
        for vdir in versions {
            let vname = vdir.file_name().unwrap().to_string_lossy().to_string();
            let minor = pss::parse_version(&vname).unwrap_or_else(|| panic!("version {vname}"));
            for (verdict, want_allowed) in [("pass", true), ("fail", false)] {
                let dir = vdir.join(verdict);
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut files: Vec<_> = rd.map(|e| e.unwrap().path()).collect();
                files.sort();
                for f in files {
                    total += 1;
                    let bytes = std::fs::read(&f).unwrap();
                    let text = yaml::decode(&bytes).unwrap();
                    let parsed = yaml::parse(text);
                    assert!(
                        parsed.error.is_none(),
                        "{}: {:?}",
                        f.display(),
                        parsed.error
                    );
                    let doc = &parsed.docs[0];
                    let spec = doc.get("spec").expect("spec");
                    let v = pss::evaluate(level, minor, doc.get("metadata"), spec);
                    if v.is_empty() != want_allowed {
                        wrong.push(format!(
                            "{}: want {}, got {:?}",
                            f.strip_prefix(&root).unwrap().display(),
                            if want_allowed { "allowed" } else { "denied" },
                            v.iter()
                                .map(|x| format!("{} ({})", x.check, x.detail))
                                .collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(total, 4537, "fixture count changed");
    assert!(
        wrong.is_empty(),
        "{} of {total} fixtures disagree:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
