//! `sekisho image|rootfs|vm|scan-sbom`: vulnerability scans.
//!
//! target → layers (`target.rs`, `target_vm.rs`) → catalog (`sekisho-catalog`) → findings
//! (`sekisho-match` against `sekisho-vulndb`) → policy (VEX, ignore file, filters) → report
//! (`sekisho-report`) → exit code (gate, or 3 when no vulnerability data was available).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use sekisho_artifact::{CollectOptions, Note};
use sekisho_catalog::Catalog;
use sekisho_match::{Policy, Severity};
use sekisho_report::{DbInfo, ScanFormat, ScanReport, ScanTarget, Target, Tool};

use super::target::{ImageTarget, OpenOptions, OpenedTarget, RootfsTarget, VmTarget};
use super::{EXIT_GATE, EXIT_NO_DATA, EXIT_OK};

/// `--format` of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormatArg {
    /// Tables grouped by target and package (default).
    Table,
    /// sekisho JSON (`kind: "scan"`, see docs/json-schema.md).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6 with vulnerabilities.
    Cyclonedx,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// Options every vulnerability scan takes.
#[derive(Debug, Clone, Args)]
pub struct ScanOpts {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ScanFormatArg,
    /// Only report these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',', value_name = "LIST", value_parser = parse_severity)]
    pub severity: Vec<Severity>,
    /// Hide findings that have no fixed version yet.
    #[arg(long, visible_alias = "only-fixed")]
    pub ignore_unfixed: bool,
    /// Exit with the gate code (1, or --exit-code) when a finding of this severity or higher is
    /// shown.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// The exit code when the gate trips (alone: trip on any finding shown).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Vulnerability DB file (default: $XDG_CACHE_HOME/sekisho/db.sqlite or the config's
    /// `db.path`).
    #[arg(long, value_name = "PATH", env = "SEKISHO_DB")]
    pub db: Option<PathBuf>,
    /// Never touch the network (no automatic `db update` when the DB is missing).
    #[arg(long)]
    pub offline: bool,
    /// No progress or warnings on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also show will_not_fix / end_of_life findings and findings resolved by VEX.
    #[arg(long)]
    pub show_all_statuses: bool,
    /// Ignore rules (default: ./.sekishoignore when present). See docs/severity.md.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// VEX document (OpenVEX JSON or CycloneDX VEX); repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(flatten)]
    pub target: ImageTarget,
    #[command(flatten)]
    pub opts: ScanOpts,
}

#[derive(Debug, Args)]
pub struct RootfsArgs {
    #[command(flatten)]
    pub target: RootfsTarget,
    #[command(flatten)]
    pub opts: ScanOpts,
}

#[derive(Debug, Args)]
pub struct VmArgs {
    #[command(flatten)]
    pub target: VmTarget,
    /// Follow qcow2 backing files (only within the image's directory).
    #[arg(long)]
    pub allow_backing: bool,
    #[command(flatten)]
    pub opts: ScanOpts,
}

#[derive(Debug, Args)]
pub struct ScanSbomArgs {
    /// A CycloneDX or SPDX JSON SBOM.
    pub file: PathBuf,
    #[command(flatten)]
    pub opts: ScanOpts,
}

/// Progress lines on stderr (silent with `--quiet`).
pub(crate) struct Progress {
    quiet: bool,
}

