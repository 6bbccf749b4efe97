#![no_main]
//! rpm header blobs (as stored in rpmdbs) and whole .rpm files.
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::os::rpm::header;

fuzz_target!(|data: &[u8]| {
    if let Ok(i) = header::parse_info(data, "fuzz") {
        let _ = i.evr();
    }
    let _ = header::parse_rpm_file(data, "fuzz");
});
