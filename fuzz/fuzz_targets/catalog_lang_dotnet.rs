#![no_main]
//! *.deps.json and packages.lock.json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::dotnet::parse_deps_json("fuzz", data);
    let _ = sekisho_catalog::lang::dotnet::parse_packages_lock("fuzz", data);
});
