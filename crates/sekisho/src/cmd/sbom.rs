//! `sekisho sbom …`: inventory only, no DB needed. CycloneDX 1.6 JSON by default; SPDX 2.3 JSON,
//! sekisho JSON (`kind: "sbom"`) or a table.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use sekisho_report::SbomFormat;
use sekisho_scan::TargetSpec;

use super::EXIT_OK;
use super::scan::{Ctx, Stderr, write_output};
use super::target::{ImageTarget, RootfsTarget, VmTarget};

/// `--format` of `sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormatArg {
    /// CycloneDX 1.6 JSON (default).
    Cyclonedx,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// sekisho JSON (`kind: "sbom"`, see docs/json-schema.md).
    Json,
    /// A table.
    Table,
}

/// Options of every `sbom` subcommand.
#[derive(Debug, Clone, Args)]
pub struct SbomOpts {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "cyclonedx")]
    pub format: SbomFormatArg,
    /// Write the SBOM to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SbomImageArgs {
    #[command(flatten)]
    pub target: ImageTarget,
    #[command(flatten)]
    pub opts: SbomOpts,
}

#[derive(Debug, Args)]
pub struct SbomRootfsArgs {
    #[command(flatten)]
    pub target: RootfsTarget,
    #[command(flatten)]
    pub opts: SbomOpts,
}

#[derive(Debug, Args)]
pub struct SbomVmArgs {
    #[command(flatten)]
    pub target: VmTarget,
    /// Follow qcow2 backing files (only within the image's directory).
    #[arg(long)]
    pub allow_backing: bool,
    #[command(flatten)]
    pub opts: SbomOpts,
}

#[derive(Debug, Subcommand)]
pub enum SbomCmd {
    /// SBOM of a container image.
    Image(SbomImageArgs),
    /// SBOM of a root filesystem.
    Rootfs(SbomRootfsArgs),
    /// SBOM of a VM disk (one target per filesystem holding an OS).
    Vm(SbomVmArgs),
}

pub fn run(c: SbomCmd) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    let (target, cache, opts) = match c {
        SbomCmd::Image(a) => (
            TargetSpec::Image(a.target.spec(&cx.env, None)?),
            a.target.cache(&cx.env),
            a.opts,
        ),
        SbomCmd::Rootfs(a) => (TargetSpec::Rootfs(a.target.dir), None, a.opts),
        SbomCmd::Vm(a) => (
            TargetSpec::Vm {
                disk: a.target.disk,
                allow_backing: a.allow_backing,
            },
            None,
            a.opts,
        ),
    };
    let progress = Stderr::new(opts.quiet);
    let mut sopts = cx.options(&progress);
    sopts.cache = cache;
    let report = sekisho_scan::inventory(&target, &sopts)?;
    super::scan::say_notes(opts.quiet, &report.targets.iter().collect::<Vec<_>>());
    let format = match opts.format {
        SbomFormatArg::Cyclonedx => SbomFormat::CycloneDx,
        SbomFormatArg::SpdxJson => SbomFormat::SpdxJson,
        SbomFormatArg::Json => SbomFormat::Json,
        SbomFormatArg::Table => SbomFormat::Table,
    };
    write_output(opts.output.as_deref(), |out, color| {
        sekisho_report::render_sbom(&report, format, out, color)
    })?;
    Ok(ExitCode::from(EXIT_OK))
}
