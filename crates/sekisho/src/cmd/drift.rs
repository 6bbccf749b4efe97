//! `sekisho drift IMAGE-SOURCE (--rootfs DIR | --pid PID | --container ID)`: a running
//! container held to its image, by content. The check is `sekisho-scan`'s (`drift`); this module
//! maps arguments, finds a container's PID through the isolation audit's host view, renders, and
//! applies `--fail-on-drift`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sekisho_drift::Volatile;
use sekisho_report::ScanFormat;
use sekisho_scan::DbSource;
use sekisho_scan::drift::{DriftOutcome, DriftRequest, LiveSource};
use sekisho_vulndb::UpdateOptions;

use super::scan::{Ctx, Stderr, say_notes, table_width, write_output};
use super::target::ImageTarget;
use super::{EXIT_GATE, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// One table of changes by class, then the runtime packages' vulnerabilities.
    Table,
    /// The drift report (`kind: "drift"`, `changes[]`; see docs/drift.md).
    Json,
    /// SARIF 2.1.0, one result per change (and per runtime vulnerability).
    Sarif,
}

/// Compare a running container (or an unpacked root filesystem) with the image it came from,
/// by content: every file's SHA-256, mode, owner, link target and file capabilities.
///
/// Exit codes: 0 ok, 1 --fail-on-drift tripped, 2 usage error or unreadable input.
#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub image: ImageTarget,
    /// The container's files as a directory (an unpacked root, an overlay merged dir).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["pid", "container"], required_unless_present_any = ["pid", "container"])]
    pub rootfs: Option<PathBuf>,
    /// A process of the container: its files are read through /proc/PID/root.
    #[arg(long, value_name = "PID", conflicts_with = "container")]
    pub pid: Option<u32>,
    /// A container ID (or a prefix of one), found through the host view's cgroup paths.
    #[arg(long, value_name = "ID")]
    pub container: Option<String>,
    /// Add a volatile path glob (changes there are reported apart); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub volatile: Vec<String>,
    /// Use only the --volatile globs given, not the defaults.
    #[arg(long)]
    pub no_default_volatile: bool,
    /// Exit with the gate code (1) when any change lies outside the volatile list.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DriftFormat::Table)]
    pub format: DriftFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Vulnerability DB for the packages installed at runtime.
    #[arg(long, value_name = "PATH", env = "SEKISHO_DB")]
    pub db: Option<PathBuf>,
    /// Never touch the network (no automatic `db update` when the DB is missing).
    #[arg(long)]
    pub offline: bool,
    /// No progress or warnings on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Tables as wide as their content.
    #[arg(long)]
    pub wide: bool,
    /// Where /proc is.
    #[arg(long, hide = true, default_value = "/proc")]
    pub proc_root: PathBuf,
}

/// The PID of a container named by ID (or a unique prefix), from the host view.
fn pid_of(id: &str) -> anyhow::Result<u32> {
    let view = sekisho_audit::hostview::audit(&sekisho_audit::host::RealHost, 1_000_000)
        .context("cannot list the host's containers")?;
    let hits: Vec<_> = view
        .containers
        .iter()
        .filter(|c| c.id.starts_with(id))
        .collect();
    match hits.as_slice() {
        [c] => Ok(c.init_pid),
        [] => anyhow::bail!("no running container with ID {id} (see `sekisho isolation --host`)"),
        _ => anyhow::bail!("{} containers match {id}: give more of the ID", hits.len()),
    }
}

