//! Real images, built here with umoci and skopeo from small trees, read from every source: an OCI
//! layout, an OCI archive, a docker-archive (plain and gzip-compressed), and a real registry
//! (Debian's `docker-registry`, started on a free loopback port) anonymously, with htpasswd basic
//! auth, and behind a small bearer-token server. Every form must give the same layered view.
//!
//! In CI (env CI set) a missing tool is a failure; elsewhere the test skips with a message.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::image::{Platform, archive, layout};

mod common;
use common::*;

#[test]
fn every_image_source_gives_the_same_layered_view() {
    if !(have("umoci") && have("skopeo") && have("docker-registry") && have("htpasswd")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // No docker config from the machine running the tests.
    let no_cfg = work.path().join("no-docker-config.json");
    let l = build_layout(work.path());
    let opts = ImageOptions {
        platform: Some(Platform::parse("linux/amd64").unwrap()),
        ..ImageOptions::default()
    };

    // 1. OCI layout: the reference view.
    let img = layout::open_layout(&format!("{}:t", l.display()), &opts).unwrap();
    let meta = img.meta.clone();
    assert_eq!(meta.user.as_deref(), Some("app"));
    assert!(meta.env.contains(&"A=1".to_string()));
    assert_eq!(meta.cmd, vec!["/bin/sh"]);
    assert_eq!(meta.exposed_ports, vec!["80/tcp"]);
    assert_eq!(meta.labels.get("k").map(String::as_str), Some("v"));
    assert_eq!(
        (meta.os.as_str(), meta.architecture.as_str()),
        ("linux", "amd64")
    );
    let (reference, inv) = view(img);
    assert_eq!(inv.layers.len(), 3);
    assert!(
        inv.layers
            .iter()
            .all(|l| l.created_by.as_deref() == Some("umoci insert")),
        "{:?}",
        inv.layers
    );
    let expected_vis: BTreeMap<String, String> = [
        ("a/keep", "keep\n"),
        ("b/new", "new\n"),
        ("etc/os-release", "ID=sekisho-test\nVERSION_ID=1\n"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(reference.0, expected_vis);
    assert_eq!(reference.1, vec!["a/gone".to_string(), "b/old".to_string()]);
    assert_eq!(
        reference.2,
        vec![("a/link".to_string(), "../etc/os-release".to_string())]
    );
    assert_eq!(
        inv.get("all", "a/link").unwrap().meta.path,
        "etc/os-release"
    );

    // 2. Archives made by skopeo: OCI archive, docker-archive, and a gzip copy of the latter.
    let oa = work.path().join("oci-archive.tar");
    let da = work.path().join("docker-archive.tar");
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:t", l.display()))
        .arg(format!("oci-archive:{}:t", oa.display())));
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:t", l.display()))
        .arg(format!("docker-archive:{}:team/app:t", da.display())));
    let dagz = work.path().join("docker-archive.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&dagz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&da).unwrap()).unwrap();
    enc.finish().unwrap();
    for f in [&oa, &da, &dagz] {
        let img = archive::open_archive(f, &opts).unwrap();
        assert_eq!(img.meta.user.as_deref(), Some("app"), "{}", f.display());
        assert_eq!(view(img).0, reference, "{}", f.display());
    }

    // 3. zstd layer, and the multi-platform index, from the layout.
    let img = layout::open_layout(&format!("{}:zstd", l.display()), &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let img = layout::open_layout(&format!("{}:multi", l.display()), &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let arm = ImageOptions {
        platform: Some(Platform::parse("linux/arm64").unwrap()),
        ..ImageOptions::default()
    };
    let img = layout::open_layout(&format!("{}:multi", l.display()), &arm).unwrap();
    assert_eq!(img.meta.architecture, "arm64");
    let (v, _) = view(img);
    assert_eq!(v.0.get("arm-only").map(String::as_str), Some("arm\n"));
    let e = layout::open_layout(
        &format!("{}:multi", l.display()),
        &ImageOptions {
            platform: Some(Platform::parse("linux/s390x").unwrap()),
            ..ImageOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("linux/amd64, linux/arm64/v8"), "{e}");
    let e = layout::open_layout(&l.display().to_string(), &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("name one with :TAG"), "{e}");

    // 4. A real registry, anonymous (plain HTTP on loopback without --insecure).
    let reg = Registry::start(None);
    push(&l, "t", &format!("{}/team/app:t", reg.addr), None, &[]);
    push(
        &l,
        "multi",
        &format!("{}/team/multi:1", reg.addr),
        None,
        &["--all"],
    );
    push(&l, "zstd", &format!("{}/team/zstd:1", reg.addr), None, &[]);
    let ropts = RegistryOptions {
        docker_config: Some(no_cfg.clone()),
        ..RegistryOptions::default()
    };
    let img = open_registry(&format!("{}/team/app:t", reg.addr), &ropts, &opts).unwrap();
    assert_eq!(img.meta.user.as_deref(), Some("app"));
    assert_eq!(img.meta.repo_digests.len(), 1);
    let pinned = img.meta.repo_digests[0].clone();
    assert_eq!(view(img).0, reference);
    let img = open_registry(&pinned, &ropts, &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let img = open_registry(&format!("{}/team/multi:1", reg.addr), &ropts, &arm).unwrap();
    assert_eq!(img.meta.architecture, "arm64");
    let img = open_registry(&format!("{}/team/multi:1", reg.addr), &ropts, &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let img = open_registry(&format!("{}/team/zstd:1", reg.addr), &ropts, &opts).unwrap();
    assert!(
        img.layers[0]
            .info()
            .media_type
            .as_deref()
            .is_some_and(|m| m.contains("zstd")),
        "{:?}",
        img.layers[0].info()
    );
    assert_eq!(view(img).0, reference);
    let e = open_registry(&format!("{}/team/nope:t", reg.addr), &ropts, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&reg.addr) && e.contains("manifest team/nope:t") && e.contains("404"),
        "{e}"
    );

    // 5. Basic auth (htpasswd).
    let hp = work.path().join("htpasswd");
    let out = Command::new("htpasswd")
        .args(["-Bbn", "alice", "s3cret"])
        .output()
        .unwrap();
    std::fs::write(&hp, out.stdout).unwrap();
    let basic = Registry::start(Some(&hp));
    push(
        &l,
        "t",
        &format!("{}/team/app:t", basic.addr),
        Some("alice:s3cret"),
        &[],
    );
    let r = format!("{}/team/app:t", basic.addr);
    let e = open_registry(&r, &ropts, &opts).unwrap_err().to_string();
    assert!(e.contains("requires credentials"), "{e}");
    let with = |u: &str, p: &str| RegistryOptions {
        credentials: Some(Credentials {
            username: u.into(),
            password: p.into(),
        }),
        ..ropts.clone()
    };
    let img = open_registry(&r, &with("alice", "s3cret"), &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let e = open_registry(&r, &with("alice", "wrong"), &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("401"), "{e}");
    // Credentials from a docker config.json `auths` entry.
    let cfg = work.path().join("config.json");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#,
            basic.addr
        ),
    )
    .unwrap();
    let img = open_registry(
        &r,
        &RegistryOptions {
            docker_config: Some(cfg),
            ..ropts.clone()
        },
        &opts,
    )
    .unwrap();
    assert_eq!(view(img).0, reference);

    // 6. Bearer tokens, with a 503 on the first manifest request to exercise retries.
    let tok = TokenProxy::start(reg.addr.clone());
    let r = format!("{}/team/app:t", tok.addr);
    let e = open_registry(&r, &ropts, &opts).unwrap_err().to_string();
    assert!(e.contains("token server refused"), "{e}");
    let fast = RegistryOptions {
        backoff: Duration::from_millis(10),
        ..with("bob", "hunter2")
    };
    let img = open_registry(&r, &fast, &opts).unwrap();
    assert_eq!(view(img).0, reference);
    assert!(tok.served_503.load(Ordering::SeqCst) >= 1);
    assert!(tok.tokens.load(Ordering::SeqCst) >= 1);
}

/// A bearer-token front for a registry: `/token` hands out a token for bob:hunter2, everything
/// else needs it and is forwarded to the backend. The first manifest request gets a 503.
struct TokenProxy {
    addr: String,
    served_503: Arc<AtomicUsize>,
    tokens: Arc<AtomicUsize>,
}

impl TokenProxy {
    fn start(backend: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let served_503 = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(AtomicUsize::new(0));
        let (s503, toks, me) = (served_503.clone(), tokens.clone(), addr.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let _ = serve(conn, &backend, &me, &s503, &toks);
            }
        });
        Self {
            addr,
            served_503,
            tokens,
        }
    }
}

fn serve(
    mut conn: TcpStream,
    backend: &str,
    me: &str,
    s503: &AtomicUsize,
    toks: &AtomicUsize,
) -> std::io::Result<()> {
    // The client probes loopback registries with TLS first: a ClientHello (0x16) is refused at
    // once, so the probe fails fast instead of waiting for a line that never comes.
    let mut first = [0u8; 1];
    if conn.peek(&mut first)? == 0 || first[0] == 0x16 {
        return Ok(());
    }
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let reply = |conn: &mut TcpStream, status: &str, extra: &str, body: &str| {
        write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    let auth = headers.get("authorization").cloned().unwrap_or_default();
    if path.starts_with("/token") {
        // bob:hunter2
        if auth == "Basic Ym9iOmh1bnRlcjI=" && path.contains("scope=repository%3Ateam%2Fapp%3Apull")
        {
            toks.fetch_add(1, Ordering::SeqCst);
            return reply(&mut conn, "200 OK", "", r#"{"token":"tok-123"}"#);
        }
        return reply(&mut conn, "401 Unauthorized", "", "{}");
    }
    if auth != "Bearer tok-123" {
        let ch = format!(
            "WWW-Authenticate: Bearer realm=\"http://{me}/token\",service=\"test\",scope=\"repository:team/app:pull\"\r\n"
        );
        return reply(&mut conn, "401 Unauthorized", &ch, "{}");
    }
    if path.contains("/manifests/") && s503.fetch_add(1, Ordering::SeqCst) == 0 {
        return reply(&mut conn, "503 Service Unavailable", "", "{}");
    }
    let mut up = TcpStream::connect(backend)?;
    write!(
        up,
        "GET {path} HTTP/1.1\r\nHost: {backend}\r\nAccept: {}\r\nConnection: close\r\n\r\n",
        headers
            .get("accept")
            .cloned()
            .unwrap_or_else(|| "*/*".into())
    )?;
    std::io::copy(&mut up, &mut conn)?;
    Ok(())
}
