#![no_main]
//! Berkeley DB hash pages (rpm `Packages`) and NDB slots/blobs (`Packages.db`).
use libfuzzer_sys::fuzz_target;
use sekisho_catalog::os::rpm::{bdb, ndb};

fuzz_target!(|data: &[u8]| {
    let _ = bdb::read_hash("fuzz", data);
    let _ = ndb::read_ndb("fuzz", data);
});
