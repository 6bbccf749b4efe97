//! Fuzz the idmap parser of the isolation audit: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let m = sekisho_audit::parse::idmap::parse(&text);
    let _ = sekisho_audit::parse::idmap::is_identity_full(&m);
    let _ = sekisho_audit::parse::idmap::root_maps_to(&m);
    let _ = sekisho_audit::parse::idmap::covered(&m);
});
