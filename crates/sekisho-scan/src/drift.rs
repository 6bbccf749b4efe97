//! `sekisho drift`: a running container (or an unpacked root filesystem) held to the image it
//! came from, by content. The model and the safe walk are `sekisho-drift`'s; this module opens
//! the image as every scan does (registry, archive, OCI layout; the layer cache), opens the
//! container's root (`/proc/PID/root`, its mountinfo and id maps), matches the packages
//! installed at runtime against the vulnerability DB, and builds the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use sekisho_artifact::{Capture, CollectOptions, Note};
use sekisho_drift::packages::{self, PackageVersion, Upgrade};
use sekisho_drift::{FileChange, LiveRoot, Mount, Volatile, findings, live, mountinfo};
use sekisho_finding::{Finding, Severity};
use sekisho_report::{ScanReport, ScanTarget, Target, Tool};

use crate::db::{self, DbSource};
use crate::error::{ErrorKind, ScanError};
use crate::pipeline::{LayerProgress, ScanOptions};
use crate::progress::Event;
use crate::target::{self, ImageSpec};

/// Where the container's files are.
#[derive(Debug, Clone)]
pub enum LiveSource {
    /// An unpacked root filesystem (or a container's merged directory).
    Rootfs(PathBuf),
    /// A process: its root is `/proc/PID/root`, its mounts `/proc/PID/mountinfo`.
    Pid(u32),
}

impl LiveSource {
    fn name(&self) -> String {
        match self {
            Self::Rootfs(d) => d.display().to_string(),
            Self::Pid(p) => format!("pid {p}"),
        }
    }
}

/// The image ID a container's runtime recorded (the SHA-256 of the image config), to hold the
/// image that is opened to.
#[derive(Debug, Clone)]
pub struct ExpectedImage {
    /// `sha256:<hex>`.
    pub image_id: String,
    /// Where it was read (`docker state /var/lib/docker/containers/<id>/config.v2.json`).
    pub from: String,
    /// A mismatch is an error (the image was found by discovery); else a warning note (the
    /// image was named by the user, who wins).
    pub strict: bool,
}

/// One drift check.
#[derive(Debug, Clone)]
pub struct DriftRequest {
    pub image: ImageSpec,
    /// Further ways to the same image, tried in order when `image` cannot be opened (the other
    /// references discovery found).
    pub fallbacks: Vec<ImageSpec>,
    /// The container's image ID from its runtime's state, when known.
    pub expect: Option<ExpectedImage>,
    /// What discovery found, for the report.
    pub discovered: Option<sekisho_drift::runtime_state::Discovered>,
    pub live: LiveSource,
    pub volatile: Volatile,
    /// For the packages installed at runtime.
    pub db: DbSource,
    /// Where `/proc` is (tests point it elsewhere).
    pub proc_root: PathBuf,
}

/// One change, as `changes[]` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    /// Absolute path inside the container.
    pub path: String,
    /// `added`, `modified`, `deleted`, `metadata`.
    pub change: sekisho_finding::Change,
    /// `executable`, `shared-library`, `setuid`, `etc-config`, `persistence`, `package-db`,
    /// `deleted`, `volatile`, `other`.
    pub class: String,
    pub detail: String,
    /// The rule ID (`drift-executable`).
    pub id: String,
    pub severity: Severity,
}

/// A path the check did not look at.
#[derive(Debug, Clone, Serialize)]
pub struct NotCovered {
    pub path: String,
    /// `mount` (a volume, a bind mount, a secret, /etc/hosts …) or `other-filesystem`.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A file compared by size and mtime only, or not read.
#[derive(Debug, Clone, Serialize)]
pub struct Unverified {
    pub path: String,
    pub why: String,
}

/// The package-database delta.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageSection {
    pub added: Vec<PackageVersion>,
    pub removed: Vec<PackageVersion>,
    pub upgraded: Vec<Upgrade>,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftSummary {
    /// Changes outside the volatile list (what `--fail-on-drift` looks at).
    pub changes: usize,
    pub volatile: usize,
    pub by_class: BTreeMap<String, usize>,
    pub not_covered: usize,
    pub vanished: usize,
    pub unverified: usize,
    /// Paths in the image's tree and the container's.
    pub image_entries: usize,
    pub container_entries: usize,
    pub files_read: u64,
    pub bytes_hashed: u64,
    pub runtime_vulnerabilities: usize,
    pub seconds: f64,
}

/// The drift report (`--format json`; docs/drift.md).
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub tool: Tool,
    pub created: String,
    pub image: String,
    /// The config digest (image ID) of the image compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    pub container: String,
    /// How the image was found from the container's runtime state (`--container`, `--host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<sekisho_drift::runtime_state::Discovered>,
    pub summary: DriftSummary,
    pub changes: Vec<ChangeRow>,
    pub volatile: Vec<ChangeRow>,
    pub volatile_patterns: Vec<String>,
    pub not_covered: Vec<NotCovered>,
    pub vanished: Vec<String>,
    pub unverified: Vec<Unverified>,
    pub packages: PackageSection,
    /// Whether the runtime packages could be checked (a DB was available).
    pub vulnerability_data: bool,
    /// Vulnerabilities of the packages installed or upgraded at runtime.
    pub vulnerabilities: Vec<Finding>,
    /// The overlay upper directory's view of the changes, when the root is an overlay mount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<OverlayWitness>,
    pub notes: Vec<Note>,
}

