//! Test harness: run the built binary, find shared data and test inputs.

#![allow(dead_code, reason = "each area uses a different subset")]

use std::path::PathBuf;
use std::process::{Command, Output};

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
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether an external tool is on PATH. In CI a missing tool panics (the setup must provide it);
/// elsewhere the caller skips with a message.
pub fn have_tool(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found || !in_ci(),
        "{tool} is required in CI (see .ci/apt-packages.txt)"
    );
    if !found {
        eprintln!("skipping: {tool} not installed (run ./.ci/setup)");
    }
    found
}
