//! Partition parsers (MBR with EBR chains, GPT with backup fallback) and LVM (PV label,
//! metadata area, text metadata, LV resolution) on arbitrary bytes.
#![no_main]
use std::collections::BTreeMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sekisho_disk::dev::{Dev, MemDev};

fuzz_target!(|data: &[u8]| {
    let dev: Dev = Arc::new(MemDev::new(data.to_vec()));
    let mut notes = Vec::new();
    let _ = sekisho_disk::part::read_table(dev.as_ref(), &mut notes);
    if let Ok(Some(pv)) = sekisho_disk::lvm::read_pv(dev.as_ref()) {
        let mut pvs = BTreeMap::new();
        pvs.insert(pv.uuid.clone(), dev.clone());
        if let Some(m) = pv.metadata {
            let _ = sekisho_disk::lvm::logical_volumes(&m, &pvs);
        }
    }
    let _ = sekisho_disk::lvm::parse_text(&String::from_utf8_lossy(data));
    let _ = sekisho_disk::probe::probe(dev.as_ref());
});
