//! Fuzz the escape data loader (TOML schema + ordering checks): never panics on any file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(db) = sekisho_kernel::data::load(&text) {
        // A file that loads was fully checked: the engine can use it.
        let id = sekisho_kernel::identity::KernelIdentity::parse("5.10.0-11-amd64", None, None);
        let _ = sekisho_kernel::verdict::judge_kernel(&db, &id, None);
    }
});
