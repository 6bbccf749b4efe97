//! `sekisho db …`. (Owned by the vulnerability-DB work.)

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Show the database's path, schema, age and counts.
    Status,
}

pub fn run(_c: DbCmd) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho db` is not built yet")
}
