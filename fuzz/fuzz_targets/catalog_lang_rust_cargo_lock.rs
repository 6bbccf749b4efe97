#![no_main]
//! Cargo.lock.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::rust::parse_cargo_lock("fuzz", data);
});
