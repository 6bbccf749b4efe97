#![no_main]
//! The bounded-memory executable reader: streamed, sparse (head, tail, Go build-info windows)
//! with tiny limits so small inputs take the path large executables take, then the Go and
//! cargo-auditable extraction on the sparse image; and the random-access reader (what a file of
//! a directory tree is read with) with the same limits and with the defaults. Must never panic
//! or read past what it keeps.
use libfuzzer_sys::fuzz_target;
use sekisho_artifact::EntryMeta;
use sekisho_catalog::lang::binary::{
    RandomRead, SparseLimits, elf_facts, read_elf_at, read_elf_bounded_with,
};

fuzz_target!(|data: &[u8]| {
    let lim = SparseLimits {
        keep_whole: 256,
        head: 128,
        tail: 512,
        go_window: 256,
        chunk: 64,
    };
    let mut meta = EntryMeta::file("usr/bin/fuzz", data.len() as u64);
    meta.mode = 0o755;
    if let Ok(Some(img)) = read_elf_bounded_with(&meta, &mut &data[..], &lim) {
        let _ = elf_facts(&img);
    }
    let at: &[u8] = data;
    for l in [lim, SparseLimits::default()] {
        if let Ok(RandomRead::Read(img)) = read_elf_at(&meta, &at, &l) {
            let _ = elf_facts(&img);
        }
    }
});
