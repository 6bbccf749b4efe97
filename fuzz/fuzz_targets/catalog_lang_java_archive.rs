#![no_main]
//! jar/war/ear archives, nested archives included.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::java::parse_archive("fuzz", data);
});
