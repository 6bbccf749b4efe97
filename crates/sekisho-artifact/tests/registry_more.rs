//! More image sources against a real `docker-registry` on loopback (see images.rs for the main
//! matrix): Docker schema 2 manifests and a hand-written Docker manifest list, foreign and
//! non-distributable layers, the `index.json`-only docker-archive and a gzip OCI archive, a TLS
//! registry with a self-signed certificate, and retries through a faulty front.
//!
//! In CI (env CI set) a missing tool is a failure; elsewhere the test skips with a message.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::image::{Platform, archive, layout};
use serde_json::{Value, json};

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn tools() -> bool {
    have("umoci") && have("skopeo") && have("docker-registry")
}

fn on(p: &str) -> ImageOptions {
    ImageOptions {
        platform: Some(Platform::parse(p).unwrap()),
        ..ImageOptions::default()
    }
}

/// Registry options that ignore the docker config of the machine running the tests.
fn ropts(work: &Path) -> RegistryOptions {
    RegistryOptions {
        docker_config: Some(work.join("no-docker-config.json")),
        backoff: Duration::from_millis(10),
        ..RegistryOptions::default()
    }
}

/// The test layout and its reference view (from the OCI layout, tag `t`).
fn fixture(work: &Path) -> (std::path::PathBuf, View) {
    let l = build_layout(work);
    let img = layout::open_layout(&format!("{}:t", l.display()), &on("linux/amd64")).unwrap();
    (l, view(img).0)
}

