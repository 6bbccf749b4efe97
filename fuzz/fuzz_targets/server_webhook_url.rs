#![no_main]
//! Webhook URLs: never panic; an accepted URL has a host, a port and a path starting with `/`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(t) = sekisho_server::target::parse_url(s)
    {
        assert!(!t.host.is_empty());
        assert!(t.port != 0);
        assert!(t.path.starts_with('/'));
        if let Ok(ip) = t.host.parse() {
            let _ = sekisho_server::target::is_private(ip);
        }
    }
});
