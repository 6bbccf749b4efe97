#![no_main]
//! os-release / lsb-release / *-release lines.
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::os::release;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let kv = release::parse_os_release(s);
        let _ = release::from_os_release(&kv, "fuzz");
        let _ = release::from_release_line(s, "fuzz");
    }
    let _ = release::busybox_version(data);
});
