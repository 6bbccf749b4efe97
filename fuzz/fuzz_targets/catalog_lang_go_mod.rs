#![no_main]
//! go.mod.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::golang::parse_go_mod("fuzz", data);
});
