//! `sekisho isolation`: the walls between a workload and the host, from inside (the calling
//! process or `--pid`) or from the host (`--host`, one row per container). The work is done by
//! `sekisho-audit`; this module parses arguments, renders, and applies `--fail-on`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sekisho_audit::checks::{self, ALL_CHECKS};
use sekisho_audit::host::RealHost;
use sekisho_audit::model::Finding;
use sekisho_audit::{hostview, inside, render};

use super::{EXIT_GATE, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IsolationFormat {
    Table,
    Json,
}

const FAIL_ON_HELP: &str = "Exit 1 when a finding has one of these check IDs (comma-separated), \
or a severity at or above one of: critical, high, medium, low, info.

Check IDs:
  capabilities  privileged cap-sys-admin cap-sys-module cap-sys-rawio
                cap-dac-read-search cap-sys-ptrace cap-net-admin cap-bpf
                cap-perfmon cap-sys-boot cap-mac-admin cap-mac-override
                cap-sys-time cap-syslog
  seccomp       no-seccomp no-new-privs-off syscall-mount syscall-kexec-load
                syscall-init-module syscall-open-by-handle-at syscall-bpf
                syscall-perf-event-open syscall-setns syscall-unshare
                syscall-keyctl syscall-add-key syscall-userfaultfd
                syscall-io-uring-setup syscall-ptrace
  namespaces    host-pid-ns host-net-ns host-mnt-ns host-ipc-ns host-uts-ns
                host-user-ns host-cgroup-ns host-time-ns userns-host-root
  cgroups       no-cgroup-limits no-memory-limit no-pids-limit
  lsm           no-lsm
  exposure      runtime-socket host-root-mount host-mount proc-sys-writable
                sys-writable sysrq-writable kcore-readable block-devices
                host-processes-visible release-agent-writable
  kernel        unprivileged-userns unprivileged-bpf ptrace-scope
                kptr-restrict-off dmesg-restrict-off
  sandbox       shared-kernel

Each is described in docs/isolation.md.";

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
    #[arg(long, value_delimiter = ',', value_name = "CHECKS", long_help = FAIL_ON_HELP)]
    pub fail_on: Vec<String>,
    /// With --host: scan at most this many processes.
    #[arg(long, default_value_t = 1_000_000, hide = true)]
    pub max_procs: usize,
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
            ALL_CHECKS
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(", ")
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
    let r = inside::audit(&RealHost, &opts).context("inside view")?;
    match a.format {
        IsolationFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        }
        IsolationFormat::Table => out.write_all(render::inside(&r).as_bytes())?,
    }
    out.flush()?;
    Ok(gate(&checks::gate(&r.findings, &fail_on)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_lists_every_check() {
        for (id, _, _) in super::ALL_CHECKS {
            assert!(
                super::FAIL_ON_HELP.split_whitespace().any(|w| w == *id),
                "{id} missing from --fail-on help"
            );
        }
    }
}
