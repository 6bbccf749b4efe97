//! Fuzz OSV range evaluation: an arbitrary `affected` entry (JSON) evaluated for a version in
//! several ecosystems never panics, and `fixed_for` only reports fixes for affected versions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_version::Ecosystem;
use sekisho_version::osv::{self, Affected};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let (version, json) = text.split_once('\n').unwrap_or(("1.0", text));
    let Ok(affected) = serde_json::from_str::<Affected>(json) else {
        return;
    };
    for eco in [
        Ecosystem::Debian,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::Npm,
        Ecosystem::Maven,
    ] {
        if let Ok(e) = osv::evaluate(eco, version, &affected) {
            assert!(e.affected || e.fixed.is_empty());
        }
        let _ = osv::range_notes(eco, &affected);
    }
});
