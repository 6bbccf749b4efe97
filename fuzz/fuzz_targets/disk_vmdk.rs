//! VMDK sparse-extent reader and descriptor parser on arbitrary bytes.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sekisho_disk::dev::{BlockDev, Dev, MemDev};

fuzz_target!(|data: &[u8]| {
    let _ = sekisho_disk::vmdk::parse_descriptor(&String::from_utf8_lossy(data));
    let file: Dev = Arc::new(MemDev::new(data.to_vec()));
    if let Ok(s) = sekisho_disk::vmdk::Sparse::open(file) {
        let _ = s.descriptor();
        let mut buf = vec![0u8; 4096];
        let size = s.size();
        for i in 0..64u64 {
            let off = (i * 65_537 * 512) % size.max(1);
            let n = (size - off.min(size)).min(4096) as usize;
            let _ = s.read_at(off, &mut buf[..n]);
        }
    }
});
