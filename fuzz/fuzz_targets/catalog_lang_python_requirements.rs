#![no_main]
//! pip requirements files.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::python::parse_requirements("fuzz", data);
});
