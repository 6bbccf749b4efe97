#![no_main]
//! composer.lock and vendor/composer/installed.json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_catalog::lang::php::parse_composer_lock("fuzz", data);
    let _ = sekisho_catalog::lang::php::parse_installed_json("fuzz", data);
});
