//! `sekisho image|rootfs|vm|scan-sbom`: scans. This module only maps arguments onto
//! `sekisho-scan`'s request and options, prints progress, renders, and turns the outcome into an
//! exit code; the pipeline is the library's.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use sekisho_finding::Severity;
use sekisho_policy::Gate;
use sekisho_report::{ScanFormat, Tool};
use sekisho_scan::{
    DbSource, Environment, Event, PolicySpec, Progress, ScanOptions, ScanRequest, Settings,
    TargetSpec,
};
use sekisho_vulndb::UpdateOptions;

use super::target::{ImageTarget, RootfsTarget, VmTarget};
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
    /// One self-contained HTML file (summary, fix plan, filterable findings, layers).
    Html,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// Options every scan takes.
#[derive(Debug, Clone, Args)]
pub struct ScanOpts {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ScanFormatArg,
    /// What to look for (comma-separated): vuln (vulnerable packages), kernel (known container
    /// escapes of the installed kernels), secret (credentials in every layer, deleted files
    /// included, and in the image config and build history; values are never printed), config
    /// (misconfigurations of the image config and of Dockerfiles, Kubernetes manifests and
    /// compose files inside the target; see docs/config-checks.md).
    /// Default: vuln; vuln,kernel for VM disks.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub scanners: Vec<String>,
    /// Only report these severities (comma-separated: UNKNOWN,INFO,LOW,MEDIUM,HIGH,CRITICAL).
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
    /// No progress or warnings on standard error (a download of the DB is still announced, and
    /// a missing DB is still an error).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also show will_not_fix / end_of_life findings and findings resolved by VEX.
    #[arg(long)]
    pub show_all_statuses: bool,
    /// Also list informational notices (RustSec unmaintained, unsound), in their own section.
    #[arg(long)]
    pub show_informational: bool,
    /// Ignore rules (default: ./.sekishoignore when present). See docs/severity.md.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// VEX document (OpenVEX JSON or CycloneDX VEX); repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Tables as wide as their content (default: fit the terminal, `COLUMNS`, or 80 columns
    /// when the output is not a terminal).
    #[arg(long)]
    pub wide: bool,
}

/// The width tables fit: none with `--wide`; else `COLUMNS`; else the terminal's, when the
/// report goes to one; else 80.
pub(crate) fn table_width(wide: bool, to_file: bool) -> Option<usize> {
    if wide {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 20)
    {
        return Some(c);
    }
    if !to_file
        && let Some((terminal_size::Width(w), _)) =
            terminal_size::terminal_size_of(std::io::stdout())
    {
        return Some(usize::from(w).max(40));
    }
    Some(80)
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

/// Progress lines on stderr (silent with `--quiet`), worded as the CLI always has.
pub(crate) struct Stderr {
    quiet: bool,
}

impl Stderr {
    pub(crate) fn new(quiet: bool) -> Self {
        Self { quiet }
    }
}

impl Progress for Stderr {
    fn event(&self, e: &Event<'_>) {
        // Network use is never silent, not even with --quiet.
        match e {
            Event::DbDownload {
                path,
                source,
                ecosystems,
                downloads,
            } => {
                let what = if ecosystems.is_empty() {
                    "one file".to_string()
                } else {
                    format!(
                        "OSV all.zip of {} ecosystem{} ({})",
                        ecosystems.len(),
                        if ecosystems.len() == 1 { "" } else { "s" },
                        ecosystems.join(", ")
                    )
                };
                eprintln!(
                    "no vulnerability database at {path}: running `sekisho db update`, which downloads {what} from {source}"
                );
                if let Some(first) = downloads.first() {
                    eprintln!(
                        "  first download: {first} (--offline never downloads; `sekisho db import PATH` loads local files)"
                    );
                }
                return;
            }
            Event::DbDownloadSize {
                bytes,
                known,
                downloads,
            } => {
                if *known == 0 {
                    eprintln!("  download size: unknown (the server did not say)");
                } else if known == downloads {
                    eprintln!("  download size: {}", human_bytes(*bytes));
                } else {
                    eprintln!(
                        "  download size: at least {} ({known} of {downloads} sizes known)",
                        human_bytes(*bytes)
                    );
                }
                return;
            }
            _ => {}
        }
        if self.quiet {
            return;
        }
        match e {
            Event::Pulling { reference } => eprintln!("pulling {reference}"),
            Event::Partitions { disk, table } => eprintln!("partitions of {disk}:\n{table}"),
            Event::Cataloguing { target } => eprintln!("cataloguing {target}"),
            Event::Catalogued {
                packages, seconds, ..
            } => eprintln!("  {packages} packages in {seconds:.2}s"),
            // Notes are named once the report is complete (see `say_notes`), so the count on
            // stderr is the count in the report.
            Event::Notes { .. } => {}
            Event::Matched {
                target,
                packages,
                shown,
                hidden,
                seconds,
            } => eprintln!(
                "matched {packages} packages of {target} in {seconds:.2}s: {shown} findings shown, {hidden} not shown"
            ),
            Event::Analyzed {
                target,
                analyzer,
                findings,
                seconds,
            } => eprintln!("{analyzer}: {findings} findings in {target} in {seconds:.2}s"),
            Event::Warning { message } => eprintln!("warning: {message}"),
            _ => {}
        }
    }
}

/// `1234567` as `1.2 MB` (decimal units, as download tools show them).
fn human_bytes(b: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "one decimal shown")]
    let f = b as f64;
    if b < 1000 {
        format!("{b} bytes")
    } else if b < 1_000_000 {
        format!("{:.1} kB", f / 1e3)
    } else if b < 1_000_000_000 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}

