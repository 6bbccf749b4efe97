//! The findings that are not vulnerabilities. Each carries the fields every finding has (a
//! stable kebab-case ID, a severity, a title, why it matters, how to fix it, where it is) plus
//! what its kind adds.

use serde::{Deserialize, Serialize};

use crate::location::{LayerRef, Location};
use crate::severity::Severity;

/// A configuration that weakens a wall (Dockerfile, Kubernetes, compose, OCI runtime config,
/// image config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misconfiguration {
    /// The check ID (`run-as-root`), kebab-case and stable.
    pub id: String,
    /// Peer IDs that map one-to-one (`KSV012`, `DL3002`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub fix: String,
    pub location: Location,
    /// What kind of file: `dockerfile`, `kubernetes`, `compose`, `oci-runtime`, `image-config`.
    pub file_type: String,
    /// The object inside the file (`Deployment default/web container app`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The offending value as written (secret-looking values are redacted by the check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A package that owns a file holding a secret-looking string (documented example keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorContent {
    /// The owning package (`name version`).
    pub package: String,
    /// True when the file still matches the package's recorded checksum: it is the vendor's
    /// content, unchanged since install.
    pub unchanged: bool,
}

/// A secret: a credential in a file, in an image config field or in build history. The value
/// itself is never kept: only a redacted form and a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The rule ID (`github-pat`).
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub fix: String,
    /// The file (with line and column) or the config field (`config:Env`); the file's layer.
    pub location: Location,
    /// The match with everything but a short prefix masked (`ghp_****`).
    pub redacted: String,
    /// A stable fingerprint (truncated SHA-256 of rule and value) for ignore files and tracking.
    pub fingerprint: String,
    /// The layer that deleted or replaced the file, when a later layer did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in: Option<LayerRef>,
    /// Whether the file (this version of it) is still in the final filesystem.
    pub present: bool,
    /// Set when an installed package owns the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<VendorContent>,
}

/// How a path differs from the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Modified,
    Deleted,
    /// Same content, different mode, owner, link target or extended attributes.
    Metadata,
}

/// One path of a running container that differs from its image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The class as an ID (`drift-executable`, `drift-setuid`, `drift-persistence`).
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub fix: String,
    pub location: Location,
    pub change: Change,
    /// `executable`, `shared-library`, `setuid`, `etc-config`, `persistence`, `package-db`,
    /// `deleted`, `volatile`, `other`.
    pub class: String,
    /// What changed, in words (`mode 0755 -> 4755`, `sha256 1a2b… -> 3c4d…`).
    pub detail: String,
}

/// A weakened or missing wall around a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Isolation {
    /// The check ID (`no-seccomp`).
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub fix: String,
    /// The wall (`seccomp`, `capabilities`, `namespaces`, …).
    pub wall: String,
    /// What the audit saw.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The `sekisho config` checks that would have caught this in the workload's
    /// configuration (`pss-privileged`, `compose-privileged`, …), when a configuration decides it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caught_by: Vec<String>,
    pub location: Location,
}
