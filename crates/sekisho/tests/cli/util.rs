//! Test harness: run the built binary, find shared data and test inputs.

#![allow(dead_code, reason = "each area uses a different subset")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `sekisho` binary under test.
pub fn sekisho() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sekisho"));
    c.env("NO_COLOR", "1");
    c
}

/// Run and capture.
pub fn run(args: &[&str]) -> Output {
    sekisho().args(args).output().expect("run sekisho")
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `../shared/data` beside the repository.
pub fn shared_data() -> PathBuf {
    workspace().join("../shared/data")
}

/// `target/test-inputs/<area>` as prepared by `.ci/setup`.
pub fn test_inputs(area: &str) -> PathBuf {
    workspace().join("target/test-inputs").join(area)
}

/// True when running under CI, where a missing tool or input is a failure, not a skip.
pub fn in_ci() -> bool {
    sekisho_testutil::in_ci()
}

/// Whether an external tool is on PATH. In CI a missing tool panics (the setup must provide it);
/// elsewhere the caller skips with a message.
#[track_caller]
pub fn have_tool(tool: &str) -> bool {
    sekisho_testutil::require_tool(tool, "run ./.ci/setup")
}

/// A prerequisite (`present`) described by `what`: a counted skip locally, a failure in CI.
#[track_caller]
pub fn require(present: bool, what: &str) -> bool {
    sekisho_testutil::require(present, what)
}

/// Write `text` to `root/rel`, creating parent directories.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// Import `paths` into a fresh DB at `db`.
pub fn import(db: &Path, paths: &[PathBuf]) {
    let mut c = sekisho();
    c.args(["db", "import", "--db"]).arg(db);
    for p in paths {
        c.arg(p);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "db import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run a scan command with `--format json --offline --quiet --db DB`: (exit code, JSON).
pub fn scan_json(args: &[&str], db: &Path) -> (i32, Value) {
    let out = sekisho()
        .args(args)
        .args(["--format", "json", "--offline", "--quiet", "--db"])
        .arg(db)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}