/// A finished drift check.
#[derive(Debug)]
pub struct DriftOutcome {
    pub report: DriftReport,
    /// The same findings in the shared report model (table, SARIF).
    pub scan: ScanReport,
}

impl DriftOutcome {
    /// Whether any change lies outside the volatile list (or a runtime package changed).
    pub fn drifted(&self) -> bool {
        !self.report.changes.is_empty()
            || !self.report.packages.added.is_empty()
            || !self.report.packages.removed.is_empty()
            || !self.report.packages.upgraded.is_empty()
    }
}

fn abs(p: &str) -> String {
    format!("/{p}")
}

fn rows(changes: &[FileChange]) -> Vec<ChangeRow> {
    findings::file_findings(changes)
        .into_iter()
        .zip(changes)
        .map(|(f, c)| ChangeRow {
            path: abs(&c.path),
            change: c.change,
            class: c.class.word().to_string(),
            detail: c.detail.clone(),
            id: f.id().to_string(),
            severity: f.severity(),
        })
        .collect()
}

/// Longest /proc file read (mountinfo of a namespace with many mounts).
const MAX_PROC_FILE: u64 = 4 << 20;

fn read_small(p: &Path) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(p).ok()?;
    let mut s = String::new();
    f.take(MAX_PROC_FILE).read_to_string(&mut s).ok()?;
    Some(s)
}

/// An id map (`uid_map`, `gid_map`), parsed by the isolation audit's parser.
fn id_map(p: &Path) -> Option<Vec<mountinfo::IdRange>> {
    let text = read_small(p)?;
    Some(
        sekisho_audit::parse::idmap::parse(&text)
            .into_iter()
            .map(|r| mountinfo::IdRange {
                inside: u64::from(r.inside),
                outside: u64::from(r.outside),
                count: u64::from(r.count),
            })
            .collect(),
    )
}

/// The mounts inside the live root: the process's own view (mount points are relative to its
/// root), or those of this process below a root filesystem directory; and the `upperdir` of the
/// root itself when that is an overlay mount (the topmost mount on the root).
fn mounts_of(req: &DriftRequest, notes: &mut Vec<Note>) -> (Vec<Mount>, Option<String>) {
    let (file, under) = match &req.live {
        LiveSource::Pid(p) => (req.proc_root.join(format!("{p}/mountinfo")), None),
        LiveSource::Rootfs(d) => (
            req.proc_root.join("self/mountinfo"),
            std::fs::canonicalize(d)
                .ok()
                .and_then(|c| sekisho_artifact::normalize(&c.to_string_lossy()).ok()),
        ),
    };
    let Some(text) = read_small(&file) else {
        notes.push(Note::new(
            None,
            file.display().to_string(),
            "mounts not read: mounted paths cannot be told apart from the image's",
        ));
        return (Vec::new(), None);
    };
    let (all, bad) = sekisho_audit::parse::mountinfo::parse(&text);
    if bad > 0 {
        notes.push(Note::new(
            None,
            file.display().to_string(),
            format!("{bad} malformed mountinfo lines skipped"),
        ));
    }
    let mut upper = None;
    let mounts = all
        .into_iter()
        .filter_map(|m| {
            let path = sekisho_artifact::normalize(&m.mount_point).ok()?;
            let path = match &under {
                None => path,
                Some(root) if root.is_empty() => path,
                Some(root) if path == *root => String::new(),
                Some(root) => path
                    .strip_prefix(root.as_str())
                    .and_then(|r| r.strip_prefix('/'))?
                    .to_string(),
            };
            if path.is_empty() {
                // A later mount on the root covers an earlier one.
                upper = sekisho_drift::overlay::upperdir_of(&m.fstype, &m.super_options);
                return None;
            }
            Some(Mount {
                path,
                fstype: m.fstype,
                source: m.source,
            })
        })
        .collect();
    (mounts, upper)
}

