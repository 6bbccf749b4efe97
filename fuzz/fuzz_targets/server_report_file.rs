#![no_main]
//! A findings report file read back from `DIR/reports` never panics, never sizes memory from a
//! count it holds, and what it reads is exactly what was written (re-encoding gives the bytes),
//! with every open value's place inside the report.
use libfuzzer_sys::fuzz_target;
use sekisho_server::report_file::ReportFile;

fuzz_target!(|data: &[u8]| {
    if let Some(f) = ReportFile::decode(data) {
        assert!(f.cuts.is_sorted() && f.cuts[3] <= f.body.len());
        assert_eq!(f.encode(), data);
    }
});
