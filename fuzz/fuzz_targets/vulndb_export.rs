#![no_main]
//! `db export` files read back by `db import` (an air-gapped site hands us one): the magic,
//! header, checksum, zstd payload and record lines are all untrusted. Reading never panics, never
//! inflates past the header's stated size, and a file that fails verification commits nothing.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sekisho_vulndb::sink::Sink;
use sekisho_vulndb::store::Builder;

fn dir() -> &'static std::path::Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().expect("tempdir")).path()
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut builder) = Builder::begin(&dir().join("fuzz.sqlite"), true) else {
        return;
    };
    let mut sink = Sink::new(&mut builder, false);
    let _ = sekisho_vulndb::export::read(data, "fuzz.export", &mut sink);
    // Dropped uncommitted: the builder's temporary file is removed.
});
