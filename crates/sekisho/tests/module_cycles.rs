//! No module of any workspace crate depends on a module that depends back on it: runs
//! `tools/module-cycles.py --check` (see its docstring for what counts as an edge). A cycle is
//! fixed by moving the shared piece into a module both depend on, not by hiding the edge.

use std::path::Path;
use std::process::Command;

#[test]
fn no_module_cycles_in_the_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tools/module-cycles.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--check")
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run python3 {}: {e} (python3 is required; .ci/setup installs it)",
                script.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "module cycles found (or the script failed):\n{stdout}{stderr}"
    );
    // The script must really have read the crates, not found nothing.
    assert!(
        stdout.contains("no module cycles in") && !stdout.contains(" in 0 crate roots"),
        "{stdout}{stderr}"
    );
    assert!(
        stderr.is_empty(),
        "the script could not follow every module:\n{stderr}"
    );
}
