//! NuGet package versions (NuGet docs, "Package versioning": `Major.Minor.Patch[.Revision]
//! [-Prerelease][+Metadata]`, SemVer 2.0 precedence with case-insensitive labels; legacy
//! four-part versions; missing parts are 0; metadata ignored).

use std::cmp::Ordering;

use crate::semver::num_cmp;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    parts: [String; 4],
    /// Lowercased pre-release labels.
    pre: Vec<String>,
}

impl NuGetVersion {
    /// # Errors
    /// A reason string for a malformed version.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let t = t
            .split_once('+')
            .map_or(t, |(a, m)| if m.is_empty() { "" } else { a });
        if t.is_empty() {
            return Err("empty version".into());
        }
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (t, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 4 {
            return Err("expected 1 to 4 numeric parts".into());
        }
        let mut parts: [String; 4] = Default::default();
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 10 {
                return Err(format!("{n:?} is not a version number"));
            }
            let z = n.trim_start_matches('0');
            parts[i] = if z.is_empty() { "0".into() } else { z.into() };
        }
        for p in parts.iter_mut().skip(nums.len()) {
            *p = "0".into();
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let labels: Vec<String> = p.split('.').map(str::to_ascii_lowercase).collect();
                if labels.iter().any(|l| {
                    l.is_empty() || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return Err(format!("invalid pre-release label {p:?}"));
                }
                labels
            }
        };
        Ok(Self { parts, pre })
    }
}

fn label_cmp(a: &str, b: &str) -> Ordering {
    let an = a.bytes().all(|c| c.is_ascii_digit());
    let bn = b.bytes().all(|c| c.is_ascii_digit());
    match (an, bn) {
        (true, true) => num_cmp(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..4 {
            match num_cmp(&self.parts[i], &other.parts[i]) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.pre.iter().zip(&other.pre) {
                    match label_cmp(a, b) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                self.pre.len().cmp(&other.pre.len())
            }
        }
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
