//! Values that have a secret's shape but are not secrets, so never reported: documented example
//! keys, placeholders (`<your-api-key>`, `xxxx`, `changeme`), templates (`${VAR}`, `{{ .x }}`,
//! `%(name)s`), values with too little entropy, and, for generic `password=` / `secret=`
//! assignments, hex digests, UUIDs, identifiers and paths. Values inside a base64 data URI (or a
//! long base64 run) are decoys too: random base64 spells token prefixes by chance.
//!
//! Public keys and certificates never reach this module: no rule matches them.

use crate::rules::Detector;

/// Documented example credentials, exactly as vendors publish them.
const KNOWN_EXAMPLES: &[&str] = &[
    // AWS documentation (IAM user guide, CLI configuration pages).
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // Stripe API reference test keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "sk_test_26PHem9AhJZvU623DfE1x4sd",
    // The jwt.io and RFC 7519 sample tokens are recognised by payload (see `jwt_sample`).
];

/// Substrings (compared in lower case) that mark a placeholder.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "placeholder",
    "your",
    "xxxx",
    "****",
    "....",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "fake",
    "notreal",
    "not_real",
    "not-real",
    "replace",
    "insert_",
    "0123456789",
    "1234567890",
    "abcdefghij",
];

/// Whole values (compared in lower case) that are placeholders.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "token",
    "admin",
    "root",
    "user",
    "username",
    "test",
    "testing",
    "foobar",
    "foo",
    "bar",
    "hunter2",
    "letmein",
    "default",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "required",
    "optional",
    "string",
    "mypassword",
    "mysecret",
    "secretpassword",
    "p@ssw0rd",
    "passw0rd",
    "s3cr3t",
    "pa55word",
    "qwerty",
    "qwerty123",
    "password1",
    "password123",
    "123456",
    "12345678",
    "guest",
    "demo",
];

/// Prefixes of formats with a checksum or structure check: a generic rule does not report a
/// value of such a format (its own rule reports it, or its check proved it is not one).
const CHECKED_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "npm_",
    "pypi-",
    "AGE-SECRET-KEY-",
    "eyJ",
];

/// Template markers: the value is filled in elsewhere.
const TEMPLATE_MARKS: &[&str] = &[
    "${", "{{", "}}", "$(", "%(", "%{", "#{", "<%", "%>", "@@", "[[", "]]",
];

/// Why a value is not reported, or `None` when it may be a secret.
pub fn value_decoy(det: &Detector, value: &[u8], after: &[u8]) -> Option<&'static str> {
    let Ok(v) = std::str::from_utf8(value) else {
        return det.generic.then_some("not text");
    };
    if KNOWN_EXAMPLES.contains(&v) {
        return Some("documented example key");
    }
    let lower = v.to_ascii_lowercase();
    if v.starts_with('$') || TEMPLATE_MARKS.iter().any(|m| v.contains(m)) {
        return Some("template");
    }
    if v.contains('<') || v.contains('>') || PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p)) {
        return Some("placeholder");
    }
    let trimmed = lower.trim_matches(|c: char| c.is_ascii_punctuation());
    if PLACEHOLDER_WORDS.contains(&trimmed) {
        return Some("placeholder");
    }
    if value.len() >= 6 && distinct(value) <= 3 {
        return Some("low entropy");
    }
    if det.min_entropy > 0.0 && entropy(value) < f64::from(det.min_entropy) {
        return Some("low entropy");
    }
    if det.check == crate::rules::Check::Jwt && jwt_sample(value) {
        return Some("documented example token");
    }
    if matches!(
        det.rule.id,
        "url-credentials" | "database-url-password" | "git-credentials"
    ) && example_host(after)
    {
        return Some("example host");
    }
    if det.generic {
        if CHECKED_PREFIXES.iter().any(|p| v.starts_with(p)) {
            return Some("a known token format that failed its check");
        }
        if is_hex_digest(value) {
            return Some("hex digest");
        }
        if is_uuid(value) {
            return Some("UUID");
        }
        if is_identifier(v) {
            return Some("identifier, not a value");
        }
        if matches!(value.first(), Some(b'/' | b'.' | b'~')) || v.starts_with("file:") {
            return Some("path");
        }
        if classes(value) < det.min_classes {
            return Some("too few character classes");
        }
    }
    None
}

/// Whether what follows a generic value shows it is code, not a literal: a call or index
/// (`password = getpass(...)`, `token = cfg["x"]`).
pub fn code_follows(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(b'(' | b'['))
}

