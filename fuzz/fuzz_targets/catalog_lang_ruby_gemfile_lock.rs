#![no_main]
//! Gemfile.lock.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::ruby::parse_gemfile_lock("fuzz", data);
});
