//! [`Finding`]: one value for every kind of finding, tagged by `kind` in JSON, with accessors
//! for what every kind has (ID, severity, title, why, fix, location), so renderers, policy and
//! gates treat all kinds alike.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kinds::{Drift, Isolation, Misconfiguration, Secret};
use crate::location::Location;
use crate::severity::Severity;
use crate::vuln::Vulnerability;

/// The kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vulnerability,
    Misconfiguration,
    Secret,
    Drift,
    Isolation,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Self::Vulnerability,
        Self::Misconfiguration,
        Self::Secret,
        Self::Drift,
        Self::Isolation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vulnerability => "vulnerability",
            Self::Misconfiguration => "misconfiguration",
            Self::Secret => "secret",
            Self::Drift => "drift",
            Self::Isolation => "isolation",
        }
    }

    /// Plural heading for tables (`Misconfigurations`).
    pub fn heading(self) -> &'static str {
        match self {
            Self::Vulnerability => "Vulnerabilities",
            Self::Misconfiguration => "Misconfigurations",
            Self::Secret => "Secrets",
            Self::Drift => "Drift",
            Self::Isolation => "Isolation",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown finding kind {s:?}"))
    }
}

/// One finding of any kind. JSON: the kind's fields plus `"kind": "<kind>"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    Vulnerability(Vulnerability),
    Misconfiguration(Misconfiguration),
    Secret(Secret),
    Drift(Drift),
    Isolation(Isolation),
}

/// The wire forms accepted when reading: tagged, or a vulnerability without `kind` (documents
/// written before the finding model).
#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Tagged(Tagged),
    Legacy(Vulnerability),
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Tagged {
    Vulnerability(Vulnerability),
    Misconfiguration(Misconfiguration),
    Secret(Secret),
    Drift(Drift),
    Isolation(Isolation),
}

impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Wire::deserialize(d)? {
            Wire::Tagged(Tagged::Vulnerability(v)) | Wire::Legacy(v) => Self::Vulnerability(v),
            Wire::Tagged(Tagged::Misconfiguration(m)) => Self::Misconfiguration(m),
            Wire::Tagged(Tagged::Secret(s)) => Self::Secret(s),
            Wire::Tagged(Tagged::Drift(x)) => Self::Drift(x),
            Wire::Tagged(Tagged::Isolation(i)) => Self::Isolation(i),
        })
    }
}

impl Finding {
    /// Read one finding from JSON, as `Deserialize` does, faster for the compact form this crate
    /// writes: a vulnerability whose JSON starts with its `kind` is read straight into
    /// [`Vulnerability`] (which ignores the `kind` field), not through the buffers an internally
    /// tagged enum needs. Anything else takes the general path.
    ///
    /// # Errors
    /// As `serde_json::from_str::<Finding>`.
    pub fn from_json(s: &str) -> serde_json::Result<Self> {
        if s.starts_with(r#"{"kind":"vulnerability","#) {
            return serde_json::from_str::<Vulnerability>(s).map(Self::Vulnerability);
        }
        serde_json::from_str(s)
    }
}

impl From<Vulnerability> for Finding {
    fn from(v: Vulnerability) -> Self {
        Self::Vulnerability(v)
    }
}
impl From<Misconfiguration> for Finding {
    fn from(v: Misconfiguration) -> Self {
        Self::Misconfiguration(v)
    }
}
impl From<Secret> for Finding {
    fn from(v: Secret) -> Self {
        Self::Secret(v)
    }
}
impl From<Drift> for Finding {
    fn from(v: Drift) -> Self {
        Self::Drift(v)
    }
}
impl From<Isolation> for Finding {
    fn from(v: Isolation) -> Self {
        Self::Isolation(v)
    }
}

impl Finding {
    pub fn kind(&self) -> Kind {
        match self {
            Self::Vulnerability(_) => Kind::Vulnerability,
            Self::Misconfiguration(_) => Kind::Misconfiguration,
            Self::Secret(_) => Kind::Secret,
            Self::Drift(_) => Kind::Drift,
            Self::Isolation(_) => Kind::Isolation,
        }
    }

    /// The ID shown: the advisory ID for a vulnerability, else the kebab-case rule or check ID.
    pub fn id(&self) -> &str {
        match self {
            Self::Vulnerability(v) => &v.id,
            Self::Misconfiguration(m) => &m.id,
            Self::Secret(s) => &s.id,
            Self::Drift(d) => &d.id,
            Self::Isolation(i) => &i.id,
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Self::Vulnerability(v) => v.severity,
            Self::Misconfiguration(m) => m.severity,
            Self::Secret(s) => s.severity,
            Self::Drift(d) => d.severity,
            Self::Isolation(i) => i.severity,
        }
    }

    /// Every ID the finding answers to (ignore rules and `--fail-on` IDs match any): advisory IDs
    /// and aliases, a check's peer aliases, a secret's fingerprint.
    pub fn all_ids(&self) -> Vec<&str> {
        match self {
            Self::Vulnerability(v) => v.all_ids().collect(),
            Self::Misconfiguration(m) => std::iter::once(m.id.as_str())
                .chain(m.aliases.iter().map(String::as_str))
                .collect(),
            Self::Secret(s) => vec![s.id.as_str(), s.fingerprint.as_str()],
            Self::Drift(d) => vec![d.id.as_str()],
            Self::Isolation(i) => vec![i.id.as_str()],
        }
    }

