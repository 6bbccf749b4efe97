//! Python package versions: PEP 440 (<https://peps.python.org/pep-0440/>, "Version scheme" and
//! "Summary of permitted suffixes and relative ordering"), with the normalisations of its
//! "Normalization" section, plus the ordering `packaging`'s old `LegacyVersion` gave strings that
//! are not PEP 440 versions (they sort below every valid version).

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// PEP 440 Appendix B's pattern (ASCII only, case-insensitive, anchored).
static PEP440: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi-u)^
        v?
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?P<pre>
            [-_.]?
            (?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)
            [-_.]?
            (?P<pre_n>[0-9]+)?
        )?
        (?P<post>
            (?:-(?P<post_n1>[0-9]+))
            |
            (?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)
        )?
        (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
        (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        $",
    )
    .expect("static regex")
});

/// Pre-release kind, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    A,
    B,
    Rc,
}

/// One local-version segment: numbers sort above strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalPart {
    Str(String),
    Num(Number),
}

/// A decimal number of any length, without leading zeros (compared numerically).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(pub String);

impl Number {
    fn new(s: &str) -> Self {
        let t = s.trim_start_matches('0');
        Self(if t.is_empty() { "0".into() } else { t.into() })
    }
}
impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A valid PEP 440 version, normalised.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    pub epoch: Number,
    pub release: Vec<Number>,
    pub pre: Option<(PreKind, Number)>,
    pub post: Option<Number>,
    pub dev: Option<Number>,
    pub local: Vec<LocalPart>,
}

