#![no_main]
//! The tar-layer walker on arbitrary bytes: never panics, never hands out an unnormalised path,
//! and content readers never yield more than the entry's size. The first byte picks the raw
//! walker or the full streamed layer (compression detection, inflate thread, digest checks).
use std::io::Read;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sekisho_artifact::image::tar_layer::{MemBlob, walk_tar_bytes};
use sekisho_artifact::image::{Limits, TarLayer};
use sekisho_artifact::{LayerInfo, LayerSource};

fn limits() -> Limits {
    Limits {
        max_inflated: 8 << 20,
        max_entries: 10_000,
        max_ratio: 1000,
        max_header_bytes: 64 << 10,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut visit = |m: &sekisho_artifact::EntryMeta, r: &mut dyn sekisho_artifact::EntryRead| -> std::io::Result<()> {
        assert!(!m.path.starts_with('/'));
        assert!(!m.path.split('/').any(|c| c == ".." || c == "."));
        let mut buf = Vec::new();
        let n = r.take(1 << 20).read_to_end(&mut buf)?;
        assert!(n as u64 <= m.size);
        Ok(())
    };
    let mut notes = Vec::new();
    if mode & 1 == 0 {
        let _ = walk_tar_bytes(rest, &limits(), &mut visit, &mut notes);
    } else {
        let mut layer = TarLayer::new(
            LayerInfo::default(),
            Arc::new(MemBlob(Arc::new(rest.to_vec()))),
            limits(),
        );
        let _ = layer.walk(&mut visit, &mut notes);
    }
});
