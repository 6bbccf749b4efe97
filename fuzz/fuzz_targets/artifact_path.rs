#![no_main]
//! Path normalisation must never panic and never produce an escaping path.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = sekisho_artifact::path::normalize(s) {
            assert!(!p.starts_with('/'));
            assert!(!p.split('/').any(|c| c == ".." || c == "."));
        }
        let _ = sekisho_artifact::path::join_in_root("a/b", s);
    }
});