#[test]
fn docker_schema2_and_manifest_list_select_the_platform() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (l, reference) = fixture(work.path());
    let reg = Registry::start(None);
    let v2s2 = ["--format", "v2s2"];
    push(&l, "t", &format!("{}/team/v2:amd64", reg.addr), None, &v2s2);
    push(
        &l,
        "arm",
        &format!("{}/team/v2:arm64", reg.addr),
        None,
        &v2s2,
    );
    let amd = get_manifest(&reg.addr, "team/v2", "amd64", DOCKER_MANIFEST);
    let arm = get_manifest(&reg.addr, "team/v2", "arm64", DOCKER_MANIFEST);
    let amd_v: Value = serde_json::from_slice(&amd).unwrap();
    assert_eq!(amd_v["mediaType"], DOCKER_MANIFEST, "{amd_v}");
    let d_amd = format!("sha256:{}", sha_hex(&amd));
    let d_arm = format!("sha256:{}", sha_hex(&arm));
    let list = json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [
            {"mediaType": DOCKER_MANIFEST, "digest": d_amd, "size": amd.len(),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": DOCKER_MANIFEST, "digest": d_arm, "size": arm.len(),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
        ]
    });
    let lb = serde_json::to_vec_pretty(&list).unwrap();
    let d_list = put_manifest(&reg.addr, "team/v2", "list", DOCKER_LIST, &lb);
    let ro = ropts(work.path());

    // The single schema 2 image.
    let img = open_registry(
        &format!("{}/team/v2:amd64", reg.addr),
        &ro,
        &on("linux/amd64"),
    )
    .unwrap();
    assert_eq!(img.meta.manifest_digest.as_deref(), Some(d_amd.as_str()));
    assert_eq!(img.meta.user.as_deref(), Some("app"));
    assert!(
        img.layers.iter().all(|l| l.info().media_type.as_deref()
            == Some("application/vnd.docker.image.rootfs.diff.tar.gzip")),
        "{:?}",
        img.layers.iter().map(|l| l.info()).collect::<Vec<_>>()
    );
    assert_eq!(view(img).0, reference);

    // The manifest list: each platform gets its own manifest.
    let r = format!("{}/team/v2:list", reg.addr);
    let img = open_registry(&r, &ro, &on("linux/amd64")).unwrap();
    assert_eq!(img.meta.manifest_digest.as_deref(), Some(d_amd.as_str()));
    assert_eq!(
        img.meta.repo_digests,
        vec![format!("{}/team/v2@{d_list}", reg.addr)]
    );
    assert_eq!(img.meta.architecture, "amd64");
    assert_eq!(view(img).0, reference);
    let img = open_registry(&r, &ro, &on("linux/arm64")).unwrap();
    assert_eq!(img.meta.manifest_digest.as_deref(), Some(d_arm.as_str()));
    assert_eq!(img.meta.architecture, "arm64");
    let (v, _) = view(img);
    assert_eq!(v.0.get("arm-only").map(String::as_str), Some("arm\n"));
    assert_eq!(v.0.get("a/keep").map(String::as_str), Some("keep\n"));
    let e = open_registry(&r, &ro, &on("linux/s390x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("linux/amd64, linux/arm64/v8"), "{e}");
    // Pinned by the list's digest.
    let img = open_registry(
        &format!("{}/team/v2@{d_list}", reg.addr),
        &ro,
        &on("linux/amd64"),
    )
    .unwrap();
    assert_eq!(view(img).0, reference);
}

/// Re-PUT `repo:base` as `repo:tag` with an extra first layer of `media_type` (served from
/// `urls`, never uploaded) added to the manifest and the config.
fn with_foreign_layer(addr: &str, repo: &str, accept: &str, media_type: &str, tag: &str) {
    let mb = get_manifest(addr, repo, "base", accept);
    let mut m: Value = serde_json::from_slice(&mb).unwrap();
    let cfg = get_blob(addr, repo, m["config"]["digest"].as_str().unwrap());
    let mut c: Value = serde_json::from_slice(&cfg).unwrap();
    // Never uploaded, and not a tar: were it fetched, the pull would fail.
    let fake = b"a Windows base layer lives elsewhere";
    c["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .insert(0, format!("sha256:{}", sha_hex(b"its diff")).into());
    c["history"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"created_by": "foreign base"}));
    let cb = serde_json::to_vec(&c).unwrap();
    let cd = upload_blob(addr, repo, &cb);
    m["config"]["digest"] = cd.into();
    m["config"]["size"] = cb.len().into();
    m["layers"].as_array_mut().unwrap().insert(
        0,
        json!({
            "mediaType": media_type,
            "digest": format!("sha256:{}", sha_hex(fake)),
            "size": fake.len(),
            "urls": ["https://example.invalid/base.tar.gz"]
        }),
    );
    let mt = m["mediaType"].as_str().unwrap_or(OCI_MANIFEST).to_string();
    put_manifest(addr, repo, tag, &mt, &serde_json::to_vec(&m).unwrap());
}

#[test]
fn foreign_and_nondistributable_layers_are_skipped_with_a_note() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (l, reference) = fixture(work.path());
    let reg = Registry::start(None);
    let ro = ropts(work.path());
    push(
        &l,
        "t",
        &format!("{}/team/docker:base", reg.addr),
        None,
        &["--format", "v2s2"],
    );
    with_foreign_layer(
        &reg.addr,
        "team/docker",
        DOCKER_MANIFEST,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "foreign",
    );
    push(&l, "t", &format!("{}/team/oci:base", reg.addr), None, &[]);
    with_foreign_layer(
        &reg.addr,
        "team/oci",
        OCI_MANIFEST,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "nondist",
    );
    for (r, mt) in [
        ("team/docker:foreign", "foreign.diff"),
        ("team/oci:nondist", "nondistributable"),
    ] {
        let img = open_registry(&format!("{}/{r}", reg.addr), &ro, &on("linux/amd64")).unwrap();
        assert_eq!(img.notes.len(), 1, "{r}: {:?}", img.notes);
        let n = format!("{:?}", img.notes[0]);
        assert!(
            n.contains("skipped: foreign/non-distributable layer")
                && n.contains(mt)
                && n.contains("https://example.invalid/base.tar.gz"),
            "{r}: {n}"
        );
        // The other layers keep their positions and history.
        let idx: Vec<usize> = img.layers.iter().map(|l| l.info().index).collect();
        assert_eq!(idx, vec![1, 2, 3], "{r}");
        assert!(
            img.layers
                .iter()
                .all(|l| l.info().created_by.as_deref() == Some("umoci insert")),
            "{r}"
        );
        assert_eq!(view(img).0, reference, "{r}");
    }
}

