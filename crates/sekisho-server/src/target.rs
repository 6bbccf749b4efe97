//! Where a webhook may point: URL syntax (`http`/`https`, host, port, path; no user info, no
//! fragment) and the address classes refused without `--allow-private-webhooks`. Pure: no I/O.

use std::net::IpAddr;

/// Whether an address is one a webhook may not reach without `--allow-private-webhooks`.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10 shared (CGNAT)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24 protocol assignments
                || o[0] >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 (maps v4, may reach private)
        }
    }
}

/// A parsed webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, `/` at least.
    pub path: String,
}

/// Parse a webhook URL: `http(s)://host[:port][/path][?query]`, no user info, no fragment.
///
/// # Errors
/// What is wrong with it.
pub fn parse_url(url: &str) -> Result<Target, String> {
    if url.len() > 2048 {
        return Err("url longer than 2048 bytes".into());
    }
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("url must start with http:// or https://".into());
    };
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err("url contains spaces or control characters".into());
    }
    if url.contains('#') {
        return Err("url has a fragment".into());
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    if authority.contains('@') {
        return Err("url has user info".into());
    }
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let end = h.find(']').ok_or("unclosed [ in host")?;
        let host = &h[..end];
        let after = &h[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse::<u16>().map_err(|_| "bad port")?,
            None if after.is_empty() => {
                if https {
                    443
                } else {
                    80
                }
            }
            None => return Err("garbage after ]".into()),
        };
        host.parse::<std::net::Ipv6Addr>()
            .map_err(|_| "bad IPv6 address")?;
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| "bad port")?),
            None => (authority.to_string(), if https { 443 } else { 80 }),
        }
    };
    if host.is_empty() {
        return Err("url has no host".into());
    }
    if port == 0 {
        return Err("port 0".into());
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
    {
        return Err("host has characters a host name cannot have".into());
    }
    Ok(Target {
        https,
        host: host.to_ascii_lowercase(),
        port,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn urls() {
        let t = parse_url("http://127.0.0.1:9000/hook?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 9000, "/hook?x=1")
        );
        let t = parse_url("https://Example.com").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str(), t.https),
            ("example.com", 443, "/", true)
        );
        let t = parse_url("http://[::1]:8080/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        for bad in [
            "ftp://x/",
            "http://user:pw@x/",
            "http:///x",
            "http://x:99999/",
            "http://x/#f",
            "http://x y/",
            "http://x\n/",
            "file:///etc/passwd",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
