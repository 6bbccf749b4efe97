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
use sekisho_drift::runtime_state::{self, StateRoots};
use sekisho_report::ScanFormat;
use sekisho_scan::DbSource;
use sekisho_scan::drift::{DriftOutcome, DriftRequest, LiveSource};
use sekisho_scan::drift_host::{self, HostOutcome, HostRequest, HostRow};
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
    #[arg(long, value_name = "DIR", conflicts_with_all = ["pid", "container", "host"], required_unless_present_any = ["pid", "container", "host"])]
    pub rootfs: Option<PathBuf>,
    /// A process of the container: its files are read through /proc/PID/root.
    #[arg(long, value_name = "PID", conflicts_with_all = ["container", "host"])]
    pub pid: Option<u32>,
    /// A container ID (or a prefix of one), found through the host view's cgroup paths. Its
    /// image is found in docker's or podman's state when IMAGE-SOURCE is not given.
    #[arg(long, value_name = "ID", conflicts_with = "host")]
    pub container: Option<String>,
    /// Every container of the host, one row each, each held to the image its runtime's state
    /// names (no IMAGE-SOURCE).
    #[arg(long)]
    pub host: bool,
    /// docker's data-root, where its container and image state is (default /var/lib/docker);
    /// repeatable.
    #[arg(
        long,
        value_name = "DIR",
        env = "SEKISHO_DOCKER_ROOT",
        value_delimiter = ':'
    )]
    pub docker_root: Vec<PathBuf>,
    /// containers-storage's graph root, as `podman --root` (default /var/lib/containers/storage
    /// and $XDG_DATA_HOME/containers/storage); repeatable.
    #[arg(
        long,
        value_name = "DIR",
        env = "SEKISHO_PODMAN_ROOT",
        value_delimiter = ':'
    )]
    pub podman_root: Vec<PathBuf>,
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

/// A container named by ID (or a unique prefix), from the host view.
fn container_of(id: &str) -> anyhow::Result<sekisho_audit::hostview::Container> {
    let view = sekisho_audit::hostview::audit(&sekisho_audit::host::RealHost, 1_000_000)
        .context("cannot list the host's containers")?;
    let mut hits: Vec<_> = view
        .containers
        .into_iter()
        .filter(|c| c.id.starts_with(id))
        .collect();
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => anyhow::bail!("no running container with ID {id} (see `sekisho isolation --host`)"),
        n => anyhow::bail!("{n} containers match {id}: give more of the ID"),
    }
}

/// The runtimes' state roots: the flags, else the defaults.
fn roots(a: &DriftArgs) -> StateRoots {
    let d = StateRoots::defaults(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    );
    StateRoots {
        docker: if a.docker_root.is_empty() {
            d.docker
        } else {
            a.docker_root.clone()
        },
        podman: if a.podman_root.is_empty() {
            d.podman
        } else {
            a.podman_root.clone()
        },
    }
}

fn image_given(a: &DriftArgs) -> bool {
    a.image.reference.is_some() || a.image.input.is_some() || a.image.oci_dir.is_some()
}

/// `--host`: one row per container.
fn host_table(
    o: &HostOutcome,
    out: &mut dyn std::io::Write,
    width: Option<usize>,
) -> std::io::Result<()> {
    let s = &o.report.summary;
    writeln!(
        out,
        "{} containers: {} checked ({} drifted, {} clean), {} skipped, {} failed",
        s.containers, s.checked, s.drifted, s.clean, s.skipped, s.failed
    )?;
    if o.report.containers.is_empty() {
        return Ok(());
    }
    let dash = || "-".to_string();
    let rows: Vec<[String; 8]> = o
        .report
        .containers
        .iter()
        .map(|r| {
            let id: String = if r.id.bytes().all(|b| b.is_ascii_hexdigit()) {
                r.id.chars().take(12).collect()
            } else {
                r.id.clone()
            };
            let (ch, vol, nc) = r.report.as_ref().map_or((dash(), dash(), dash()), |d| {
                (
                    (d.summary.changes
                        + d.packages.added.len()
                        + d.packages.removed.len()
                        + d.packages.upgraded.len())
                    .to_string(),
                    d.summary.volatile.to_string(),
                    d.summary.not_covered.to_string(),
                )
            });
            let verdict = r.verdict.to_string();
            [
                id,
                r.runtime.clone().unwrap_or_else(dash),
                r.image.clone().unwrap_or_else(dash),
                r.pid.to_string(),
                ch,
                vol,
                nc,
                verdict,
            ]
        })
        .collect();
    let head = [
        "CONTAINER",
        "RUNTIME",
        "IMAGE",
        "PID",
        "CHANGES",
        "VOLATILE",
        "NOT-COVERED",
        "VERDICT",
    ];
    let mut w = [0usize; 8];
    for (i, h) in head.iter().enumerate() {
        w[i] = rows
            .iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(h.len());
    }
    w[2] = w[2].min(48);
    let limit = width.unwrap_or(usize::MAX).max(60);
    let line = |cells: [&str; 8]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 7 {
                l.push_str(c);
            } else {
                let c: String = if c.chars().count() > w[i] {
                    c.chars().take(w[i].saturating_sub(1)).collect::<String>() + "…"
                } else {
                    (*c).to_string()
                };
                l.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        let l = l.trim_end().to_string();
        if l.chars().count() > limit {
            l.chars().take(limit.saturating_sub(1)).collect::<String>() + "…"
        } else {
            l
        }
    };
    writeln!(out)?;
    writeln!(out, "{}", line(head))?;
    for r in &rows {
        writeln!(
            out,
            "{}",
            line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7]])
        )?;
    }
    let mut section = |title: &str, pick: &dyn Fn(&HostRow) -> Option<&String>| {
        let rows: Vec<_> = o
            .report
            .containers
            .iter()
            .filter_map(|r| pick(r).map(|w| (r, w)))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{title}")?;
        for (r, w) in rows {
            writeln!(out, "  {} (pid {}): {w}", r.id, r.pid)?;
        }
        std::io::Result::Ok(())
    };
    section("Skipped (image not resolved)", &|r| r.skipped.as_ref())?;
    section("Not checked (error)", &|r| r.error.as_ref())?;
    Ok(())
}

