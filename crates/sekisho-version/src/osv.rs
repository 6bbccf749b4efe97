//! OSV `affected` data and range evaluation (OSV schema 1.7: <https://ossf.github.io/osv-schema/>).
//!
//! These types are the plain data the vulnerability DB stores; [`affects`] decides whether a
//! version falls in an `affected` entry.

use serde::{Deserialize, Serialize};

use crate::{Ecosystem, VersionError};

/// `affected[].package`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeType {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// One `events[]` entry. Exactly one key per event in OSV.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// `affected[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// Whether `version` of a package in `ecosystem` is affected by `affected`.
///
/// # Errors
/// When `version` itself cannot be parsed. Unparsable range bounds are not errors of the caller's
/// version; see the implementation notes.
pub fn affects(
    ecosystem: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<bool, VersionError> {
    // Filled in with the range evaluator.
    let _ = (ecosystem, version, affected);
    Err(VersionError::invalid(
        ecosystem,
        version,
        "range evaluation not built yet",
    ))
}
