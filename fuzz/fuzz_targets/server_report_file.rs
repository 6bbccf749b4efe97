#![no_main]
//! A findings report file read back from `DIR/reports` never panics, never sizes memory from a
//! count it holds, and what it reads is exactly what was written (re-encoding gives the bytes).
use libfuzzer_sys::fuzz_target;
use sekisho_server::report_file::{PART_MAX, PARTS, ReportFile};

fuzz_target!(|data: &[u8]| {
    if let Some(f) = ReportFile::decode(data) {
        assert_eq!(f.parts.len(), PARTS);
        assert!(f.parts.iter().all(|(n, _)| n.is_none_or(|n| n > 0 && n <= PART_MAX)));
        assert_eq!(f.encode(), data);
    }
});
