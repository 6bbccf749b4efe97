//! The scan flow, start to end:
//!
//! ```text
//! target ─► layers ─► one walk (every analyzer's captures) ─► inventory
//!                                                      ├─► packages (catalogers)
//!                                                      └─► analyzers (secret, config, …)
//!          packages ─► matches (vulnerability DB) ─┐
//!          analyzer findings ──────────────────────┴─► policy ─► report (+ gate, no-data)
//! ```
//!
//! [`scan`] runs it for one request; [`inventory`] stops after the packages (`sekisho sbom`).
//! Nothing here reads the process: progress, cancellation, the thread budget, the cache and the
//! date come in through [`ScanOptions`]; credentials, proxies and the DB through the request.

use std::sync::Arc;
use std::time::Instant;

use sekisho_artifact::image::ImageMeta;
use sekisho_artifact::{
    Capture, CollectOptions, CollectProgress, IndexMode, Inventory, LayerInfo, Note,
};
use sekisho_catalog::{Catalog, Cataloger};
use sekisho_finding::Finding;
use sekisho_policy::{Gate, Policy, Suppressed};
use sekisho_report::{SbomReport, ScanReport, ScanTarget, Target, Tool};

use crate::analyzer::{Analyzer, Context, Output};
use crate::analyzers::vuln::Vulnerabilities;
use crate::db::{self, DbSource};
use crate::error::{ErrorKind, ScanError, walk_kind};
use crate::progress::{Cancel, Event, Progress, Silent};
use crate::target::{self, OpenedTarget, TargetSpec};

/// The scanners `--scanners` accepts. `vuln` is the default (and `kernel` too for VM disks).
pub const SCANNERS: &[&str] = &["vuln", "kernel", "secret", "config"];

/// The layer cache.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub dir: std::path::PathBuf,
    pub max_bytes: u64,
}

/// How a scan runs: everything a caller decides that is not what to scan.
pub struct ScanOptions<'a> {
    pub progress: &'a dyn Progress,
    pub cancel: Cancel,
    /// Most threads the scan runs at once.
    pub threads: usize,
    /// The per-layer cache (images), or none.
    pub cache: Option<CacheSettings>,
    /// The report's date (RFC 3339).
    pub created: String,
    /// The tool named in the report.
    pub tool: Tool,
}

impl Default for ScanOptions<'_> {
    fn default() -> Self {
        Self {
            progress: &Silent,
            cancel: Cancel::new(),
            threads: sekisho_artifact::default_threads(),
            cache: None,
            created: sekisho_finding::time::rfc3339(sekisho_finding::time::unix_now()),
            tool: Tool::sekisho(env!("CARGO_PKG_VERSION")),
        }
    }
}

/// One scan request.
#[derive(Clone)]
pub struct ScanRequest {
    pub target: TargetSpec,
    /// Which scanners run (names of [`SCANNERS`]); empty is `vuln`.
    pub scanners: Vec<String>,
    pub policy: Policy,
    /// Where vulnerability data comes from (used when `vuln` runs).
    pub db: DbSource,
    /// `--fail-on` / `--exit-code`.
    pub gate: Gate,
    /// Analyzers a caller adds (plug-ins), run after the built-in ones.
    pub extra_analyzers: Vec<Arc<dyn Analyzer>>,
}

impl ScanRequest {
    /// A request with the default scanner, no policy, no gate.
    pub fn new(target: TargetSpec, db: DbSource) -> Self {
        Self {
            target,
            scanners: Vec::new(),
            policy: Policy::default(),
            db,
            gate: Gate::default(),
            extra_analyzers: Vec::new(),
        }
    }
}

/// A finished scan: the report and what it means for the exit code.
#[derive(Debug)]
pub struct ScanOutcome {
    pub report: ScanReport,
    /// A finding shown tripped the gate.
    pub gate_tripped: bool,
    /// Vulnerabilities were asked for but no vulnerability data was available for any of the
    /// packages found (or no DB at all): the packages were not checked.
    pub no_data: bool,
    /// Why no vulnerability DB was available, when it was missing (`--offline`, or the
    /// download failed): an error for the user, though the scan went on (exit 3).
    pub db_unavailable: Option<String>,
}

