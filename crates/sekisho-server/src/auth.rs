//! Bearer tokens from `--token-file`: several, each read-only or read-write, compared in
//! constant time (SHA-256 of the presented token against each stored digest, every entry
//! checked), never logged or echoed.
//!
//! File format, one token per line: `rw <token>` or `ro <token>`; blank lines and lines
//! starting with `#` are ignored. Tokens are at least 16 bytes of printable ASCII without spaces.

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

/// The tokens the server accepts (their digests only).
#[derive(Clone, Default)]
pub struct Tokens {
    entries: Vec<([u8; 32], Access)>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} entries)", self.entries.len())
    }
}

/// Shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

impl Tokens {
    /// Parse a token file's text. Errors name the line, never the token.
    ///
    /// # Errors
    /// A malformed line, a short token, or no token at all.
    pub fn parse(file: &str, text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(mode), Some(token), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!(
                    "{file}:{}: expected `rw <token>` or `ro <token>`",
                    n + 1
                ));
            };
            let access = match mode {
                "rw" => Access::ReadWrite,
                "ro" => Access::ReadOnly,
                _ => {
                    return Err(format!(
                        "{file}:{}: access must be `rw` or `ro`, not {mode:?}",
                        n + 1
                    ));
                }
            };
            if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "{file}:{}: a token is at least {MIN_TOKEN_LEN} printable ASCII characters",
                    n + 1
                ));
            }
            entries.push((Sha256::digest(token.as_bytes()).into(), access));
        }
        if entries.is_empty() {
            return Err(format!("{file}: no token"));
        }
        Ok(Self { entries })
    }

    /// Read a token file.
    ///
    /// # Errors
    /// When it cannot be read or does not parse.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read token file {}: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The access a presented token grants, if any. Time does not depend on which entry
    /// matches or how much of it does.
    pub fn check(&self, presented: &[u8]) -> Option<Access> {
        let d: [u8; 32] = Sha256::digest(presented).into();
        let mut found: Option<Access> = None;
        for (stored, access) in &self.entries {
            let eq: bool = stored.ct_eq(&d).into();
            if eq {
                found = Some(found.map_or(*access, |f| f.max(*access)));
            }
        }
        found
    }

    /// The access of an `Authorization` header value (`Bearer <token>`).
    pub fn check_header(&self, value: Option<&[u8]>) -> Option<Access> {
        let v = value?;
        let rest = v
            .strip_prefix(b"Bearer ")
            .or_else(|| v.strip_prefix(b"bearer "))?;
        let rest = rest.trim_ascii();
        if rest.is_empty() {
            return None;
        }
        self.check(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let t = Tokens::parse(
            "t",
            "# admins\nrw aaaaaaaaaaaaaaaaaaaa\n\nro bbbbbbbbbbbbbbbbbbbb\n",
        )
        .unwrap();
        assert_eq!(
            t.check_header(Some(b"Bearer aaaaaaaaaaaaaaaaaaaa")),
            Some(Access::ReadWrite)
        );
        assert_eq!(
            t.check_header(Some(b"Bearer bbbbbbbbbbbbbbbbbbbb")),
            Some(Access::ReadOnly)
        );
        assert_eq!(t.check_header(Some(b"Bearer bbbbbbbbbbbbbbbbbbbc")), None);
        assert_eq!(t.check_header(Some(b"bbbbbbbbbbbbbbbbbbbb")), None);
        assert_eq!(t.check_header(Some(b"Bearer ")), None);
        assert_eq!(t.check_header(None), None);
    }

    #[test]
    fn errors_never_show_the_token() {
        let e = Tokens::parse("f", "rw short-secret").unwrap_err();
        assert!(!e.contains("short-secret"), "{e}");
        assert!(e.starts_with("f:1:"));
        let e = Tokens::parse("f", "admin verysecretverysecret").unwrap_err();
        assert!(!e.contains("verysecret"), "{e}");
        assert!(Tokens::parse("f", "# nothing\n").is_err());
        assert!(Tokens::parse("f", "rw a b").is_err());
    }
}
