#![no_main]
//! `.sekishoignore` files and purl selectors: parsing and rule evaluation never panic.
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::purl::Purl;
use sekisho_policy::ignore::{Date, Subject, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Purl::parse(text);
    let _ = Date::parse(text);
    if let Ok(f) = parse("fuzz", text) {
        let p = Purl::parse("pkg:deb/debian/curl@7.88.1-10?arch=amd64");
        let locs = vec!["var/lib/dpkg/status"];
        let s = Subject {
            ids: vec!["CVE-2023-1234"],
            names: vec!["curl"],
            purl: p.as_ref(),
            locations: &locs,
        };
        for r in &f.rules {
            let _ = r.selects(&s);
            let _ = r.expired(Date::from_days(20_000));
        }
    }
});
