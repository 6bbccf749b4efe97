//! `sekisho isolation`: the walls between a workload and the host, from inside (the calling
//! process or `--pid`) or from the host (`--host`, one row per container). The work is done by
//! `sekisho-audit`; this module parses arguments, renders, and applies `--fail-on`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sekisho_audit::checks::{self, RULES};
use sekisho_audit::host::RealHost;
use sekisho_audit::model::Finding;
use sekisho_audit::{hostview, inside, render};

use super::{EXIT_GATE, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationFormat {
    Table,
    /// The audit's own JSON (`kind: "isolation"`, every wall and measurement).
    Json,
    /// SARIF 2.1.0, one result per finding (logical locations: the walls).
    Sarif,
    /// CycloneDX 1.6 with the findings as `vulnerabilities`.
    Cyclonedx,
    /// One self-contained HTML file (summary, filterable findings by wall).
    Html,
}

/// `--fail-on`'s help: every check ID, grouped by wall, from the rule registry.
fn fail_on_help() -> String {
    let ids = sekisho_scan::rules::registry()
        .map(|r| r.help_lines(sekisho_finding::Kind::Isolation, 78))
        .unwrap_or_default();
    format!(
        "Exit 1 when a finding has one of these check IDs (comma-separated), \
or a severity at or above one of: critical, high, medium, low, info.\n\nCheck IDs:\n{ids}\nEach is described in docs/isolation.md."
    )
}

/// Audit the walls between a workload and the host: namespaces, cgroups, seccomp, capabilities,
/// LSM, dangerous exposure, syscall probes, runtime/sandbox/VM detection.
///
/// Needs no root and changes nothing. Exit codes: 0 ok, 1 --fail-on tripped, 2 usage error.
#[derive(Debug, Args)]
pub struct IsolationArgs {
    /// Audit every containerised process from the host, one row per container.
    #[arg(long, conflicts_with = "pid")]
    pub host: bool,
    /// Audit another process instead of this one (syscall probes are skipped).
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Do not run the syscall probes.
    #[arg(long)]
    pub no_probe: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = IsolationFormat::Table)]
    pub format: IsolationFormat,
    /// Gate on check IDs or severities, e.g. `--fail-on privileged,no-seccomp`.
    #[arg(long, value_delimiter = ',', value_name = "CHECKS", long_help = fail_on_help())]
    pub fail_on: Vec<String>,
    /// With --host: scan at most this many processes.
    #[arg(long, default_value_t = 1_000_000, hide = true)]
    pub max_procs: usize,
    /// Run the syscall probes in helper processes even when single-threaded (tests).
    #[arg(long, hide = true)]
    pub probe_helper: bool,
}

fn gate(findings: &[&Finding]) -> ExitCode {
    if findings.is_empty() {
        return ExitCode::from(EXIT_OK);
    }
    let mut ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    eprintln!("sekisho: --fail-on tripped by: {}", ids.join(", "));
    ExitCode::from(EXIT_GATE)
}

fn tool() -> sekisho_report::Tool {
    sekisho_report::Tool::sekisho(env!("CARGO_PKG_VERSION"))
}

fn created() -> String {
    sekisho_finding::time::rfc3339(sekisho_scan::Environment::from_process().now)
}

fn scan_format(f: IsolationFormat) -> sekisho_report::ScanFormat {
    match f {
        IsolationFormat::Sarif => sekisho_report::ScanFormat::Sarif,
        IsolationFormat::Cyclonedx => sekisho_report::ScanFormat::CycloneDx,
        IsolationFormat::Json => sekisho_report::ScanFormat::Json,
        IsolationFormat::Table => sekisho_report::ScanFormat::Table,
        IsolationFormat::Html => sekisho_report::ScanFormat::Html,
    }
}

pub fn run(a: IsolationArgs) -> anyhow::Result<ExitCode> {
    let fail_on: Vec<String> = a
        .fail_on
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = fail_on.iter().find(|c| !checks::is_known(c)) {
        anyhow::bail!(
            "--fail-on: unknown check ID {bad:?}; known IDs: {} (or a severity: critical, high, medium, low, info)",
            RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
        );
    }
    let mut out = std::io::stdout().lock();
    if a.host {
        let r = hostview::audit(&RealHost, a.max_procs).context("host view")?;
        match a.format {
            IsolationFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &r)?;
                writeln!(out)?;
            }
            IsolationFormat::Table => out.write_all(render::host(&r).as_bytes())?,
            f => {
                let rep = sekisho_scan::isolation::host_report(&r, tool(), created());
                sekisho_report::render_scan(&rep, scan_format(f), &mut out, false)?;
            }
        }
        out.flush()?;
        let all: Vec<Finding> = r
            .containers
            .iter()
            .flat_map(|c| c.findings.iter().cloned())
            .collect();
        return Ok(gate(&checks::gate(&all, &fail_on)));
    }
    let opts = inside::Options {
        pid: a.pid,
        probe: !a.no_probe,
    };
    // Probes run in a forked child; in a threaded process (never the CLI, but a library
    // caller may be) they run in a fresh helper process: this binary, see main.rs.
    let helper = sekisho_audit::host::HelperProbes {
        inner: &RealHost,
        exe: std::env::current_exe().context("locating the sekisho binary for probe helpers")?,
        always: a.probe_helper,
    };
    let r = inside::audit(&helper, &opts).context("inside view")?;
    match a.format {
        IsolationFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        }
        IsolationFormat::Table => out.write_all(render::inside(&r).as_bytes())?,
        f => {
            let rep = sekisho_scan::isolation::inside_report(&r, tool(), created());
            sekisho_report::render_scan(&rep, scan_format(f), &mut out, false)?;
        }
    }
    out.flush()?;
    Ok(gate(&checks::gate(&r.findings, &fail_on)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_lists_every_check() {
        let help = super::fail_on_help();
        for r in super::RULES {
            assert!(
                help.split_whitespace().any(|w| w == r.id),
                "{} missing from --fail-on help",
                r.id
            );
        }
    }
}
