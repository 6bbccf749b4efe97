#![no_main]
//! Stored scan reports read back (the server re-renders what it stored; a user hands us JSON):
//! parsing and rendering every format never panic, whatever the references inside say.
use libfuzzer_sys::fuzz_target;
use sekisho_report::{ScanFormat, ScanReport, render_scan};

fuzz_target!(|data: &[u8]| {
    let Ok(r) = serde_json::from_slice::<ScanReport>(data) else {
        return;
    };
    for f in [
        ScanFormat::Table,
        ScanFormat::Json,
        ScanFormat::Sarif,
        ScanFormat::CycloneDx,
        ScanFormat::Html,
    ] {
        let _ = render_scan(&r, f, &mut std::io::sink(), false);
    }
});