#[test]
fn index_json_only_docker_archive_and_gzip_oci_archive() {
    if !(tools() && have("tar")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (l, reference) = fixture(w);
    let opts = on("linux/amd64");

    // A gzip-compressed OCI archive.
    let oa = w.join("oci.tar");
    run(Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:t", l.display()))
        .arg(format!("oci-archive:{}:t", oa.display())));
    let oagz = w.join("oci.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&oagz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&oa).unwrap()).unwrap();
    enc.finish().unwrap();
    let img = archive::open_archive(&oagz, &opts).unwrap();
    assert_eq!(img.meta.user.as_deref(), Some("app"));
    assert_eq!(view(img).0, reference);

    // Docker 25+'s `docker save` layout without its legacy manifest.json: oci-layout, an
    // index.json naming a Docker schema 2 manifest, and blobs/sha256/.
    let d = w.join("v2s2-dir");
    run(Command::new("skopeo")
        .args(["copy", "-q", "--format", "v2s2"])
        .arg(format!("oci:{}:t", l.display()))
        .arg(format!("dir:{}", d.display())));
    let stage = w.join("stage");
    let blobs = stage.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let mb = std::fs::read(d.join("manifest.json")).unwrap();
    let m: Value = serde_json::from_slice(&mb).unwrap();
    assert_eq!(m["mediaType"], DOCKER_MANIFEST);
    std::fs::write(blobs.join(sha_hex(&mb)), &mb).unwrap();
    let mut digests = vec![m["config"]["digest"].as_str().unwrap().to_string()];
    for layer in m["layers"].as_array().unwrap() {
        digests.push(layer["digest"].as_str().unwrap().to_string());
    }
    for dg in digests {
        let hex = &dg[7..];
        std::fs::copy(d.join(hex), blobs.join(hex)).unwrap();
    }
    write(
        &stage.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    );
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": DOCKER_MANIFEST,
            "digest": format!("sha256:{}", sha_hex(&mb)),
            "size": mb.len(),
            "annotations": {
                "io.containerd.image.name": "docker.io/team/app:t",
                "org.opencontainers.image.ref.name": "t"
            }
        }]
    });
    write(&stage.join("index.json"), &index.to_string());
    let da = w.join("docker-index-only.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&stage)
        .arg("-cf")
        .arg(&da)
        .args(["oci-layout", "index.json", "blobs"]));
    let img = archive::open_archive(&da, &opts).unwrap();
    assert_eq!(img.meta.user.as_deref(), Some("app"));
    assert_eq!(view(img).0, reference);
}

