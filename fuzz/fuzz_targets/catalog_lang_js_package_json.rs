#![no_main]
//! installed package.json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::javascript::parse_package_json("fuzz", data);
});
