//! `sekisho image` target handling through the real binary: flag validation, clear exit-2
//! errors for unreadable inputs, and pulls from real local registries (`docker-registry` on
//! loopback): anonymous, `--username --password-stdin`, Docker credential helpers, TLS with
//! `SSL_CERT_FILE`, and `HTTPS_PROXY`/`NO_PROXY`. (The full registry/archive/layout matrix runs at
//! library level in crates/sekisho-artifact/tests/images.rs and registry_more.rs.)
//!
//! In CI (env CI set) a missing tool is a failure; elsewhere the registry tests skip.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::util::{run, sekisho};

#[path = "../../../sekisho-artifact/tests/common/registry.rs"]
pub(crate) mod registry;

use registry::{Registry, have, htpasswd, push, self_signed_cert};

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

/// An image with a dpkg database and an os-release, in an OCI layout (tag `t`).
fn dpkg_image(w: &Path) -> PathBuf {
    let root = w.join("root");
    crate::util::write(
        &root,
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    crate::util::write(
        &root,
        "var/lib/dpkg/status",
        "Package: sekisho-hello\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: 10\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nVersion: 2.10-3\nDescription: a test package\n\nPackage: libsekisho1\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 20\nMaintainer: Test <t@example.invalid>\nArchitecture: amd64\nSource: sekisho-src (1.2.3-1)\nVersion: 1:1.2.3-1\nDescription: a test library\n\nPackage: removed-pkg\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.1-1\nDescription: removed, config files left\n",
    );
    let l = w.join("layout");
    let image = format!("{}:t", l.display());
    registry::run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    registry::run(Command::new("umoci").args(["new", "--image", &image]));
    registry::run(
        Command::new("umoci")
            .args(["insert", "--rootless", "--image", &image])
            .arg(&root)
            .arg("/"),
    );
    registry::run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--os",
        "linux",
        "--architecture",
        "amd64",
    ]));
    l
}

fn registry_tools() -> bool {
    have("umoci") && have("skopeo") && have("docker-registry") && have("htpasswd")
}