    /// A one-line title. Vulnerabilities use the advisory summary, else their ID.
    pub fn title(&self) -> Cow<'_, str> {
        match self {
            Self::Vulnerability(v) => v
                .summary
                .as_deref()
                .map_or_else(|| Cow::Owned(v.id.clone()), Cow::Borrowed),
            Self::Misconfiguration(m) => Cow::Borrowed(&m.title),
            Self::Secret(s) => Cow::Borrowed(&s.title),
            Self::Drift(d) => Cow::Borrowed(&d.title),
            Self::Isolation(i) => Cow::Borrowed(&i.title),
        }
    }

    /// Why it matters.
    pub fn why(&self) -> Cow<'_, str> {
        match self {
            Self::Vulnerability(v) => Cow::Owned(format!(
                "{} {} is affected by {} ({})",
                v.matched_name, v.matched_version, v.id, v.status
            )),
            Self::Misconfiguration(m) => Cow::Borrowed(&m.why),
            Self::Secret(s) => Cow::Borrowed(&s.why),
            Self::Drift(d) => Cow::Borrowed(&d.why),
            Self::Isolation(i) => Cow::Borrowed(&i.why),
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> Cow<'_, str> {
        match self {
            Self::Vulnerability(v) => Cow::Owned(match &v.fixed_version {
                Some(f) => format!("upgrade {} to {f} or later", v.matched_name),
                None => format!("no fixed version of {} yet", v.matched_name),
            }),
            Self::Misconfiguration(m) => Cow::Borrowed(&m.fix),
            Self::Secret(s) => Cow::Borrowed(&s.fix),
            Self::Drift(d) => Cow::Borrowed(&d.fix),
            Self::Isolation(i) => Cow::Borrowed(&i.fix),
        }
    }

    /// Where the finding is, for kinds that carry a location (a vulnerability's location is its
    /// package's files, which the target holds).
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Vulnerability(_) => None,
            Self::Misconfiguration(m) => Some(&m.location),
            Self::Secret(s) => Some(&s.location),
            Self::Drift(d) => Some(&d.location),
            Self::Isolation(i) => Some(&i.location),
        }
    }

    /// The layer index the finding came from, when it has one.
    pub fn layer(&self) -> Option<usize> {
        self.location()
            .and_then(|l| l.layer.as_ref())
            .map(|l| l.index)
    }

    pub fn as_vulnerability(&self) -> Option<&Vulnerability> {
        match self {
            Self::Vulnerability(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_vulnerability_mut(&mut self) -> Option<&mut Vulnerability> {
        match self {
            Self::Vulnerability(v) => Some(v),
            _ => None,
        }
    }

    /// A stable fingerprint of the finding inside a target (FNV-1a, hex), for SARIF
    /// `partialFingerprints` and de-duplication across runs. Vulnerabilities use the package
    /// name and version given by the caller.
    pub fn fingerprint(&self, target: &str, package: Option<(&str, &str)>) -> String {
        let (pn, pv) = package.unwrap_or(("", ""));
        match self {
            Self::Vulnerability(v) => fnv_hex(&[target, pn, pv, &v.id]),
            Self::Secret(s) => fnv_hex(&[target, &s.id, &s.fingerprint, &loc_key(&s.location)]),
            other => {
                let loc = other.location().map(loc_key).unwrap_or_default();
                fnv_hex(&[target, other.id(), &loc])
            }
        }
    }
}

fn loc_key(l: &Location) -> String {
    format!(
        "{}\0{}\0{}\0{}",
        l.path.as_deref().unwrap_or(""),
        l.line.unwrap_or(0),
        l.column.unwrap_or(0),
        l.logical.as_deref().unwrap_or("")
    )
}

/// FNV-1a 64 over NUL-separated parts, as 16 hex digits. Not a security hash: for IDs and
/// fingerprints that must be stable and short.
pub fn fnv_hex(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path reads what the general path reads, for the compact form this crate writes,
    /// and leaves other forms (legacy without `kind`, other kinds, a `kind` not first) to it.
    #[test]
    fn from_json_reads_what_deserialize_reads() {
        let written = r#"{"id":"CVE-2023-30861","advisories":["PYSEC-2023-62"],"aliases":["GHSA-m2qf-hxjv-5gpq"],"package":3,"package_id":"pkg-7d91a4833ea1b6ec","matched_name":"flask","matched_version":"2.0.0","ecosystem":"PyPI","status":"fixed","fixed_version":"2.2.5","severity":"UNKNOWN","ratings":[],"summary":"a \"quoted\" summary","references":["https://example.invalid/a"],"published":"2023-05-02T18:15:00Z","modified":"2023-06-05T01:12:52.229549Z"}"#;
        let legacy: Finding = serde_json::from_str(written).unwrap();
        let compact = serde_json::to_string(&legacy).unwrap();
        assert!(
            compact.starts_with(r#"{"kind":"vulnerability","#),
            "{compact}"
        );
        let fast = Finding::from_json(&compact).unwrap();
        assert_eq!(fast, serde_json::from_str::<Finding>(&compact).unwrap());
        assert_eq!(fast, legacy);
        // A legacy document and one with `kind` elsewhere take the general path, same answer.
        assert_eq!(Finding::from_json(written).unwrap(), legacy);
        let moved = written.replacen('{', r#"{"id2":0,"kind":"vulnerability","#, 1);
        assert_eq!(
            Finding::from_json(&moved).map_err(|e| e.to_string()),
            serde_json::from_str::<Finding>(&moved).map_err(|e| e.to_string())
        );
        // Malformed input is an error either way.
        assert!(Finding::from_json(r#"{"kind":"vulnerability","id":1}"#).is_err());
    }
}
