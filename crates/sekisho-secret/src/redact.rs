//! The only two things ever derived from a secret value: a redacted form that shows at most the
//! format's public prefix (`ghp_****`), and a stable fingerprint (the first 16 hex digits of
//! SHA-256 over the rule ID, a NUL and the value) for ignore files and tracking across runs.
//!
//! Neither can give the value back. A fingerprint does let someone who already guesses a value
//! confirm the guess, as any hash does; that is why generic rules demand entropy first.

use sha2::{Digest as _, Sha256};

/// Longest `show` context kept in a redacted form (bytes).
const MAX_SHOW: usize = 64;

/// `sha256(rule ‖ 0 ‖ value)`, first 8 bytes as 16 lower-case hex digits.
pub fn fingerprint(rule: &str, value: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(value);
    hex16(&h.finalize())
}

/// The first 8 bytes of a digest as hex.
pub fn hex16(d: &[u8]) -> String {
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `show` + `sep` + the first `reveal` bytes of the value + `****`. The revealed prefix is the
/// format's fixed prefix (`ghp_`, `AKIA`); it is cut to at most a third of the value so a short
/// value is never mostly shown.
pub fn redact(show: &[u8], sep: &str, value: &[u8], reveal: usize) -> String {
    let mut out = String::new();
    if !show.is_empty() {
        out.push_str(&printable(&show[..show.len().min(MAX_SHOW)]));
        out.push_str(sep);
    }
    let n = reveal.min(value.len() / 3);
    out.push_str(&printable(&value[..n]));
    out.push_str("****");
    out
}

/// Text safe to print on one line: control and non-ASCII bytes become `?`.
fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let v = b"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";
        assert_eq!(redact(b"", "", v, 4), "ghp_****");
        assert_eq!(
            redact(b"DB_PASSWORD", "=", b"hunter2!", 0),
            "DB_PASSWORD=****"
        );
        // A short value never shows more than a third.
        assert_eq!(redact(b"", "", b"abcdef", 4), "ab****");
        assert_eq!(redact(b"a\nb", " ", b"x", 0), "a?b ****");
        let f = fingerprint("github-pat", v);
        assert_eq!(f.len(), 16);
        assert_eq!(f, fingerprint("github-pat", v));
        assert_ne!(f, fingerprint("github-oauth-token", v));
    }
}