/// `sekisho sbom image ARGS --format json --no-cache` with a clean environment: no proxies, no
/// CA overrides, `DOCKER_CONFIG` = `docker_config` (a directory).
fn sbom_image(args: &[&str], docker_config: &Path, env: &[(&str, &str)], stdin: &str) -> Output {
    let mut c = sekisho();
    c.args(["sbom", "image", "--format", "json", "--no-cache"])
        .args(args)
        .env("DOCKER_CONFIG", docker_config);
    for v in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "SEKISHO_USERNAME",
        "SEKISHO_PASSWORD",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run sekisho");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The (name, version) pairs of the first target's packages.
fn packages(o: &Output) -> Vec<(String, String)> {
    assert!(o.status.success(), "{}", stderr(o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut v: Vec<(String, String)> = doc["targets"][0]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc:#}"))
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn expected() -> Vec<(String, String)> {
    vec![
        ("libsekisho1".into(), "1:1.2.3-1".into()),
        ("sekisho-hello".into(), "2.10-3".into()),
    ]
}

/// A fake `docker-credential-<name>` in `bin`: answers alice:s3cret, or fails.
fn credential_helper(bin: &Path, name: &str, ok: bool) {
    let body = if ok {
        "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}\\n' \"$server\"\n"
    } else {
        "#!/bin/sh\necho 'keychain is locked' >&2\nexit 7\n"
    };
    let p = bin.join(format!("docker-credential-{name}"));
    std::fs::write(&p, body).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn sbom_image_from_local_registries_with_password_stdin_and_credential_helpers() {
    if !registry_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let l = dpkg_image(w);
    let empty_cfg = w.join("empty-docker-config");
    std::fs::create_dir_all(&empty_cfg).unwrap();

    // Anonymous, plain HTTP on loopback.
    let reg = Registry::start(None);
    push(&l, "t", &format!("{}/x:tag", reg.addr), None, &[]);
    let o = sbom_image(&[&format!("{}/x:tag", reg.addr)], &empty_cfg, &[], "");
    assert_eq!(packages(&o), expected());
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        doc.to_string().contains("debian"),
        "the OS is reported: {doc:#}"
    );

    // htpasswd: refused without credentials, accepted with --username --password-stdin.
    let hp = htpasswd(w, "alice", "s3cret");
    let basic = Registry::start(Some(&hp));
    push(
        &l,
        "t",
        &format!("{}/x:tag", basic.addr),
        Some("alice:s3cret"),
        &[],
    );
    let r = format!("{}/x:tag", basic.addr);
    let o = sbom_image(&[&r], &empty_cfg, &[], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("requires credentials") && stderr(&o).contains(&basic.addr),
        "{}",
        stderr(&o)
    );
    let o = sbom_image(
        &[&r, "--username", "alice", "--password-stdin"],
        &empty_cfg,
        &[],
        "s3cret\n",
    );
    assert_eq!(packages(&o), expected());
    let o = sbom_image(
        &[&r, "--username", "alice", "--password-stdin"],
        &empty_cfg,
        &[],
        "wrong\n",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("401"), "{}", stderr(&o));

    // Credential helpers first on PATH, named by credsStore and by credHelpers.
    let bin = w.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    credential_helper(&bin, "sekisho-test", true);
    credential_helper(&bin, "sekisho-fail", false);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cfg = |name: &str, json: String| {
        let d = w.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config.json"), json).unwrap();
        d
    };
    let store = cfg("store", r#"{"credsStore":"sekisho-test"}"#.to_string());
    let o = sbom_image(&[&r], &store, &[("PATH", &path)], "");
    assert_eq!(packages(&o), expected());
    let helpers = cfg(
        "helpers",
        format!(
            r#"{{"credsStore":"sekisho-fail","credHelpers":{{"{}":"sekisho-test"}}}}"#,
            basic.addr
        ),
    );
    let o = sbom_image(&[&r], &helpers, &[("PATH", &path)], "");
    assert_eq!(packages(&o), expected());
    let failing = cfg(
        "failing",
        format!(r#"{{"credHelpers":{{"{}":"sekisho-fail"}}}}"#, basic.addr),
    );
    let o = sbom_image(&[&r], &failing, &[("PATH", &path)], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("docker-credential-sekisho-fail")
            && e.contains(&basic.addr)
            && e.contains("keychain is locked")
            && e.contains("7"),
        "{e}"
    );
    let missing = cfg(
        "missing",
        format!(r#"{{"credHelpers":{{"{}":"sekisho-absent"}}}}"#, basic.addr),
    );
    let o = sbom_image(&[&r], &missing, &[("PATH", &path)], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("docker-credential-sekisho-absent"),
        "{}",
        stderr(&o)
    );
}

/// A CONNECT proxy on loopback that counts the tunnels it opens.
fn connect_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let c = c.clone();
            std::thread::spawn(move || {
                let _ = tunnel(conn, &c);
            });
        }
    });
    (addr, count)
}

fn tunnel(mut conn: TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim_end().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        return write!(
            conn,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"
        );
    };
    count.fetch_add(1, Ordering::SeqCst);
    let up = TcpStream::connect(target)?;
    write!(conn, "HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut a, mut b) = (conn.try_clone()?, up.try_clone()?);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a, &mut b);
        let _ = b.shutdown(std::net::Shutdown::Write);
    });
    let (mut up_r, mut down_w) = (up, conn);
    let _ = std::io::copy(&mut up_r, &mut down_w);
    let _ = down_w.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
    Ok(())
}

#[test]
fn tls_via_ssl_cert_file_and_proxies_from_the_environment() {
    if !(registry_tools() && have("openssl")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let l = dpkg_image(w);
    let empty_cfg = w.join("empty-docker-config");
    std::fs::create_dir_all(&empty_cfg).unwrap();

    // TLS with a self-signed certificate: refused with a certificate error, trusted through
    // SSL_CERT_FILE or --ca-cert.
    let (cert, key) = self_signed_cert(w);
    let tls = Registry::start_with(None, Some((&cert, &key)));
    push(&l, "t", &format!("{}/x:tag", tls.addr), None, &[]);
    let r = format!("{}/x:tag", tls.addr);
    let o = sbom_image(&[&r], &empty_cfg, &[], "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("certificate") && stderr(&o).contains("--ca-cert"),
        "{}",
        stderr(&o)
    );
    let cert_s = cert.display().to_string();
    let o = sbom_image(&[&r], &empty_cfg, &[("SSL_CERT_FILE", &cert_s)], "");
    assert_eq!(packages(&o), expected());
    let o = sbom_image(&[&r, "--ca-cert", &cert_s], &empty_cfg, &[], "");
    assert_eq!(packages(&o), expected());

    // Proxies: ureq tunnels every request (http:// too) through CONNECT; loopback is not
    // exempt by default, only what NO_PROXY names.
    let (proxy, count) = connect_proxy();
    let purl = format!("http://{proxy}");
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "ALL_PROXY"] {
        let before = count.load(Ordering::SeqCst);
        let o = sbom_image(&[&r, "--ca-cert", &cert_s], &empty_cfg, &[(var, &purl)], "");
        assert_eq!(packages(&o), expected(), "{var}");
        assert!(
            count.load(Ordering::SeqCst) > before,
            "{var}: requests went through the proxy"
        );
    }
    for no in ["127.0.0.1", "*", "localhost,127.0.0.1"] {
        let before = count.load(Ordering::SeqCst);
        let o = sbom_image(
            &[&r, "--ca-cert", &cert_s],
            &empty_cfg,
            &[("HTTPS_PROXY", &purl), ("NO_PROXY", no)],
            "",
        );
        assert_eq!(packages(&o), expected(), "NO_PROXY={no}");
        assert_eq!(
            count.load(Ordering::SeqCst),
            before,
            "NO_PROXY={no} bypasses the proxy"
        );
    }
    // A plain-HTTP loopback registry through the proxy, too.
    let plain = Registry::start(None);
    push(&l, "t", &format!("{}/x:tag", plain.addr), None, &[]);
    let before = count.load(Ordering::SeqCst);
    let o = sbom_image(
        &[&format!("{}/x:tag", plain.addr)],
        &empty_cfg,
        &[("HTTP_PROXY", &purl)],
        "",
    );
    assert_eq!(packages(&o), expected());
    assert!(count.load(Ordering::SeqCst) > before);
}
