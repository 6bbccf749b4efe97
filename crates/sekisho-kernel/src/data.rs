//! The curated escape data (`data/escapes.toml`): its schema, loader and checks.
//!
//! One `[[escape]]` per container-relevant escape, kernel or runtime. Versions are copied from
//! the records named in each entry's `sources`; an unsourced field is absent and `notes` says
//! so, and the verdict engine then falls back (and says why). The file is embedded in the binary
//! ([`embedded`]); [`load`] parses any other copy with the same checks, so a user-supplied file
//! can never make the engine panic.
//!
//! Checks ([`Database::validate`]): every version parses in its scheme (kernel `X.Y[.Z][-rcN]`,
//! dpkg for Debian and Ubuntu, rpm for the RHEL family, semver for runtimes); a stable-branch fix
//! belongs to its branch and follows the introducing release; entries are ordered by CVE number,
//! branches ascending, and every entry names its sources.

use std::cmp::Ordering;
use std::sync::OnceLock;

use sekisho_version::Ecosystem;
use serde::{Deserialize, Serialize};

use crate::KernelError;
use crate::kver::KVer;

/// The data file as shipped.
pub const EMBEDDED: &str = include_str!("../data/escapes.toml");
/// The schema version this crate reads.
pub const SCHEMA_VERSION: u32 = 1;
/// Largest data file [`load`] accepts.
pub const MAX_DATA_LEN: usize = 8 << 20;
/// Most entries [`load`] accepts.
pub const MAX_ENTRIES: usize = 10_000;

/// Which layer an escape lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    Kernel,
    Runtime,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kernel => "kernel",
            Self::Runtime => "runtime",
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub schema_version: u32,
    /// The date the data was last curated (`YYYY-MM-DD`).
    pub updated: String,
    #[serde(rename = "escape")]
    pub escapes: Vec<Escape>,
}

/// One escape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escape {
    /// The CVE.
    pub id: String,
    pub name: String,
    pub component: Component,
    /// For runtime escapes: `runc`, `containerd`, `docker`, `buildkit`.
    #[serde(default)]
    pub runtime: Option<String>,
    pub published: String,
    pub summary: String,
    /// Precondition IDs (see [`crate::verdict::Precondition`]); empty: any local process.
    pub preconditions: Vec<String>,
    /// A bug that exists only in one distribution's kernel (`ubuntu`).
    #[serde(default)]
    pub only_distro: Option<String>,
    /// What could not be sourced.
    #[serde(default)]
    pub notes: Vec<String>,
    pub sources: Vec<String>,
    #[serde(default)]
    pub debian: Vec<DebianFix>,
    #[serde(default)]
    pub ubuntu: Vec<UbuntuStatus>,
    #[serde(default)]
    pub rhel: Vec<RhelFix>,
    #[serde(default)]
    pub upstream: Upstream,
}

/// Upstream: mainline and stable branches for the kernel, version ranges for runtimes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Kernel: the first mainline tag with the bug (`5.8-rc1`).
    #[serde(default)]
    pub introduced: Option<String>,
    /// Kernel: the first mainline tag with the fix (`5.17-rc6`).
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub introduced_commit: Option<String>,
    #[serde(default)]
    pub fixed_commit: Option<String>,
    /// Kernel: the stable release of each branch that carries the fix.
    #[serde(default)]
    pub branches: Vec<BranchFix>,
    /// Runtime: the Go module the ranges are about.
    #[serde(default)]
    pub module: Option<String>,
    /// Runtime: semver ranges (OSV style).
    #[serde(default)]
    pub ranges: Vec<Range>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchFix {
    pub branch: String,
    pub fixed: String,
    #[serde(default)]
    pub commit: Option<String>,
}

/// `introduced` ≤ v < `fixed` (or ≤ `last_affected`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub introduced: String,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebianFix {
    pub suite: String,
    pub package: String,
    pub fixed: String,
    pub advisory: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UbuntuStatus {
    /// As the Ubuntu CVE tracker names it: `focal`, `esm-infra/xenial`, `trusty/esm`.
    pub series: String,
    pub package: String,
    /// `released` (fixed in `version`) or `not-affected`.
    pub status: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RhelFix {
    pub major: u32,
    pub package: String,
    pub fixed: String,
    pub advisory: String,
}

/// Debian suites in release order (for the ordering check and suite detection).
pub const DEBIAN_SUITES: &[(&str, &str)] = &[
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
];

/// The embedded data, parsed and checked once.
///
/// # Panics
/// Never in a released build: the embedded file is checked by this crate's tests.
pub fn embedded() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| match load(EMBEDDED) {
        Ok(db) => db,
        Err(e) => {
            // The tests make this unreachable; keep the tool usable with no data rather than
            // panicking in the field.
            eprintln!("sekisho-kernel: embedded escape data is invalid: {e}");
            Database {
                schema_version: SCHEMA_VERSION,
                updated: String::new(),
                escapes: Vec::new(),
            }
        }
    })
}

