//! What the Harbor scanner API reads from Harbor, checked without I/O (fuzzed): a scan
//! request's fields, the registry URL, the `Accept` of a report request, and the DB's
//! RFC 3339 update time (for its age). See [`crate`]'s `harbor` module for the API itself.

/// The MIME types of the image manifests the scanner reads.
pub const CONSUMES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// The report MIME types it produces (one schema, two names).
pub const PRODUCES: &[&str] = &[
    "application/vnd.security.vulnerability.report; version=1.1",
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
];

/// The registry host (`host[:port]`, lower case) of a Harbor registry URL, and whether it is
/// plain HTTP. A path after the host is ignored.
///
/// # Errors
/// Not `http(s)://`, no host, user info, or characters no host has.
pub fn registry_host(url: &str) -> Result<(String, bool), String> {
    let (plain, rest) = if let Some(r) = url.strip_prefix("https://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (true, r)
    } else {
        return Err("registry.url must start with http:// or https://".into());
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err("registry.url has no host (or has user info)".into());
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
    {
        return Err("registry.url: the host has characters a host cannot have".into());
    }
    Ok((host.to_ascii_lowercase(), plain))
}

/// A scan request's fields, as Harbor sent them.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub url: &'a str,
    pub authorization: Option<&'a str>,
    pub repository: &'a str,
    pub digest: &'a str,
    pub tag: Option<&'a str>,
    pub mime_type: Option<&'a str>,
}

/// Check a scan request's fields; the reference to pull, `host/repository@digest`.
///
/// # Errors
/// The first field that is wrong, named as the spec names it (for a 422).
pub fn check_fields(f: &Fields<'_>) -> Result<String, String> {
    if f.url.len() > 2048 {
        return Err("registry.url longer than 2048 bytes".into());
    }
    let (host, _) = registry_host(f.url)?;
    if f.repository.is_empty() || f.repository.len() > 512 {
        return Err("artifact.repository: 1 to 512 bytes".into());
    }
    let hex = f.digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err("artifact.digest must be sha256: and 64 lowercase hex digits".into());
    }
    if let Some(m) = f.mime_type
        && !m.is_empty()
        && !CONSUMES.contains(&m)
    {
        return Err(format!(
            "artifact.mime_type {m:?} is not scanned (consumed: {})",
            CONSUMES.join(", ")
        ));
    }
    if let Some(t) = f.tag
        && (t.len() > 128 || t.chars().any(char::is_control))
    {
        return Err("artifact.tag: at most 128 bytes, no control characters".into());
    }
    if let Some(z) = f.authorization.filter(|z| !z.is_empty()) {
        if z.len() > 16 << 10 || z.chars().any(char::is_control) {
            return Err("registry.authorization: at most 16 KiB, no control characters".into());
        }
        let scheme = z.split(' ').next().unwrap_or_default();
        if !scheme.eq_ignore_ascii_case("basic") && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "registry.authorization: scheme {scheme:?} is neither Basic nor Bearer"
            ));
        }
    }
    Ok(format!("{host}/{}@{}", f.repository, f.digest))
}

/// The report MIME type to answer an `Accept` with (`None` header: the first we produce;
/// `None` result: nothing we produce was asked for). Parameters compare without spaces.
pub fn pick_mime(accept: Option<&str>) -> Option<&'static str> {
    let Some(accept) = accept else {
        return Some(PRODUCES[0]);
    };
    let norm = |s: &str| {
        s.split(';')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(";")
            .to_ascii_lowercase()
    };
    for want in accept.split(',').take(64) {
        let w = norm(want);
        if w.is_empty() || w == "*/*" || w == "application/*" {
            return Some(PRODUCES[0]);
        }
        if let Some(p) = PRODUCES.iter().find(|p| norm(p) == w) {
            return Some(p);
        }
    }
    None
}

/// Seconds from an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SS…`) to `now` (Unix seconds); `None`
/// when it does not parse or lies in the future.
pub fn age_seconds(t: &str, now: u64) -> Option<u64> {
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days since the epoch of a civil date (the proleptic Gregorian calendar).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let then = days * 86_400 + h * 3600 + mi * 60 + s;
    u64::try_from(i64::try_from(now).ok()? - then).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        // 2026-12-04T00:00:00Z is 1796342400.
        assert_eq!(age_seconds("2026-12-04T00:00:00Z", 1_796_342_400), Some(0));
        assert_eq!(
            age_seconds("2026-12-03T23:00:00.123Z", 1_796_342_400),
            Some(3600)
        );
        assert_eq!(age_seconds("1970-01-01T00:00:00Z", 86_400), Some(86_400));
        assert_eq!(age_seconds("2026-12-05T00:00:00Z", 1_796_342_400), None);
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "+026-12-04T00:00:00Z",
            "2026-12-04",
        ] {
            assert_eq!(age_seconds(bad, 1_796_342_400), None, "{bad}");
        }
    }

    #[test]
    fn accept_headers() {
        assert_eq!(pick_mime(None), Some(PRODUCES[0]));
        assert_eq!(pick_mime(Some("*/*")), Some(PRODUCES[0]));
        assert_eq!(
            pick_mime(Some(
                "application/vnd.scanner.adapter.vuln.report.harbor+json;version=1.0"
            )),
            Some(PRODUCES[1])
        );
        assert_eq!(
            pick_mime(Some("application/vnd.scanner.adapter.vuln.report.raw")),
            None
        );
    }

    #[test]
    fn fields() {
        let d = format!("sha256:{}", "a".repeat(64));
        let ok = Fields {
            url: "https://Core.Harbor.Domain/",
            authorization: Some("Basic eDp5"),
            repository: "library/mongo",
            digest: &d,
            tag: Some("3.14"),
            mime_type: Some(CONSUMES[1]),
        };
        assert_eq!(
            check_fields(&ok).unwrap(),
            format!("core.harbor.domain/library/mongo@{d}")
        );
        assert_eq!(
            registry_host("http://harbor-core:8080/x").unwrap(),
            ("harbor-core:8080".to_string(), true)
        );
        for (f, why) in [
            (
                Fields {
                    url: "ftp://x",
                    ..ok
                },
                "registry.url",
            ),
            (
                Fields {
                    url: "http://u:p@x",
                    ..ok
                },
                "registry.url",
            ),
            (
                Fields {
                    url: "http://x?y",
                    ..ok
                },
                "registry.url",
            ),
            (
                Fields {
                    digest: "sha256:AB",
                    ..ok
                },
                "artifact.digest",
            ),
            (
                Fields {
                    repository: "",
                    ..ok
                },
                "artifact.repository",
            ),
            (
                Fields {
                    mime_type: Some("text/plain"),
                    ..ok
                },
                "mime_type",
            ),
            (
                Fields {
                    authorization: Some("Digest x"),
                    ..ok
                },
                "Basic nor Bearer",
            ),
            (
                Fields {
                    tag: Some("a\nb"),
                    ..ok
                },
                "artifact.tag",
            ),
        ] {
            let e = check_fields(&f).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }
}
