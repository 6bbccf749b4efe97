//! `sekisho config PATH...`: misconfigurations in Dockerfiles, Kubernetes manifests, compose
//! files, OCI runtime configs and image configs, at the exact line. The checks and the walk are
//! `sekisho-config`'s; this module maps arguments, applies the policy (`.sekishoignore`,
//! `--severity`), renders and gates.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use sekisho_artifact::Note;
use sekisho_config::k8s::pss;
use sekisho_config::{Level, Options};
use sekisho_finding::{Finding, Severity};
use sekisho_policy::{Gate, SuppressReason, Suppressed};
use sekisho_report::{ConfigSummary, ScanFormat, ScanReport, ScanTarget, Target};
use sekisho_scan::PolicySpec;

use super::scan::{Ctx, table_width, write_output};
use super::{EXIT_GATE, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    /// Tables (default).
    Table,
    /// sekisho JSON (`kind: "scan"` with `scanners: ["config"]`, see docs/json-schema.md).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// Exactly the Pod Security Standards, baseline level.
    PssBaseline,
    /// Exactly the Pod Security Standards, restricted level (includes baseline).
    PssRestricted,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_k8s_version(s: &str) -> Result<u32, String> {
    pss::parse_version(s)
        .ok_or_else(|| format!("expected a Kubernetes version like 1.30, got {s:?}"))
}

/// Find where configuration weakens a wall: Dockerfiles, Kubernetes manifests (YAML or JSON,
/// multi-document, List kinds), compose files, OCI runtime config.json and image configs,
/// recognised by their content.
///
/// Every finding points at the line and column of the offending key (a missing setting at the
/// object that lacks it). Suppress with `# sekisho:ignore=<id> <reason>` on the line or the
/// one above, `# sekisho:ignore-file=<id> <reason>`, the `sekisho.dev/ignore: <id>,...`
/// annotation, or .sekishoignore. See docs/config-checks.md. Exit codes: 0 ok, 1 --fail-on
/// tripped, 2 usage error.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Files or directories (directories are walked; symlinks are not followed).
    #[arg(value_name = "PATH", required_unless_present = "list_checks")]
    pub paths: Vec<PathBuf>,
    /// Print every check (ID, peer aliases, severity, file type, title) and exit.
    #[arg(long)]
    pub list_checks: bool,
    /// Evaluate exactly the Pod Security Standards at this level, and nothing else.
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
    /// The Kubernetes version the Pod Security Standards are judged by (1.0 to 1.37; newer
    /// versions are judged by 1.37's rules).
    #[arg(long, value_name = "1.N", value_parser = parse_k8s_version)]
    pub k8s_version: Option<u32>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: ConfigFormat,
    /// Only report these severities (comma-separated: LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',', value_name = "LIST", value_parser = parse_severity)]
    pub severity: Vec<Severity>,
    /// Exit with the gate code (1, or --exit-code) when a finding of this severity or higher is
    /// shown.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// The exit code when the gate trips (alone: trip on any finding shown).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Ignore rules (default: ./.sekishoignore when present).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No summary on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Tables as wide as their content.
    #[arg(long)]
    pub wide: bool,
}

