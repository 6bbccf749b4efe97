//! Packagist (Composer) versions, ordered as Composer orders them: every version is first
//! normalised by `Composer\Semver\VersionParser::normalize()` (composer/semver 3.3, as shipped
//! with Composer 2.5), and two normalised versions are ordered by PHP's `version_compare()`
//! (`ext/standard/versioning.c`), which is what `Composer\Semver\Comparator` ends up calling.
//!
//! Normalisation (each step as Composer does it, on bytes, ASCII case-insensitively):
//! - trim (PHP `trim`), drop an `X as Y` alias (keeping `X`), a trailing `@stable|RC|beta|alpha|dev`
//!   flag and `+build` metadata;
//! - a classical version `v?N{.N}{0,3}` with an optional modifier
//!   (`[._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)` plus numbers, then `[.-]?dev`) is padded to
//!   four numbers: `v3.0` → `3.0.0.0`, `v3.0.0-beta` → `3.0.0.0-beta`, `1.0.0.RC1` →
//!   `1.0.0.0-RC1`, `2.1-p1` → `2.1.0.0-patch1`; `stable` drops the modifier;
//! - a date version (`20100102`, `2010-01-02.5`) keeps its numbers, separated by `.`;
//! - a numeric branch ending in `dev` (`1.x-dev`) becomes `1.9999999.9999999.9999999-dev`.
//!
//! Composer rejects everything else (`UnexpectedValueException`), and so do we. Named branches
//! (`dev-master`, `master`, `dev-feature`) are valid to Composer but have no order (Composer's
//! `Constraint::versionCompare` answers false to every ordering question about them), so they
//! are rejected here with that reason.
//!
//! `version_compare` then splits on `.` (after turning `-`, `_`, `+`, other non-alphanumerics
//! and digit/letter transitions into `.`); numbers compare numerically (saturating at
//! `LONG_MAX`, as `strtol` does), words by their special form, matched by prefix:
//! `dev < alpha = a < beta = b < RC = rc < (number) < pl = p`, any other word below `dev`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::bytes::Regex;

/// A Packagist version, normalised as Composer normalises it.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    normalized: String,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static pattern")
}

// PCRE's `$` (no D modifier) also matches before a final newline: `\n?\z` below. `\s` is PCRE's
// ASCII set; no pattern is Unicode-aware (`(?-u)`), as PCRE without `/u`.
const MODIFIER: &str =
    r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*)?)?([.-]?dev)?";

static ALIAS: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u)^([^,\s]+) +as +([^,\s]+)\n?\z"));
static FLAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?i-u)@(?:stable|RC|beta|alpha|dev)\n?\z"));
static BUILD: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u)^([^,\s+]+)\+[^\s]+\n?\z"));
static CLASSICAL: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i-u)^v?([0-9]{{1,5}})(\.[0-9]+)?(\.[0-9]+)?(\.[0-9]+)?{MODIFIER}\n?\z"
    ))
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i-u)^v?([0-9]{{4}}(?:[.:-]?[0-9]{{2}}){{1,6}}(?:[.:-]?[0-9]{{1,3}})?){MODIFIER}\n?\z"
    ))
});
static DEV_SUFFIX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i-u)^(.*?)[.-]?dev\n?\z"));
static BRANCH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i-u)^v?([0-9]+)(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?\n?\z")
});

/// PHP's `trim()` default set: space, `\t`, `\n`, `\r`, NUL, `\x0B`.
fn php_trim(b: &[u8]) -> &[u8] {
    let keep = |c: &u8| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0 | 0x0b);
    let start = b.iter().position(keep).unwrap_or(b.len());
    let end = b.iter().rposition(keep).map_or(start, |i| i + 1);
    &b[start..end]
}

fn expand_stability(s: &[u8]) -> String {
    let s = String::from_utf8_lossy(s).to_ascii_lowercase();
    match s.as_str() {
        "a" => "alpha".into(),
        "b" => "beta".into(),
        "p" | "pl" => "patch".into(),
        "rc" => "RC".into(),
        _ => s,
    }
}