/// Whether the secret at `start` of `buf` sits inside a base64 data URI or a long base64 run.
pub fn in_base64_blob(buf: &[u8], start: usize) -> bool {
    const LONG_RUN: usize = 200;
    let mut i = start;
    let floor = start.saturating_sub(LONG_RUN + 8);
    while i > floor && is_b64(buf[i - 1]) {
        i -= 1;
    }
    if start - i >= LONG_RUN {
        return true;
    }
    // `data:<mime>;base64,` right before the run.
    buf[..i].ends_with(b";base64,") || buf[..i].ends_with(b"base64,")
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Shannon entropy in bits per byte.
pub fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in v {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn distinct(v: &[u8]) -> usize {
    let mut seen = [false; 256];
    v.iter()
        .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
        .count()
}

/// Lower case, upper case, digits, other: how many of the four occur.
pub fn classes(v: &[u8]) -> u8 {
    let mut c = [false; 4];
    for &b in v {
        let i = if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        };
        c[i] = true;
    }
    c.iter().filter(|&&x| x).count() as u8
}

/// A hex digest: MD5, SHA-1, SHA-224/256/384/512 lengths, optionally `alg:`/`alg=` prefixed.
pub fn is_hex_digest(v: &[u8]) -> bool {
    let v = match v.iter().position(|&b| b == b':' || b == b'=') {
        Some(i) if v[..i].iter().all(u8::is_ascii_alphanumeric) && i <= 8 => &v[i + 1..],
        _ => v,
    };
    matches!(v.len(), 32 | 40 | 56 | 64 | 96 | 128) && v.iter().all(u8::is_ascii_hexdigit)
}

/// An RFC 9562 UUID in its 8-4-4-4-12 text form.
pub fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A variable or attribute name (`self.password`, `DB_PASSWORD`, `os.environ`), not a value:
/// letters, `_` and `.` only, or a call / index expression.
fn is_identifier(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'.' || b == b'-')
        || v.starts_with("process.env")
        || v.starts_with("os.environ")
        || v.starts_with("os.getenv")
        || v.starts_with("self.")
        || v.starts_with("this.")
}

/// `@host` of a URL match is a documentation host (RFC 2606 / RFC 6761 names).
fn example_host(after: &[u8]) -> bool {
    let Some(rest) = after.strip_prefix(b"@") else {
        return false;
    };
    let end = rest
        .iter()
        .position(|&b| matches!(b, b':' | b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = String::from_utf8_lossy(&rest[..end]).to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    [
        "example.com",
        "example.org",
        "example.net",
        "example",
        "invalid",
        "test",
    ]
    .iter()
    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || matches!(host, "host" | "hostname" | "server" | "domain" | "yourhost")
}

/// The sample JWT of jwt.io and of many tutorials (`sub` 1234567890, `name` John Doe).
fn jwt_sample(v: &[u8]) -> bool {
    crate::validate::jwt_payload(v).is_some_and(|p| {
        p.get("sub").and_then(|s| s.as_str()) == Some("1234567890")
            || p.get("name").and_then(|s| s.as_str()) == Some("John Doe")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::detector;

    fn det(id: &str) -> &'static Detector {
        detector(id).unwrap().1
    }

    #[test]
    fn example_keys_placeholders_and_templates() {
        let aws = det("aws-access-key-id");
        assert_eq!(
            value_decoy(aws, b"AKIAIOSFODNN7EXAMPLE", b""),
            Some("documented example key")
        );
        assert_eq!(
            value_decoy(aws, b"AKIAXYZEXAMPLEABCDEF", b""),
            Some("placeholder")
        );
        assert_eq!(value_decoy(aws, b"AKIA2OGYBAH6TQLTMBQW", b""), None);
        let g = det("generic-secret");
        for v in [
            "${API_TOKEN}",
            "$API_TOKEN",
            "{{ .Values.token }}",
            "%(token)s",
            "<your-api-key>",
            "your_api_key_here_please",
            "xxxxxxxxxxxxxxxxxxxx",
            "changeme-changeme-123",
            "0123456789abcdef0123",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "123e4567-e89b-12d3-a456-426614174000",
            "settings.SECRET_KEY_VALUE",
            "process.env.SECRET_TOKEN",
            "/etc/ssl/private/server.key",
            "aaaaaaaaaaaaaaaabbbbbbbb",
        ] {
            assert!(value_decoy(g, v.as_bytes(), b"").is_some(), "{v}");
        }
        assert_eq!(value_decoy(g, b"q8Zt4fR2mW9xLp3Kd7Vn1Bs6", b""), None);
        let p = det("generic-password");
        assert_eq!(value_decoy(p, b"password", b""), Some("placeholder"));
        assert_eq!(value_decoy(p, b"Zr8#kq2LxP!9vT4m", b""), None);
        let u = det("url-credentials");
        assert_eq!(
            value_decoy(u, b"S3cr3tPw9", b"@db.example.com:5432"),
            Some("example host")
        );
        assert_eq!(value_decoy(u, b"S3cr3tPw9", b"@db.internal:5432"), None);
        // UUIDs are decoys only for generic rules: legacy npm tokens are UUIDs.
        let npm = det("npmrc-auth");
        assert_eq!(
            value_decoy(npm, b"9f2b5c1e-3a4d-4e8f-9b7c-1d2e3f4a5b6c", b""),
            None
        );
    }

    #[test]
    fn data_uris_and_base64_runs() {
        let s = b"<img src=\"data:image/png;base64,AKIA2OGYBAH6TQLTMBQW\">";
        let at = s.windows(4).position(|w| w == b"AKIA").unwrap();
        assert!(in_base64_blob(s, at));
        let mut long = vec![b'Q'; 300];
        long.extend_from_slice(b"/ghp_x");
        assert!(in_base64_blob(&long, 301));
        assert!(!in_base64_blob(b"key = AKIA2OGYBAH6TQLTMBQW", 6));
    }

    #[test]
    fn jwt_samples() {
        let jwt = det("jwt");
        let sample = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(
            value_decoy(jwt, sample, b""),
            Some("documented example token")
        );
    }

    #[test]
    fn entropy_and_shapes() {
        assert!(entropy(b"aaaa") < 0.01);
        assert!((entropy(b"ab") - 1.0).abs() < 1e-9);
        assert_eq!(classes(b"aB3!"), 4);
        assert!(is_hex_digest(b"d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_hex_digest(b"d41d8cd98f00b204e9800998ecf8427"));
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
    }
}
