#![no_main]
//! VEX documents (OpenVEX, CycloneDX VEX) from users: parsing and statement evaluation never panic.
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::purl::Purl;
use sekisho_policy::vex::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = parse("fuzz.json", data) {
        let p = Purl::parse("pkg:pypi/requests@2.19.0");
        for s in &doc.statements {
            let _ = s.applies(&["CVE-2018-18074"], p.as_ref());
            let _ = s.status.applied();
        }
    }
});