/// Parse and check a data file.
///
/// # Errors
/// [`KernelError::Data`] naming the entry and field that is wrong.
pub fn load(text: &str) -> Result<Database, KernelError> {
    if text.len() > MAX_DATA_LEN {
        return Err(KernelError::data(
            "-",
            format!("{} bytes, more than {MAX_DATA_LEN}", text.len()),
        ));
    }
    let db: Database = toml::from_str(text).map_err(|e| KernelError::Toml {
        message: e.to_string(),
    })?;
    db.validate()?;
    Ok(db)
}

fn dpkg_ok(v: &str) -> bool {
    sekisho_version::Version::parse(Ecosystem::Debian, v).is_ok()
}

fn rpm_ok(v: &str) -> bool {
    sekisho_version::Version::parse(Ecosystem::RedHat, v).is_ok()
}

/// Runtime versions are Go module versions without the `v`.
pub(crate) fn semver(v: &str) -> Option<sekisho_version::Version> {
    sekisho_version::Version::parse(Ecosystem::Go, v).ok()
}

fn cve_key(id: &str) -> Option<(u32, u32)> {
    let rest = id.strip_prefix("CVE-")?;
    let (y, n) = rest.split_once('-')?;
    if y.len() != 4 || n.len() < 4 {
        return None;
    }
    Some((y.parse().ok()?, n.parse().ok()?))
}

impl Database {
    /// The schema and ordering checks described in the module docs.
    ///
    /// # Errors
    /// [`KernelError::Data`] for the first problem found.
    pub fn validate(&self) -> Result<(), KernelError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(KernelError::data(
                "-",
                format!(
                    "schema_version {} (this sekisho reads {SCHEMA_VERSION})",
                    self.schema_version
                ),
            ));
        }
        if self.escapes.len() > MAX_ENTRIES {
            return Err(KernelError::data(
                "-",
                format!("{} entries, more than {MAX_ENTRIES}", self.escapes.len()),
            ));
        }
        let mut prev: Option<(u32, u32)> = None;
        for e in &self.escapes {
            let key = cve_key(&e.id)
                .ok_or_else(|| KernelError::data(&e.id, "id is not a CVE-YYYY-NNNN"))?;
            if prev.is_some_and(|p| p >= key) {
                return Err(KernelError::data(
                    &e.id,
                    "entries must be in ascending CVE order, each once",
                ));
            }
            prev = Some(key);
            e.validate()?;
        }
        Ok(())
    }

    /// The entry for a CVE.
    pub fn get(&self, id: &str) -> Option<&Escape> {
        self.escapes.iter().find(|e| e.id == id)
    }
}

impl Escape {
    fn bad(&self, what: impl Into<String>) -> KernelError {
        KernelError::data(&self.id, what)
    }

