//! `sekisho isolation`. (Owned by the audit work.)

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct IsolationArgs {
    /// Audit every containerised process from the host.
    #[arg(long)]
    pub host: bool,
}

pub fn run(_a: IsolationArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho isolation` is not built yet")
}
