//! Offline format checks: a regex says a value has the shape of a token; these say it is one.
//! Each cuts false positives where the format carries its own structure or checksum.
//!
//! - GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`) tokens end in the CRC32 of
//!   the 30 random characters before it, as 6 base62 digits (`0-9A-Za-z`), zero-padded
//!   ("Behind GitHub's new authentication token formats", 2021; npm's token format, 2021).
//! - PyPI API tokens are `pypi-` + unpadded base64url of a version-2 binary macaroon
//!   (libmacaroons' format: version byte 2, fields `type, varint length, data`, EOS 0; a header
//!   of optional location (1) and identifier (2); caveats of optional location, identifier,
//!   optional verifier id (4); then the 32-byte signature (6)).
//! - age secret keys are bech32 (BIP-173) with the `age-secret-key-` HRP.
//! - JWTs (RFC 7519 / RFC 7515 compact form): header and payload are base64url JSON objects.
//! - OpenSSH keys (PROTOCOL.key): `openssh-key-v1\0`, then the cipher name as an SSH string.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::rules::Check;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Base64url, padding optional (tokens strip it; some tools keep it).
const URL_LAX: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// Standard base64, padding optional.
const STD_LAX: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Run `check` on the secret value.
pub fn check(c: Check, value: &[u8]) -> bool {
    match c {
        Check::None | Check::Pkcs12 => true,
        Check::GithubCrc | Check::NpmCrc => crc32_tail(value),
        Check::Macaroon => value
            .strip_prefix(b"pypi-")
            .and_then(|b| URL_LAX.decode(b).ok())
            .is_some_and(|m| macaroon_v2(&m)),
        Check::Bech32 => bech32(value),
        Check::Jwt => jwt(value),
        Check::DockerAuth => docker_auth(value),
        Check::OpensshPlain => openssh_cipher(value).as_deref() == Some("none"),
        Check::OpensshEncrypted => openssh_cipher(value).is_some_and(|c| c != "none"),
        Check::PemBase64 => pem_base64(value),
    }
}

/// `prefix_` + 30 base62 characters + 6 base62 digits of their CRC32.
pub fn crc32_tail(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, tail) = body.split_at(30);
    let Some(want) = base62_decode(tail) else {
        return false;
    };
    u64::from(crc32fast::hash(random)) == want
}

/// Base62 digits (`0-9A-Za-z`) as a number; `None` on a foreign byte or overflow.
pub fn base62_decode(s: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &b in s {
        let d = BASE62.iter().position(|&c| c == b)? as u64;
        n = n.checked_mul(62)?.checked_add(d)?;
    }
    Some(n)
}

/// `n` as exactly `width` base62 digits, zero-padded (for building test vectors).
pub fn base62_encode(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

fn varint(b: &[u8], pos: &mut usize) -> Option<usize> {
    let mut v: usize = 0;
    for shift in (0..35).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// One field: `(type, data)`; type 0 (EOS) has no length or data.
fn field<'a>(b: &'a [u8], pos: &mut usize) -> Option<(u8, &'a [u8])> {
    let t = *b.get(*pos)?;
    *pos += 1;
    if t == 0 {
        return Some((0, &[]));
    }
    let n = varint(b, pos)?;
    let end = pos.checked_add(n)?;
    let data = b.get(*pos..end)?;
    *pos = end;
    Some((t, data))
}

/// Whether `b` is a well-formed version-2 binary macaroon.
pub fn macaroon_v2(b: &[u8]) -> bool {
    const LOCATION: u8 = 1;
    const IDENTIFIER: u8 = 2;
    const VID: u8 = 4;
    const SIGNATURE: u8 = 6;
    if b.first() != Some(&2) {
        return false;
    }
    let mut pos = 1;
    // Header: [location] identifier EOS.
    let Some(mut f) = field(b, &mut pos) else {
        return false;
    };
    if f.0 == LOCATION {
        let Some(next) = field(b, &mut pos) else {
            return false;
        };
        f = next;
    }
    if f.0 != IDENTIFIER || f.1.is_empty() || field(b, &mut pos).map(|x| x.0) != Some(0) {
        return false;
    }
    // Caveats, each [location] identifier [vid] EOS; an EOS ends the list.
    for _ in 0..1024 {
        let Some(mut f) = field(b, &mut pos) else {
            return false;
        };
        if f.0 == 0 {
            // Signature, then nothing.
            return matches!(field(b, &mut pos), Some((SIGNATURE, s)) if s.len() == 32)
                && pos == b.len();
        }
        if f.0 == LOCATION {
            let Some(next) = field(b, &mut pos) else {
                return false;
            };
            f = next;
        }
        if f.0 != IDENTIFIER {
            return false;
        }
        let Some(mut f) = field(b, &mut pos) else {
            return false;
        };
        if f.0 == VID {
            let Some(next) = field(b, &mut pos) else {
                return false;
            };
            f = next;
        }
        if f.0 != 0 {
            return false;
        }
    }
    false
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A BIP-173 bech32 string (one case only) with a valid checksum.
pub fn bech32(s: &[u8]) -> bool {
    if s.len() > 1024
        || (s.iter().any(u8::is_ascii_lowercase) && s.iter().any(u8::is_ascii_uppercase))
    {
        return false;
    }
    let lower: Vec<u8> = s.iter().map(u8::to_ascii_lowercase).collect();
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut vals = Vec::with_capacity(data.len());
    for &c in data {
        match BECH32.iter().position(|&x| x == c) {
            Some(v) => vals.push(v as u8),
            None => return false,
        }
    }
    let expanded = hrp
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|c| c & 31))
        .chain(vals.iter().copied());
    polymod(expanded) == 1
}

