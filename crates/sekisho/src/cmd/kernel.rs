//! `sekisho kernel`: known container escapes through the shared kernel and the container
//! runtime. By default this host is judged (its kernel, the runtime binaries found, and this
//! process's own measurements for the preconditions); `--uname-r`/`--proc-version` judge a given
//! identity instead. The work is done by `sekisho-kernel` (data, identities, verdicts) and
//! `sekisho-audit` (reading this host); this module parses arguments and renders.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sekisho_audit::escapes;
use sekisho_audit::host::RealHost;
use sekisho_audit::inside;
use sekisho_kernel::Section;
use sekisho_kernel::identity::KernelIdentity;
use serde::Serialize;

use super::EXIT_OK;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KernelFormat {
    Table,
    Json,
}

/// Judge the kernel and container runtime against known container escapes.
///
/// Verdicts respect distribution backports: a Debian, Ubuntu or RHEL kernel is judged by its
/// package version against the distribution's fix; other kernels by upstream branch ranges,
/// and the reason says which. See docs/kernel.md. Exit codes: 0 ok, 2 usage error.
#[derive(Debug, Args)]
pub struct KernelArgs {
    /// Judge this kernel release (as `uname -r` prints it) instead of the running kernel.
    #[arg(long, value_name = "R")]
    pub uname_r: Option<String>,
    /// The kernel's /proc/version text (Debian's package version is in it; Ubuntu's upload).
    #[arg(long, value_name = "TEXT")]
    pub proc_version: Option<String>,
    /// Ubuntu's /proc/version_signature text (`Ubuntu 5.13.0-35.40-generic 5.13.19`).
    #[arg(long, value_name = "TEXT")]
    pub version_signature: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = KernelFormat::Table)]
    pub format: KernelFormat,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    kind: &'static str,
    #[serde(flatten)]
    section: &'a Section,
}

/// `Linux version 5.10.0-11-amd64 (...)` → `5.10.0-11-amd64`.
fn release_of_banner(b: &str) -> Option<String> {
    b.trim()
        .strip_prefix("Linux version ")?
        .split_whitespace()
        .next()
        .map(str::to_string)
}

fn given(a: &KernelArgs) -> anyhow::Result<Option<Section>> {
    if a.uname_r.is_none() && a.proc_version.is_none() && a.version_signature.is_none() {
        return Ok(None);
    }
    let release = match (&a.uname_r, &a.proc_version) {
        (Some(r), _) => r.clone(),
        (None, Some(b)) => release_of_banner(b).context(
            "--proc-version does not start with \"Linux version <release>\"; pass --uname-r too",
        )?,
        (None, None) => anyhow::bail!("--version-signature needs --uname-r"),
    };
    anyhow::ensure!(
        !release.trim().is_empty() && release.len() < 4096,
        "--uname-r: expected a kernel release such as 6.1.0-18-amd64"
    );
    let id = KernelIdentity::parse(
        &release,
        a.proc_version.as_deref(),
        a.version_signature.as_deref(),
    );
    Ok(Some(Section::build(
        id,
        Vec::new(),
        None,
        vec![
            "the identity was given, not measured: preconditions are not weighed and no runtime is judged".into(),
        ],
    )))
}

pub fn run(a: KernelArgs) -> anyhow::Result<ExitCode> {
    let section = match given(&a)? {
        Some(s) => s,
        None => {
            let host = RealHost;
            let report = inside::audit(
                &host,
                &inside::Options {
                    pid: None,
                    probe: true,
                },
            )
            .context("reading this process's walls (for the preconditions)")?;
            let found = escapes::find_runtimes(&host, 1_000_000);
            let (runtimes, mut notes) = escapes::identify_runtimes(&host, &found);
            if runtimes.is_empty() {
                notes.push("no container runtime binary found".into());
            }
            Section::build(
                escapes::kernel_identity(&host),
                runtimes,
                Some(escapes::evidence_inside(&report)),
                notes,
            )
        }
    };
    let mut out = std::io::stdout().lock();
    match a.format {
        KernelFormat::Json => {
            let doc = Doc {
                schema_version: 1,
                kind: "kernel",
                section: &section,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        KernelFormat::Table => out.write_all(escapes::render(&section).as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}
