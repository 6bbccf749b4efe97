//! Fuzz the bootloader readers (grub.cfg, grubenv, BLS entries, loader.conf): never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_kernel::boot;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\0');
    let cfg = parts.next().unwrap_or("");
    let env = parts.next();
    let bls = parts
        .next()
        .map(|t| vec![("entry".to_string(), t.to_string())])
        .unwrap_or_default();
    let conf = parts.next();
    let _ = boot::parse_grub_cfg(cfg);
    let _ = boot::default_entry(Some(cfg), env, &bls, conf);
});
