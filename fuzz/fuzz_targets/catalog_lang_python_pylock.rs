#![no_main]
//! pylock.toml (PEP 751).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::python::parse_pylock("fuzz", data);
});
