#![no_main]
//! dpkg status / status.d paragraphs, info lists and DEP-5 copyright files.
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::os::dpkg;

fuzz_target!(|data: &[u8]| {
    if let Ok((recs, _)) = dpkg::parse_status("fuzz", data) {
        for r in &recs {
            let _ = r.installed();
        }
    }
    let _ = dpkg::parse_list(data);
    let _ = dpkg::parse_copyright(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dpkg::parse_source(s);
    }
});
