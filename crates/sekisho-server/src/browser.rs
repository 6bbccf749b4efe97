//! What the dashboard reads from a browser's request before any session exists: one cookie of a
//! `Cookie` header, and whether a state-changing request came from this origin. Pure (no
//! service feature), fuzzed (`fuzz/fuzz_targets/server_browser.rs`).

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`): the first pair with exactly
/// that name, its value trimmed.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.trim())
    })
}

/// Whether a state-changing request comes from this server's own pages.
///
/// - `Sec-Fetch-Site`, when sent, must be `same-origin`.
/// - `Origin`, when sent, must be `http://` or `https://` + the request's `Host`.
/// - `Origin: null` is what Chromium sends for a form posted from a page with
///   `Referrer-Policy: no-referrer` (every dashboard page): it passes only together with
///   `Sec-Fetch-Site: same-origin`, which a page cannot forge.
/// - Neither header (curl, old browsers): passes; the form's CSRF token is still required.
pub fn same_origin(
    sec_fetch_site: Option<&[u8]>,
    origin: Option<&[u8]>,
    host: Option<&[u8]>,
) -> bool {
    if let Some(s) = sec_fetch_site
        && s != b"same-origin"
    {
        return false;
    }
    let Some(o) = origin else {
        return true;
    };
    if o == b"null" {
        return sec_fetch_site.is_some();
    }
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return false;
    };
    let rest = o
        .strip_prefix(b"http://")
        .or_else(|| o.strip_prefix(b"https://"));
    rest == Some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_header_parsing() {
        let h = "a=1; sekisho_session=xyz ; b=";
        assert_eq!(cookie(h, "sekisho_session"), Some("xyz"));
        assert_eq!(cookie(h, "b"), Some(""));
        assert_eq!(cookie(h, "c"), None);
        assert_eq!(cookie("sekisho_session_x=1", "sekisho_session"), None);
        assert_eq!(cookie("", "a"), None);
        assert_eq!(cookie("a=1=2", "a"), Some("1=2"));
    }

    #[test]
    fn origin_checks() {
        let host = Some(&b"127.0.0.1:8480"[..]);
        let same = Some(&b"same-origin"[..]);
        assert!(same_origin(None, None, None));
        assert!(same_origin(same, Some(b"http://127.0.0.1:8480"), host));
        assert!(same_origin(None, Some(b"https://127.0.0.1:8480"), host));
        assert!(!same_origin(Some(b"cross-site"), None, host));
        assert!(!same_origin(Some(b"same-site"), None, host));
        assert!(!same_origin(Some(b"none"), None, host));
        assert!(!same_origin(None, Some(b"http://evil.example"), host));
        assert!(!same_origin(
            None,
            Some(b"http://127.0.0.1:8480.evil"),
            host
        ));
        assert!(!same_origin(None, Some(b"ftp://127.0.0.1:8480"), host));
        assert!(!same_origin(None, Some(b"http://127.0.0.1:8480"), None));
        assert!(!same_origin(None, Some(b"http://"), Some(b"")));
        // Origin: null only with Sec-Fetch-Site: same-origin.
        assert!(!same_origin(None, Some(b"null"), host));
        assert!(same_origin(same, Some(b"null"), host));
        assert!(!same_origin(Some(b"cross-site"), Some(b"null"), host));
    }
}
