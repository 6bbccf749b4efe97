#![no_main]
//! package-lock.json v1/v2/v3.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::javascript::parse_package_lock("fuzz", data);
});