/// The scanners of a request, validated.
fn scanner_names(req: &ScanRequest) -> Result<Vec<String>, ScanError> {
    let mut names: Vec<String> = Vec::new();
    for s in &req.scanners {
        for n in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let n = n.to_ascii_lowercase();
            if !SCANNERS.contains(&n.as_str()) {
                return Err(ScanError::new(
                    ErrorKind::Usage,
                    format!("unknown scanner {n:?} (available: {})", SCANNERS.join(", ")),
                ));
            }
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    if names.is_empty() {
        names.push("vuln".into());
        // A golden image boots a kernel: judge it by default.
        if matches!(req.target, TargetSpec::Vm { .. }) {
            names.push("kernel".into());
        }
    }
    Ok(names)
}

/// Forward layer progress to the caller's sink.
pub(crate) struct LayerProgress<'a>(pub(crate) &'a dyn Progress);

impl CollectProgress for LayerProgress<'_> {
    fn layer_done(&self, info: &LayerInfo, entries: u64, bytes: u64, cached: bool) {
        self.0.event(&Event::Layer {
            info,
            entries,
            bytes,
            cached,
        });
    }
}

/// A walked target: its packages and OS, and what every non-vulnerability analyzer found.
struct Walked {
    target: Target,
    findings: Vec<Finding>,
    suppressed: Vec<Suppressed>,
}

/// Walk one opened target once for the catalogers and every analyzer, then run the analyzers.
fn walk_target(
    opened: OpenedTarget,
    catalogers: &[Box<dyn Cataloger>],
    analyzers: &[Arc<dyn Analyzer>],
    opts: &ScanOptions<'_>,
) -> Result<Walked, ScanError> {
    let progress = opts.progress;
    progress.event(&Event::Cataloguing {
        target: &opened.name,
    });
    let started = Instant::now();
    // Every capture once: OS detection, the catalogers, the analyzers (ids are shared on
    // purpose where two stages read the same file the same way).
    let mut captures: Vec<Box<dyn Capture>> = sekisho_catalog::os_captures();
    captures.extend(sekisho_catalog::all_captures(catalogers));
    for a in analyzers {
        captures.extend(a.captures());
    }
    let mut seen = std::collections::HashSet::new();
    captures.retain(|c| seen.insert(c.id()));
    let refs: Vec<&dyn Capture> = captures.iter().map(AsRef::as_ref).collect();
    let index = analyzers
        .iter()
        .map(|a| a.index())
        .max_by_key(|m| match m {
            IndexMode::Off => 0,
            IndexMode::Meta => 1,
            IndexMode::Digest => 2,
        })
        .unwrap_or(IndexMode::Off);
    let layer_progress = LayerProgress(progress);
    let collect = CollectOptions {
        threads: opts.threads.max(1),
        cache_dir: opts.cache.as_ref().map(|c| c.dir.clone()),
        cache_max_bytes: opts
            .cache
            .as_ref()
            .map_or(sekisho_artifact::cache::DEFAULT_MAX_BYTES, |c| c.max_bytes),
        index,
        cancel: Some(opts.cancel.flag()),
        progress: Some(&layer_progress),
    };
    let inv = sekisho_artifact::collect_with(opened.layers, &refs, &collect).map_err(|e| {
        ScanError::with_source(walk_kind(&e), format!("cannot read {}", opened.name), e)
    })?;
    let mut cat = sekisho_catalog::analyze(&inv, catalogers);
    let mut notes = opened.notes;
    notes.append(&mut cat.notes);
    progress.event(&Event::Catalogued {
        target: &opened.name,
        packages: cat.packages.len(),
        seconds: started.elapsed().as_secs_f64(),
    });
    if !notes.is_empty() {
        progress.event(&Event::Notes {
            target: &opened.name,
            notes: &notes,
        });
    }
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for a in analyzers {
        if opts.cancel.is_cancelled() {
            return Err(ScanError::cancelled());
        }
        let t0 = Instant::now();
        let mut out = Output::default();
        let cx = Context {
            target: &opened.name,
            target_kind: opened.kind,
            inventory: &inv,
            image: opened.image.as_ref(),
            catalog: Some(&cat),
            cancel: &opts.cancel,
        };
        a.analyze(&cx, &mut out)?;
        progress.event(&Event::Analyzed {
            target: &opened.name,
            analyzer: a.id(),
            findings: out.findings.len(),
            seconds: t0.elapsed().as_secs_f64(),
        });
        findings.append(&mut out.findings);
        suppressed.append(&mut out.suppressed);
        notes.append(&mut out.notes);
    }
    drop(inv);
    let target = into_target(
        opened.name,
        opened.kind,
        cat,
        notes,
        opened.partition,
        opened.image.as_ref(),
    );
    Ok(Walked {
        target,
        findings,
        suppressed,
    })
}

