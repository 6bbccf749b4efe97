#![no_main]
//! gradle.lockfile.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::java::parse_gradle_lock("fuzz", data);
});
