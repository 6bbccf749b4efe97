//! Real images, built here with umoci and skopeo from small trees, read from every source: an OCI
//! layout, an OCI archive, a docker-archive (plain and gzip-compressed), and a real registry
//! (Debian's `docker-registry`, started on a free loopback port) anonymously, with htpasswd basic
//! auth, and behind a small bearer-token server. Every form must give the same layered view.
//!
//! In CI (env CI set) a missing tool is a failure; elsewhere the test skips with a message.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sekisho_artifact::fs::{Capture, EntryMeta};
use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::{ImageOptions, OpenedImage};
use sekisho_artifact::image::{Platform, archive, layout};
use sekisho_artifact::{Inventory, collect};
use sha2::{Digest, Sha256};

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || !in_ci(),
        "{tool} is required in CI (.ci/apt-packages.txt)"
    );
    if !found {
        eprintln!("skipping: {tool} not installed (run ./.ci/setup)");
    }
    found
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `docker-registry` on a free loopback port, killed on drop.
struct Registry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start(htpasswd: Option<&Path>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
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

fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Add a blob to an OCI layout; returns its digest.
fn put_blob(layout: &Path, b: &[u8]) -> String {
    let h = sha_hex(b);
    std::fs::write(layout.join("blobs/sha256").join(&h), b).unwrap();
    format!("sha256:{h}")
}

fn read_blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap()
}

/// Add an `index.json` entry tagged `tag`.
fn tag_in_index(layout: &Path, tag: &str, media_type: &str, digest: &str, size: usize) {
    let p = layout.join("index.json");
    let mut idx: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    idx["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": media_type, "digest": digest, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }));
    std::fs::write(&p, serde_json::to_vec(&idx).unwrap()).unwrap();
}

fn manifest_of(layout: &Path, tag: &str) -> (String, serde_json::Value) {
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let d = idx["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let m = serde_json::from_slice(&read_blob(layout, &d)).unwrap();
    (d, m)
}

/// Build the test layout: tag `t` (amd64, 3 layers with a whiteout and an opaque dir),
/// `arm` (arm64 + one more layer), `multi` (an index of both), `zstd` (t with a zstd layer).
fn build_layout(work: &Path) -> PathBuf {
    let l = work.join("layout");
    let r1 = work.join("r1");
    write(
        &r1.join("etc/os-release"),
        "ID=sekisho-test\nVERSION_ID=1\n",
    );
    write(&r1.join("a/keep"), "keep\n");
    write(&r1.join("a/gone"), "gone\n");
    write(&r1.join("b/old"), "old\n");
    std::os::unix::fs::symlink("../etc/os-release", r1.join("a/link")).unwrap();
    write(&work.join("r2/b/new"), "new\n");
    write(&work.join("r3/arm-only"), "arm\n");
    let image = |tag: &str| format!("{}:{tag}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image", &image("t")]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("t")])
        .arg(&r1)
        .arg("/"));
    run(Command::new("umoci").args([
        "insert",
        "--rootless",
        "--image",
        &image("t"),
        "--whiteout",
        "/a/gone",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("t"), "--opaque"])
        .arg(work.join("r2/b"))
        .arg("/b"));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image("t"),
        "--config.user",
        "app",
        "--config.env",
        "A=1",
        "--config.cmd",
        "/bin/sh",
        "--config.label",
        "k=v",
        "--config.exposedports",
        "80/tcp",
        "--os",
        "linux",
        "--architecture",
        "amd64",
    ]));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image("t"),
        "--tag",
        "arm",
        "--architecture",
        "arm64",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("arm")])
        .arg(work.join("r3"))
        .arg("/"));
    // The multi-platform index.
    let (d_amd, m_amd) = manifest_of(&l, "t");
    let (d_arm, m_arm) = manifest_of(&l, "arm");
    let size = |d: &str| read_blob(&l, d).len();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d_amd, "size": size(&d_amd),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d_arm, "size": size(&d_arm),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
        ]
    });
    let ib = serde_json::to_vec(&index).unwrap();
    let di = put_blob(&l, &ib);
    tag_in_index(
        &l,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &di,
        ib.len(),
    );
    let _ = m_arm;
    // The zstd variant: layer 0 recompressed with zstd.
    let mut m = m_amd.clone();
    let l0 = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&read_blob(&l, &l0)[..])
        .read_to_end(&mut tar)
        .unwrap();
    let z = zstd::encode_all(&tar[..], 3).unwrap();
    let dz = put_blob(&l, &z);
    m["layers"][0]["digest"] = dz.into();
    m["layers"][0]["size"] = z.len().into();
    m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd".into();
    let mb = serde_json::to_vec(&m).unwrap();
    let dm = put_blob(&l, &mb);
    tag_in_index(
        &l,
        "zstd",
        "application/vnd.oci.image.manifest.v1+json",
        &dm,
        mb.len(),
    );
    l
}

struct AllFiles;
impl Capture for AllFiles {
    fn id(&self) -> &'static str {
        "all"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        m.is_file()
    }
}

/// The layered view as comparable data: visible files, hidden versions, symlinks.
type View = (BTreeMap<String, String>, Vec<String>, Vec<(String, String)>);

fn view(img: OpenedImage) -> (View, Inventory) {
    let inv = collect(img.layers, &[&AllFiles], 2).unwrap();
    let vis = inv
        .visible("all")
        .map(|c| {
            (
                c.meta.path.clone(),
                String::from_utf8_lossy(&c.data).into_owned(),
            )
        })
        .collect();
    let hidden = inv
        .history("all")
        .filter(|(_, v)| !v)
        .map(|(c, _)| c.meta.path.clone())
        .collect();
    let links = inv
        .symlinks()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    ((vis, hidden, links), inv)
}

fn push(layout: &Path, tag: &str, dest: &str, creds: Option<&str>, all: bool) {
    let mut c = Command::new("skopeo");
    c.args(["copy", "-q", "--dest-tls-verify=false"]);
    if all {
        c.arg("--all");
    }
    if let Some(cr) = creds {
        c.args(["--dest-creds", cr]);
    }
    c.arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{dest}"));
    run(&mut c);
}

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
    push(&l, "t", &format!("{}/team/app:t", reg.addr), None, false);
    push(
        &l,
        "multi",
        &format!("{}/team/multi:1", reg.addr),
        None,
        true,
    );
    push(
        &l,
        "zstd",
        &format!("{}/team/zstd:1", reg.addr),
        None,
        false,
    );
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
        false,
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
