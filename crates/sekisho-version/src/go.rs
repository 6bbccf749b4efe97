//! Go module versions (golang.org/ref/mod#versions) and Go toolchain versions.
//!
//! Module versions are semantic versions with a leading `v` (`v1.2.3`, `v0.0.0-20060102150405-
//! abcdef123456` pseudo-versions, `v2.0.0+incompatible`), with the shorthands `v1` and `v1.2`
//! meaning `v1.0.0`/`v1.2.0`. OSV Go records write them without the `v` and map the standard
//! library's `go1.21.3` to `1.21.3`, with `1.22.0-0` as a floor below every 1.22.0 pre-release.
//! Both spellings are accepted here. Toolchain names (`go1.21`, `go1.21.3`, `go1.21rc2`,
//! `go1.21beta1`) map to `1.21.0`, `1.21.3`, `1.21.0-rc.2`, `1.21.0-beta.1`.

use std::cmp::Ordering;

use crate::semver::{SemVer, Syntax};

const GO_SYNTAX: Syntax = Syntax {
    v_prefix: true,
    loose: false,
    shorthand: true,
    max_number: None,
};

/// A Go module or toolchain version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion(pub SemVer);

impl GoVersion {
    /// Parse a module version (with or without `v`) or a toolchain version (`go1.21rc2`).
    ///
    /// # Errors
    /// A reason string.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(t) = s.strip_prefix("go") {
            return parse_toolchain(t).map(Self);
        }
        SemVer::parse_with(s, &GO_SYNTAX).map(Self)
    }

    /// Parse exactly as golang.org/x/mod/semver does (the `v` is required).
    ///
    /// # Errors
    /// A reason string.
    pub fn parse_module(s: &str) -> Result<Self, String> {
        if !s.starts_with('v') {
            return Err("Go module versions start with \"v\"".into());
        }
        SemVer::parse_with(s, &GO_SYNTAX).map(Self)
    }

    /// The canonical module form `vMAJOR.MINOR.PATCH[-PRE]` (build metadata dropped).
    pub fn canonical(&self) -> String {
        format!("v{}", self.0)
    }
}

fn parse_toolchain(t: &str) -> Result<SemVer, String> {
    let end = t
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(t.len());
    let (nums, tail) = t.split_at(end);
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err("not a Go toolchain version (go1.N[.P], go1.NrcK, go1.NbetaK)".into());
    }
    let mut v = format!(
        "{}.{}.{}",
        parts[0],
        parts.get(1).unwrap_or(&"0"),
        parts.get(2).unwrap_or(&"0")
    );
    if !tail.is_empty() {
        let (kind, n) = if let Some(n) = tail.strip_prefix("rc") {
            ("rc", n)
        } else if let Some(n) = tail.strip_prefix("beta") {
            ("beta", n)
        } else {
            return Err(format!("unknown toolchain suffix {tail:?}"));
        };
        if parts.len() == 3 || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("bad toolchain pre-release {tail:?}"));
        }
        v = format!("{v}-{kind}.{n}");
    }
    SemVer::parse_with(&v, &GO_SYNTAX)
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
