#![no_main]
//! CycloneDX / SPDX JSON SBOMs given to `sekisho scan-sbom`: parsing never panics, and every
//! package it yields can be keyed for matching.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cat) = sekisho_match::sbom_input::parse("fuzz.json", data) {
        for p in &cat.packages {
            let _ = sekisho_match::match_key(p);
        }
    }
});
