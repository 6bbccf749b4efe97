//! A real registry for tests: Debian's `docker-registry` on a free loopback port (plain HTTP, or
//! TLS with a self-signed certificate made by `openssl`, optionally behind htpasswd), plus the
//! small process helpers the image tests share. Only std and tempfile, so the CLI tests
//! (crates/sekisho/tests/cli) include this file too.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn in_ci() -> bool {
    sekisho_testutil::in_ci()
}

/// Whether `tool` is installed. In CI a missing tool panics; elsewhere the caller skips.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    sekisho_testutil::require(found, &format!("{tool} (.ci/apt-packages.txt)"))
}

pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A self-signed certificate for `127.0.0.1` (and `localhost`): returns (cert.pem, key.pem).
pub fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    (cert, key)
}

/// A `docker-registry` on a free loopback port, killed on drop.
pub struct Registry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start(htpasswd: Option<&Path>) -> Self {
        Self::start_with(htpasswd, None)
    }

    /// `tls`: (certificate, key) to serve HTTPS instead of plain HTTP.
    pub fn start_with(htpasswd: Option<&Path>, tls: Option<(&Path, &Path)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        // Manifests with `urls` (foreign layers) are refused unless allowed.
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nvalidation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
        if let Some((c, k)) = tls {
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                c.display(),
                k.display()
            ));
        }
        if let Some(h) = htpasswd {
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                h.display()
            ));
        }
        let cp = dir.path().join("config.yml");
        std::fs::write(&cp, cfg).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        for _ in 0..200 {
            if TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An htpasswd file for `user:password` (bcrypt, as docker-registry wants).
pub fn htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let hp = dir.join("htpasswd");
    let out = run(Command::new("htpasswd").args(["-Bbn", user, password]));
    std::fs::write(&hp, out).unwrap();
    hp
}

/// `skopeo copy` from an OCI layout tag to a registry (plain HTTP or self-signed is fine).
pub fn push(layout: &Path, tag: &str, dest: &str, creds: Option<&str>, extra: &[&str]) {
    let mut c = Command::new("skopeo");
    c.args(["copy", "-q", "--dest-tls-verify=false"]);
    c.args(extra);
    if let Some(cr) = creds {
        c.args(["--dest-creds", cr]);
    }
    c.arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{dest}"));
    run(&mut c);
}
