#![no_main]
//! pdm.lock.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::python::parse_pdm_lock("fuzz", data);
});