    fn validate(&self) -> Result<(), KernelError> {
        if self.name.trim().is_empty() || self.summary.trim().is_empty() {
            return Err(self.bad("name and summary are required"));
        }
        if self.sources.is_empty() {
            return Err(self.bad("no sources"));
        }
        if !is_date(&self.published) {
            return Err(self.bad(format!("published {:?} is not YYYY-MM-DD", self.published)));
        }
        for p in &self.preconditions {
            if Precondition::parse(p).is_none() {
                return Err(self.bad(format!("unknown precondition {p:?}")));
            }
        }
        match self.component {
            Component::Kernel => {
                if self.runtime.is_some() {
                    return Err(self.bad("a kernel entry names a runtime"));
                }
                self.validate_kernel_upstream()?;
            }
            Component::Runtime => {
                if !matches!(
                    self.runtime.as_deref(),
                    Some("runc" | "containerd" | "docker" | "buildkit" | "crun")
                ) {
                    return Err(self.bad(format!("runtime {:?} is not known", self.runtime)));
                }
                for r in &self.upstream.ranges {
                    let intro = if r.introduced == "0" {
                        None
                    } else {
                        Some(semver(&r.introduced).ok_or_else(|| {
                            self.bad(format!("range introduced {:?} is not semver", r.introduced))
                        })?)
                    };
                    let end = match (&r.fixed, &r.last_affected) {
                        (Some(f), None) | (None, Some(f)) => f,
                        _ => {
                            return Err(
                                self.bad("a range needs exactly one of fixed, last_affected")
                            );
                        }
                    };
                    let end_v = semver(end)
                        .ok_or_else(|| self.bad(format!("range end {end:?} is not semver")))?;
                    if let Some(i) = intro {
                        if i.try_cmp(&end_v) != Some(Ordering::Less) {
                            return Err(
                                self.bad(format!("range {} .. {end} is empty", r.introduced))
                            );
                        }
                    }
                }
            }
        }
        let mut last_suite = None;
        for d in &self.debian {
            let idx = DEBIAN_SUITES
                .iter()
                .position(|(s, _)| *s == d.suite)
                .ok_or_else(|| self.bad(format!("Debian suite {:?} is not known", d.suite)))?;
            if last_suite.is_some_and(|l| l > idx) {
                return Err(self.bad("Debian entries must be in release order"));
            }
            last_suite = Some(idx);
            if !dpkg_ok(&d.fixed) || d.advisory.trim().is_empty() {
                return Err(self.bad(format!(
                    "Debian {} fixed {:?} is not a dpkg version (or no advisory)",
                    d.suite, d.fixed
                )));
            }
        }
        for u in &self.ubuntu {
            match (u.status.as_str(), &u.version) {
                ("released", Some(v)) | ("not-affected", Some(v)) if dpkg_ok(v) => {}
                ("not-affected", None) => {}
                _ => {
                    return Err(self.bad(format!(
                        "Ubuntu {} {}: status {:?} version {:?}",
                        u.series, u.package, u.status, u.version
                    )));
                }
            }
        }
        for r in &self.rhel {
            let tag = format!("el{}", r.major);
            if !rpm_ok(&r.fixed) || !r.fixed.contains(&tag) {
                return Err(self.bad(format!(
                    "RHEL {} fixed {:?} is not an {tag} rpm version",
                    r.major, r.fixed
                )));
            }
        }
        Ok(())
    }

    fn validate_kernel_upstream(&self) -> Result<(), KernelError> {
        let up = &self.upstream;
        let parse = |what: &str, v: &Option<String>| -> Result<Option<KVer>, KernelError> {
            match v {
                None => Ok(None),
                Some(s) => KVer::parse(s).map(Some).ok_or_else(|| {
                    self.bad(format!("upstream {what} {s:?} is not a kernel version"))
                }),
            }
        };
        let intro = parse("introduced", &up.introduced)?;
        let fixed = parse("fixed", &up.fixed)?;
        if let (Some(i), Some(f)) = (&intro, &fixed) {
            if i >= f {
                return Err(self.bad("upstream introduced is not before fixed"));
            }
        }
        if up.introduced.is_none() && up.fixed.is_none() && self.only_distro.is_none() {
            return Err(self.bad("a kernel entry needs upstream introduced/fixed or only_distro"));
        }
        let mut last: Option<KVer> = None;
        for b in &up.branches {
            let bv = KVer::parse(&b.branch)
                .ok_or_else(|| self.bad(format!("branch {:?} is not X.Y", b.branch)))?;
            let fv = KVer::parse(&b.fixed).ok_or_else(|| {
                self.bad(format!(
                    "branch {} fix {:?} is not a version",
                    b.branch, b.fixed
                ))
            })?;
            if fv.branch() != bv.branch() {
                return Err(self.bad(format!("fix {} is not on branch {}", b.fixed, b.branch)));
            }
            if let Some(i) = &intro {
                if fv <= *i {
                    return Err(self.bad(format!("branch fix {} is not after introduced", b.fixed)));
                }
            }
            if last.as_ref().is_some_and(|l| *l >= bv) {
                return Err(self.bad("branches must be ascending, each once"));
            }
            last = Some(bv);
        }
        Ok(())
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// What makes an escape reachable from a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precondition {
    /// CAP_SYS_ADMIN, held or gained in a new user namespace.
    CapSysAdminOrUserns,
    CapNetAdminOrUserns,
    CapNetRawOrUserns,
    /// cgroup v1 with a writable `release_agent`, or the means to mount one.
    CgroupV1ReleaseAgent,
    /// io_uring syscalls not filtered.
    IoUring,
    /// BPF programs loadable (unprivileged BPF, or CAP_BPF/CAP_SYS_ADMIN) and `bpf` allowed.
    UnprivilegedBpf,
    /// UID 0 in the host's user namespace.
    RootInContainer,
    /// The host's network namespace.
    HostNetwork,
    /// The operator runs an attacker's image, or execs into a hostile container.
    MaliciousImageOrExec,
    /// The runtime execs into a container the attacker controls.
    ExecIntoContainer,
    /// A build of an attacker's Dockerfile or frontend.
    UntrustedBuild,
}

impl Precondition {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "cap-sys-admin-or-userns" => Self::CapSysAdminOrUserns,
            "cap-net-admin-or-userns" => Self::CapNetAdminOrUserns,
            "cap-net-raw-or-userns" => Self::CapNetRawOrUserns,
            "cgroup-v1-release-agent" => Self::CgroupV1ReleaseAgent,
            "io-uring" => Self::IoUring,
            "unprivileged-bpf" => Self::UnprivilegedBpf,
            "root-in-container" => Self::RootInContainer,
            "host-network" => Self::HostNetwork,
            "malicious-image-or-exec" => Self::MaliciousImageOrExec,
            "exec-into-container" => Self::ExecIntoContainer,
            "untrusted-build" => Self::UntrustedBuild,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_is_valid_and_large_enough() {
        let db = load(EMBEDDED).expect("embedded data");
        assert!(db.escapes.len() >= 25, "{} entries", db.escapes.len());
        let kernel = db
            .escapes
            .iter()
            .filter(|e| e.component == Component::Kernel)
            .count();
        let runtime = db.escapes.len() - kernel;
        assert!(
            kernel >= 15 && runtime >= 10,
            "{kernel} kernel, {runtime} runtime"
        );
        // 2016 to today.
        assert!(db.escapes.iter().any(|e| e.id.starts_with("CVE-2016-")));
        assert!(db.escapes.iter().any(|e| e.id.starts_with("CVE-2025-")));
        for id in [
            "CVE-2016-5195",
            "CVE-2022-0847",
            "CVE-2022-0185",
            "CVE-2022-0492",
            "CVE-2019-5736",
            "CVE-2024-21626",
        ] {
            assert!(db.get(id).is_some(), "{id} missing");
        }
    }

