//! `sekisho drift --host`: every container the isolation audit's host view lists, each held to
//! the image its runtime's state names (docker, containers-storage), one row each. A container
//! whose image cannot be resolved is listed with the reason, never dropped; one whose check
//! fails (its PID vanished, its root is unreadable, its image is not the one recorded) is
//! reported on its row and the others go on.

use serde::Serialize;

use sekisho_artifact::Note;
use sekisho_drift::Volatile;
use sekisho_drift::runtime_state::{self, Discovered, StateRoots};
use sekisho_report::{ScanReport, ScanTarget, Target, Tool};

use crate::db::DbSource;
use crate::drift::{self, DriftReport, DriftRequest, ExpectedImage, LiveSource};
use crate::error::{ErrorKind, ScanError};
use crate::pipeline::ScanOptions;
use crate::target::{ImageSource, ImageSpec};

/// One `--host` run.
#[derive(Debug, Clone)]
pub struct HostRequest {
    pub roots: StateRoots,
    /// Registry access, limits and platform for the images found (the source is replaced).
    pub access: ImageSpec,
    /// Whether the platform was given by the user (else the local image config's is used).
    pub platform_given: bool,
    pub volatile: Volatile,
    pub db: DbSource,
    pub proc_root: std::path::PathBuf,
    /// Most processes the host view looks at.
    pub max_procs: usize,
}

/// What became of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    /// Compared with its image.
    Checked,
    /// Its image could not be resolved: not compared.
    Skipped,
    /// Its check failed (see `error`).
    Failed,
}

/// One container of the host.
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    /// The container ID (from its cgroup path), or `pidns:<inode>` / `mntns:<inode>`.
    pub id: String,
    /// The runtime the cgroup path names (`docker`, `podman`, `cri-o`, …).
    pub runtime: Option<String>,
    /// Its init process.
    pub pid: u32,
    pub command: Option<String>,
    /// The image name its runtime recorded (or the reference fetched).
    pub image: Option<String>,
    /// The image ID its runtime recorded.
    pub image_id: Option<String>,
    pub status: RowStatus,
    /// `drift`, `clean`, `skipped` or `error`.
    pub verdict: &'static str,
    /// Why the image could not be resolved (`status: skipped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Why the check failed (`status: failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The drift report of this container (`status: checked`), as `sekisho drift --container`
    /// writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<DriftReport>,
}

/// Counts over the rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostSummary {
    pub containers: usize,
    pub checked: usize,
    /// Checked containers with a change outside the volatile list (or a package delta).
    pub drifted: usize,
    pub clean: usize,
    pub skipped: usize,
    pub failed: usize,
    pub seconds: f64,
}

/// The `--host` report (`--format json`; docs/drift.md).
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub tool: Tool,
    pub created: String,
    pub summary: HostSummary,
    pub containers: Vec<HostRow>,
    /// The host view's own notes (processes not scanned, …).
    pub notes: Vec<String>,
}

/// A finished `--host` run.
#[derive(Debug)]
pub struct HostOutcome {
    pub report: HostReport,
    /// Every container as one target of the shared report model (table, SARIF): the checked
    /// ones with their findings, the skipped and failed ones with a note saying why (and in the
    /// warnings).
    pub scan: ScanReport,
}

impl HostOutcome {
    /// Whether any checked container drifted.
    pub fn drifted(&self) -> bool {
        self.report.summary.drifted > 0
    }
}

/// The image specs to try for a discovered container: its references in order, with the
/// user's registry access, and the local image's platform unless one was given.
pub fn specs_for(d: &Discovered, access: &ImageSpec, platform_given: bool) -> Vec<ImageSpec> {
    let platform = if platform_given {
        access.platform.clone()
    } else {
        d.platform
            .as_deref()
            .and_then(|p| sekisho_artifact::image::Platform::parse(p).ok())
            .or_else(|| access.platform.clone())
    };
    d.references
        .iter()
        .map(|r| ImageSpec {
            source: ImageSource::Registry(r.clone()),
            platform: platform.clone(),
            registry: access.registry.clone(),
            limits: access.limits.clone(),
        })
        .collect()
}

/// Where the image ID was read.
pub fn expected_from(d: &Discovered, strict: bool) -> ExpectedImage {
    ExpectedImage {
        image_id: d.image_id.clone(),
        from: format!(
            "{} state {}",
            d.runtime,
            d.state_files.first().cloned().unwrap_or_default()
        ),
        strict,
    }
}

/// A container that was not compared, as a target with no findings and a note saying why, so
/// the shared model (SARIF notifications, the table) lists it too.
fn unchecked(c: &sekisho_audit::hostview::Container, why: &str) -> ScanTarget {
    ScanTarget {
        target: Target {
            name: format!("container {} (pid {})", c.id, c.init_pid),
            kind: "container".into(),
            notes: vec![Note::new(None, "drift", why.to_string())],
            ..Target::default()
        },
        findings: Vec::new(),
        suppressed: Vec::new(),
        coverage: Vec::new(),
    }
}

