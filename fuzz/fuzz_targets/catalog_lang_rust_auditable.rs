#![no_main]
//! ELF binaries with a cargo-auditable .dep-v0 section.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::rust::parse_auditable_elf("fuzz", data);
});
