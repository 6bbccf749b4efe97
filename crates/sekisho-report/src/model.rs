//! The report documents: everything a renderer needs, and exactly what sekisho's JSON output is
//! (kinds `scan` and `sbom`, schema version 1; documented in `docs/json-schema.md`). Every other
//! format can be re-rendered from the JSON, and a document read back from JSON (a stored report,
//! possibly hostile) renders without trusting any reference in it.
//!
//! A scan's findings are of every kind the scan ran ([`sekisho_finding::Finding`], tagged by
//! `kind`): vulnerabilities, misconfigurations, secrets, drift and isolation findings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sekisho_artifact::{LayerInfo, Note};
use sekisho_catalog::{OsInfo, Package};
use sekisho_finding::{Coverage, Finding, Kind, Severity};
use sekisho_policy::Suppressed;

/// The version of the `scan` and `sbom` JSON documents.
pub const SCHEMA_VERSION: u32 = 1;

/// The tool that wrote a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn sekisho(version: &str) -> Self {
        Self {
            name: "sekisho".into(),
            version: version.into(),
        }
    }
}

/// One scanned thing: an image, a root filesystem, one filesystem of a VM disk, or an SBOM.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Target {
    /// What the user named (`/srv/root`, `app:1.2`, `disk.qcow2 partition 2 (ext4)`).
    pub name: String,
    /// `image`, `rootfs`, `vm` or `sbom`.
    pub kind: String,
    #[serde(default)]
    pub os: Option<OsInfo>,
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    pub packages: Vec<Package>,
    /// Things skipped or not understood while reading the target.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// `vm` targets: the disk and the partition or volume this filesystem was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionInfo>,
    /// `image` targets: the image's identity and every build step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
}

/// An image's identity and build history, as its manifest and config say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The manifest digest, when the image came from a manifest (registry, OCI layout/archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The config digest (the image ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `os/architecture[/variant]`, e.g. `linux/amd64`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    /// When the image was built (RFC 3339), as the config says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Every history step in order, including those that made no layer (`ENV`, `CMD`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryStep>,
}

/// One step of an image's build history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryStep {
    /// The instruction (`RUN apt-get install …`), secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The layer (index into `layers`) the step made; `None` for steps that made none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// One note as a line: `layer 2: usr/lib/x.jar: skipped: corrupt zip`. Formats without a place
/// for structured notes (CycloneDX properties, SPDX annotations, SARIF notifications) carry this.
pub fn note_text(n: &Note) -> String {
    match n.layer {
        Some(l) => format!("layer {l}: {}: {}", n.subject, n.message),
        None => format!("{}: {}", n.subject, n.message),
    }
}

/// Notes as people read them: without the `layer 0:` prefix on single-layer targets (a root
/// filesystem, a VM filesystem, an SBOM), identical lines once with a count, in first-seen order.
pub fn note_lines(t: &Target) -> Vec<String> {
    let single = t.layers.len() <= 1;
    let mut order: Vec<String> = Vec::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for n in &t.notes {
        let line = if single {
            format!("{}: {}", n.subject, n.message)
        } else {
            note_text(n)
        };
        let c = count.entry(line.clone()).or_default();
        if *c == 0 {
            order.push(line);
        }
        *c += 1;
    }
    order
        .into_iter()
        .map(|l| match count[&l] {
            1 => l,
            n => format!("{l} (×{n})"),
        })
        .collect()
}

/// Where a `vm` target's filesystem lives on its disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// The disk image file as the user named it.
    pub disk: String,
    /// Its format (`raw`, `qcow2`, `vmdk (sparse)`, `vhd (dynamic)`, `vhdx`, …).
    pub format: String,
    /// `p2`, `p5` (a logical partition), `lvm vg0/root`, or `disk` for a bare filesystem.
    pub index: String,
    /// Partition number (1-based), when it is a partition.
    #[serde(default)]
    pub number: Option<u32>,
    /// GPT partition name or LVM logical volume name.
    #[serde(default)]
    pub name: Option<String>,
    /// GPT type GUID or MBR type byte (`0x83`); `lvm` for logical volumes.
    #[serde(default)]
    pub type_id: Option<String>,
    /// `ext4`, `xfs`, …
    pub filesystem: String,
    /// Filesystem label.
    #[serde(default)]
    pub label: Option<String>,
    /// Byte offset and size on the (virtual) disk.
    pub offset: u64,
    pub size: u64,
}

/// The vulnerability DB a scan used.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DbInfo {
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// When it was built or last updated (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Number of advisories, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisories: Option<u64>,
}

/// One target of a vulnerability scan with its findings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanTarget {
    #[serde(flatten)]
    pub target: Target,
    /// Findings shown, sorted by package then severity.
    pub findings: Vec<Finding>,
    /// Findings not shown, each with the reason (VEX, ignore rule, hidden status, filter).
    #[serde(default)]
    pub suppressed: Vec<Suppressed>,
    /// Per ecosystem: packages and whether the DB had data for it.
    #[serde(default)]
    pub coverage: Vec<Coverage>,
}

