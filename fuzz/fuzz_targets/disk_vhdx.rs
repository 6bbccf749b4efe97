//! VHDX reader on arbitrary bytes.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sekisho_disk::dev::{Dev, MemDev};

fuzz_target!(|data: &[u8]| {
    let file: Dev = Arc::new(MemDev::new(data.to_vec()));
    if let Ok(d) = sekisho_disk::vhdx::open(file) {
        let mut buf = vec![0u8; 4096];
        let size = d.size();
        for i in 0..64u64 {
            let off = (i * 65_537 * 512) % size.max(1);
            let n = (size - off.min(size)).min(4096) as usize;
            let _ = d.read_at(off, &mut buf[..n]);
        }
    }
});