impl Progress {
    pub(crate) fn new(quiet: bool) -> Self {
        Self { quiet }
    }
    pub(crate) fn say(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

/// Catalog an opened target, carrying the opener's notes.
pub(crate) fn catalog_target(
    opened: OpenedTarget,
    kind: &str,
    collect: &CollectOptions,
    progress: &Progress,
) -> anyhow::Result<Target> {
    progress.say(format_args!("cataloguing {}", opened.name));
    let started = std::time::Instant::now();
    let mut cat = sekisho_catalog::scan(opened.layers, collect)
        .with_context(|| format!("cannot read {}", opened.name))?;
    let mut notes = opened.notes;
    notes.append(&mut cat.notes);
    progress.say(format_args!(
        "  {} packages in {:.2}s",
        cat.packages.len(),
        started.elapsed().as_secs_f64()
    ));
    // Nothing skipped silently: every format carries the notes, and stderr names the first few.
    if !notes.is_empty() {
        progress.say(format_args!(
            "  {} note{} (skipped or not understood; all are in the report):",
            notes.len(),
            if notes.len() == 1 { "" } else { "s" }
        ));
        for n in notes.iter().take(5) {
            progress.say(format_args!("    {}", sekisho_report::model::note_text(n)));
        }
        if notes.len() > 5 {
            progress.say(format_args!("    … and {} more", notes.len() - 5));
        }
    }
    let mut t = target_from_catalog(opened.name, kind, cat, notes);
    t.partition = opened.partition;
    Ok(t)
}

pub(crate) fn target_from_catalog(
    name: String,
    kind: &str,
    cat: Catalog,
    notes: Vec<Note>,
) -> Target {
    let mut packages = cat.packages;
    for p in &mut packages {
        // File lists are for de-duplication inside the catalog; reports carry locations.
        p.files = Vec::new();
    }
    Target {
        name,
        kind: kind.to_string(),
        os: cat.os,
        layers: cat.layers,
        packages,
        notes,
        partition: None,
    }
}

/// Where the DB is: `--db`, else the config file, else the default path.
pub(crate) fn db_path(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let cfg = sekisho_vulndb::update::load_config()?;
    Ok(cfg.path.unwrap_or_else(sekisho_vulndb::default_db_path))
}

/// Open the DB; when it is missing and we may go online, run `db update` first.
fn open_db(
    opts: &ScanOpts,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<(sekisho_vulndb::Db, DbInfo)>> {
    let path = db_path(opts.db.as_deref())?;
    let first = sekisho_vulndb::Db::open(&path);
    let db = match first {
        Ok(db) => Some(db),
        Err(sekisho_vulndb::DbError::Missing(_)) if !opts.offline => {
            progress.say(format_args!(
                "no vulnerability DB at {}; running `sekisho db update`",
                path.display()
            ));
            let r = sekisho_vulndb::update(
                &path,
                &sekisho_vulndb::UpdateOptions {
                    source: None,
                    ecosystems: Vec::new(),
                    offline: false,
                    full: false,
                    progress: !opts.quiet && std::io::stderr().is_terminal(),
                },
            );
            match r {
                Ok(_) => Some(
                    sekisho_vulndb::Db::open(&path)
                        .with_context(|| format!("open {}", path.display()))?,
                ),
                Err(e) => {
                    warnings.push(format!("`db update` failed: {e}"));
                    None
                }
            }
        }
        Err(sekisho_vulndb::DbError::Missing(_)) => {
            warnings.push(format!(
                "no vulnerability DB at {} and --offline was given",
                path.display()
            ));
            None
        }
        Err(e) => return Err(e).with_context(|| format!("open {}", path.display())),
    };
    let Some(db) = db else {
        return Ok(None);
    };
    // `max_age_days` of the config file, as `db status` / `db query` honour it.
    let max_age = sekisho_vulndb::update::load_config()
        .ok()
        .and_then(|c| c.max_age_days)
        .map_or(sekisho_vulndb::DEFAULT_MAX_AGE, |d| {
            std::time::Duration::from_secs(d * 86_400)
        });
    if let Some(w) = db.stale_warning(max_age) {
        warnings.push(w);
    }
    let st = db.summary().ok();
    let info = DbInfo {
        path: Some(path.display().to_string()),
        updated: st
            .as_ref()
            .and_then(|s| s.updated_at.clone().or_else(|| s.built_at.clone())),
        advisories: st.as_ref().map(|s| s.advisories),
    };
    Ok(Some((db, info)))
}

/// Build the policy from the options (VEX files, ignore file, filters).
fn policy(opts: &ScanOpts) -> anyhow::Result<Policy> {
    let mut vex = Vec::new();
    for f in &opts.vex {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read VEX {}", f.display()))?;
        vex.push(sekisho_match::vex::parse(&f.display().to_string(), &bytes)?);
    }
    let ignore_path = match &opts.ignore_file {
        Some(p) => Some(p.clone()),
        None => {
            let p = PathBuf::from(".sekishoignore");
            p.is_file().then_some(p)
        }
    };
    let ignore = match ignore_path {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read ignore file {}", p.display()))?;
            Some(sekisho_match::ignore::parse(
                &p.display().to_string(),
                &text,
            )?)
        }
        None => None,
    };
    Ok(Policy {
        vex,
        ignore,
        severities: (!opts.severity.is_empty()).then(|| opts.severity.clone()),
        ignore_unfixed: opts.ignore_unfixed,
        show_all_statuses: opts.show_all_statuses,
        today: None,
    })
}

/// Match the targets, apply the policy, render and compute the exit code.
fn finish(targets: Vec<Target>, opts: &ScanOpts) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(opts.quiet);
    let policy = policy(opts)?;
    let mut warnings = Vec::new();
    let db = open_db(opts, &progress, &mut warnings)?;
    let mut scan_targets = Vec::new();
    let mut any_data = false;
    let mut any_packages = false;
    for target in targets {
        any_packages |= !target.packages.is_empty();
        let Some((db, _)) = &db else {
            scan_targets.push(ScanTarget {
                target,
                ..ScanTarget::default()
            });
            continue;
        };
        let started = std::time::Instant::now();
        let cat = Catalog {
            os: target.os.clone(),
            packages: target.packages.clone(),
            layers: Vec::new(),
            notes: Vec::new(),
        };
        let out = sekisho_match::match_catalog(&cat, db)
            .with_context(|| format!("matching {}", target.name))?;
        any_data |= out.coverage.iter().any(|c| c.has_data);
        let applied = policy.apply(&target.packages, out.findings);
        progress.say(format_args!(
            "matched {} packages of {} in {:.2}s: {} findings shown, {} not shown",
            target.packages.len(),
            target.name,
            started.elapsed().as_secs_f64(),
            applied.findings.len(),
            applied.suppressed.len()
        ));
        for w in applied.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        let mut target = target;
        target.notes.extend(out.notes);
        if !out.excluded.is_empty() {
            let parts: Vec<String> = out
                .excluded
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            target.notes.push(Note::new(
                None,
                "advisories",
                format!("not reported: {}", parts.join(", ")),
            ));
        }
        scan_targets.push(ScanTarget {
            target,
            findings: applied.findings,
            suppressed: applied.suppressed,
            coverage: out.coverage,
        });
    }
    let vulnerability_data = db.is_some();
    for w in &warnings {
        progress.say(format_args!("warning: {w}"));
    }
    let report = ScanReport::new(
        Tool::sekisho(env!("CARGO_PKG_VERSION")),
        sekisho_report::model::now_rfc3339(),
        vulnerability_data,
        db.as_ref().map(|(_, i)| i.clone()),
        scan_targets,
        warnings,
    );
    let format = match opts.format {
        ScanFormatArg::Table => ScanFormat::Table,
        ScanFormatArg::Json => ScanFormat::Json,
        ScanFormatArg::Sarif => ScanFormat::Sarif,
        ScanFormatArg::Cyclonedx => ScanFormat::CycloneDx,
    };
    write_output(opts.output.as_deref(), |out, color| {
        sekisho_report::render_scan(&report, format, out, color)
    })?;
    // Exit code: the gate first; then 3 when nothing could be checked.
    let shown: Vec<Severity> = report
        .targets
        .iter()
        .flat_map(|t| t.findings.iter().map(|f| f.severity))
        .collect();
    let tripped = match (opts.fail_on, opts.exit_code) {
        (Some(min), _) => shown.iter().any(|s| *s >= min),
        (None, Some(_)) => !shown.is_empty(),
        (None, None) => false,
    };
    if tripped {
        return Ok(ExitCode::from(opts.exit_code.unwrap_or(EXIT_GATE)));
    }
    if !vulnerability_data || (any_packages && !any_data) {
        return Ok(ExitCode::from(EXIT_NO_DATA));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// Write to `--output` or stdout; colour only on a terminal and without `NO_COLOR`.
pub(crate) fn write_output(
    output: Option<&Path>,
    render: impl FnOnce(&mut dyn Write, bool) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match output {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            render(&mut w, false).with_context(|| format!("cannot write {}", p.display()))?;
            w.flush()
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let color = !no_color && stdout.is_terminal();
            let mut w = std::io::BufWriter::new(stdout.lock());
            render(&mut w, color)?;
            w.flush()?;
        }
    }
    Ok(())
}

pub fn run_image(a: ImageArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(a.opts.quiet);
    let opened = super::target::open_image(
        &a.target,
        &OpenOptions {
            quiet: a.opts.quiet,
            password: None,
        },
    )?;
    let t = catalog_target(opened, "image", &a.target.collect_options(), &progress)?;
    finish(vec![t], &a.opts)
}

pub fn run_rootfs(a: RootfsArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(a.opts.quiet);
    let opened = super::target::open_rootfs(&a.target)?;
    let t = catalog_target(opened, "rootfs", &CollectOptions::default(), &progress)?;
    finish(vec![t], &a.opts)
}

/// Open a VM disk into targets; with no OS root, print the partition table and fail.
pub(crate) fn vm_targets(
    t: &VmTarget,
    allow_backing: bool,
    progress: &Progress,
) -> anyhow::Result<Vec<Target>> {
    let (opened, parts) = super::target_vm::open_vm(t, allow_backing)?;
    if opened.is_empty() {
        anyhow::bail!(
            "no filesystem with an operating system root found in {}:\n{}",
            t.disk.display(),
            super::target_vm::partition_table(&parts)
        );
    }
    progress.say(format_args!(
        "partitions of {}:\n{}",
        t.disk.display(),
        super::target_vm::partition_table(&parts).trim_end()
    ));
    opened
        .into_iter()
        .map(|o| catalog_target(o, "vm", &CollectOptions::default(), progress))
        .collect()
}

pub fn run_vm(a: VmArgs) -> anyhow::Result<ExitCode> {
    let progress = Progress::new(a.opts.quiet);
    let targets = vm_targets(&a.target, a.allow_backing, &progress)?;
    finish(targets, &a.opts)
}

pub fn run_scan_sbom(a: ScanSbomArgs) -> anyhow::Result<ExitCode> {
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read SBOM {}", a.file.display()))?;
    let name = a.file.display().to_string();
    let cat = sekisho_match::sbom_input::parse(&name, &bytes)?;
    let notes = cat.notes.clone();
    let t = target_from_catalog(name, "sbom", cat, notes);
    finish(vec![t], &a.opts)
}