#[test]
fn tls_registry_with_a_self_signed_certificate() {
    if !(tools() && have("openssl")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (l, reference) = fixture(w);
    let (cert, key) = self_signed_cert(w);
    let reg = Registry::start_with(None, Some((&cert, &key)));
    push(&l, "t", &format!("{}/team/app:t", reg.addr), None, &[]);
    let r = format!("{}/team/app:t", reg.addr);
    let opts = on("linux/amd64");
    let ro = ropts(w);

    // Without the CA: a certificate error, not a plain-HTTP fallback's confusing answer.
    let t = Instant::now();
    let e = open_registry(&r, &ro, &opts).unwrap_err().to_string();
    assert!(
        e.contains(&reg.addr)
            && e.to_lowercase().contains("certificate")
            && e.contains("--ca-cert"),
        "{e}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "certificate errors are not retried"
    );

    // With it (--ca-cert), or with --insecure.
    let with_ca = RegistryOptions {
        ca_certs: vec![cert.clone()],
        ..ro.clone()
    };
    let img = open_registry(&r, &with_ca, &opts).unwrap();
    assert_eq!(view(img).0, reference);
    let insecure = RegistryOptions {
        insecure: true,
        ..ro.clone()
    };
    let img = open_registry(&r, &insecure, &opts).unwrap();
    assert_eq!(view(img).0, reference);

    // A CA file that holds no certificate is refused by name.
    let junk = w.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let e = open_registry(
        &r,
        &RegistryOptions {
            ca_certs: vec![junk],
            ..ro.clone()
        },
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("junk.pem") && e.contains("no certificates"),
        "{e}"
    );
}

/// What the faulty front does with one request.
#[derive(Clone, Copy)]
enum Fault {
    Forward,
    /// Answer with this status (and `Retry-After: 1` for 429).
    Status(u16),
    /// Close the connection without an answer.
    Drop,
}

/// A plain-HTTP front for a registry that injects faults. `policy(kind, n)` decides for the
/// `n`th (0-based) request of `kind` (`ping`, `manifest`, `blob`). TLS probes are refused.
struct Front {
    addr: String,
    faults: Arc<AtomicUsize>,
}

impl Front {
    fn start(backend: String, policy: fn(&str, usize) -> Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let faults = Arc::new(AtomicUsize::new(0));
        let counts: Arc<std::sync::Mutex<BTreeMap<String, usize>>> = Arc::default();
        let f = faults.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (b, f, c) = (backend.clone(), f.clone(), counts.clone());
                std::thread::spawn(move || {
                    let _ = front_serve(conn, &b, policy, &f, &c);
                });
            }
        });
        Self { addr, faults }
    }
}

fn front_serve(
    mut conn: TcpStream,
    backend: &str,
    policy: fn(&str, usize) -> Fault,
    faults: &AtomicUsize,
    counts: &std::sync::Mutex<BTreeMap<String, usize>>,
) -> std::io::Result<()> {
    let mut first = [0u8; 1];
    if conn.peek(&mut first)? == 0 || first[0] == 0x16 {
        return Ok(()); // a TLS ClientHello: this front speaks plain HTTP only
    }
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut accept = "*/*".to_string();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("accept")
        {
            accept = v.trim().to_string();
        }
    }
    let kind = if path.contains("/manifests/") {
        "manifest"
    } else if path.contains("/blobs/") {
        "blob"
    } else {
        "ping"
    };
    let n = {
        let mut c = counts.lock().unwrap();
        let e = c.entry(kind.to_string()).or_default();
        *e += 1;
        *e - 1
    };
    match policy(kind, n) {
        Fault::Drop => {
            faults.fetch_add(1, Ordering::SeqCst);
            return conn.shutdown(std::net::Shutdown::Both);
        }
        Fault::Status(st) => {
            faults.fetch_add(1, Ordering::SeqCst);
            let extra = if st == 429 { "Retry-After: 1\r\n" } else { "" };
            let body = r#"{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}"#;
            return write!(
                conn,
                "HTTP/1.1 {st} Injected\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
        }
        Fault::Forward => {}
    }
    let mut up = TcpStream::connect(backend)?;
    write!(
        up,
        "GET {path} HTTP/1.1\r\nHost: {backend}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    up.read_to_end(&mut buf)?;
    conn.write_all(&buf)
}

#[test]
fn retries_then_clear_errors_naming_registry_and_step() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (l, reference) = fixture(work.path());
    let reg = Registry::start(None);
    push(&l, "t", &format!("{}/team/app:t", reg.addr), None, &[]);
    let ro = ropts(work.path());
    let opts = on("linux/amd64");

    // 429 + Retry-After on the first two manifest requests, a dropped connection on the first
    // two blob requests: the pull succeeds, having waited as told.
    let flaky = Front::start(reg.addr.clone(), |kind, n| match (kind, n) {
        ("manifest", 0 | 1) => Fault::Status(429),
        ("blob", 0 | 1) => Fault::Drop,
        _ => Fault::Forward,
    });
    let t = Instant::now();
    let img = open_registry(&format!("{}/team/app:t", flaky.addr), &ro, &opts).unwrap();
    assert_eq!(view(img).0, reference);
    assert!(
        t.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1 honoured twice"
    );
    assert_eq!(flaky.faults.load(Ordering::SeqCst), 4);

    // Persistent 503 on manifests: the error names the registry, the step and the attempts.
    let down = Front::start(reg.addr.clone(), |kind, _| match kind {
        "manifest" => Fault::Status(503),
        _ => Fault::Forward,
    });
    let e = open_registry(&format!("{}/team/app:t", down.addr), &ro, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("registry {}", down.addr))
            && e.contains("manifest team/app:t")
            && e.contains("HTTP 503 after 5 attempts")
            && e.contains("injected"),
        "{e}"
    );
    assert_eq!(down.faults.load(Ordering::SeqCst), 5);

    // Connections to blobs always dropped: the config blob fetch fails by digest.
    let cut = Front::start(reg.addr.clone(), |kind, _| match kind {
        "blob" => Fault::Drop,
        _ => Fault::Forward,
    });
    let e = open_registry(&format!("{}/team/app:t", cut.addr), &ro, &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("registry {}", cut.addr))
            && e.contains("blob sha256:")
            && e.contains("after 5 attempts"),
        "{e}"
    );
    assert_eq!(cut.faults.load(Ordering::SeqCst), 5);
}