impl Pep440Version {
    /// Parse and normalise a PEP 440 version.
    ///
    /// # Errors
    /// A reason string when `s` is not a PEP 440 version.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if !t.is_ascii() {
            return Err("not a PEP 440 version (non-ASCII characters)".into());
        }
        let c = PEP440
            .captures(t)
            .ok_or_else(|| "not a PEP 440 version".to_string())?;
        let num = |name: &str| c.name(name).map(|m| Number::new(m.as_str()));
        let epoch = num("epoch").unwrap_or_else(|| Number("0".into()));
        let release = c
            .name("release")
            .map(|m| m.as_str().split('.').map(Number::new).collect())
            .unwrap_or_default();
        let pre = c.name("pre_l").map(|l| {
            let kind = match l.as_str().to_ascii_lowercase().as_str() {
                "a" | "alpha" => PreKind::A,
                "b" | "beta" => PreKind::B,
                _ => PreKind::Rc,
            };
            (kind, num("pre_n").unwrap_or_else(|| Number("0".into())))
        });
        let post = if c.name("post").is_some() {
            Some(
                num("post_n1")
                    .or_else(|| num("post_n2"))
                    .unwrap_or_else(|| Number("0".into())),
            )
        } else {
            None
        };
        let dev = c
            .name("dev")
            .map(|_| num("dev_n").unwrap_or_else(|| Number("0".into())));
        let local = c
            .name("local")
            .map(|m| {
                m.as_str()
                    .split(['-', '_', '.'])
                    .map(|p| {
                        if p.bytes().all(|b| b.is_ascii_digit()) {
                            LocalPart::Num(Number::new(p))
                        } else {
                            LocalPart::Str(p.to_ascii_lowercase())
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The release with trailing zeros removed (how releases compare).
    fn trimmed_release(&self) -> &[Number] {
        let mut n = self.release.len();
        while n > 0 && self.release[n - 1].0 == "0" {
            n -= 1;
        }
        &self.release[..n]
    }

    /// `packaging`'s `base_version`: epoch and release only.
    pub fn base_version(&self) -> String {
        let rel: Vec<&str> = self.release.iter().map(|r| r.0.as_str()).collect();
        if self.epoch.0 == "0" {
            rel.join(".")
        } else {
            format!("{}!{}", self.epoch.0, rel.join("."))
        }
    }

    /// The normalised local label, if any.
    pub fn local_string(&self) -> Option<String> {
        let s = self.to_string();
        s.split_once('+').map(|(_, l)| l.to_string())
    }

    /// The public part (no local label) as a normalised string.
    pub fn public(&self) -> String {
        let mut s = self.to_string();
        if let Some(i) = s.find('+') {
            s.truncate(i);
        }
        s
    }
}

/// Ordering key helpers: `None` as -inf / +inf.
fn cmp_pre(a: &Pep440Version, b: &Pep440Version) -> Ordering {
    // A dev release without pre/post sorts before any pre-release of the same release.
    fn key(v: &Pep440Version) -> (i8, Option<&(PreKind, Number)>) {
        match (&v.pre, &v.post, &v.dev) {
            (None, None, Some(_)) => (-1, None),
            (None, _, _) => (1, None),
            (Some(p), _, _) => (0, Some(p)),
        }
    }
    key(a).cmp(&key(b))
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.trimmed_release().cmp(other.trimmed_release()))
            .then_with(|| cmp_pre(self, other))
            // No post release sorts first.
            .then_with(|| self.post.cmp(&other.post))
            // No dev release sorts last.
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
            // No local label sorts first; then segment by segment.
            .then_with(|| self.local.cmp(&other.local))
    }
}
impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pep440Version {}

impl fmt::Display for Pep440Version {
    /// The normalised form (PEP 440 "Normalization").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch.0 != "0" {
            write!(f, "{}!", self.epoch.0)?;
        }
        let rel: Vec<&str> = self.release.iter().map(|r| r.0.as_str()).collect();
        f.write_str(&rel.join("."))?;
        if let Some((k, n)) = &self.pre {
            let k = match k {
                PreKind::A => "a",
                PreKind::B => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{k}{}", n.0)?;
        }
        if let Some(p) = &self.post {
            write!(f, ".post{}", p.0)?;
        }
        if let Some(d) = &self.dev {
            write!(f, ".dev{}", d.0)?;
        }
        if !self.local.is_empty() {
            f.write_str("+")?;
            for (i, p) in self.local.iter().enumerate() {
                if i > 0 {
                    f.write_str(".")?;
                }
                match p {
                    LocalPart::Str(s) => f.write_str(s)?,
                    LocalPart::Num(n) => f.write_str(&n.0)?,
                }
            }
        }
        Ok(())
    }
}

/// The sort key `packaging`'s `LegacyVersion` gave a non-PEP 440 string (epoch -1, so below every
/// valid version).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegacyVersion(Vec<String>);

impl LegacyVersion {
    pub fn new(s: &str) -> Self {
        let lower = s.to_lowercase();
        let mut parts: Vec<String> = Vec::new();
        for raw in legacy_split(&lower) {
            let part = match raw {
                "pre" | "preview" | "rc" => "c",
                "-" => "final-",
                "dev" => "@",
                p => p,
            };
            if part.is_empty() || part == "." {
                continue;
            }
            let item = if part.as_bytes()[0].is_ascii_digit() {
                format!("{part:0>8}")
            } else {
                format!("*{part}")
            };
            push_legacy(&mut parts, item);
        }
        push_legacy(&mut parts, "*final".to_string());
        Self(parts)
    }
}

fn push_legacy(parts: &mut Vec<String>, item: String) {
    if item.starts_with('*') {
        if item.as_str() < "*final" {
            while parts.last().is_some_and(|p| p == "*final-") {
                parts.pop();
            }
        }
        while parts.last().is_some_and(|p| p == "00000000") {
            parts.pop();
        }
    }
    parts.push(item);
}

/// `re.split(r"(\d+|[a-z]+|\.|-)", s)`: the separators and the text between them.
fn legacy_split(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut gap_start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let len = if c.is_ascii_digit() {
            b[i..].iter().take_while(|x| x.is_ascii_digit()).count()
        } else if c.is_ascii_lowercase() {
            b[i..].iter().take_while(|x| x.is_ascii_lowercase()).count()
        } else if c == b'.' || c == b'-' {
            1
        } else {
            // Advance by a whole UTF-8 character.
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        out.push(&s[gap_start..i]);
        out.push(&s[i..i + len]);
        i += len;
        gap_start = i;
    }
    out.push(&s[gap_start..]);
    out
}

/// A PyPI version: PEP 440, or a legacy string sorting below all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PyVersion {
    Legacy(LegacyVersion),
    Pep440(Pep440Version),
}

impl PyVersion {
    /// Parse: PEP 440 when valid, else legacy (never fails on non-empty input).
    ///
    /// # Errors
    /// Empty input.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("empty version".into());
        }
        Ok(match Pep440Version::parse(s) {
            Ok(v) => Self::Pep440(v),
            Err(_) => Self::Legacy(LegacyVersion::new(s)),
        })
    }
}

impl Ord for PyVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Pep440(a), Self::Pep440(b)) => a.cmp(b),
            (Self::Legacy(a), Self::Legacy(b)) => a.cmp(b),
            (Self::Legacy(_), Self::Pep440(_)) => Ordering::Less,
            (Self::Pep440(_), Self::Legacy(_)) => Ordering::Greater,
        }
    }
}
impl PartialOrd for PyVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
