//! `sekisho image` target handling through the real binary: flag validation and clear exit-2
//! errors for unreadable inputs. (The full registry/archive/layout matrix runs at library level in
//! crates/sekisho-artifact/tests/images.rs.)

use crate::util::run;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn image_flags_are_validated() {
    let o = run(&["image", "--password-stdin", "127.0.0.1:1/x:y"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--username"), "{}", stderr(&o));
    let o = run(&["image", "--input", "a.tar", "--oci-dir", "b"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(&["image", "--platform", "linux", "--oci-dir", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("platform"), "{}", stderr(&o));
}

#[test]
fn unreadable_image_inputs_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let o = run(&["image", "--no-cache", "--oci-dir", &d]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not an OCI image layout"),
        "{}",
        stderr(&o)
    );
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tar archive at all, just text").unwrap();
    let o = run(&[
        "image",
        "--no-cache",
        "--input",
        &junk.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("junk.tar"), "{}", stderr(&o));
}