/// An address filter (what the server sets for references tenants name) refuses a registry on a
/// refused address at once (no retries), and a token realm on one even when the registry itself
/// is allowed: every connection the client makes is checked.
#[test]
fn address_filter_refuses_registries_and_token_realms() {
    use sekisho_artifact::image::registry::AddressFilter;
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (l, _) = fixture(w);
    let reg = Registry::start(None);
    push(&l, "t", &format!("{}/app:t", reg.addr), None, &[]);
    let reference = format!("{}/app:t", reg.addr);
    let refuse_all = RegistryOptions {
        address_filter: Some(AddressFilter(Arc::new(|_| Err("refused here".into())))),
        ..ropts(w)
    };
    let t = Instant::now();
    let e = match open_registry(&reference, &refuse_all, &on("linux/amd64")) {
        Ok(_) => panic!("refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("resolves to 127.0.0.1: refused here"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3), "not retried: {e}");
    // Allowed, the same pull works.
    let allow = RegistryOptions {
        address_filter: Some(AddressFilter(Arc::new(|_| Ok(())))),
        ..ropts(w)
    };
    assert!(open_registry(&reference, &allow, &on("linux/amd64")).is_ok());

    // A registry on 127.0.0.1 whose bearer realm is on 127.0.0.2: the realm is never reached.
    let realm = TcpListener::bind("127.0.0.2:0").unwrap();
    let realm_addr = realm.local_addr().unwrap();
    let realm_hits = Arc::new(AtomicUsize::new(0));
    let hits = realm_hits.clone();
    std::thread::spawn(move || {
        for c in realm.incoming().flatten() {
            hits.fetch_add(1, Ordering::SeqCst);
            drop(c);
        }
    });
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    let front_addr = front.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut c in front.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://{realm_addr}/token\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    let only_first = RegistryOptions {
        address_filter: Some(AddressFilter(Arc::new(|ip| {
            if ip == std::net::IpAddr::from([127, 0, 0, 1]) {
                Ok(())
            } else {
                Err("not 127.0.0.1".into())
            }
        }))),
        ..ropts(w)
    };
    let e = match open_registry(
        &format!("{front_addr}/app:t"),
        &only_first,
        &on("linux/amd64"),
    ) {
        Ok(_) => panic!("refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("resolves to 127.0.0.2: not 127.0.0.1"), "{e}");
    assert_eq!(realm_hits.load(Ordering::SeqCst), 0);
}
