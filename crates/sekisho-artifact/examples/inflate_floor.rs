//! The physical floor for reading an image: inflate each given gzip blob with flate2 on zlib-rs,
//! single-threaded, and discard the output. `bench/image-floor.sh` compares sekisho against this.
//!
//! Usage: `inflate_floor BLOB...`

use std::io::{BufReader, Read};
use std::time::Instant;

fn main() {
    let start = Instant::now();
    let mut total = 0u64;
    for p in std::env::args().skip(1) {
        let f = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let mut d = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, f));
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = d.read(&mut buf).unwrap_or_else(|e| panic!("{p}: {e}"));
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    eprintln!(
        "inflated {total} bytes in {:.3} s",
        start.elapsed().as_secs_f64()
    );
}
