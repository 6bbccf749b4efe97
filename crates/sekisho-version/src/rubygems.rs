//! RubyGems versions, ordered as `Gem::Version#<=>` does (rubygems `lib/rubygems/version.rb`,
//! documented in the `Gem::Version` class docs).
//!
//! A version is digits and letters separated by `.`; a `-` means `.pre.`. Segments are runs of
//! digits (numbers) or letters (strings); any string segment makes the version a pre-release,
//! which sorts before the release. Trailing zeros of the release part and of the pre-release
//! part are ignored (`1.0 == 1`, `1.0.a == 1.a`).

use std::cmp::Ordering;

use crate::semver::num_cmp;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    canonical: Vec<Seg>,
}

fn valid(s: &str) -> bool {
    // \A\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first = parts.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return false;
    }
    match pre {
        None => true,
        Some(p) => p
            .split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
    }
}

impl GemVersion {
    /// # Errors
    /// A reason string for a malformed version.
    pub fn parse(s: &str) -> Result<Self, String> {
        // Ruby's `\s`: ASCII whitespace only (a no-break space is not trimmed).
        let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'));
        let t = if t.is_empty() { "0" } else { t };
        if !valid(t) {
            return Err("malformed version number string".into());
        }
        let t = t.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let j = i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let n = t[i..j].trim_start_matches('0');
                segs.push(Seg::Num(if n.is_empty() { "0".into() } else { n.into() }));
                i = j;
            } else if b[i].is_ascii_alphabetic() {
                let j = i + b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                segs.push(Seg::Str(t[i..j].to_string()));
                i = j;
            } else {
                i += 1;
            }
        }
        // canonical_segments: split at the first string, drop trailing zeros of each part.
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let mut release: Vec<Seg> = segs[..split].to_vec();
        let mut pre: Vec<Seg> = segs[split..].to_vec();
        for part in [&mut release, &mut pre] {
            while part.last().is_some_and(|s| *s == Seg::Num("0".into())) {
                part.pop();
            }
        }
        release.extend(pre);
        Ok(Self { canonical: release })
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num("0".into());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            if l == r {
                continue;
            }
            return match (l, r) {
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Num(a), Seg::Num(b)) => num_cmp(a, b),
                (Seg::Str(a), Seg::Str(b)) => a.cmp(b),
            };
        }
        Ordering::Equal
    }
}
impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for GemVersion {}