/// Check every container of the host.
///
/// # Errors
/// When the host's processes cannot be listed, or the run was cancelled. A single container's
/// failure is its row's.
pub fn drift_host(req: &HostRequest, opts: &ScanOptions<'_>) -> Result<HostOutcome, ScanError> {
    let started = std::time::Instant::now();
    let view = sekisho_audit::hostview::audit(&sekisho_audit::host::RealHost, req.max_procs)
        .map_err(|e| {
            ScanError::with_source(ErrorKind::Target, "cannot list the host's containers", e)
        })?;
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    let mut warnings = Vec::new();
    let mut db = None;
    let mut vulnerability_data = false;
    for c in &view.containers {
        if opts.cancel.is_cancelled() {
            return Err(ScanError::cancelled());
        }
        let mut row = HostRow {
            id: c.id.clone(),
            runtime: c.runtime.clone(),
            pid: c.init_pid,
            command: c.command.clone(),
            image: None,
            image_id: None,
            status: RowStatus::Skipped,
            verdict: "skipped",
            skipped: None,
            error: None,
            report: None,
        };
        let found = if c.grouped_by == "cgroup" {
            runtime_state::discover(&c.id, c.runtime.as_deref(), &req.roots)
        } else {
            Err(format!(
                "no container ID in its cgroup path (grouped by {}): no runtime state names its image",
                c.grouped_by
            ))
        };
        let d = match found {
            Ok(d) => d,
            Err(why) => {
                warnings.push(format!(
                    "container {} (pid {}) skipped: {why}",
                    c.id, c.init_pid
                ));
                targets.push(unchecked(c, &format!("skipped, image not resolved: {why}")));
                row.skipped = Some(why);
                rows.push(row);
                continue;
            }
        };
        row.image = d
            .image_name
            .clone()
            .or_else(|| d.references.first().cloned());
        row.image_id = Some(d.image_id.clone());
        let mut specs = specs_for(&d, &req.access, req.platform_given).into_iter();
        let Some(first) = specs.next() else {
            let why = "no reference to fetch the image by".to_string();
            warnings.push(format!(
                "container {} (pid {}) skipped: {why}",
                c.id, c.init_pid
            ));
            targets.push(unchecked(c, &format!("skipped, image not resolved: {why}")));
            row.skipped = Some(why);
            rows.push(row);
            continue;
        };
        let dreq = DriftRequest {
            image: first,
            fallbacks: specs.collect(),
            expect: Some(expected_from(&d, true)),
            discovered: Some(d),
            live: LiveSource::Pid(c.init_pid),
            volatile: req.volatile.clone(),
            db: req.db.clone(),
            proc_root: req.proc_root.clone(),
        };
        match drift::drift(&dreq, opts) {
            Ok(o) => {
                let drifted = o.drifted();
                row.status = RowStatus::Checked;
                row.verdict = if drifted { "drift" } else { "clean" };
                vulnerability_data |= o.scan.vulnerability_data;
                if db.is_none() {
                    db = o.scan.db.clone();
                }
                targets.extend(o.scan.targets);
                warnings.extend(o.scan.warnings);
                row.report = Some(o.report);
            }
            Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
            Err(e) => {
                let msg = drift::error_chain(&e);
                warnings.push(format!(
                    "container {} (pid {}) not checked: {msg}",
                    c.id, c.init_pid
                ));
                targets.push(unchecked(c, &format!("not checked: {msg}")));
                row.status = RowStatus::Failed;
                row.verdict = "error";
                row.error = Some(msg);
            }
        }
        rows.push(row);
    }
    let count = |s: RowStatus| rows.iter().filter(|r| r.status == s).count();
    let drifted = rows.iter().filter(|r| r.verdict == "drift").count();
    let summary = HostSummary {
        containers: rows.len(),
        checked: count(RowStatus::Checked),
        drifted,
        clean: count(RowStatus::Checked) - drifted,
        skipped: count(RowStatus::Skipped),
        failed: count(RowStatus::Failed),
        seconds: started.elapsed().as_secs_f64(),
    };
    let report = HostReport {
        schema_version: 1,
        kind: "drift-host",
        tool: opts.tool.clone(),
        created: opts.created.clone(),
        summary,
        containers: rows,
        notes: view.notes.clone(),
    };
    let mut scan = ScanReport::new(
        opts.tool.clone(),
        opts.created.clone(),
        vulnerability_data,
        db,
        targets,
        warnings,
    );
    scan.scanners = vec!["drift".into()];
    Ok(HostOutcome { report, scan })
}