/// A report target from a catalog. File lists are for de-duplication inside the catalog;
/// reports carry locations.
fn into_target(
    name: String,
    kind: &str,
    cat: Catalog,
    notes: Vec<Note>,
    partition: Option<sekisho_report::PartitionInfo>,
    image: Option<&sekisho_artifact::image::ImageMeta>,
) -> Target {
    let mut packages = cat.packages;
    for p in &mut packages {
        p.files = Vec::new();
    }
    // History lines record build arguments (`RUN |1 NPM_TOKEN=...`): no report shows a
    // secret, whichever scanners ran.
    let mut layers = cat.layers;
    // The rules are compiled only when there is something to redact (not for a rootfs).
    let history = layers.iter().any(|l| l.created_by.is_some())
        || image.is_some_and(|m| m.history.iter().any(|h| h.created_by.is_some()));
    let rules = if history {
        sekisho_secret::Rules::builtin().ok()
    } else {
        None
    };
    let redact = |c: &str| match rules {
        Some(r) => sekisho_secret::redact_text(r, c),
        None => c.to_string(),
    };
    for l in &mut layers {
        if let Some(c) = &mut l.created_by {
            *c = redact(c);
        }
    }
    let image = image.map(|m| image_info(m, layers.len(), &redact));
    Target {
        name,
        kind: kind.to_string(),
        os: cat.os,
        layers,
        packages,
        notes,
        partition,
        image,
    }
}

