#![no_main]
//! The dashboard's browser inputs: a `Cookie` header and the origin headers. Never panic; a
//! cookie found is a substring of the header; an origin accepted with a real `Origin` names
//! the `Host`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Fields separated by NUL: cookie header, cookie name, Sec-Fetch-Site, Origin, Host.
    let mut parts = data.split(|b| *b == 0);
    let header = parts.next().unwrap_or_default();
    let name = parts.next().unwrap_or_default();
    if let (Ok(h), Ok(n)) = (std::str::from_utf8(header), std::str::from_utf8(name))
        && let Some(v) = sekisho_server::browser::cookie(h, n)
    {
        assert!(h.contains(v));
    }
    let site = parts.next();
    let origin = parts.next();
    let host = parts.next();
    if sekisho_server::browser::same_origin(site, origin, host)
        && let Some(o) = origin
        && o != b"null"
    {
        let host = host.unwrap();
        assert!(o.ends_with(host) && !host.is_empty());
    }
});
