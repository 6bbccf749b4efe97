//! Debian security-tracker JSON → OSV converter.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = sekisho_vulndb::convert::debian::looks_like(&v);
        let _ = sekisho_vulndb::convert::debian::convert(&v);
    }
});