/// The bech32 checksum characters for `hrp` and 5-bit `data` (for building test vectors).
pub fn bech32_checksum(hrp: &str, data: &[u8]) -> String {
    let h = hrp.as_bytes();
    let values = h
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(h.iter().map(|c| c & 31))
        .chain(data.iter().copied())
        .chain([0u8; 6]);
    let pm = polymod(values) ^ 1;
    (0..6)
        .map(|i| BECH32[((pm >> (5 * (5 - i))) & 31) as usize] as char)
        .collect()
}

fn json_object(seg: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    if seg.len() > 8192 {
        return None;
    }
    let raw = URL_LAX.decode(seg).ok()?;
    match serde_json::from_slice(&raw).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A compact JWS: JSON-object header with a string `alg`, JSON-object payload.
pub fn jwt(v: &[u8]) -> bool {
    let mut parts = v.split(|&b| b == b'.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else {
        return false;
    };
    json_object(h).is_some_and(|m| m.get("alg").is_some_and(serde_json::Value::is_string))
        && json_object(p).is_some()
}

/// The decoded JWT payload, for the decoy check of documented sample tokens.
pub fn jwt_payload(v: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    json_object(v.split(|&b| b == b'.').nth(1)?)
}

/// Base64 `user:password`, both sides non-empty and printable.
pub fn docker_auth(v: &[u8]) -> bool {
    let Ok(raw) = STD_LAX.decode(v) else {
        return false;
    };
    let Ok(s) = std::str::from_utf8(&raw) else {
        return false;
    };
    match s.split_once(':') {
        Some((u, p)) => !u.is_empty() && !p.is_empty() && !s.chars().any(char::is_control),
        None => false,
    }
}

/// Strip line breaks (real or JSON-escaped) from a base64 body.
fn body_chars(v: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(max);
    let mut i = 0;
    while i < v.len() && out.len() < max {
        match v[i] {
            b'\\' if matches!(v.get(i + 1), Some(b'n' | b'r')) => i += 2,
            b'\r' | b'\n' => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decode the first whole base64 quanta of `chars`.
fn decode_prefix(chars: &[u8]) -> Option<Vec<u8>> {
    let n = chars.len() / 4 * 4;
    general_purpose::STANDARD_NO_PAD
        .decode(
            chars[..n]
                .iter()
                .filter(|&&b| b != b'=')
                .copied()
                .collect::<Vec<_>>(),
        )
        .ok()
        .or_else(|| STANDARD.decode(&chars[..n]).ok())
}

/// The cipher name of an OpenSSH key body (`none` when unencrypted).
pub fn openssh_cipher(v: &[u8]) -> Option<String> {
    let raw = decode_prefix(&body_chars(v, 80))?;
    let rest = raw.strip_prefix(b"openssh-key-v1\0")?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    if len == 0 || len > 64 {
        return None;
    }
    match rest.get(4..4 + len) {
        Some(name) => Some(String::from_utf8_lossy(name).into_owned()),
        // The name runs past what the regex kept: it is longer than `none`.
        None => Some(String::from_utf8_lossy(&rest[4..]).into_owned() + "…"),
    }
}

/// Base64 of `-----BEGIN ... PRIVATE KEY-----`.
pub fn pem_base64(v: &[u8]) -> bool {
    let Some(raw) = decode_prefix(&body_chars(v, 120)) else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw);
    head.strip_prefix("-----BEGIN ")
        .and_then(|r| r.find("-----").map(|e| &r[..e]))
        .is_some_and(|label| label.ends_with("PRIVATE KEY"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(prefix: &str, random: &str) -> String {
        assert_eq!(random.len(), 30);
        format!(
            "{prefix}{random}{}",
            base62_encode(u64::from(crc32fast::hash(random.as_bytes())), 6)
        )
    }

    #[test]
    fn github_crc_vectors() {
        // Published test vectors (revoked tokens) of the GitHub format.
        for t in [
            "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",
            "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",
            "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",
            "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",
        ] {
            assert!(crc32_tail(t.as_bytes()), "{t}");
        }
        for t in [
            "ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3",
            "ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V/",
            "ghp_T4V4",
            "ghpM7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V4",
            // GitHub's documentation example token: the right shape, a wrong checksum.
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ] {
            assert!(!crc32_tail(t.as_bytes()), "{t}");
        }
        let t = gh("npm_", "abcdefghijABCDEFGHIJ0123456789");
        assert!(crc32_tail(t.as_bytes()));
        assert_eq!(base62_decode(b"000010"), Some(62));
        assert_eq!(base62_encode(62, 6), "000010");
        assert_eq!(base62_decode(b"zz!"), None);
    }

    fn varint_bytes(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn f(t: u8, d: &[u8], out: &mut Vec<u8>) {
        out.push(t);
        varint_bytes(d.len(), out);
        out.extend_from_slice(d);
    }

    /// A macaroon shaped like PyPI's.
    pub fn pypi_macaroon() -> Vec<u8> {
        let mut m = vec![2];
        f(1, b"pypi.org", &mut m);
        f(2, b"\x00\x01\x02\x03 identifier bytes 0123456789", &mut m);
        m.push(0);
        f(2, br#"{"version": 1, "permissions": "user"}"#, &mut m);
        m.push(0);
        f(2, br#"{"version": 1, "expiration": 1700000000}"#, &mut m);
        m.push(0);
        m.push(0);
        f(6, &[7u8; 32], &mut m);
        m
    }

    #[test]
    fn macaroons() {
        let m = pypi_macaroon();
        assert!(macaroon_v2(&m));
        let tok = format!("pypi-{}", general_purpose::URL_SAFE_NO_PAD.encode(&m));
        assert!(tok.starts_with("pypi-AgEIcHlwaS5vcmc"), "{tok}");
        assert!(check(Check::Macaroon, tok.as_bytes()));
        // Truncated, trailing bytes, short signature, wrong version.
        assert!(!macaroon_v2(&m[..m.len() - 1]));
        let mut t = m.clone();
        t.push(0);
        assert!(!macaroon_v2(&t));
        let mut v1 = m.clone();
        v1[0] = 1;
        assert!(!macaroon_v2(&v1));
        assert!(!check(
            Check::Macaroon,
            b"pypi-AgEIcHlwaS5vcmcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
        assert!(!macaroon_v2(&[]));
        assert!(!macaroon_v2(&[2, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    }

    #[test]
    fn bech32_checksums() {
        // BIP-173 valid test vectors.
        for s in [
            "A12UEL5L",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        ] {
            assert!(bech32(s.as_bytes()), "{s}");
        }
        for s in ["A12UEL5l", "a12uel5m", "pzry9x0s0muk", "1pzry9x0s0muk"] {
            assert!(!bech32(s.as_bytes()), "{s}");
        }
        let data: Vec<u8> = (0..52).map(|i| (i * 7 % 32) as u8).collect();
        let body: String = data.iter().map(|&v| BECH32[v as usize] as char).collect();
        let key = format!(
            "AGE-SECRET-KEY-1{body}{}",
            bech32_checksum("age-secret-key-", &data)
        )
        .to_ascii_uppercase();
        assert!(bech32(key.as_bytes()), "{key}");
    }

    #[test]
    fn jwts_and_docker_auth() {
        let h = general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"svc","iat":1}"#);
        assert!(jwt(format!("{h}.{p}.c2ln").as_bytes()));
        let no_alg = general_purpose::URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT"}"#);
        assert!(!jwt(format!("{no_alg}.{p}.x").as_bytes()));
        assert!(!jwt(b"eyJub3Rqc29u.eyJ4.y"));
        assert!(docker_auth(STANDARD.encode("me:s3cr3t").as_bytes()));
        assert!(!docker_auth(STANDARD.encode("nocolon").as_bytes()));
        assert!(!docker_auth(STANDARD.encode("me:").as_bytes()));
        assert!(!docker_auth(b"!!!!"));
    }

    #[test]
    fn openssh_and_pem_bodies() {
        let mut plain = b"openssh-key-v1\0".to_vec();
        plain.extend_from_slice(&4u32.to_be_bytes());
        plain.extend_from_slice(b"none");
        plain.extend_from_slice(&[0u8; 30]);
        let b = STANDARD.encode(&plain);
        assert_eq!(openssh_cipher(b.as_bytes()).as_deref(), Some("none"));
        assert!(check(Check::OpensshPlain, b.as_bytes()));
        let mut enc = b"openssh-key-v1\0".to_vec();
        enc.extend_from_slice(&10u32.to_be_bytes());
        enc.extend_from_slice(b"aes256-ctr");
        enc.extend_from_slice(&[1u8; 30]);
        let e = STANDARD.encode(&enc);
        assert!(check(Check::OpensshEncrypted, e.as_bytes()));
        assert!(!check(Check::OpensshPlain, e.as_bytes()));
        // Wrapped at 70 with a JSON-escaped newline.
        let wrapped = format!("{}\\n{}", &b[..40], &b[40..]);
        assert_eq!(openssh_cipher(wrapped.as_bytes()).as_deref(), Some("none"));

        let k = STANDARD.encode("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...");
        assert!(pem_base64(k.as_bytes()));
        let c = STANDARD.encode("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE...");
        assert!(!pem_base64(c.as_bytes()));
        let pk = STANDARD.encode("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh...");
        assert!(!pem_base64(pk.as_bytes()));
    }
}
