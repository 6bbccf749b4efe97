//! The `sekisho` binary: argument parsing, progress and exit codes. Everything else lives in the
//! library crates under `crates/`.

mod cli;
mod cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // The isolation audit's probe helper: a fresh process that makes one syscall and exits.
    let args: Vec<String> = std::env::args().skip(1).take(3).collect();
    sekisho_audit::probe_helper_main(&args);
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`sekisho … | head`) is not an error.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "sekisho: error: {err}");
            for cause in err.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            ExitCode::from(cmd::EXIT_USAGE)
        }
    }
}

/// The subcommand's `run`, chosen from the parsed command line.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Image(a) => cmd::scan::run_image(a),
        Command::Rootfs(a) => cmd::scan::run_rootfs(a),
        Command::Vm(a) => cmd::scan::run_vm(a),
        Command::Sbom(c) => cmd::sbom::run(c),
        Command::ScanSbom(a) => cmd::scan::run_scan_sbom(a),
        Command::Db(c) => cmd::db::run(c),
        Command::Version(c) => cmd::version::run(c),
        Command::Isolation(a) => cmd::isolation::run(a),
        Command::Kernel(a) => cmd::kernel::run(a),
        Command::Drift(a) => cmd::drift::run(a),
        Command::Server(a) => cmd::server::run(a),
        Command::Config(a) => cmd::config::run(a),
    }
}