    #[test]
    fn every_gap_is_said() {
        let db = embedded();
        for e in &db.escapes {
            if e.component == Component::Kernel && e.only_distro.is_none() {
                assert!(
                    !e.upstream.branches.is_empty() || e.notes.iter().any(|n| n.contains("stable")),
                    "{}: no stable branches and no note",
                    e.id
                );
            }
            if e.rhel.is_empty() {
                assert!(e.notes.iter().any(|n| n.contains("RHEL")), "{}", e.id);
            }
            if e.ubuntu.is_empty() && e.runtime.as_deref() != Some("buildkit") {
                assert!(
                    e.notes.iter().any(|n| n.contains("Ubuntu")) || e.id == "CVE-2019-14271",
                    "{}",
                    e.id
                );
            }
        }
    }

    fn with(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    }

    #[test]
    fn checks_reject_bad_files() {
        let t = EMBEDDED;
        for (from, to, want) in [
            ("schema_version = 1", "schema_version = 2", "schema_version"),
            (
                "{ branch = \"5.16\", fixed = \"5.16.11\"",
                "{ branch = \"5.16\", fixed = \"5.15.11\"",
                "not on branch",
            ),
            (
                "id = \"CVE-2016-9962\"",
                "id = \"CVE-2099-0001\"",
                "ascending",
            ),
            (
                "fixed = \"5.10.92-2\"",
                "fixed = \"not a version!\"",
                "dpkg",
            ),
            (
                "preconditions = [\"io-uring\"]",
                "preconditions = [\"magic\"]",
                "precondition",
            ),
            (
                "introduced = \"5.8-rc1\"",
                "introduced = \"5.17-rc7\"",
                "introduced",
            ),
            (
                "component = \"runtime\"\nruntime = \"runc\"",
                "component = \"runtime\"\nruntime = \"lxc\"",
                "runtime",
            ),
            (
                "published = \"2016-10-19\"",
                "published = \"October\"",
                "published",
            ),
        ] {
            let err = load(&with(t, from, to)).unwrap_err().to_string();
            assert!(err.contains(want), "{from} -> {to}: {err}");
        }
        let err = load("schema_version = 1\nupdated = \"x\"\n[[escape]]\nid = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("escape data"), "{err}");
        assert!(load("x = ").is_err());
        assert!(load(&"#".repeat(MAX_DATA_LEN + 1)).is_err());
    }
}