fn list_checks(format: ConfigFormat) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        ConfigFormat::Json => {
            let v: Vec<_> = sekisho_config::checks::RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "aliases": r.aliases,
                        "severity": r.severity,
                        "file_type": r.group,
                        "title": r.title,
                        "why": r.why,
                        "fix": r.fix,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        _ => out.write_all(sekisho_config::docs::list_text().as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

pub fn run(a: ConfigArgs) -> anyhow::Result<ExitCode> {
    if a.list_checks {
        return list_checks(a.format);
    }
    for p in &a.paths {
        anyhow::ensure!(
            std::fs::symlink_metadata(p).is_ok(),
            "{}: no such file or directory",
            p.display()
        );
    }
    let cx = Ctx::load()?;
    let opts = Options {
        policy: a.policy.map(|p| match p {
            PolicyArg::PssBaseline => Level::Baseline,
            PolicyArg::PssRestricted => Level::Restricted,
        }),
        k8s_minor: a.k8s_version.unwrap_or(pss::LATEST_MINOR),
    };
    let policy = PolicySpec {
        vex: Vec::new(),
        ignore_file: a.ignore_file.clone(),
        severities: a.severity.clone(),
        ignore_unfixed: false,
        show_all_statuses: false,
        show_informational: false,
    }
    .load(&cx.env)?;

    let mut walked = sekisho_config::walk::scan_paths(&a.paths, &opts);

    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressed: Vec<Suppressed> = Vec::new();
    let mut notes: Vec<Note> = Vec::new();
    let mut objects = 0usize;
    // The findings move into the report (not copied: 10,000 documents make ~50,000 findings,
    // and a second copy of them is tens of MB of peak memory).
    for f in &mut walked.files {
        objects += f.objects;
        findings.extend(
            std::mem::take(&mut f.findings)
                .into_iter()
                .map(Finding::from),
        );
        for s in std::mem::take(&mut f.suppressed) {
            suppressed.push(Suppressed {
                reason: SuppressReason::Inline {
                    file: f.path.clone(),
                    line: s.line,
                    reason: s
                        .reason
                        .clone()
                        .or_else(|| Some(format!("{} suppression", s.how))),
                },
                finding: Finding::from(s.finding),
            });
        }
        match (&f.file_type, &f.error) {
            (None, None) => notes.push(Note::new(
                None,
                f.path.clone(),
                "not understood: not a Dockerfile, Kubernetes manifest, compose file, OCI runtime config or image config",
            )),
            (None, Some(e)) => notes.push(Note::new(None, f.path.clone(), format!("not read: {e}"))),
            (Some(t), Some(e)) => notes.push(Note::new(
                None,
                f.path.clone(),
                format!("{t}: parse error, the rest of the file was not checked: {e}"),
            )),
            (Some(_), None) => {}
        }
    }
    for (p, why) in &walked.skipped {
        notes.push(Note::new(None, p.clone(), format!("skipped: {why}")));
    }
    let applied = policy.apply(&[], findings);
    suppressed.extend(applied.suppressed);
    let shown = applied.findings;

    let name = a
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let target = ScanTarget {
        target: Target {
            name,
            kind: "config".into(),
            notes,
            ..Target::default()
        },
        findings: shown,
        suppressed,
        coverage: Vec::new(),
    };
    let mut report = ScanReport::new(
        sekisho_report::Tool::sekisho(env!("CARGO_PKG_VERSION")),
        sekisho_finding::time::rfc3339(cx.env.now),
        true,
        None,
        vec![target],
        applied.warnings,
    );
    report.scanners = vec!["config".into()];
    report.config = Some(ConfigSummary {
        files: walked.counts(),
        objects,
        other_files: walked.other_files,
        policy: match a.policy {
            None => "all".into(),
            Some(PolicyArg::PssBaseline) => "pss-baseline".into(),
            Some(PolicyArg::PssRestricted) => "pss-restricted".into(),
        },
        k8s_version: format!("1.{}", opts.k8s_minor.min(pss::LATEST_MINOR)),
    });

    if !a.quiet {
        say_summary(&report, &walked);
    }
    let format = match a.format {
        ConfigFormat::Table => ScanFormat::Table,
        ConfigFormat::Json => ScanFormat::Json,
        ConfigFormat::Sarif => ScanFormat::Sarif,
    };
    let width = table_width(a.wide, a.output.is_some());
    write_output(a.output.as_deref(), |out, color| {
        sekisho_report::render_scan_with(
            &report,
            format,
            out,
            &sekisho_report::RenderOptions { color, width },
        )
    })?;
    let gate = Gate {
        min_severity: a.fail_on,
        ids: Vec::new(),
        any: a.fail_on.is_none() && a.exit_code.is_some(),
    };
    if !gate
        .tripped_by(report.targets.iter().flat_map(|t| &t.findings))
        .is_empty()
    {
        return Ok(ExitCode::from(a.exit_code.unwrap_or(EXIT_GATE)));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// Files per type, what was not understood and what could not be parsed, on stderr.
fn say_summary(report: &ScanReport, walked: &sekisho_config::walk::Walked) {
    let Some(c) = &report.config else { return };
    let files: Vec<String> = c.files.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let shown: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    let hidden: usize = report.targets.iter().map(|t| t.suppressed.len()).sum();
    eprintln!(
        "config: {} files ({}), {} objects checked: {shown} findings shown, {hidden} suppressed",
        c.files.values().sum::<usize>(),
        if files.is_empty() {
            "none".to_string()
        } else {
            files.join(", ")
        },
        c.objects,
    );
    for f in &walked.files {
        match (&f.file_type, &f.error) {
            (None, None) => eprintln!("  not understood: {}", f.path),
            (_, Some(e)) => eprintln!("  {}: {e}", f.path),
            _ => {}
        }
    }
    for (p, why) in &walked.skipped {
        eprintln!("  skipped {p}: {why}");
    }
}
