//! SemVer 2.0 (<https://semver.org/spec/v2.0.0.html>) versions, and the dialects built on it:
//! strict SemVer for crates.io and OSV `SEMVER` ranges, node-semver's loose syntax for npm, and Go
//! module versions (see [`crate::go`]).
//!
//! Precedence (SemVer §11): major, minor, patch numerically; a pre-release sorts before the
//! release; pre-release identifiers compare numerically when all digits, ASCII-lexically
//! otherwise, numeric before alphanumeric, and a shorter list first when it is a prefix. Build
//! metadata plays no part.

use std::cmp::Ordering;
use std::fmt;

/// Compare two digit strings numerically, whatever their length.
pub(crate) fn num_cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone)]
pub enum Ident {
    /// All digits (kept verbatim; compared numerically).
    Numeric(String),
    AlphaNumeric(String),
}

impl Ident {
    fn parse(s: &str) -> Self {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            Self::Numeric(s.to_string())
        } else {
            Self::AlphaNumeric(s.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Numeric(s) | Self::AlphaNumeric(s) => s,
        }
    }
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Numeric(a), Self::Numeric(b)) => num_cmp(a, b),
            (Self::Numeric(_), Self::AlphaNumeric(_)) => Ordering::Less,
            (Self::AlphaNumeric(_), Self::Numeric(_)) => Ordering::Greater,
            (Self::AlphaNumeric(a), Self::AlphaNumeric(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Ident {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ident {}

/// A SemVer version. Numbers are kept as decimal strings without leading zeros so that any
/// length compares correctly.
#[derive(Debug, Clone)]
pub struct SemVer {
    pub major: String,
    pub minor: String,
    pub patch: String,
    pub pre: Vec<Ident>,
    pub build: Vec<String>,
}

/// How permissive [`SemVer::parse_with`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// Accept a leading `v`/`V` (and, in loose mode, `=` and spaces before the number).
    pub v_prefix: bool,
    /// node-semver "loose": leading zeros, `1.2.3pre` without hyphen, `=`/spaces prefix.
    pub loose: bool,
    /// Accept `1` and `1.2` (missing components are 0) when there is no pre-release/build.
    pub shorthand: bool,
    /// Maximum value of a numeric component (None = unbounded).
    pub max_number: Option<u64>,
}

impl Syntax {
    /// SemVer 2.0 exactly (crates.io, OSV SEMVER).
    pub const STRICT: Syntax = Syntax {
        v_prefix: false,
        loose: false,
        shorthand: false,
        max_number: None,
    };
}

/// node-semver's `Number.MAX_SAFE_INTEGER`.
pub const JS_MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn check_number(s: &str, syn: &Syntax, what: &str) -> Result<String, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} version {s:?} is not a number"));
    }
    if !syn.loose && s.len() > 1 && s.starts_with('0') {
        return Err(format!("{what} version {s:?} has a leading zero"));
    }
    let n = s.trim_start_matches('0');
    let n = if n.is_empty() { "0" } else { n };
    if let Some(max) = syn.max_number
        && (n.len() > 20 || n.parse::<u64>().map_or(true, |v| v > max))
    {
        return Err(format!("{what} version {s:?} is too big"));
    }
    Ok(n.to_string())
}

impl SemVer {
    /// Parse strict SemVer 2.0.
    ///
    /// # Errors
    /// A reason string.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_with(s, &Syntax::STRICT)
    }

    /// Parse with the given dialect.
    ///
    /// # Errors
    /// A reason string.
    pub fn parse_with(input: &str, syn: &Syntax) -> Result<Self, String> {
        let mut s = input.trim();
        if syn.loose {
            s = s.trim_start_matches(|c: char| c == '=' || c == 'v' || c.is_whitespace());
        } else if syn.v_prefix {
            s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        }
        if s.is_empty() {
            return Err("empty version".into());
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => {
                let ids: Vec<String> = b.split('.').map(str::to_string).collect();
                if ids
                    .iter()
                    .any(|i| i.is_empty() || !i.bytes().all(is_ident_char))
                {
                    return Err(format!("invalid build metadata {b:?}"));
                }
                (r, ids)
            }
            None => (s, Vec::new()),
        };
        // Split the numeric core from the pre-release.
        let core_end = rest
            .bytes()
            .position(|b| !(b.is_ascii_digit() || b == b'.'))
            .unwrap_or(rest.len());
        let core = &rest[..core_end];
        let mut pre_str = &rest[core_end..];
        // In "1.2.3-x", the core ends at '-'. In loose mode "1.2.3pre" is allowed, but a '.'
        // belongs to the core only up to the third component.
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            // "1.2.3.4": the fourth component is not allowed.
            return Err("more than three numeric components".into());
        }
        if parts.last() == Some(&"") && parts.len() > 1 {
            return Err("empty numeric component".into());
        }
        if parts.len() < 3 {
            let shorthand_ok = syn.shorthand && pre_str.is_empty() && build.is_empty();
            if !shorthand_ok {
                return Err("expected MAJOR.MINOR.PATCH".into());
            }
        }
        if let Some(p) = pre_str.strip_prefix('-') {
            pre_str = p;
            if pre_str.is_empty() {
                return Err("empty pre-release".into());
            }
        } else if !pre_str.is_empty() && !syn.loose {
            return Err(format!("unexpected {pre_str:?} after the version number"));
        }
        let major = check_number(parts[0], syn, "major")?;
        let minor = parts
            .get(1)
            .map_or(Ok("0".to_string()), |p| check_number(p, syn, "minor"))?;
        let patch = parts
            .get(2)
            .map_or(Ok("0".to_string()), |p| check_number(p, syn, "patch"))?;
        let mut pre = Vec::new();
        if !pre_str.is_empty() {
            for id in pre_str.split('.') {
                if id.is_empty() || !id.bytes().all(is_ident_char) {
                    return Err(format!("invalid pre-release identifier {id:?}"));
                }
                let ident = Ident::parse(id);
                if let Ident::Numeric(n) = &ident {
                    if !syn.loose && n.len() > 1 && n.starts_with('0') {
                        return Err(format!(
                            "numeric pre-release identifier {id:?} has a leading zero"
                        ));
                    }
                    if let Some(max) = syn.max_number
                        && n.parse::<u64>().map_or(true, |v| v > max)
                    {
                        // node-semver keeps too-big numeric identifiers as strings.
                        pre.push(Ident::AlphaNumeric(n.clone()));
                        continue;
                    }
                }
                pre.push(ident);
            }
        }
        Ok(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// `major.minor.patch` parts as they compare.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        num_cmp(&self.major, &other.major)
            .then_with(|| num_cmp(&self.minor, &other.minor))
            .then_with(|| num_cmp(&self.patch, &other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}
impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVer {}

impl fmt::Display for SemVer {
    /// Canonical form without build metadata.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            f.write_str("-")?;
            for (i, p) in self.pre.iter().enumerate() {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(p.as_str())?;
            }
        }
        Ok(())
    }
}