/// The report's view of an image: identity, platform and every history step, each step that
/// made a layer pointing at it (the k-th non-empty step made layer k), instructions redacted.
fn image_info(
    m: &sekisho_artifact::image::ImageMeta,
    layers: usize,
    redact: &dyn Fn(&str) -> String,
) -> sekisho_report::ImageInfo {
    let mut next = 0usize;
    let history = m
        .history
        .iter()
        .map(|h| {
            let layer = (!h.empty_layer && next < layers).then(|| {
                next += 1;
                next - 1
            });
            sekisho_report::HistoryStep {
                created_by: h.created_by.as_deref().map(redact),
                created: h.created.clone(),
                layer,
            }
        })
        .collect();
    let mut platform = [m.os.as_str(), m.architecture.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if let Some(v) = m.variant.as_deref().filter(|v| !v.is_empty()) {
        platform.push('/');
        platform.push_str(v);
    }
    sekisho_report::ImageInfo {
        digest: m.manifest_digest.clone(),
        id: m.config_digest.clone(),
        platform,
        repo_tags: m.repo_tags.clone(),
        repo_digests: m.repo_digests.clone(),
        created: m.created.clone(),
        history,
    }
}

/// Run one scan.
///
/// # Errors
/// When the target cannot be opened or read, the request is invalid, a policy file or the DB
/// cannot be read, or the scan was cancelled. Entry-level problems are notes in the report.
pub fn scan(req: &ScanRequest, opts: &ScanOptions<'_>) -> Result<ScanOutcome, ScanError> {
    let names = scanner_names(req)?;
    let want_vuln = names.iter().any(|n| n == "vuln");
    let mut analyzers = crate::analyzers::for_scanners(&names)?;
    analyzers.extend(req.extra_analyzers.iter().cloned());
    let mut walked: Vec<Walked> = Vec::new();
    match &req.target {
        TargetSpec::Sbom { name, bytes } => {
            let cat = sekisho_match::sbom_input::parse(name, bytes).map_err(|e| {
                ScanError::with_source(ErrorKind::Target, format!("cannot read SBOM {name}"), e)
            })?;
            let mut notes = cat.notes.clone();
            for a in &analyzers {
                if !a.works_without_files() {
                    notes.push(Note::new(
                        None,
                        a.id(),
                        "not run: an SBOM lists packages but holds no files",
                    ));
                }
            }
            walked.push(Walked {
                target: into_target(name.clone(), "sbom", cat, notes, None, None),
                findings: Vec::new(),
                suppressed: Vec::new(),
            });
        }
        spec => {
            let opened = target::open(spec, opts.progress)?;
            return scan_opened(opened, req, opts);
        }
    }
    finish(req, opts, walked, want_vuln, &names)
}

/// [`scan`] over targets the caller opened itself (its own [`OpenedTarget`]s, e.g. layers it
/// already holds); `req.target` is not opened again.
///
/// # Errors
/// As [`scan`].
pub fn scan_opened(
    opened: Vec<OpenedTarget>,
    req: &ScanRequest,
    opts: &ScanOptions<'_>,
) -> Result<ScanOutcome, ScanError> {
    let names = scanner_names(req)?;
    let want_vuln = names.iter().any(|n| n == "vuln");
    let mut analyzers = crate::analyzers::for_scanners(&names)?;
    analyzers.extend(req.extra_analyzers.iter().cloned());
    let need_packages = want_vuln || analyzers.iter().any(|a| a.needs_packages());
    let catalogers = if need_packages {
        sekisho_catalog::default_catalogers()
    } else {
        Vec::new()
    };
    let mut walked = Vec::new();
    for o in opened {
        if opts.cancel.is_cancelled() {
            return Err(ScanError::cancelled());
        }
        walked.push(walk_target(o, &catalogers, &analyzers, opts)?);
    }
    finish(req, opts, walked, want_vuln, &names)
}

/// Match, apply the policy, and build the report.
fn finish(
    req: &ScanRequest,
    opts: &ScanOptions<'_>,
    walked: Vec<Walked>,
    want_vuln: bool,
    names: &[String],
) -> Result<ScanOutcome, ScanError> {
    let progress = opts.progress;
    let mut warnings: Vec<String> = Vec::new();
    let mut db_unavailable = None;
    let db = if want_vuln {
        db::open(&req.db, progress, &mut warnings, &mut db_unavailable)?
    } else {
        None
    };
    let vuln = db.as_ref().map(|d| Vulnerabilities::new(d.db.clone()));
    let mut targets = Vec::new();
    let mut any_data = false;
    let mut any_packages = false;
    for w in walked {
        if opts.cancel.is_cancelled() {
            return Err(ScanError::cancelled());
        }
        let mut target = w.target;
        let mut findings = w.findings;
        let mut coverage = Vec::new();
        any_packages |= !target.packages.is_empty();
        let started = Instant::now();
        if let Some(v) = &vuln {
            let cat = Catalog {
                os: target.os.clone(),
                packages: target.packages.clone(),
                layers: Vec::new(),
                notes: Vec::new(),
            };
            let empty = Inventory::default();
            let mut out = Output::default();
            v.analyze(
                &Context {
                    target: &target.name,
                    target_kind: &target.kind,
                    inventory: &empty,
                    image: None::<&ImageMeta>,
                    catalog: Some(&cat),
                    cancel: &opts.cancel,
                },
                &mut out,
            )?;
            any_data |= out.coverage.iter().any(|c| c.has_data);
            // Vulnerabilities first, as the report has always listed them.
            let mut all = out.findings;
            all.append(&mut findings);
            findings = all;
            target.notes.append(&mut out.notes);
            coverage = out.coverage;
        }
        let applied = req.policy.apply(&target.packages, findings);
        let mut suppressed = w.suppressed;
        suppressed.extend(applied.suppressed);
        if vuln.is_some() {
            progress.event(&Event::Matched {
                target: &target.name,
                packages: target.packages.len(),
                shown: applied.findings.len(),
                hidden: suppressed.len(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        for w in applied.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        targets.push(ScanTarget {
            target,
            findings: applied.findings,
            suppressed,
            coverage,
        });
    }
    for w in &warnings {
        progress.event(&Event::Warning { message: w });
    }
    let vulnerability_data = db.is_some();
    let mut report = ScanReport::new(
        opts.tool.clone(),
        opts.created.clone(),
        vulnerability_data,
        db.as_ref().map(|d| d.info.clone()),
        targets,
        warnings,
    );
    report.scanners = names.to_vec();
    let shown: Vec<&Finding> = report.targets.iter().flat_map(|t| &t.findings).collect();
    let gate_tripped = !req.gate.tripped_by(shown).is_empty();
    let no_data = want_vuln && (!vulnerability_data || (any_packages && !any_data));
    Ok(ScanOutcome {
        report,
        gate_tripped,
        no_data,
        db_unavailable,
    })
}

/// Every package of a target, without vulnerability matching (`sekisho sbom`). No DB needed.
///
/// # Errors
/// As [`scan`].
pub fn inventory(target: &TargetSpec, opts: &ScanOptions<'_>) -> Result<SbomReport, ScanError> {
    let catalogers = sekisho_catalog::default_catalogers();
    let mut targets = Vec::new();
    for opened in target::open(target, opts.progress)? {
        if opts.cancel.is_cancelled() {
            return Err(ScanError::cancelled());
        }
        targets.push(walk_target(opened, &catalogers, &[], opts)?.target);
    }
    Ok(SbomReport::new(
        opts.tool.clone(),
        opts.created.clone(),
        targets,
    ))
}
