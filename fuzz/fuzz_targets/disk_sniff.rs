//! Content sniffing of `sekisho vm` inputs that hold no disk (sekisho_disk::sniff) on arbitrary
//! bytes: tar headers walked by seeking, gzip inflated within its bound, text and magic checks.
#![no_main]
use std::io::Cursor;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let said = sekisho_disk::sniff::describe_reader(&mut Cursor::new(data), data.len() as u64, "f");
    // Whatever the bytes, an empty input is said to be one, and nothing else is.
    if data.is_empty() {
        assert_eq!(said.as_deref(), Some("an empty file"));
    } else {
        assert_ne!(said.as_deref(), Some("an empty file"));
    }
});
