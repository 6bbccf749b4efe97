//! NuGet package versions, parsed and ordered as `NuGet.Versioning` does (NuGet.Client
//! `NuGetVersionFactory.cs` `TryParse`, `SemanticVersionFactory.cs` `ParseSections`/`IsValidPart`,
//! `VersionComparer.cs` `Compare` in its default mode; the NuGet docs, "Package versioning").
//!
//! `Major.Minor[.Patch[.Revision]][-Label{.Label}][+Metadata]`, trimmed first:
//! - the string is split at the first `-` or `+` (a `-` or `+` at the very end stays in the
//!   version part and makes it invalid); labels end at the first `+` after the `-`;
//! - the version part has one to four `.`-separated sections of ASCII digits; an empty section
//!   (`1..2`, `.1`) is 0, a missing one is 0. Each section is summed digit by digit into a C#
//!   `int` without overflow checks, so a number beyond 32 bits wraps modulo 2^32: a major that
//!   wraps negative makes `new Version(...)` throw (rejected here), a minor, patch or revision
//!   that does is clamped to 0, one that wraps positive keeps the wrapped value;
//! - labels and metadata parts are non-empty `[0-9A-Za-z-]`; a label of two or more digits with
//!   a leading zero is rejected (metadata may have one). No `v` prefix.
//!
//! Order: the four numbers, then a version with labels below one without, then labels pairwise:
//! both `int.TryParse`-numeric (`-?digits` within `int`) numerically, a numeric one below a
//! non-numeric one, otherwise `OrdinalIgnoreCase`; a prefix list sorts first. Metadata is
//! ignored.

use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    /// Major, minor, patch, revision, as `NuGet.Versioning` holds them.
    parts: [i32; 4],
    labels: Vec<String>,
}

/// `TryParseInt` of `NuGetVersionFactory`: ASCII digits summed from the right with unchecked
/// (wrapping) `int` arithmetic; an empty section is 0.
fn section(s: &str) -> Option<i32> {
    let mut value: i32 = 0;
    let mut multiplier: i32 = 1;
    for c in s.bytes().rev() {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value.wrapping_add(i32::from(c - b'0').wrapping_mul(multiplier));
        multiplier = multiplier.wrapping_mul(10);
    }
    Some(value)
}

/// `IsValidPart`.
fn valid_part(s: &str, allow_leading_zeros: bool) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    if !allow_leading_zeros && b.len() > 1 && b[0] == b'0' && b[1..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `ParseSections`: (version part, labels, metadata).
fn sections(v: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let b = v.as_bytes();
    let (mut version, mut labels, mut meta) = (None, None, None);
    let (mut dash, mut plus): (Option<usize>, Option<usize>) = (None, None);
    for i in 0..b.len() {
        let end = i == b.len() - 1;
        let end_pos = i + usize::from(end);
        match (dash, plus) {
            (None, _) => {
                if end || b[i] == b'-' || b[i] == b'+' {
                    version = Some(&v[..end_pos]);
                    dash = Some(i);
                    if b[i] == b'+' {
                        plus = Some(i);
                    }
                }
            }
            (Some(d), None) => {
                if end || b[i] == b'+' {
                    labels = Some(&v[d + 1..end_pos]);
                    plus = Some(i);
                }
            }
            (Some(_), Some(p)) => {
                if end {
                    meta = Some(&v[p + 1..end_pos]);
                }
            }
        }
    }
    (version, labels, meta)
}

impl NuGetVersion {
    /// `NuGetVersion.TryParse`.
    ///
    /// # Errors
    /// A reason string when NuGet rejects the version.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (version, labels, meta) = sections(s.trim());
        let version = version.filter(|v| !v.is_empty()).ok_or("empty version")?;
        let secs: Vec<&str> = version.split('.').collect();
        if secs.len() > 4 {
            return Err("more than four numeric parts".into());
        }
        let mut parts = [0i32; 4];
        for (i, sec) in secs.iter().enumerate() {
            let n = section(sec).ok_or_else(|| format!("{sec:?} is not a version number"))?;
            parts[i] = if i == 0 {
                if n < 0 {
                    return Err(format!(
                        "major {sec:?} wraps to {n} in NuGet's 32-bit arithmetic (NuGet throws)"
                    ));
                }
                n
            } else {
                n.max(0)
            };
        }
        let labels: Vec<String> = match labels {
            None => Vec::new(),
            Some(l) => {
                let labels: Vec<String> = l.split('.').map(str::to_string).collect();
                if let Some(bad) = labels.iter().find(|p| !valid_part(p, false)) {
                    return Err(format!("invalid pre-release label {bad:?}"));
                }
                labels
            }
        };
        if let Some(m) = meta
            && !m.split('.').all(|p| valid_part(p, true))
        {
            return Err(format!("invalid build metadata {m:?}"));
        }
        Ok(Self { parts, labels })
    }

    /// Major, minor, patch and revision as NuGet holds them (wrapped, clamped).
    pub fn parts(&self) -> [i32; 4] {
        self.parts
    }
}

/// `int.TryParse` on a label (which only holds `[0-9A-Za-z-]`): an optional `-`, then digits,
/// within `int`.
fn label_number(s: &str) -> Option<i32> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok()
}

/// `CompareRelease`.
fn label_cmp(a: &str, b: &str) -> Ordering {
    match (label_number(a), label_number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.labels.iter().zip(&other.labels) {
                        match label_cmp(a, b) {
                            Ordering::Equal => {}
                            o => return o,
                        }
                    }
                    self.labels.len().cmp(&other.labels.len())
                }
            }
        })
    }
}
impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for NuGetVersion {}
