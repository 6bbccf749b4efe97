#![no_main]
//! yarn.lock v1 and berry.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::javascript::parse_yarn_lock("fuzz", data);
});
