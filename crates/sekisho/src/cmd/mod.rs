//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod version;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Exit codes, one table for every command (see `docs/exit-codes.md`).
pub const EXIT_OK: u8 = 0;
/// A gate tripped (`--fail-on`); `--exit-code N` changes the number.
pub const EXIT_GATE: u8 = 1;
/// Usage error or unreadable input.
pub const EXIT_USAGE: u8 = 2;
/// The scan ran but no vulnerability data was available (packages are still listed).
pub const EXIT_NO_DATA: u8 = 3;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version(c) => version::run(c),
    }
}
