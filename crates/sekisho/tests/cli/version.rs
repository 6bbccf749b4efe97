//! `sekisho version compare`.

use std::io::Write;
use std::process::Stdio;

use crate::util::{run, sekisho};

fn compare(eco: &str, a: &str, b: &str) -> (i32, String, String) {
    let o = run(&["version", "compare", eco, a, b]);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn with_stdin(eco: &str, input: &str) -> (i32, String, String) {
    let mut child = sekisho()
        .args(["version", "compare", eco, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sekisho");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn compare_prints_symbol_for_every_scheme() {
    for (eco, a, b, want) in [
        ("Debian:12", "1.0~rc1-1", "1.0-1", "<"),
        ("dpkg", "1:0.9", "2.0", ">"),
        ("ubuntu:22.04:LTS", "1.0000-1", "1.0-1", "="),
        ("rpm", "1.0^git1", "1.0", ">"),
        ("AlmaLinux:9", "1:2.0-1.el9", "2.0-1.el9", ">"),
        ("apk", "1.0_rc1-r0", "1.0-r0", "<"),
        ("alpine:v3.19", "2.3.0b-r1", "2.3.0-r1", ">"),
        ("semver", "1.0.0-alpha", "1.0.0", "<"),
        ("crates.io", "0.0.0-0", "0.0.0", "<"),
        ("npm", "v1.2.3", "1.2.3", "="),
        ("pep440", "1.0.post1", "1.0", ">"),
        ("PyPI", "1.0-r5", "1.0.post5", "="),
        ("Go", "go1.21.3", "1.21.3", "="),
        ("go", "v1.2.3-pre", "1.2.3", "<"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "<"),
        ("RubyGems", "1.0.a", "1.0", "<"),
        ("NuGet", "1.0.0-RC.1", "1.0.0-rc.1", "="),
        ("Packagist", "1.0.0-RC1", "1.0.0", "<"),
    ] {
        let (code, out, err) = compare(eco, a, b);
        assert_eq!(code, 0, "{eco} {a} {b}: {err}");
        assert_eq!(out.trim(), want, "{eco} {a} {b}");
    }
}

#[test]
fn invalid_version_is_exit_2_with_message() {
    let (code, out, err) = compare("Debian", "a:1.0", "1.0");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("Debian") && err.contains("a:1.0"), "{err}");
    let (code, _, err) = compare("cobol", "1", "2");
    assert_eq!(code, 2);
    assert!(err.contains("cobol"), "{err}");
}

#[test]
fn stdin_prints_failing_lines_and_exits_1() {
    let input = "# comment\n\n1.0 < 1.1\n1.0 <= 1.0\n2.0 == 2.0.0\n1.0 != 1.1\n1.1 >= 1.0\n\
                 1.1 > 1.0\n1.0 > 1.1\n1.0~rc1 = 1.0\n";
    let (code, out, _) = with_stdin("dpkg", input);
    assert_eq!(code, 1);
    // 2.0 == 2.0.0 does not hold in dpkg (2.0 < 2.0.0); the last two lines do not hold.
    assert_eq!(out, "2.0 == 2.0.0\n1.0 > 1.1\n1.0~rc1 = 1.0\n");
    let (code, out, _) = with_stdin("pep440", "1.0 == 1.0.0\n1.0a1 < 1.0\n");
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn stdin_bad_lines_are_exit_2() {
    let (code, out, err) = with_stdin("dpkg", "1.0 ~~ 1.1\n");
    assert_eq!(code, 2);
    assert!(err.contains("unknown operator"), "{err}");
    assert!(out.is_empty());
    let (code, out, err) = with_stdin("rpm", "1.0 < 1.1 < 1.2\n");
    assert_eq!(code, 2, "{out}{err}");
    let (code, out, err) = with_stdin("semver", "1.0 < 1.1\n");
    assert_eq!(code, 2);
    assert_eq!(out, "1.0 < 1.1\n");
    assert!(err.contains("1.0"), "{err}");
}

#[test]
fn help_and_version() {
    let o = run(&["version", "compare", "--help"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("--stdin"));
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("sekisho "));
    let o = run(&["version", "compare", "dpkg", "1.0"]);
    assert_eq!(o.status.code(), Some(2));
}
