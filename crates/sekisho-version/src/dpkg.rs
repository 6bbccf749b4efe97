//! Debian/Ubuntu package versions, ordered as dpkg orders them.
//!
//! Syntax and ordering follow deb-version(7) and dpkg's `lib/dpkg/version.c` behaviour:
//! `[epoch:]upstream_version[-debian_revision]`; the epoch is a decimal integer (default 0), the
//! revision is everything after the last `-`. Strings are compared with dpkg's "verrevcmp": runs of
//! non-digits compare character by character with `~` before everything (even the end), letters
//! before non-letters; runs of digits compare numerically.

use std::cmp::Ordering;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    /// The epoch (0 when absent).
    pub epoch: u32,
    /// The upstream version.
    pub upstream: String,
    /// The Debian revision ("" when absent).
    pub revision: String,
}

impl DpkgVersion {
    /// Parse like dpkg's strict `parseversion()` (what dpkg warns about is rejected here).
    ///
    /// # Errors
    /// A reason string when the version is not valid.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        if s.chars().any(char::is_whitespace) {
            return Err("version string has embedded spaces".into());
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() {
                    return Err("epoch in version is empty".into());
                }
                if !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("epoch in version is not number".into());
                }
                let epoch: u32 = e
                    .parse()
                    .ok()
                    .filter(|n| *n <= i32::MAX as u32)
                    .ok_or_else(|| "epoch in version is too big".to_string())?;
                if rest.is_empty() {
                    return Err("nothing after colon in version number".into());
                }
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => {
                let rev = &rest[i + 1..];
                if rev.is_empty() {
                    return Err("revision number is empty".into());
                }
                (&rest[..i], rev)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty".into());
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err("version number does not start with digit".into());
        }
        if let Some(c) = upstream
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~' | ':')))
        {
            return Err(format!("invalid character {c:?} in version number"));
        }
        if let Some(c) = revision
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~')))
        {
            return Err(format!("invalid character {c:?} in revision number"));
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Weight of one character in a non-digit run (`None` = end of the run).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of one upstream-version or revision string.
pub fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit prefix.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run, compared numerically (leading zeros skipped).
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl PartialEq for DpkgVersion {
    /// Equal when they order equal (`1.0` and `1.00` are the same version).
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DpkgVersion {}
