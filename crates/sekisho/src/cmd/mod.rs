//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>`; `main` picks
//! one from the parsed [`crate::cli::Command`]. Each subcommand's clap arguments live here too,
//! beside the code that maps them onto the libraries; `cli` only assembles them, so this module
//! never looks back at it.

pub mod config;
pub mod db;
pub mod drift;
pub mod isolation;
pub mod kernel;
pub mod sbom;
pub mod scan;
pub mod server;
pub mod target;
pub mod version;

/// Exit codes, one table for every command (see `docs/exit-codes.md`).
pub const EXIT_OK: u8 = 0;
/// A gate tripped (`--fail-on`); `--exit-code N` changes the number.
pub const EXIT_GATE: u8 = 1;
/// Usage error or unreadable input.
pub const EXIT_USAGE: u8 = 2;
/// The scan ran but no vulnerability data was available (packages are still listed).
pub const EXIT_NO_DATA: u8 = 3;