fn table(
    o: &DriftOutcome,
    out: &mut dyn std::io::Write,
    width: Option<usize>,
) -> std::io::Result<()> {
    let r = &o.report;
    writeln!(out, "{} compared with image {}", r.container, r.image)?;
    writeln!(
        out,
        "{} changes, {} volatile, {} mounts not covered ({} image entries, {} container entries, {} bytes hashed)",
        r.summary.changes,
        r.summary.volatile,
        r.summary.not_covered,
        r.summary.image_entries,
        r.summary.container_entries,
        r.summary.bytes_hashed
    )?;
    if !r.summary.by_class.is_empty() {
        let parts: Vec<String> = r
            .summary
            .by_class
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "by class: {}", parts.join(", "))?;
    }
    if let Some(w) = &r.overlay {
        writeln!(
            out,
            "overlay upper directory {}: {} of the changes confirmed there{}",
            w.upperdir,
            w.confirmed,
            if w.lower_layer_changes.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} not made through it (the image's lower layers on this host differ): {}",
                    w.lower_layer_changes.len(),
                    w.lower_layer_changes.join(", ")
                )
            }
        )?;
    }
    let limit = width.unwrap_or(usize::MAX).max(40);
    let section = |out: &mut dyn std::io::Write,
                   title: &str,
                   rows: &[sekisho_scan::drift::ChangeRow]|
     -> std::io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{title}")?;
        let pw = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).min(60);
        for c in rows {
            let change = serde_json::to_value(c.change)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut line = format!(
                "{:<pw$}  {:<8}  {:<14}  {}",
                c.path, change, c.class, c.detail
            );
            if line.chars().count() > limit {
                line = line
                    .chars()
                    .take(limit.saturating_sub(1))
                    .collect::<String>()
                    + "…";
            }
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    section(out, "Changes", &r.changes)?;
    if !r.packages.added.is_empty()
        || !r.packages.removed.is_empty()
        || !r.packages.upgraded.is_empty()
    {
        writeln!(out, "\nPackages")?;
        for p in &r.packages.added {
            writeln!(
                out,
                "  + {} {} {} ({})",
                p.kind, p.name, p.version, p.location
            )?;
        }
        for u in &r.packages.upgraded {
            writeln!(
                out,
                "  ~ {} {} {} -> {}",
                u.to.kind, u.to.name, u.from.version, u.to.version
            )?;
        }
        for p in &r.packages.removed {
            writeln!(out, "  - {} {} {}", p.kind, p.name, p.version)?;
        }
    }
    if !r.vulnerabilities.is_empty() {
        writeln!(out, "\nVulnerabilities of packages installed at runtime")?;
        for f in &r.vulnerabilities {
            writeln!(out, "  {}  {}  {}", f.severity(), f.id(), f.title())?;
        }
    }
    section(out, "Volatile (expected to change)", &r.volatile)?;
    if !r.not_covered.is_empty() {
        writeln!(out, "\nNot covered (mounts are not part of the image)")?;
        for n in &r.not_covered {
            writeln!(
                out,
                "  {}  {}{}",
                n.path,
                n.reason,
                n.fstype
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            )?;
        }
    }
    if !r.unverified.is_empty() {
        writeln!(out, "\nNot verified by content")?;
        for u in &r.unverified {
            writeln!(out, "  {}  {}", u.path, u.why)?;
        }
    }
    if !r.vanished.is_empty() {
        writeln!(out, "\nVanished while walking: {}", r.vanished.join(", "))?;
    }
    Ok(())
}

pub fn run(a: DriftArgs) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    let live = match (&a.rootfs, a.pid, &a.container) {
        (Some(d), _, _) => LiveSource::Rootfs(d.clone()),
        (None, Some(p), _) => LiveSource::Pid(p),
        (None, None, Some(id)) => LiveSource::Pid(pid_of(id)?),
        (None, None, None) => {
            anyhow::bail!("name the container: --rootfs DIR, --pid PID or --container ID")
        }
    };
    let volatile = Volatile::with(&a.volatile, a.no_default_volatile)?;
    let db = DbSource::Path {
        path: a.db.clone().unwrap_or_else(|| cx.settings.db_path(&cx.env)),
        update: (!a.offline).then(|| UpdateOptions {
            source: None,
            ecosystems: Vec::new(),
            offline: false,
            full: false,
            progress: !a.quiet && std::io::stderr().is_terminal(),
            config: cx.settings.db.clone(),
        }),
        max_age: cx.settings.max_age(),
    };
    let req = DriftRequest {
        image: a.image.spec(&cx.env, None)?,
        live,
        volatile,
        db,
        proc_root: a.proc_root.clone(),
    };
    let progress = Stderr::new(a.quiet);
    let mut sopts = cx.options(&progress);
    sopts.cache = a.image.cache(&cx.env);
    let outcome = sekisho_scan::drift::drift(&req, &sopts)?;
    say_notes(a.quiet, &[&outcome.scan.targets[0].target]);
    let width = table_width(a.wide, a.output.is_some());
    write_output(a.output.as_deref(), |out, _color| match a.format {
        DriftFormat::Table => table(&outcome, out, width),
        DriftFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &outcome.report)?;
            writeln!(out)
        }
        DriftFormat::Sarif => sekisho_report::render_scan_with(
            &outcome.scan,
            ScanFormat::Sarif,
            out,
            &sekisho_report::RenderOptions {
                color: false,
                width,
            },
        ),
    })?;
    if a.fail_on_drift && outcome.drifted() {
        if !a.quiet {
            eprintln!(
                "sekisho: --fail-on-drift tripped: {} changes outside the volatile list",
                outcome.report.summary.changes
            );
        }
        return Ok(ExitCode::from(EXIT_GATE));
    }
    Ok(ExitCode::from(EXIT_OK))
}