/// What `normalize` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// An orderable version, e.g. `1.0.0.0-beta2`.
    Version(String),
    /// A named branch (`dev-master`): valid to Composer, but never ordered.
    Branch(String),
}

/// `Composer\Semver\VersionParser::normalize($version)` (composer/semver 3.3).
///
/// # Errors
/// The reason, when Composer throws `UnexpectedValueException` ("Invalid version string").
pub fn normalize(version: &str) -> Result<Normalized, String> {
    let mut v = php_trim(version.as_bytes());
    if let Some(c) = ALIAS.captures(v) {
        v = c.get(1).map_or(v, |m| m.as_bytes());
    }
    if let Some(m) = FLAG.find(v) {
        v = &v[..m.start()];
    }
    if matches!(v, b"master" | b"trunk" | b"default") {
        return Ok(Normalized::Branch(format!(
            "dev-{}",
            String::from_utf8_lossy(v)
        )));
    }
    if v.len() >= 4 && v[..4].eq_ignore_ascii_case(b"dev-") {
        return Ok(Normalized::Branch(format!(
            "dev-{}",
            String::from_utf8_lossy(&v[4..])
        )));
    }
    if let Some(c) = BUILD.captures(v) {
        v = c.get(1).map_or(v, |m| m.as_bytes());
    }
    let group = |c: &regex::bytes::Captures<'_>, i: usize| -> Vec<u8> {
        c.get(i).map(|m| m.as_bytes().to_vec()).unwrap_or_default()
    };
    let found = if let Some(c) = CLASSICAL.captures(v) {
        let mut out = group(&c, 1);
        for i in 2..=4 {
            let g = group(&c, i);
            out.extend_from_slice(if g.is_empty() { b".0" } else { &g });
        }
        Some((out, c, 5))
    } else if let Some(c) = DATE.captures(v) {
        let out = group(&c, 1)
            .iter()
            .map(|b| if b.is_ascii_digit() { *b } else { b'.' })
            .collect();
        Some((out, c, 2))
    } else {
        None
    };
    if let Some((mut out, c, index)) = found {
        let word = group(&c, index);
        if !word.is_empty() {
            if word == b"stable" {
                return Ok(Normalized::Version(String::from_utf8_lossy(&out).into()));
            }
            out.push(b'-');
            out.extend_from_slice(expand_stability(&word).as_bytes());
            let num = group(&c, index + 1);
            let num_start = num
                .iter()
                .position(|b| !matches!(b, b'.' | b'-'))
                .unwrap_or(num.len());
            out.extend_from_slice(&num[num_start..]);
        }
        if !group(&c, index + 2).is_empty() {
            out.extend_from_slice(b"-dev");
        }
        return Ok(Normalized::Version(String::from_utf8_lossy(&out).into()));
    }
    if let Some(c) = DEV_SUFFIX.captures(v) {
        let name = php_trim(c.get(1).map_or(&[][..], |m| m.as_bytes()));
        if let Some(b) = BRANCH.captures(name) {
            let mut out = Vec::new();
            for i in 1..5 {
                match b.get(i) {
                    Some(m) => out.extend(m.as_bytes().iter().map(|c| match c {
                        b'*' | b'X' => b'x',
                        c => *c,
                    })),
                    None => out.extend_from_slice(b".x"),
                }
            }
            let s = String::from_utf8_lossy(&out).replace('x', "9999999");
            return Ok(Normalized::Version(format!("{s}-dev")));
        }
    }
    Err("Composer does not read it as a version (VersionParser::normalize throws)".into())
}

impl PackagistVersion {
    /// Normalise as Composer does.
    ///
    /// # Errors
    /// A reason string when Composer rejects the version, or when it names a branch.
    pub fn parse(s: &str) -> Result<Self, String> {
        match normalize(s)? {
            Normalized::Version(normalized) => Ok(Self { normalized }),
            Normalized::Branch(b) => Err(format!(
                "{b:?} is a branch; Composer does not order branches"
            )),
        }
    }

