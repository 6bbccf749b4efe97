#![no_main]
//! Python core metadata (METADATA / PKG-INFO).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::python::parse_metadata("fuzz", data);
});
