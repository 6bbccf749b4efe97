//! Test prerequisites, checked one way everywhere.
//!
//! A test that needs a tool (`qemu-img`, `rpm`), an input prepared by `.ci/setup`, or the shared
//! data calls [`require`] (or [`require_tool`], [`require_path`]). When the prerequisite is there
//! it returns `true`. When it is missing:
//!
//! - under CI (`CI` set and not `false`/`0`) the test **fails**, naming what is missing and where
//!   the setup should provide it: CI refuses skips;
//! - elsewhere the test is **skipped loudly**: a `SKIPPED` line on stderr, and a line appended to
//!   the skip ledger, `target/test-skips.txt` (or `$SEKISHO_SKIP_LEDGER`), which
//!   `tools/test-skips` prints and counts after a run. A skip never passes in silence.
//!
//! `.ci/run` empties the ledger before the tests and refuses a run that left anything in it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// True when running under CI, where a missing prerequisite is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The ledger file: `$SEKISHO_SKIP_LEDGER`, else `target/test-skips.txt` of this workspace.
pub fn ledger() -> PathBuf {
    if let Some(p) = std::env::var_os("SEKISHO_SKIP_LEDGER") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-skips.txt")
}

/// The running test's name (libtest names the thread after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

/// Checks one prerequisite. `what` says what is missing and how to get it, e.g.
/// `"qemu-img (Debian package qemu-utils, .ci/apt-packages.txt)"`.
///
/// Returns `present`. A missing prerequisite panics under CI and is recorded as a skip
/// elsewhere; the caller returns early on `false`.
#[track_caller]
pub fn require(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    let test = test_name();
    let caller = std::panic::Location::caller();
    if in_ci() {
        panic!("{test}: missing prerequisite in CI: {what} ({caller}); CI refuses skipped tests");
    }
    let line = format!("{test}\t{what}\t{caller}");
    eprintln!("SKIPPED {line}");
    let path = ledger();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        // One write per line, so parallel tests don't interleave within a line.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
    false
}

/// Whether `tool` is an executable file on `PATH`.
pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// [`require`] for a tool on `PATH`; `package` names the Debian package that provides it.
#[track_caller]
pub fn require_tool(tool: &str, package: &str) -> bool {
    require(
        on_path(tool),
        &format!("{tool} (Debian package {package}, see .ci/apt-packages.txt)"),
    )
}

/// [`require`] for an input file or directory; `how` says what provides it
/// (`".ci/setup"`, `"../shared/data"`).
#[track_caller]
pub fn require_path(path: &Path, how: &str) -> bool {
    require(
        path.exists(),
        &format!("{} (provided by {how})", path.display()),
    )
}

/// The admin URL of the test cluster: `$SEKISHO_TEST_POSTGRES` (`.ci/run` starts a cluster and
/// sets it), else the cluster `.ci/postgres.sh start` runs under `target/postgres` (started here
/// when it is not running; it stays up for the next run, `.ci/postgres.sh stop` stops it).
fn postgres_admin() -> Result<String, String> {
    static ADMIN: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    ADMIN
        .get_or_init(|| {
            if let Ok(u) = std::env::var("SEKISHO_TEST_POSTGRES")
                && !u.is_empty()
            {
                return Ok(u);
            }
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/postgres.sh");
            let out = std::process::Command::new("bash")
                .arg(&script)
                .arg("start")
                .output()
                .map_err(|e| format!("{}: {e}", script.display()))?;
            if !out.status.success() {
                return Err(format!(
                    "{} start: {}",
                    script.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .clone()
}

/// A new, empty PostgreSQL database for one test: its URL, in the cluster of
/// `$SEKISHO_TEST_POSTGRES` or the one `.ci/postgres.sh` runs (see `postgres_admin`). `None`
/// (after [`require`]) when there is no PostgreSQL server to run; a database that cannot be
/// created is a failure.
#[track_caller]
pub fn postgres_database(tag: &str) -> Option<String> {
    let admin = match postgres_admin() {
        Ok(a) => a,
        Err(e) => {
            require(
                false,
                &format!(
                    "PostgreSQL (Debian package postgresql, see .ci/apt-packages.txt; or set SEKISHO_TEST_POSTGRES): {e}"
                ),
            );
            return None;
        }
    };
    if !require_tool("psql", "postgresql-client") {
        return None;
    }
    let mut rnd = [0u8; 6];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut rnd);
    }
    let tag: String = tag
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect::<String>()
        .to_ascii_lowercase();
    let name = format!(
        "t_{tag}_{}_{}",
        std::process::id(),
        rnd.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let out = std::process::Command::new("psql")
        .arg(&admin)
        .args(["-v", "ON_ERROR_STOP=1", "-qXc"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "cannot create database {name} in {admin}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin.as_str(), String::new()),
    };
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    Some(format!("{base}/{name}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_prerequisite_is_not_a_skip() {
        assert!(require(true, "always here"));
    }

    #[test]
    fn missing_prerequisite_is_recorded_or_fails_in_ci() {
        let dir = std::env::temp_dir().join(format!("sekisho-skip-{}", std::process::id()));
        let ledger = dir.join("ledger.txt");
        // Run the check in a child process so its environment is ours to set.
        let exe = std::env::current_exe().unwrap();
        for ci in ["", "true"] {
            let _ = std::fs::remove_file(&ledger);
            let out = std::process::Command::new(&exe)
                .args(["--exact", "tests::child_skip", "--nocapture", "--ignored"])
                .env("SEKISHO_SKIP_LEDGER", &ledger)
                .env("CI", ci)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if ci.is_empty() {
                assert!(out.status.success(), "{stdout}{stderr}");
                assert!(
                    stderr.contains("SKIPPED tests::child_skip\tno-such-tool-xyz"),
                    "{stderr}"
                );
                let l = std::fs::read_to_string(&ledger).unwrap();
                assert_eq!(l.lines().count(), 1, "{l}");
                assert!(l.starts_with("tests::child_skip\tno-such-tool-xyz"), "{l}");
            } else {
                assert!(!out.status.success(), "{stdout}{stderr}");
                assert!(
                    stdout.contains("CI refuses skipped tests")
                        || stderr.contains("CI refuses skipped tests"),
                    "{stdout}{stderr}"
                );
                assert!(!ledger.exists());
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Run only as the child of the test above.
    #[test]
    #[ignore = "child process of missing_prerequisite_is_recorded_or_fails_in_ci"]
    fn child_skip() {
        if !require_tool("no-such-tool-xyz", "none") {
            return;
        }
        unreachable!("the tool does not exist");
    }
}
