//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`.

pub mod db;
pub mod isolation;
pub mod kernel;
pub mod sbom;
pub mod scan;
pub mod target;
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
        Command::Image(a) => scan::run_image(a),
        Command::Rootfs(a) => scan::run_rootfs(a),
        Command::Vm(a) => scan::run_vm(a),
        Command::Sbom(c) => sbom::run(c),
        Command::ScanSbom(a) => scan::run_scan_sbom(a),
        Command::Db(c) => db::run(c),
        Command::Version(c) => version::run(c),
        Command::Isolation(a) => isolation::run(a),
        Command::Kernel(a) => kernel::run(a),
    }
}
