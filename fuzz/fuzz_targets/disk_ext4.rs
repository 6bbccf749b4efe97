//! ext4 reader on arbitrary bytes: open, walk every entry as a layer, read file contents.
#![no_main]
use std::io::Read;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sekisho_artifact::LayerSource;
use sekisho_disk::dev::{Dev, MemDev};
use sekisho_disk::layer::FsLayer;

fuzz_target!(|data: &[u8]| {
    let dev: Dev = Arc::new(MemDev::new(data.to_vec()));
    if let Ok(fs) = sekisho_disk::ext4::Ext4::open(dev) {
        let mut layer = FsLayer::new(Arc::new(fs), "fuzz");
        let mut notes = Vec::new();
        let mut entries = 0u32;
        let _ = layer.walk(
            &mut |_m, r| {
                entries += 1;
                if entries > 10_000 {
                    return Err(std::io::Error::other("enough"));
                }
                let mut buf = Vec::new();
                r.take(1 << 20).read_to_end(&mut buf)?;
                Ok(())
            },
            &mut notes,
        );
    }
});
