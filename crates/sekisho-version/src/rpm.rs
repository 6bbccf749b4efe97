//! RPM package versions (`[epoch:]version[-release]`), ordered as rpm's `rpmvercmp()` does.
//!
//! The algorithm follows rpm's documented behaviour (rpm.org "RPM version comparison", and
//! `tests/rpmvercmp.at`): both strings are split into alternating runs of ASCII digits and ASCII
//! letters, everything else is a separator; `~` sorts before anything (even the end of the
//! string), `^` sorts after the end of the string but before anything else; digit runs compare
//! numerically and beat letter runs. Non-ASCII bytes are separators, as in rpm 4.18. A missing epoch
//! counts as 0; a missing release sorts below any release (even an empty one), as
//! `rpmverCmp()` in rpm 4.18 does. Like `rpm.vercmp`, every non-empty string is a version: a
//! non-numeric "epoch" (`abc:1.0`) is part of the version, whitespace is a separator.

use std::cmp::Ordering;

/// A parsed rpm EVR.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    /// Decimal digits of the epoch, leading zeros removed ("" = no epoch = 0).
    pub epoch: String,
    pub version: String,
    /// `None` when the string had no `-`.
    pub release: Option<String>,
}

impl RpmVersion {
    /// Split `[epoch:]version[-release]` as rpm's `parseEVR()` does (rpm 4.18 `lib/rpmver.c`,
    /// `rpmio/rpmstring.c`): the epoch is the run of leading digits when a `:` follows it (an
    /// empty one, `:1.0`, is 0); anything else before a `:` is not an epoch, and the `:` stays
    /// in the version, where `rpmvercmp` treats it as a separator (`abc:1.0` is version
    /// `abc:1.0` with epoch 0). The release follows the last `-`. Nothing is trimmed.
    ///
    /// # Errors
    /// Only for the empty string: `rpm.vercmp` rejects nothing else.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            (
                s[..digits].trim_start_matches('0').to_string(),
                &s[digits + 1..],
            )
        } else {
            (String::new(), s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
            None => (rest, None),
        };
        Ok(Self {
            epoch,
            version: version.to_string(),
            release,
        })
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .len()
            .cmp(&other.epoch.len())
            .then_with(|| self.epoch.cmp(&other.epoch))
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn is_sep(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's comparison of one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // Tilde: sorts before everything, including the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: sorts after the end of the string, before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let (si, sj) = (i, j);
        let numeric = a[i].is_ascii_digit();
        if numeric {
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        } else {
            while i < a.len() && a[i].is_ascii_alphabetic() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_alphabetic() {
                j += 1;
            }
        }
        let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
        if sb.is_empty() {
            // Segments of different kinds: a number beats letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        if numeric {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

impl PartialEq for RpmVersion {
    /// Equal when they order equal (`1.0` and `1.00` are the same version).
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for RpmVersion {}
