//! Fuzz the mountinfo parser of the isolation audit: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (mounts, _) = sekisho_audit::parse::mountinfo::parse(&text);
    for m in &mounts {
        let _ = m.is_rw();
    }
    let _ = sekisho_audit::exposure::host_mounts(&mounts, false);
});
