//! `sekisho version …`

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum VersionCmd {
    /// Compare two versions: prints `<`, `=` or `>`.
    Compare {
        /// Ecosystem (OSV name, case-insensitive, optional `:release`), or dpkg/rpm/apk/semver/pep440.
        ecosystem: String,
        a: Option<String>,
        b: Option<String>,
        /// Read `A OP B` lines from stdin; print those that do not hold; exit 1 if any.
        #[arg(long, conflicts_with_all = ["a", "b"])]
        stdin: bool,
    },
}

pub fn run(cmd: VersionCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        VersionCmd::Compare {
            ecosystem,
            a,
            b,
            stdin,
        } => {
            let name = sekisho_version::EcosystemName::parse(&ecosystem)?;
            let _ = (name, a, b, stdin);
            anyhow::bail!("not built yet")
        }
    }
}
