#![no_main]
//! Go build info in ELF binaries (and raw build-info blobs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::golang::parse_binary("fuzz", data);
});
