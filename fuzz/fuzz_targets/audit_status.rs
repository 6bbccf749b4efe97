//! Fuzz the status parser of the isolation audit: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = sekisho_audit::parse::status::parse(&text);
});
