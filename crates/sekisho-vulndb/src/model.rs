//! The OSV record as sekisho stores it (OSV schema 1.7.x, <https://ossf.github.io/osv-schema/>).
//!
//! Every source (OSV JSON/YAML, Debian tracker, Alpine secdb) is normalised into [`Advisory`] before
//! it reaches the store, so the matcher sees one shape. `affected` entries reuse
//! [`sekisho_version::osv::Affected`] so range evaluation needs no conversion.

use sekisho_version::osv::Affected;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `severity[]`: `type` is `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, …; `score` is the vector (or
/// the Ubuntu priority word).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityEntry {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub score: String,
}

/// `references[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

/// One OSV record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    /// RFC 3339; Go's repo copy has `0001-01-01T00:00:00Z`.
    #[serde(default, deserialize_with = "null_default")]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was withdrawn: it never matches, `db query --all` still shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub upstream: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<SeverityEntry>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub affected: Vec<Affected>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub credits: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// Advisory-id prefixes of records that are not security advisories (bug-fix and enhancement
/// errata of the RPM distros: AlmaLinux ALBA/ALEA, Rocky RLBA/RLEA, Red Hat RHBA/RHEA, Oracle
/// ELBA/ELEA).
const NON_SECURITY_PREFIXES: &[&str] = &[
    "ALBA-", "ALEA-", "RLBA-", "RLEA-", "RHBA-", "RHEA-", "ELBA-", "ELEA-",
];

impl Advisory {
    /// Parse one OSV JSON record, validating the minimum sekisho needs (a non-empty `id`).
    ///
    /// # Errors
    /// The JSON error, or a message when `id` is empty.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let a: Advisory = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        a.validate()?;
        Ok(a)
    }

    /// Parse one OSV record from a JSON value.
    ///
    /// # Errors
    /// As [`Advisory::from_json`].
    pub fn from_value(v: Value) -> Result<Self, String> {
        let a: Advisory = serde_json::from_value(v).map_err(|e| e.to_string())?;
        a.validate()?;
        Ok(a)
    }

    fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("record has an empty `id`".into());
        }
        if self.id.len() > 256 {
            return Err("record `id` longer than 256 bytes".into());
        }
        Ok(())
    }

    /// False for bug-fix/enhancement errata (ALBA-, ALEA-, …): imported, never reported.
    pub fn is_security(&self) -> bool {
        !NON_SECURITY_PREFIXES.iter().any(|p| self.id.starts_with(p))
    }

    /// Whether the record is withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.as_deref().is_some_and(|w| !w.is_empty())
    }

    /// Every CVE id this record names (`id`, `aliases`, `upstream`, `related`), for de-duplication.
    pub fn cve_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(self.upstream.iter().map(String::as_str))
            .chain(self.related.iter().map(String::as_str))
            .filter(|s| s.starts_with("CVE-"))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
