#![no_main]
//! apk installed databases.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::os::apk::parse_installed("fuzz", data);
});