/// What the overlay upper directory says about the changes (see `sekisho_drift::overlay`).
#[derive(Debug, Clone, Serialize)]
pub struct OverlayWitness {
    /// The upper directory, as the mountinfo names it (a host path).
    pub upperdir: String,
    /// Entries written there, whiteouts, opaque directories.
    pub written: usize,
    pub whiteouts: usize,
    pub opaque: usize,
    /// Changes (volatile included) that the upper directory holds.
    pub confirmed: usize,
    /// Changes it does not hold: not made through the container's writable layer, so the
    /// image's lower layers on this host differ from the image.
    pub lower_layer_changes: Vec<String>,
    /// Entries in the upper directory that the content comparison found unchanged (copied up,
    /// or written back with the image's content).
    pub unchanged_in_upper: usize,
    /// Why the upper directory could not be read whole, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

/// Cross-check the changes with the upper directory; annotate the ones it does not hold.
fn witness(
    upperdir: &str,
    changes: &mut [FileChange],
    vol: &[FileChange],
    notes: &mut Vec<Note>,
) -> Option<OverlayWitness> {
    let up = match sekisho_drift::overlay::read(Path::new(upperdir)) {
        Ok(u) => u,
        Err(e) => {
            notes.push(Note::new(
                None,
                upperdir.to_string(),
                format!(
                    "overlay upper directory not read ({e}): the changes rest on the content comparison alone"
                ),
            ));
            return None;
        }
    };
    if let Some(why) = &up.incomplete {
        notes.push(Note::new(
            None,
            upperdir.to_string(),
            format!("overlay upper directory read in part: {why}"),
        ));
    }
    // An upper directory that holds none of the changes is not this container's as seen from
    // here (a path of another mount namespace that names some other directory): not a witness.
    let total = changes.len() + vol.len();
    if total > 0 && up.incomplete.is_none() && !changes.iter().chain(vol).any(|c| up.holds(&c.path))
    {
        notes.push(Note::new(
            None,
            upperdir.to_string(),
            format!(
                "overlay upper directory holds none of the {total} changes: not this container's upper directory as seen from here (another mount namespace?), not used as a witness"
            ),
        ));
        return None;
    }
    let mut confirmed = 0;
    let mut lower = Vec::new();
    let changed: std::collections::BTreeSet<String> =
        changes.iter().chain(vol).map(|c| c.path.clone()).collect();
    for c in vol {
        if up.holds(&c.path) {
            confirmed += 1;
        }
    }
    for c in changes.iter_mut() {
        if up.holds(&c.path) {
            confirmed += 1;
        } else if up.incomplete.is_none() {
            c.detail.push_str(
                "; not in the overlay upper directory: the image's lower layers on this host differ",
            );
            lower.push(abs(&c.path));
        }
    }
    // Directories in the upper directory are implied by what is below them.
    let unchanged_in_upper = up
        .written
        .iter()
        .filter(|p| {
            !changed.contains(p.as_str())
                && !up
                    .written
                    .range(format!("{p}/")..)
                    .next()
                    .is_some_and(|q| q.starts_with(&format!("{p}/")))
        })
        .count();
    Some(OverlayWitness {
        upperdir: upperdir.to_string(),
        written: up.written.len(),
        whiteouts: up.whiteouts.len(),
        opaque: up.opaque.len(),
        confirmed,
        lower_layer_changes: lower,
        unchanged_in_upper,
        incomplete: up.incomplete,
    })
}

/// An error with its causes, `: `-joined.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Open the image (or the first of its fallbacks that opens) and hold it to the container's
/// image ID: a mismatch is an error naming both digests when the image was discovered, a
/// warning note when the user named it.
fn open_checked(
    req: &DriftRequest,
    progress: &dyn crate::progress::Progress,
    notes: &mut Vec<Note>,
) -> Result<target::OpenedTarget, ScanError> {
    let mut first_err = None;
    let mut opened = None;
    for spec in std::iter::once(&req.image).chain(&req.fallbacks) {
        match target::open_image(spec, progress) {
            Ok(o) => {
                opened = Some(o);
                break;
            }
            Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
            Err(e) => {
                if !req.fallbacks.is_empty() {
                    notes.push(Note::new(
                        None,
                        spec.display_name(),
                        format!("image not opened: {}", error_chain(&e)),
                    ));
                }
                first_err.get_or_insert(e);
            }
        }
    }
    let Some(opened) = opened else {
        return Err(first_err.unwrap_or_else(|| ScanError::new(ErrorKind::Target, "no image")));
    };
    if let Some(x) = &req.expect {
        let got = opened.image.as_ref().and_then(|m| m.config_digest.clone());
        if got.as_deref() != Some(x.image_id.as_str()) {
            let got = got.unwrap_or_else(|| "no config digest".into());
            let msg = format!(
                "{} has image config {got}, but the container's image is {} ({})",
                opened.name, x.image_id, x.from
            );
            if x.strict {
                return Err(ScanError::new(
                    ErrorKind::Target,
                    format!("image mismatch: {msg}; not comparing with another image"),
                ));
            }
            progress.event(&Event::Warning {
                message: &format!("image mismatch: {msg}"),
            });
            notes.push(Note::new(
                None,
                opened.name.clone(),
                format!("warning: image mismatch: {msg}; compared with the image given, as asked"),
            ));
        }
    }
    Ok(opened)
}

/// Run one drift check.
///
/// # Errors
/// When the image or the container's root cannot be opened, the DB cannot be read, or the
/// check was cancelled. Everything smaller is a note.
pub fn drift(req: &DriftRequest, opts: &ScanOptions<'_>) -> Result<DriftOutcome, ScanError> {
    let started = Instant::now();
    let progress = opts.progress;
    let container = req.live.name();
    // The container's root first: a wrong --pid fails before any image is pulled.
    let root_path = match &req.live {
        LiveSource::Rootfs(d) => d.clone(),
        LiveSource::Pid(p) => req.proc_root.join(format!("{p}/root")),
    };
    let root = LiveRoot::open(&root_path).map_err(|e| {
        ScanError::new(
            ErrorKind::Target,
            format!(
                "cannot open the root of {container} ({}): {e}",
                root_path.display()
            ),
        )
    })?;
    let mut notes: Vec<Note> = Vec::new();
    let (mounts, upperdir) = mounts_of(req, &mut notes);
    let (uid_map, gid_map) = match &req.live {
        LiveSource::Pid(p) => (
            id_map(&req.proc_root.join(format!("{p}/uid_map"))),
            id_map(&req.proc_root.join(format!("{p}/gid_map"))),
        ),
        LiveSource::Rootfs(_) => (None, None),
    };

    // The image's expected tree.
    let opened = open_checked(req, progress, &mut notes)?;
    let image_id = opened.image.as_ref().and_then(|m| m.config_digest.clone());
    let image_name = opened.name.clone();
    notes.extend(opened.notes);
    progress.event(&Event::Cataloguing {
        target: &image_name,
    });
    let caps = packages::captures();
    let refs: Vec<&dyn Capture> = caps.iter().map(AsRef::as_ref).collect();
    let layer_progress = LayerProgress(progress);
    let collect = CollectOptions {
        threads: opts.threads.max(1),
        cache_dir: opts.cache.as_ref().map(|c| c.dir.clone()),
        cache_max_bytes: opts
            .cache
            .as_ref()
            .map_or(sekisho_artifact::cache::DEFAULT_MAX_BYTES, |c| c.max_bytes),
        index: sekisho_artifact::IndexMode::Digest,
        cancel: Some(opts.cancel.flag()),
        progress: Some(&layer_progress),
    };
    let inv = sekisho_drift::expected::collect(opened.layers, &refs, &collect).map_err(|e| {
        ScanError::with_source(
            crate::error::walk_kind(&e),
            format!("cannot read {image_name}"),
            e,
        )
    })?;
    let expected = sekisho_drift::expected::tree(&inv, &mut notes).ok_or_else(|| {
        ScanError::new(
            ErrorKind::Target,
            format!("{image_name}: no per-entry index was kept for every layer"),
        )
    })?;
    let image_cat = packages::image_catalog(&inv);
    drop(inv);

    // The container's tree.
    let lt = live::walk(
        &root,
        &live::WalkOptions {
            threads: opts.threads.max(1),
            mounts: mounts.iter().map(|m| m.path.clone()).collect(),
            expected: Some(&expected),
            uid_map,
            gid_map,
            cancel: Some(opts.cancel.flag()),
        },
    )
    .map_err(|e| {
        if opts.cancel.is_cancelled() {
            ScanError::cancelled()
        } else {
            ScanError::new(ErrorKind::Target, format!("cannot walk {container}: {e}"))
        }
    })?;
    notes.extend(lt.notes.iter().cloned());
    let (mut changes, vol) = sekisho_drift::compare(&expected, &lt, &req.volatile);
    // The overlay upper directory, where there is one, as a second witness only.
    let overlay = upperdir
        .as_deref()
        .and_then(|u| witness(u, &mut changes, &vol, &mut notes));

    // Packages.
    let live_cat = packages::live_catalog(&root, &lt);
    let delta = packages::delta(&image_cat, &live_cat);
    notes.extend(delta.notes.iter().cloned());
    let mut warnings = Vec::new();
    let mut vulns: Vec<Finding> = Vec::new();
    let mut vulnerability_data = false;
    let mut db_info = None;
    let mut db_unavailable: Option<String> = None;
    if !delta.runtime.packages.is_empty() {
        match db::open(&req.db, progress, &mut warnings, &mut db_unavailable)? {
            Some(odb) => {
                let m =
                    sekisho_match::match_catalog(&delta.runtime, odb.db.as_ref()).map_err(|e| {
                        ScanError::with_source(
                            ErrorKind::Database,
                            format!("matching the runtime packages of {container}"),
                            e,
                        )
                    })?;
                vulnerability_data = m.coverage.iter().any(|c| c.has_data);
                vulns.extend(m.findings.into_iter().map(Finding::Vulnerability));
                notes.extend(m.notes);
                db_info = Some(odb.info);
            }
            None => notes.push(Note::new(
                None,
                "runtime packages",
                format!(
                    "{} packages installed or upgraded at runtime were not checked: {}",
                    delta.runtime.packages.len(),
                    db_unavailable.as_deref().unwrap_or("no vulnerability DB")
                ),
            )),
        }
    }
    for w in &warnings {
        progress.event(&Event::Warning { message: w });
    }

    // Not covered: every mount inside the root, and directories on another filesystem.
    let mut not_covered: Vec<NotCovered> = Vec::new();
    for m in &mounts {
        not_covered.push(NotCovered {
            path: abs(&m.path),
            reason: "mount".into(),
            fstype: Some(m.fstype.clone()),
            source: Some(m.source.clone()),
        });
    }
    for p in &lt.not_covered {
        if !mounts.iter().any(|m| &m.path == p) {
            not_covered.push(NotCovered {
                path: abs(p),
                reason: "other-filesystem".into(),
                fstype: None,
                source: None,
            });
        }
    }
    not_covered.sort_by(|a, b| a.path.cmp(&b.path));

    let change_rows = rows(&changes);
    let vol_rows = rows(&vol);
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    for r in &change_rows {
        *by_class.entry(r.class.clone()).or_default() += 1;
    }
    let mut drift_findings = findings::file_findings(&changes);
    drift_findings.extend(findings::package_findings(&delta));
    let summary = DriftSummary {
        changes: change_rows.len(),
        volatile: vol_rows.len(),
        by_class,
        not_covered: not_covered.len(),
        vanished: lt.vanished.len(),
        unverified: lt.unhashed.len(),
        image_entries: expected.len(),
        container_entries: lt.tree.len(),
        files_read: lt.files,
        bytes_hashed: lt.hashed_bytes,
        runtime_vulnerabilities: vulns.len(),
        seconds: started.elapsed().as_secs_f64(),
    };
    progress.event(&Event::Analyzed {
        target: &container,
        analyzer: "drift",
        findings: drift_findings.len(),
        seconds: summary.seconds,
    });
    let report = DriftReport {
        schema_version: 1,
        kind: "drift",
        tool: opts.tool.clone(),
        created: opts.created.clone(),
        image: image_name.clone(),
        image_id,
        container: container.clone(),
        discovery: req.discovered.clone(),
        summary,
        changes: change_rows,
        volatile: vol_rows,
        volatile_patterns: req.volatile.patterns().to_vec(),
        not_covered,
        vanished: lt.vanished.iter().map(|p| abs(p)).collect(),
        unverified: lt
            .unhashed
            .iter()
            .map(|(p, w)| Unverified {
                path: abs(p),
                why: w.clone(),
            })
            .collect(),
        packages: PackageSection {
            added: delta.added.clone(),
            removed: delta.removed.clone(),
            upgraded: delta.upgraded.clone(),
        },
        vulnerability_data,
        vulnerabilities: vulns.clone(),
        overlay,
        notes: notes.clone(),
    };
    let mut all = drift_findings;
    all.extend(vulns);
    let scan_target = ScanTarget {
        target: Target {
            name: format!("{container} (image {image_name})"),
            kind: "container".into(),
            os: live_cat.os.clone(),
            packages: delta.runtime.packages.clone(),
            notes,
            ..Target::default()
        },
        findings: all,
        suppressed: Vec::new(),
        coverage: Vec::new(),
    };
    let mut scan = ScanReport::new(
        opts.tool.clone(),
        opts.created.clone(),
        vulnerability_data,
        db_info,
        vec![scan_target],
        warnings,
    );
    scan.scanners = vec!["drift".into()];
    Ok(DriftOutcome { report, scan })
}
