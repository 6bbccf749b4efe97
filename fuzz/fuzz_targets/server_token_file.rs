#![no_main]
//! A token file never panics the parser, and an error never repeats a token.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        match sekisho_server::auth::Tokens::parse("tokens", s) {
            Ok(t) => {
                let _ = t.check_header(Some(data));
            }
            Err(e) => {
                for tok in s.split_whitespace().filter(|w| w.len() >= 16) {
                    assert!(!e.contains(tok) || tok.starts_with("tokens"), "{e}");
                }
            }
        }
    }
});
