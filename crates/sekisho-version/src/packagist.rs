//! Packagist (Composer) versions. Composer normalises a version (`VersionParser::normalize`:
//! strip `v`, pad the numeric release to four parts, `-RC1`/`-beta2`/`-patch1` suffixes) and
//! orders with PHP's `version_compare()` (php.net/version_compare): the string is split on `.`,
//! `-`, `_`, `+` and digit/letter transitions; numbers compare numerically; the special words
//! order `dev < alpha = a < beta = b < RC = rc < (number) < pl = p`, any other word sorts before
//! `dev`.

use std::cmp::Ordering;

use crate::semver::num_cmp;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(String),
    Word(String),
}

/// A parsed Packagist version.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    parts: Vec<Part>,
}

/// Rank of a special form (prefix match, like PHP).
fn special(w: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| w.starts_with(f))
        .map_or(-1, |(_, o)| *o)
}

fn part_cmp(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Num(x), Part::Num(y)) => num_cmp(x, y),
        (Part::Word(x), Part::Word(y)) => special(x).cmp(&special(y)),
        (Part::Num(_), Part::Word(y)) => special("#").cmp(&special(y)),
        (Part::Word(x), Part::Num(_)) => special(x).cmp(&special("#")),
    }
}

impl PackagistVersion {
    /// # Errors
    /// A reason string for an empty version or one with characters PHP would not split on.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        if t.is_empty() {
            return Err("empty version".into());
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')))
        {
            return Err(format!("invalid character {c:?}"));
        }
        let mut parts = Vec::new();
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let j = i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let n = t[i..j].trim_start_matches('0');
                parts.push(Part::Num(if n.is_empty() { "0".into() } else { n.into() }));
                i = j;
            } else if b[i].is_ascii_alphabetic() {
                let j = i + b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                parts.push(Part::Word(t[i..j].to_string()));
                i = j;
            } else {
                i += 1;
            }
        }
        if parts.is_empty() {
            return Err("no version components".into());
        }
        // Composer pads the leading numeric release to four components.
        let lead = parts
            .iter()
            .take_while(|p| matches!(p, Part::Num(_)))
            .count();
        if (1..4).contains(&lead) {
            for _ in lead..4 {
                parts.insert(lead, Part::Num("0".into()));
            }
        }
        Ok(Self { parts })
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.parts, &other.parts);
        for (x, y) in a.iter().zip(b) {
            match part_cmp(x, y) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        // One ran out: a remaining number makes it bigger; a remaining word compares to "#".
        let rest = |p: &Part| match p {
            Part::Num(_) => Ordering::Greater,
            Part::Word(w) => special(w).cmp(&special("#")),
        };
        match a.len().cmp(&b.len()) {
            Ordering::Equal => Ordering::Equal,
            Ordering::Greater => rest(&a[b.len()]),
            Ordering::Less => rest(&b[a.len()]).reverse(),
        }
    }
}
impl PartialOrd for PackagistVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for PackagistVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for PackagistVersion {}
