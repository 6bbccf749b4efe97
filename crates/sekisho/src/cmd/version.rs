//! `sekisho version …`: the version comparators of `sekisho-version`, from the command line, so
//! anyone can check how sekisho orders two versions (and feed whole tables through `--stdin`).

use std::cmp::Ordering;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use sekisho_version::{Ecosystem, EcosystemName};

use super::{EXIT_GATE, EXIT_OK, EXIT_USAGE};

#[derive(Debug, Subcommand)]
pub enum VersionCmd {
    /// Compare two versions: prints `<`, `=` or `>`.
    ///
    /// With --stdin, reads lines `A OP B` (OP one of < <= = == >= > !=), skipping blank lines
    /// and lines starting with `#`, prints every line that does not hold and exits 1 if any.
    Compare {
        /// Ecosystem (OSV name, case-insensitive, optional `:release`), or dpkg/rpm/apk/semver/pep440.
        ecosystem: String,
        /// First version.
        #[arg(required_unless_present = "stdin")]
        a: Option<String>,
        /// Second version.
        #[arg(required_unless_present = "stdin")]
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
            let name = EcosystemName::parse(&ecosystem).with_context(|| {
                "expected an OSV ecosystem name such as Debian:12, PyPI, npm, Go, Maven, \
                 or one of the aliases dpkg, rpm, apk, semver, pep440"
            })?;
            if stdin {
                return compare_stdin(name.ecosystem);
            }
            let (Some(a), Some(b)) = (a, b) else {
                anyhow::bail!("give two versions, or --stdin");
            };
            let ord = sekisho_version::compare(name.ecosystem, &a, &b)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", symbol(ord))?;
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// Whether `ord` (of `a` against `b`) satisfies `op`; `None` for an unknown operator.
fn holds(op: &str, ord: Ordering) -> Option<bool> {
    Some(match op {
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        "=" | "==" => ord == Ordering::Equal,
        ">=" => ord != Ordering::Less,
        ">" => ord == Ordering::Greater,
        "!=" => ord != Ordering::Equal,
        _ => return None,
    })
}

fn compare_stdin(eco: Ecosystem) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut failed = 0usize;
    let mut bad = 0usize;
    for (i, line) in stdin.lines().enumerate() {
        let line = line.context("reading stdin")?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        let lineno = i + 1;
        if f.len() != 3 {
            eprintln!("sekisho: line {lineno}: expected `A OP B`, got {t:?}");
            bad += 1;
            continue;
        }
        let ord = match sekisho_version::compare(eco, f[0], f[2]) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("sekisho: line {lineno}: {e}");
                writeln!(out, "{t}")?;
                bad += 1;
                continue;
            }
        };
        match holds(f[1], ord) {
            Some(true) => {}
            Some(false) => {
                writeln!(out, "{t}")?;
                failed += 1;
            }
            None => {
                eprintln!(
                    "sekisho: line {lineno}: unknown operator {:?} (use < <= = == >= > !=)",
                    f[1]
                );
                bad += 1;
            }
        }
    }
    out.flush()?;
    if bad > 0 {
        eprintln!("sekisho: {bad} line(s) could not be checked");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if failed > 0 {
        eprintln!("sekisho: {failed} line(s) do not hold");
        return Ok(ExitCode::from(EXIT_GATE));
    }
    Ok(ExitCode::from(EXIT_OK))
}
