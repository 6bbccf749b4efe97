//! Alpine secdb (YAML and JSON) → OSV converter.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = serde_saphyr::from_str::<serde_json::Value>(s) {
        let _ = sekisho_vulndb::convert::alpine::convert(&v);
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
        let _ = sekisho_vulndb::convert::alpine::looks_like(&v);
        let _ = sekisho_vulndb::convert::alpine::convert(&v);
    }
});