/// Counts per severity of the findings shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    /// Counts per severity: always the five vulnerability severities, plus `INFO` when any
    /// finding is informational.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Counts per kind of finding, when the scan found anything but vulnerabilities.
    #[serde(default, skip_serializing_if = "only_vulnerabilities")]
    pub by_kind: BTreeMap<Kind, usize>,
    /// Findings not shown, by reason kind (`vex`, `ignored`, `status`, `severity`, `unfixed`).
    pub suppressed: BTreeMap<String, usize>,
    /// Ecosystems (with release) the DB had no advisory data for.
    pub no_data_for: Vec<String>,
}

/// A vulnerability scan report (`kind: "scan"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub kind: String,
    pub tool: Tool,
    /// When the report was made (RFC 3339, UTC).
    pub created: String,
    /// False when no vulnerability data was available at all: packages are listed but were not
    /// checked (exit code 3).
    pub vulnerability_data: bool,
    /// The scanners that ran (`vuln`, `secret`, `config`); written when it is not just `vuln`.
    #[serde(
        default = "default_scanners",
        skip_serializing_if = "is_default_scanners"
    )]
    pub scanners: Vec<String>,
    #[serde(default)]
    pub db: Option<DbInfo>,
    pub targets: Vec<ScanTarget>,
    pub summary: Summary,
    /// Warnings for the user (expired ignore rules, stale DB).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// `sekisho config`: the files read, per type, and the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSummary>,
}

/// What `sekisho config` read: files per type (and the ones not understood), objects checked,
/// the policy and the Kubernetes version the Pod Security Standards were judged by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSummary {
    /// Files per type: `dockerfile`, `kubernetes`, `compose`, `oci-runtime`, `image-config`,
    /// and `not-understood`, `unreadable` (a parse error before anything was understood),
    /// `skipped` (symlinks, unreadable, over the size limit). Each such file is in the notes.
    pub files: BTreeMap<String, usize>,
    /// Objects checked (Kubernetes objects, compose services, Dockerfile stages, ...).
    pub objects: usize,
    /// Files in the directories given that are not configuration candidates (not read).
    pub other_files: usize,
    /// `all`, `pss-baseline` or `pss-restricted`.
    pub policy: String,
    /// The Kubernetes version the Pod Security Standards were judged by (`1.37`).
    pub k8s_version: String,
}

impl ScanReport {
    /// A report over `targets`, with the summary computed.
    pub fn new(
        tool: Tool,
        created: String,
        vulnerability_data: bool,
        db: Option<DbInfo>,
        targets: Vec<ScanTarget>,
        warnings: Vec<String>,
    ) -> Self {
        let summary = summarize(&targets);
        Self {
            schema_version: SCHEMA_VERSION,
            kind: "scan".into(),
            tool,
            created,
            vulnerability_data,
            scanners: default_scanners(),
            db,
            targets,
            summary,
            warnings,
            config: None,
        }
    }
}

fn default_scanners() -> Vec<String> {
    vec!["vuln".to_string()]
}

fn is_default_scanners(s: &[String]) -> bool {
    s.len() == 1 && s[0] == "vuln"
}

impl ScanReport {
    /// Whether the `vuln` scanner ran.
    pub fn vulnerabilities_scanned(&self) -> bool {
        self.scanners.iter().any(|s| s == "vuln")
    }
}

fn only_vulnerabilities(m: &BTreeMap<Kind, usize>) -> bool {
    m.keys().all(|k| *k == Kind::Vulnerability)
}

/// Compute the summary of `targets`.
pub fn summarize(targets: &[ScanTarget]) -> Summary {
    let mut s = Summary::default();
    for sev in Severity::VULNERABILITY {
        s.by_severity.insert(sev, 0);
    }
    for t in targets {
        for f in &t.findings {
            s.total += 1;
            *s.by_severity.entry(f.severity()).or_default() += 1;
            *s.by_kind.entry(f.kind()).or_default() += 1;
        }
        for x in &t.suppressed {
            *s.suppressed.entry(x.reason.kind().to_string()).or_default() += 1;
        }
        for c in &t.coverage {
            if !c.has_data && !s.no_data_for.contains(&c.ecosystem) {
                s.no_data_for.push(c.ecosystem.clone());
            }
        }
    }
    s.no_data_for.sort();
    s
}

/// An inventory (`kind: "sbom"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SbomReport {
    pub schema_version: u32,
    pub kind: String,
    pub tool: Tool,
    pub created: String,
    pub targets: Vec<Target>,
}

impl SbomReport {
    pub fn new(tool: Tool, created: String, targets: Vec<Target>) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            kind: "sbom".into(),
            tool,
            created,
            targets,
        }
    }
}

pub use sekisho_finding::time::rfc3339;

/// A random (v4) UUID, for CycloneDX serial numbers and SPDX namespaces.
pub fn uuid_v4() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid_v4());
    }
}
