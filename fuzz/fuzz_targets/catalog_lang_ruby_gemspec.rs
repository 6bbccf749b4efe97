#![no_main]
//! installed gem stub specifications.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::ruby::parse_gemspec("fuzz", data);
});