    /// The normalised form (`v3.0` → `3.0.0.0`), as `VersionParser::normalize` returns it.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl fmt::Display for PackagistVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.` (never two
/// in a row), and a `.` is put between a digit and a non-digit. The first byte is kept as is.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = v.split_first() else {
        return Vec::new();
    };
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut q = Vec::with_capacity(v.len() * 2);
    q.push(first);
    let mut lp = first;
    for &c in rest {
        let lq = *q.last().unwrap_or(&0);
        if matches!(c, b'-' | b'_' | b'+') {
            if lq != b'.' {
                q.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                q.push(b'.');
            }
            q.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                q.push(b'.');
            }
        } else {
            q.push(c);
        }
        lp = c;
    }
    q
}

/// `compare_special_version_forms`: the first form each part starts with.
fn special(form: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| form.starts_with(f))
        .map_or(-1, |(_, o)| *o)
}

/// `strtol(p, NULL, 10)` on a part that starts with a digit: saturates at `LONG_MAX`.
fn strtol(p: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for c in p.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

fn is_digit_at(p: &[u8]) -> bool {
    p.first().is_some_and(u8::is_ascii_digit)
}

/// PHP's `version_compare($a, $b)` (PHP 8), on any two strings.
pub fn version_compare(a: &str, b: &str) -> Ordering {
    // The C code walks NUL-terminated strings: a NUL byte ends a string.
    let cut = |v: &[u8]| v[..v.iter().position(|c| *c == 0).unwrap_or(v.len())].to_vec();
    let (mut a, mut b) = (cut(a.as_bytes()), cut(b.as_bytes()));
    // `php_version_compare` recurses (in tail position) on the rest of the longer string
    // against "#N#"; this loop is that recursion.
    loop {
        if a.is_empty() || b.is_empty() {
            return (!a.is_empty()).cmp(&!b.is_empty());
        }
        let v1 = if a[0] == b'#' {
            a.clone()
        } else {
            canonicalize(&a)
        };
        let v2 = if b[0] == b'#' {
            b.clone()
        } else {
            canonicalize(&b)
        };
        let (mut p1, mut p2) = (0usize, 0usize);
        let (mut n1, mut n2) = (Some(0usize), Some(0usize));
        let mut compare = Ordering::Equal;
        while p1 < v1.len() && p2 < v2.len() && n1.is_some() && n2.is_some() {
            n1 = v1[p1..].iter().position(|c| *c == b'.').map(|i| p1 + i);
            n2 = v2[p2..].iter().position(|c| *c == b'.').map(|i| p2 + i);
            let s1 = &v1[p1..n1.unwrap_or(v1.len())];
            let s2 = &v2[p2..n2.unwrap_or(v2.len())];
            compare = match (is_digit_at(s1), is_digit_at(s2)) {
                (true, true) => strtol(s1).cmp(&strtol(s2)),
                (false, false) => special(s1).cmp(&special(s2)),
                (true, false) => special(b"#N#").cmp(&special(s2)),
                (false, true) => special(s1).cmp(&special(b"#N#")),
            };
            if compare != Ordering::Equal {
                break;
            }
            if let Some(n) = n1 {
                p1 = n + 1;
            }
            if let Some(n) = n2 {
                p2 = n + 1;
            }
        }
        if compare != Ordering::Equal {
            return compare;
        }
        let (r1, r2) = (&v1[p1.min(v1.len())..], &v2[p2.min(v2.len())..]);
        if n1.is_some() {
            if is_digit_at(r1) {
                return Ordering::Greater;
            }
            (a, b) = (r1.to_vec(), b"#N#".to_vec());
        } else if n2.is_some() {
            if is_digit_at(r2) {
                return Ordering::Less;
            }
            (a, b) = (b"#N#".to_vec(), r2.to_vec());
        } else {
            return Ordering::Equal;
        }
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        version_compare(&self.normalized, &other.normalized)
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