/// Nothing skipped silently: every format carries the notes, and stderr names the first few of
/// each target, with the same count as the report.
pub(crate) fn say_notes(quiet: bool, targets: &[&sekisho_report::Target]) {
    if quiet {
        return;
    }
    for t in targets {
        if t.notes.is_empty() {
            continue;
        }
        let lines = sekisho_report::model::note_lines(t);
        eprintln!(
            "{}: {} note{} (skipped or not understood; all are in the report):",
            t.name,
            t.notes.len(),
            if t.notes.len() == 1 { "" } else { "s" }
        );
        for l in lines.iter().take(5) {
            eprintln!("    {l}");
        }
        if lines.len() > 5 {
            eprintln!("    … and {} more", lines.len() - 5);
        }
    }
}

/// The environment and the settings file, read once per command.
pub(crate) struct Ctx {
    pub env: Environment,
    pub settings: Settings,
}

impl Ctx {
    pub(crate) fn load() -> anyhow::Result<Self> {
        let env = Environment::from_process();
        let settings = Settings::load(&env)?;
        Ok(Self { env, settings })
    }

    /// The report date and the tool.
    pub(crate) fn options<'a>(&self, progress: &'a dyn Progress) -> ScanOptions<'a> {
        ScanOptions {
            progress,
            created: sekisho_finding::time::rfc3339(self.env.now),
            tool: Tool::sekisho(env!("CARGO_PKG_VERSION")),
            ..ScanOptions::default()
        }
    }
}

fn db_source(cx: &Ctx, opts: &ScanOpts) -> DbSource {
    let path = opts
        .db
        .clone()
        .unwrap_or_else(|| cx.settings.db_path(&cx.env));
    DbSource::Path {
        path,
        update: (!opts.offline).then(|| UpdateOptions {
            source: None,
            ecosystems: Vec::new(),
            offline: false,
            full: false,
            progress: !opts.quiet && std::io::stderr().is_terminal(),
            config: cx.settings.db.clone(),
        }),
        max_age: cx.settings.max_age(),
    }
}

fn request(cx: &Ctx, target: TargetSpec, opts: &ScanOpts) -> anyhow::Result<ScanRequest> {
    let policy = PolicySpec {
        vex: opts.vex.clone(),
        ignore_file: opts.ignore_file.clone(),
        severities: opts.severity.clone(),
        ignore_unfixed: opts.ignore_unfixed,
        show_all_statuses: opts.show_all_statuses,
        show_informational: opts.show_informational,
    }
    .load(&cx.env)?;
    Ok(ScanRequest {
        target,
        scanners: opts.scanners.clone(),
        policy,
        db: db_source(cx, opts),
        gate: Gate {
            min_severity: opts.fail_on,
            ids: Vec::new(),
            any: opts.fail_on.is_none() && opts.exit_code.is_some(),
        },
        extra_analyzers: Vec::new(),
    })
}

/// Run the scan, render it, and map the outcome to the exit code.
fn run_scan(
    cx: &Ctx,
    target: TargetSpec,
    opts: &ScanOpts,
    cache: Option<sekisho_scan::CacheSettings>,
) -> anyhow::Result<ExitCode> {
    let req = request(cx, target, opts)?;
    let progress = Stderr::new(opts.quiet);
    let mut sopts = cx.options(&progress);
    sopts.cache = cache;
    let outcome = sekisho_scan::scan(&req, &sopts)?;
    say_notes(
        opts.quiet,
        &outcome
            .report
            .targets
            .iter()
            .map(|t| &t.target)
            .collect::<Vec<_>>(),
    );
    let format = match opts.format {
        ScanFormatArg::Table => ScanFormat::Table,
        ScanFormatArg::Json => ScanFormat::Json,
        ScanFormatArg::Sarif => ScanFormat::Sarif,
        ScanFormatArg::Cyclonedx => ScanFormat::CycloneDx,
        ScanFormatArg::Html => ScanFormat::Html,
    };
    let width = table_width(opts.wide, opts.output.is_some());
    write_output(opts.output.as_deref(), |out, color| {
        sekisho_report::render_scan_with(
            &outcome.report,
            format,
            out,
            &sekisho_report::RenderOptions { color, width },
        )
    })?;
    // No DB: said as an error (also with --quiet), though the report was written (exit 3).
    if let Some(m) = &outcome.db_unavailable {
        eprintln!("sekisho: error: {m}");
    }
    // Exit code: the gate first; then 3 when nothing could be checked.
    if outcome.gate_tripped {
        return Ok(ExitCode::from(opts.exit_code.unwrap_or(EXIT_GATE)));
    }
    if outcome.no_data {
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
    let cx = Ctx::load()?;
    let spec = a.target.spec(&cx.env, None)?;
    let cache = a.target.cache(&cx.env);
    run_scan(&cx, TargetSpec::Image(spec), &a.opts, cache)
}

pub fn run_rootfs(a: RootfsArgs) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    run_scan(&cx, TargetSpec::Rootfs(a.target.dir), &a.opts, None)
}

pub fn run_vm(a: VmArgs) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    run_scan(
        &cx,
        TargetSpec::Vm {
            disk: a.target.disk,
            allow_backing: a.allow_backing,
        },
        &a.opts,
        None,
    )
}

pub fn run_scan_sbom(a: ScanSbomArgs) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read SBOM {}", a.file.display()))?;
    run_scan(
        &cx,
        TargetSpec::Sbom {
            name: a.file.display().to_string(),
            bytes: Arc::from(bytes),
        },
        &a.opts,
        None,
    )
}
