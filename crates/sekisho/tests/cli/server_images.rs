//! `sekisho server` and registries: `POST /api/v1/images` pulls and catalogs an image from a
//! real `docker-registry` on loopback (images built here with umoci and pushed with skopeo),
//! the tag is watched and re-cataloged only when its digest changes, private registries are
//! refused without the flag, and a `kill -9` mid-job resumes after a restart with nothing
//! duplicated.
//!
//! In CI (env CI set) a missing tool is a failure; elsewhere these tests skip loudly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::server::{
    base_db, import_file, jquery_advisory, json_of, receiver, start, verified, wait_for,
};

use crate::image::registry;
pub(crate) use crate::image::registry::{Registry, have, htpasswd, push};

pub(crate) fn registry_tools() -> bool {
    have("umoci") && have("skopeo") && have("docker-registry") && have("htpasswd")
}

/// An OCI layout with one tag per `(tag, jquery version)`: Debian's os-release and an
/// installed `app/node_modules/jquery` of that version.
pub(crate) fn jquery_images(w: &Path, tags: &[(&str, &str)]) -> PathBuf {
    let l = w.join("layout");
    registry::run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    for (tag, version) in tags {
        let root = w.join(format!("root-{tag}"));
        crate::util::write(
            &root,
            "etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        );
        crate::util::write(
            &root,
            "app/node_modules/jquery/package.json",
            &json!({"name": "jquery", "version": version, "license": "MIT"}).to_string(),
        );
        let image = format!("{}:{tag}", l.display());
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
    }
    l
}

/// The manifest digest of `reference` in a plain-HTTP registry.
pub(crate) fn registry_digest(reference: &str, creds: Option<&str>) -> String {
    let mut c = Command::new("skopeo");
    c.args(["inspect", "--tls-verify=false"]);
    if let Some(cr) = creds {
        c.args(["--creds", cr]);
    }
    let out = registry::run(c.arg(format!("docker://{reference}")));
    let v: Value = serde_json::from_slice(&out).unwrap();
    v["Digest"].as_str().unwrap().to_string()
}

/// A TCP proxy in front of a registry: passes connections through, or (while `stall` is set)
/// takes them and never answers, so a pull through it hangs mid-job.
pub(crate) struct Proxy {
    pub(crate) addr: SocketAddr,
    pub(crate) stall: Arc<AtomicBool>,
}

pub(crate) fn proxy(upstream: &str, stall: bool) -> Proxy {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let flag = Arc::new(AtomicBool::new(stall));
    let f = flag.clone();
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(c) = conn else { continue };
            if f.load(Ordering::SeqCst) {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(300));
                    drop(c);
                });
                continue;
            }
            let Ok(u) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c2, mut u2) = (c.try_clone().unwrap(), u.try_clone().unwrap());
            let (mut c1, mut u1) = (c, u);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut u1);
                let _ = u1.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut u2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    Proxy { addr, stall: flag }
}

/// One HTTP/1.1 request with extra headers; returns status, lower-cased headers and body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let hs: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if hs
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut b = body.as_slice();
        while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
            let n =
                usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
            b = &b[eol + 2 + n + 2..];
        }
        body = out;
    }
    (status, hs, body)
}

