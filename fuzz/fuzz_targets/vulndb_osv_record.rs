//! OSV record parser (JSON), severity assessment and CVSS vector scoring.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = sekisho_vulndb::Advisory::from_json(data) {
        let _ = sekisho_vulndb::severity::cvss_scores(&a);
        for af in &a.affected {
            let _ = sekisho_vulndb::severity::assess(&a, Some(af));
            let _ = sekisho_vulndb::fix_status(af, &[]);
            if let Some(p) = &af.package {
                let _ = sekisho_vulndb::normalize::key(&p.ecosystem, &p.name);
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = sekisho_vulndb::severity::cvss_score(s);
    }
});
