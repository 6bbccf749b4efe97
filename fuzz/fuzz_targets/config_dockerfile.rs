#![no_main]
//! The Dockerfile parser and checks of sekisho-config (continuations, escape directive,
//! heredocs, flags, word positions) on untrusted text. None may panic.
use libfuzzer_sys::fuzz_target;
use sekisho_config::dockerfile;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let df = dockerfile::parse(text);
        let mut hits = Vec::new();
        dockerfile::check(&df, &mut hits);
        for i in &df.instructions {
            let _ = i.pos_of(i.args.len());
        }
    }
});