/// Poll a job until it is done (or fail on `failed`); returns it.
pub(crate) fn job_done(addr: SocketAddr, id: &str, secs: u64) -> Value {
    wait_for(&format!("job {id}"), secs, || {
        let (s, j) = json_of(addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
        assert_eq!(s, 200, "{j}");
        assert_ne!(j["state"], "failed", "{j}");
        (j["state"] == "done").then_some(j)
    })
}

fn watch_of(addr: SocketAddr) -> Value {
    let (s, v) = json_of(addr, "GET", "/api/v1/images", b"");
    assert_eq!(s, 200, "{v}");
    let list = v["images"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    list[0].clone()
}

fn count(addr: SocketAddr, path: &str, key: &str) -> usize {
    let (s, v) = json_of(addr, "GET", path, b"");
    assert_eq!(s, 200, "{v}");
    v[key].as_array().unwrap().len()
}

/// A vulnerability DB with the jQuery advisory (CVE-2019-11358, fixed in 3.4.0).
pub(crate) fn jquery_db(dir: &Path) -> PathBuf {
    let db = base_db(dir);
    import_file(
        &db,
        dir,
        "jquery.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-01-01T00:00:00Z", false),
    );
    db
}

#[test]
fn posted_images_are_cataloged_then_recataloged_only_when_the_digest_changes() {
    if !registry_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let db = jquery_db(w);
    let layout = jquery_images(w, &[("old", "3.3.9"), ("new", "3.5.0")]);
    let reg = Registry::start(None);
    let reference = format!("{}/team/app:latest", reg.addr);
    push(&layout, "old", &reference, None, &[]);
    let first_digest = registry_digest(&reference, None);

    let srv = start(
        w,
        &db,
        &[
            "--allow-private-registries",
            "--allow-private-webhooks",
            "--watch-interval",
            "1",
        ],
    );
    let addr = srv.addr;
    let rx = receiver(200);
    let (s, hook) = json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        json!({"url": format!("http://{}/hook", rx.addr)})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();

    let (s, job) = json_of(
        addr,
        "POST",
        "/api/v1/images",
        json!({"ref": reference}).to_string().as_bytes(),
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(job["kind"], "image");
    assert_eq!(job["ref"], reference.as_str());
    let id = job["id"].as_str().unwrap().to_string();
    let job = job_done(addr, &id, 60);
    assert_eq!(job["attempts"], 1, "{job}");
    let art_id = job["artifact"].as_str().unwrap().to_string();

    let (s, art) = json_of(addr, "GET", &format!("/api/v1/artifacts/{art_id}"), b"");
    assert_eq!(s, 200, "{art}");
    assert_eq!(art["kind"], "image");
    assert_eq!(art["name"], reference.as_str());
    assert_eq!(art["digest"], first_digest.as_str());
    assert_eq!(art["components"], 1, "{art}");
    assert_eq!(art["findings"], 1, "{art}");
    let (_, report) = json_of(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{art_id}/findings"),
        b"",
    );
    let t = &report["targets"][0];
    assert_eq!(t["kind"], "image");
    assert_eq!(t["packages"][0]["name"], "jquery");
    assert_eq!(t["packages"][0]["version"], "3.3.9");
    assert_eq!(t["findings"][0]["id"], "CVE-2019-11358", "{report}");
    assert_eq!(t["os"]["id"], "debian", "{t}");

    // Unchanged digest: checked, nothing cataloged again.
    let wt = wait_for("three checks", 30, || {
        let wt = watch_of(addr);
        (wt["checks"].as_u64().unwrap() >= 3).then_some(wt)
    });
    assert_eq!(wt["recatalogs"], 0, "{wt}");
    assert_eq!(wt["digest"], first_digest.as_str());
    assert_eq!(wt["ref"], reference.as_str());
    assert!(rx.got.lock().unwrap().is_empty(), "no event yet");

    // A new image under the same tag: cataloged again once.
    push(&layout, "new", &reference, None, &[]);
    let second_digest = registry_digest(&reference, None);
    assert_ne!(first_digest, second_digest);
    let wt = wait_for("the re-catalog", 30, || {
        let wt = watch_of(addr);
        (wt["recatalogs"] == 1).then_some(wt)
    });
    assert_eq!(wt["digest"], second_digest.as_str());
    let checks = wt["checks"].as_u64().unwrap();
    let (_, art) = json_of(addr, "GET", &format!("/api/v1/artifacts/{art_id}"), b"");
    assert_eq!(art["digest"], second_digest.as_str(), "{art}");
    assert_eq!(art["components"], 1);
    assert_eq!(art["findings"], 0, "jquery 3.5.0 is fixed: {art}");
    let (_, report) = json_of(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{art_id}/findings"),
        b"",
    );
    assert_eq!(report["targets"][0]["packages"][0]["version"], "3.5.0");
    // The finding went: one signed finding.resolved, naming the new digest.
    let got = wait_for("finding.resolved", 20, || {
        rx.got.lock().unwrap().first().cloned()
    });
    let p = verified(&got, &secret);
    assert_eq!(p["type"], "finding.resolved", "{p}");
    assert_eq!(p["data"]["artifact"]["id"], art_id.as_str());
    assert_eq!(p["data"]["artifact"]["digest"], second_digest.as_str());
    assert_eq!(p["data"]["findings"][0]["id"], "CVE-2019-11358");

    // Further checks find the same digest: nothing more.
    let wt = wait_for("three more checks", 30, || {
        let wt = watch_of(addr);
        (wt["checks"].as_u64().unwrap() >= checks + 3).then_some(wt)
    });
    assert_eq!(wt["recatalogs"], 1, "{wt}");
    assert_eq!(count(addr, "/api/v1/events", "events"), 1);
    let (_, m) = crate::server::http(addr, "GET", "/metrics", Some(crate::server::RO), b"");
    let m = String::from_utf8(m).unwrap();
    assert!(m.contains("sekisho_job_queue_depth 0\n"), "{m}");
    assert!(m.contains("sekisho_jobs_running 0\n"), "{m}");
    // One image cataloged, then once again.
    assert!(m.contains("sekisho_scans_total 2\n"), "{m}");
    assert_eq!(count(addr, "/api/v1/artifacts", "artifacts"), 1);
    assert_eq!(rx.got.lock().unwrap().len(), 1);
}

#[test]
fn image_refs_to_private_addresses_are_refused_without_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    let srv = start(dir.path(), &db, &[]);
    let addr = srv.addr;
    for r in [
        "127.0.0.1:5000/team/app:1",
        "localhost:5000/app",
        "169.254.169.254/latest/meta:data",
        "10.1.2.3:443/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let (s, v) = json_of(
            addr,
            "POST",
            "/api/v1/images",
            json!({"ref": r}).to_string().as_bytes(),
        );
        assert_eq!(s, 400, "{r}: {v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(
            m.contains("refused without --allow-private-registries"),
            "{r}: {m}"
        );
    }
    for (body, want) in [
        (&b"{}"[..], "expected {\"ref\""),
        (b"[1]", "expected {\"ref\""),
        (br#"{"ref": "UPPER/Case"}"#, "ref:"),
        (br#"{"ref": ""}"#, "ref:"),
    ] {
        let (s, v) = json_of(addr, "POST", "/api/v1/images", body);
        assert_eq!(s, 400, "{v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(want), "{m}");
    }
    let (s, _) = json_of(addr, "GET", "/api/v1/jobs/job_nope", b"");
    assert_eq!(s, 404);
    // Nothing was queued.
    assert_eq!(count(addr, "/api/v1/images", "images"), 0);
}

#[test]
fn kill_mid_image_job_resumes_after_restart_without_duplicates() {
    if !registry_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let db = jquery_db(w);
    let layout = jquery_images(w, &[("old", "3.3.9")]);
    let reg = Registry::start(None);
    push(&layout, "old", &format!("{}/app:1", reg.addr), None, &[]);
    // The server pulls through a proxy that first takes connections and never answers.
    let px = proxy(&reg.addr, true);
    let reference = format!("{}/app:1", px.addr);
    let flags = ["--allow-private-registries", "--watch-interval", "3600"];
    let srv = start(w, &db, &flags);
    let (s, job) = json_of(
        srv.addr,
        "POST",
        "/api/v1/images",
        json!({"ref": reference}).to_string().as_bytes(),
    );
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    wait_for("the job to run", 20, || {
        let (_, j) = json_of(srv.addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
        (j["state"] == "running").then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    drop(srv); // SIGKILL, mid-pull
    px.stall.store(false, Ordering::SeqCst);

    let srv = start(w, &db, &flags);
    let job = job_done(srv.addr, &id, 60);
    assert_eq!(job["attempts"], 2, "taken again after the restart: {job}");
    let art = job["artifact"].as_str().unwrap();
    let (_, list) = json_of(srv.addr, "GET", "/api/v1/artifacts", b"");
    let arts = list["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 1, "{list}");
    assert_eq!(arts[0]["id"], art);
    assert_eq!(arts[0]["components"], 1);
    assert_eq!(arts[0]["findings"], 1);
    assert_eq!(count(srv.addr, "/api/v1/images", "images"), 1);
}

/// Two replicas on one PostgreSQL database. A takes an image job and hangs mid-pull; B, running
/// meanwhile, leaves the job to A while A renews its lease. A is killed with SIGKILL; once its
/// lease ends B takes the job over and stores the artifact once. Then a withdrawn advisory,
/// noticed by both replicas, raises one `finding.resolved`, delivered once.
#[test]
fn two_replicas_on_postgres_one_killed_mid_job() {
    if !registry_tools() {
        return;
    }
    let Some(pg) = crate::server::Backend::postgres("replicas") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let db = jquery_db(w);
    let layout = jquery_images(w, &[("old", "3.3.9")]);
    let reg = Registry::start(None);
    push(&layout, "old", &format!("{}/app:1", reg.addr), None, &[]);
    let px = proxy(&reg.addr, true);
    let reference = format!("{}/app:1", px.addr);
    let flags = pg.flags(&[
        "--allow-private-registries",
        "--allow-private-webhooks",
        "--watch-interval",
        "3600",
        "--job-lease",
        "2",
    ]);
    let (da, dbb) = (w.join("replica-a"), w.join("replica-b"));
    std::fs::create_dir_all(&da).unwrap();
    std::fs::create_dir_all(&dbb).unwrap();
    let a = start(&da, &db, &flags);
    let (s, job) = json_of(
        a.addr,
        "POST",
        "/api/v1/images",
        json!({"ref": reference}).to_string().as_bytes(),
    );
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    wait_for("A to take the job", 20, || {
        let (_, j) = json_of(a.addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
        (j["state"] == "running").then_some(())
    });
    let b = start(&dbb, &db, &flags);
    // Longer than the lease: A renews it, so B does not take the job from a live holder.
    std::thread::sleep(Duration::from_secs(4));
    let (_, j) = json_of(b.addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
    assert_eq!(
        (&j["state"], &j["attempts"]),
        (&json!("running"), &json!(1)),
        "{j}"
    );
    drop(a); // SIGKILL, mid-pull
    px.stall.store(false, Ordering::SeqCst);

    let job = job_done(b.addr, &id, 60);
    assert_eq!(job["attempts"], 2, "taken over by B after A's lease: {job}");
    let art = job["artifact"].as_str().unwrap().to_string();
    let (_, list) = json_of(b.addr, "GET", "/api/v1/artifacts", b"");
    let arts = list["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 1, "{list}");
    assert_eq!(
        (&arts[0]["id"], &arts[0]["findings"]),
        (&json!(art), &json!(1))
    );
    assert_eq!(count(b.addr, "/api/v1/images", "images"), 1);

    // A comes back; both replicas watch the DB file.
    let a = start(&da, &db, &flags);
    let rx = receiver(200);
    let (s, hook) = json_of(
        a.addr,
        "POST",
        "/api/v1/webhooks",
        json!({"url": format!("http://{}/", rx.addr)})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    import_file(
        &db,
        w,
        "withdrawn.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-02-01T00:00:00Z", true),
    );
    let got = wait_for("finding.resolved", 30, || {
        rx.got.lock().unwrap().first().cloned()
    });
    let p = verified(&got, &secret);
    assert_eq!(p["type"], "finding.resolved", "{p}");
    assert_eq!(p["data"]["artifact"]["id"], art.as_str());
    // Both replicas saw the change: still one event, one delivery.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(rx.got.lock().unwrap().len(), 1);
    for srv in [&a, &b] {
        let (_, e) = json_of(srv.addr, "GET", "/api/v1/events", b"");
        assert_eq!(e["events"].as_array().unwrap().len(), 1, "{e}");
        let (_, r) = json_of(srv.addr, "GET", "/readyz", b"");
        assert_eq!(r["pending_advisories"], 0, "{r}");
    }
}

/// The server's own registry credentials (its Docker config) go only to `--registry` hosts: the
/// same private registry fails with 401 when merely allowed, and pulls when configured.
#[test]
fn server_credentials_go_only_to_configured_registries() {
    use base64::Engine;
    if !registry_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let db = jquery_db(w);
    let layout = jquery_images(w, &[("v1", "3.3.9")]);
    let hp = htpasswd(w, "alice", "s3cret-pw");
    let reg = Registry::start(Some(&hp));
    let reference = format!("{}/private/app:v1", reg.addr);
    push(&layout, "v1", &reference, Some("alice:s3cret-pw"), &[]);
    let cfg = w.join("docker");
    std::fs::create_dir_all(&cfg).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw");
    std::fs::write(
        cfg.join("config.json"),
        json!({"auths": {reg.addr.clone(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let post = |addr: SocketAddr| {
        let (s, job) = json_of(
            addr,
            "POST",
            "/api/v1/images",
            json!({"ref": reference}).to_string().as_bytes(),
        );
        assert_eq!(s, 202, "{job}");
        job["id"].as_str().unwrap().to_string()
    };

    // Allowed to reach the private address, but not configured: anonymous, so 401.
    let srv = crate::server::start_with_env(
        w,
        &db,
        &["--allow-private-registries"],
        &[("DOCKER_CONFIG", &cfg)],
    );
    let id = post(srv.addr);
    let job = wait_for("the failed job", 60, || {
        let (_, j) = json_of(srv.addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
        (j["state"] == "failed").then_some(j)
    });
    let e = job["error"].as_str().unwrap();
    assert!(e.contains("registry requires credentials"), "{e}");
    assert!(!e.contains("s3cret"), "{e}");
    drop(srv);

    // Configured: its credentials are used (and the private address is fine without the flag).
    let srv = crate::server::start_with_env(
        w,
        &db,
        &["--registry", &reg.addr],
        &[("DOCKER_CONFIG", &cfg)],
    );
    let id = post(srv.addr);
    let job = job_done(srv.addr, &id, 60);
    let (_, art) = json_of(
        srv.addr,
        "GET",
        &format!("/api/v1/artifacts/{}", job["artifact"].as_str().unwrap()),
        b"",
    );
    assert_eq!(art["findings"], 1, "{art}");
}

/// Jobs run within the scan bound: with `--max-scans 1` and a pull that hangs, a second job
/// stays queued (and `/metrics` says so).
#[test]
fn image_jobs_wait_for_a_scan_slot() {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    // Nothing behind the proxy is ever reached: it takes connections and never answers.
    let px = proxy("127.0.0.1:9", true);
    let srv = start(
        dir.path(),
        &db,
        &["--allow-private-registries", "--max-scans", "1"],
    );
    let addr = srv.addr;
    let post = |r: &str| {
        let (s, job) = json_of(
            addr,
            "POST",
            "/api/v1/images",
            json!({"ref": format!("{}/{r}", px.addr)})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(s, 202, "{job}");
        job["id"].as_str().unwrap().to_string()
    };
    let first = post("a:1");
    let second = post("b:1");
    let state = |id: &str| {
        let (_, j) = json_of(addr, "GET", &format!("/api/v1/jobs/{id}"), b"");
        j["state"].as_str().unwrap().to_string()
    };
    wait_for("the first job to run", 20, || {
        (state(&first) == "running").then_some(())
    });
    for _ in 0..10 {
        assert_eq!(state(&second), "queued");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, m) = crate::server::http(addr, "GET", "/metrics", Some(crate::server::RO), b"");
    let m = String::from_utf8(m).unwrap();
    assert!(m.contains("sekisho_jobs_running 1\n"), "{m}");
    assert!(m.contains("sekisho_job_queue_depth 1\n"), "{m}");
}
