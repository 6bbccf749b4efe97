//! The floor for scanning an uncompressed image archive: read each given file once, front to
//! back, in 256 KiB chunks, and SHA-256 it with `sha2` (the crate and chunk size the layer reader
//! uses), on one thread. `bench/archive-floor.sh` compares `sekisho image --input` against this.
//!
//! Usage: `sha_floor FILE...`

use std::io::Read;
use std::time::Instant;

use sha2::{Digest, Sha256};

fn main() {
    let start = Instant::now();
    let mut total = 0u64;
    for p in std::env::args().skip(1) {
        let mut f = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = f.read(&mut buf).unwrap_or_else(|e| panic!("{p}: {e}"));
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            total += n as u64;
        }
        println!("sha256:{}  {p}", hex::encode(h.finalize()));
    }
    eprintln!(
        "read and hashed {total} bytes in {:.3} s",
        start.elapsed().as_secs_f64()
    );
}