fn table(
    o: &DriftOutcome,
    out: &mut dyn std::io::Write,
    width: Option<usize>,
) -> std::io::Result<()> {
    let r = &o.report;
    writeln!(out, "{} compared with image {}", r.container, r.image)?;
    if let Some(d) = &r.discovery {
        writeln!(
            out,
            "image found in {} state: {}{}",
            d.runtime,
            d.image_id,
            d.image_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        )?;
    }
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

pub fn run(mut a: DriftArgs) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
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
    let given = image_given(&a);
    if a.host {
        if given {
            anyhow::bail!(
                "--host takes no IMAGE-SOURCE: each container's image comes from its runtime's state"
            );
        }
        return run_host(a, &cx, volatile, db);
    }
    let mut discovered = None;
    let mut expect = None;
    let mut fallbacks = Vec::new();
    let (live, image) = match (&a.rootfs, a.pid, &a.container) {
        (Some(d), _, _) => (LiveSource::Rootfs(d.clone()), a.image.spec(&cx.env, None)?),
        (None, Some(p), _) => (LiveSource::Pid(p), a.image.spec(&cx.env, None)?),
        (None, None, Some(id)) => {
            let c = container_of(id)?;
            let found = if c.grouped_by == "cgroup" {
                runtime_state::discover(&c.id, c.runtime.as_deref(), &roots(&a))
            } else {
                Err(format!(
                    "no container ID in its cgroup path (grouped by {})",
                    c.grouped_by
                ))
            };
            let image = if given {
                // The image given wins; a different image ID on record is a warning.
                match &found {
                    Ok(d) => expect = Some(drift_host::expected_from(d, false)),
                    Err(why) if !a.quiet => {
                        eprintln!(
                            "sekisho: the image of container {} was not discovered: {why}",
                            c.id
                        );
                    }
                    Err(_) => {}
                }
                a.image.spec(&cx.env, None)?
            } else {
                let d = found.clone().map_err(|why| {
                    anyhow::anyhow!(
                        "cannot find the image of container {}: {why}; give it as IMAGE-SOURCE",
                        c.id
                    )
                })?;
                let access = access_spec(&mut a, &cx)?;
                let mut specs =
                    drift_host::specs_for(&d, &access, a.image.platform.is_some()).into_iter();
                let first = specs
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("no reference to fetch {} by", d.image_id))?;
                fallbacks = specs.collect();
                expect = Some(drift_host::expected_from(&d, true));
                first
            };
            discovered = found.ok();
            (LiveSource::Pid(c.init_pid), image)
        }
        (None, None, None) => {
            anyhow::bail!("name the container: --rootfs DIR, --pid PID, --container ID or --host")
        }
    };
    let req = DriftRequest {
        image,
        fallbacks,
        expect,
        discovered,
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

/// Registry access, limits and platform for discovered images: the image flags with no source
/// of their own (the source is each container's reference).
fn access_spec(a: &mut DriftArgs, cx: &Ctx) -> anyhow::Result<sekisho_scan::ImageSpec> {
    let saved = a.image.reference.replace("discovered".into());
    let spec = a.image.spec(&cx.env, None);
    a.image.reference = saved;
    spec
}

fn run_host(
    mut a: DriftArgs,
    cx: &Ctx,
    volatile: Volatile,
    db: DbSource,
) -> anyhow::Result<ExitCode> {
    let access = access_spec(&mut a, cx)?;
    let req = HostRequest {
        roots: roots(&a),
        access,
        platform_given: a.image.platform.is_some(),
        volatile,
        db,
        proc_root: a.proc_root.clone(),
        max_procs: 1_000_000,
    };
    let progress = Stderr::new(a.quiet);
    let mut sopts = cx.options(&progress);
    sopts.cache = a.image.cache(&cx.env);
    let outcome = sekisho_scan::drift_host::drift_host(&req, &sopts)?;
    if !a.quiet {
        for w in &outcome.scan.warnings {
            eprintln!("sekisho: {w}");
        }
    }
    let width = table_width(a.wide, a.output.is_some());
    write_output(a.output.as_deref(), |out, _color| match a.format {
        DriftFormat::Table => host_table(&outcome, out, width),
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
    let s = &outcome.report.summary;
    if a.fail_on_drift && (outcome.drifted() || s.failed > 0) {
        if !a.quiet {
            eprintln!(
                "sekisho: --fail-on-drift tripped: {} containers drifted, {} could not be checked",
                s.drifted, s.failed
            );
        }
        return Ok(ExitCode::from(EXIT_GATE));
    }
    Ok(ExitCode::from(EXIT_OK))
}
