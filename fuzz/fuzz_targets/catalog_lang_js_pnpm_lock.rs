#![no_main]
//! pnpm-lock.yaml 5/6/9.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::javascript::parse_pnpm_lock("fuzz", data);
});
