//! `sekisho server` end to end: the real binary on loopback, a tiny webhook receiver in the
//! test (std only), advisories imported by `sekisho db import` from another process.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::util::{sekisho, shared_data};

pub(crate) const RW: &str = "rw-token-0123456789abcdef";
pub(crate) const RO: &str = "ro-token-0123456789abcdef";

/// A running server; killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(dir: &Path, db: &Path, extra: &[&str]) -> Server {
    start_with_env(dir, db, extra, &[])
}

/// [`start`] with extra environment variables for the server process.
pub(crate) fn start_with_env(
    dir: &Path,
    db: &Path,
    extra: &[&str],
    env: &[(&str, &Path)],
) -> Server {
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("# test tokens\nrw {RW}\nro {RO}\n")).unwrap();
    let mut child = sekisho()
        .args(["server", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.join("data"))
        .arg("--token-file")
        .arg(&tokens)
        .arg("--db")
        .arg(db)
        .args(["--db-poll-ms", "100"])
        .args(extra)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sekisho server");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        eprintln!("[server] {line}");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse::<SocketAddr>().unwrap();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    // (shown by `--nocapture` and on failure).
    std::thread::spawn(move || {
        for l in lines.by_ref().map_while(Result::ok) {
            eprintln!("[server] {l}");
        }
    });
    Server { child, addr }
}

/// Where a test server keeps its state: the embedded SQLite store under `--data`, or a new
/// PostgreSQL database (`--database`) in the cluster `.ci/run` starts.
pub(crate) enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// A new PostgreSQL database (`None` after a recorded skip when there is no cluster).
    pub(crate) fn postgres(tag: &str) -> Option<Self> {
        sekisho_testutil::postgres_database(tag).map(Self::Postgres)
    }

    /// `extra` with the store's flags. On PostgreSQL the advisories of a killed server's batch
    /// are leased for 2 s (the default is minutes), so a restart takes them over quickly.
    pub(crate) fn flags<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = extra.to_vec();
        if let Self::Postgres(url) = self {
            v.extend(["--database", url.as_str(), "--rematch-lease", "2"]);
        }
        v
    }
}

/// One HTTP/1.1 request (Connection: close); returns status and body.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
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
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

pub(crate) fn json_of(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let (s, b) = http(addr, method, path, Some(RW), body);
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// A webhook receiver on loopback answering `status` (changeable).
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    pub(crate) got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

pub(crate) fn receiver(status: u16) -> Receiver {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let st = Arc::new(AtomicU16::new(status));
    let (g, s) = (got.clone(), st.clone());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut headers = BTreeMap::new();
            let mut line = String::new();
            r.read_line(&mut line).unwrap_or(0);
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let n: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; n];
            let _ = r.read_exact(&mut body);
            g.lock().unwrap().push(Received { headers, body });
            let code = s.load(Ordering::SeqCst);
            if code == 0 {
                // Status 0: take the request and never answer (held open on its own thread so
                // later connections are still accepted).
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(120));
                    drop(c);
                });
                continue;
            }
            let _ = write!(
                c,
                "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Receiver {
        addr,
        got,
        status: st,
    }
}

/// HMAC-SHA256 written out here (RFC 2104), independent of the server's implementation.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Check a delivery as a Standard Webhooks receiver does; returns the payload.
pub(crate) fn verified(r: &Received, secret: &str) -> Value {
    let id = &r.headers["webhook-id"];
    let ts = &r.headers["webhook-timestamp"];
    let sig = &r.headers["webhook-signature"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (ts.parse::<i64>().unwrap() - now).abs() < 300,
        "timestamp {ts}"
    );
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(&r.body);
    let want = format!("v1,{}", B64.encode(hmac_sha256(&key, &msg)));
    assert!(
        sig.split(' ').any(|s| s == want),
        "signature {sig} != {want}"
    );
    serde_json::from_slice(&r.body).unwrap()
}

pub(crate) fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sbom_fixture() -> PathBuf {
    shared_data().join("fixtures-trivy/integration/testdata/npm-cyclonedx.json.golden")
}

/// The jQuery advisory of the shared Trivy fixture DB (CVE-2019-11358, GHSA-6c3j-c64m-qhgq,
/// fixed in 3.4.0), as an OSV record; `withdrawn` marks it withdrawn.
pub(crate) fn jquery_advisory(id: &str, modified: &str, withdrawn: bool) -> String {
    let mut v = json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": modified,
        "published": "2019-04-26T16:29:11Z",
        "aliases": ["CVE-2019-11358"],
        "summary": "Prototype Pollution in jquery",
        "affected": [{
            "package": {"ecosystem": "npm", "name": "jquery"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "3.4.0"}]}]
        }],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:L"}],
        "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2019-11358"}]
    });
    if withdrawn {
        v["withdrawn"] = json!(modified);
    }
    v.to_string()
}

pub(crate) fn import_file(db: &Path, dir: &Path, name: &str, text: &str) {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(db)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A DB with one unrelated advisory from the shared data (so the file exists).
pub(crate) fn base_db(dir: &Path) -> PathBuf {
    let db = dir.join("vulndb.sqlite");
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(shared_data().join("osv-pypa-json/django/PYSEC-2007-1.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn upload(addr: SocketAddr, name: &str, bytes: &[u8]) -> Value {
    let (s, v) = json_of(addr, "POST", &format!("/api/v1/sboms?name={name}"), bytes);
    assert_eq!(s, 201, "{v}");
    v
}

fn vuln_ids(report: &Value) -> Vec<String> {
    report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn server_notifies_new_and_resolved_findings_with_signed_webhooks() {
    server_notifies_new_and_resolved_findings_with_signed_webhooks_on(&Backend::Sqlite);
}

#[test]
fn server_notifies_new_and_resolved_findings_with_signed_webhooks_on_postgres() {
    if let Some(b) = Backend::postgres("server_notifies_new_") {
        server_notifies_new_and_resolved_findings_with_signed_webhooks_on(&b);
    }
}

fn server_notifies_new_and_resolved_findings_with_signed_webhooks_on(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    let srv = start(
        dir.path(),
        &db,
        &backend.flags(&["--allow-private-webhooks"]),
    );
    let addr = srv.addr;

    let sbom = std::fs::read(sbom_fixture()).unwrap();
    let art = upload(addr, "npm-app", &sbom);
    let id = art["id"].as_str().unwrap().to_string();
    assert_eq!(art["components"], 12, "{art}");
    assert_eq!(art["findings"], 0);
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&sbom)));
    assert_eq!(art["digest"], digest.as_str());

    let rx = receiver(200);
    let (s, hook) = json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        json!({"url": format!("http://{}/hook", rx.addr), "events": ["finding.new", "finding.resolved"]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let hook_id = hook["id"].as_str().unwrap().to_string();

    // A new advisory from another process.
    let t0 = Instant::now();
    import_file(
        &db,
        dir.path(),
        "a1.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-01-01T00:00:00Z", false),
    );
    let imported = t0.elapsed();
    let first = wait_for("finding.new", 20, || {
        rx.got.lock().unwrap().first().cloned()
    });
    let latency = t0.elapsed() - imported;
    assert!(
        latency < Duration::from_secs(5),
        "notified {latency:?} after the import"
    );
    let p = verified(&first, &secret);
    assert_eq!(p["type"], "finding.new", "{p}");
    assert_eq!(p["data"]["artifact"]["id"], id.as_str());
    assert_eq!(p["data"]["artifact"]["name"], "npm-app");
    assert_eq!(p["data"]["artifact"]["digest"], digest.as_str());
    let f = &p["data"]["findings"][0];
    assert_eq!(f["kind"], "vulnerability", "{f}");
    assert_eq!(f["id"], "CVE-2019-11358");
    assert_eq!(f["advisories"], json!(["GHSA-6c3j-c64m-qhgq"]));
    assert_eq!(f["matched_name"], "jquery");
    assert_eq!(f["fixed_version"], "3.4.0");

    // The stored findings in the scan schema.
    let (s, report) = json_of(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{id}/findings"),
        b"",
    );
    assert_eq!(s, 200);
    assert_eq!(report["kind"], "scan");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(vuln_ids(&report), vec!["CVE-2019-11358"]);
    let pkg_idx = report["targets"][0]["findings"][0]["package"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(report["targets"][0]["packages"][pkg_idx]["name"], "jquery");
    assert_eq!(report["targets"][0]["coverage"][0]["ecosystem"], "npm");
    // Asked again, the report kept from the first request is sent with this request's time.
    let (s, again) = json_of(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{id}/findings"),
        b"",
    );
    assert_eq!(s, 200);
    let created = again["created"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.starts_with("20") && created.ends_with('Z'),
        "{created}"
    );
    let strip = |mut v: Value| {
        v["created"] = Value::Null;
        v
    };
    assert_eq!(strip(again), strip(report.clone()));
    // Both were served from a report built once (ahead of the first request, or by it).
    let (_, m) = http(addr, "GET", "/metrics", Some(RO), b"");
    let m = String::from_utf8(m).unwrap();
    let metric = |name: &str| -> u64 {
        m.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {m}"))
    };
    let kept = metric("sekisho_findings_reports_kept_total");
    let built = metric("sekisho_findings_reports_built_total");
    let ahead = metric("sekisho_findings_reports_built_ahead_total");
    assert!(kept >= 1 && kept + built == 2 && built + ahead >= 1, "{m}");
    assert!(metric("sekisho_findings_report_files") >= 1, "{m}");

    // Withdrawn: resolved.
    import_file(
        &db,
        dir.path(),
        "a2.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-02-01T00:00:00Z", true),
    );
    let second = wait_for("finding.resolved", 20, || {
        rx.got.lock().unwrap().get(1).cloned()
    });
    let p = verified(&second, &secret);
    assert_eq!(p["type"], "finding.resolved", "{p}");
    assert_eq!(p["data"]["findings"][0]["id"], "CVE-2019-11358");
    assert_ne!(first.headers["webhook-id"], second.headers["webhook-id"]);
    let (_, report) = json_of(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{id}/findings"),
        b"",
    );
    assert!(
        vuln_ids(&report).is_empty(),
        "the kept report is not sent: {report}"
    );

    // Deliveries are listed; a redelivery keeps the webhook-id.
    let (s, d) = json_of(
        addr,
        "GET",
        &format!("/api/v1/webhooks/{hook_id}/deliveries"),
        b"",
    );
    assert_eq!(s, 200);
    let list = d["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{d}");
    assert!(
        list.iter()
            .all(|x| x["state"] == "delivered" && x["attempts"] == 1),
        "{d}"
    );
    let did = list[0]["id"].as_str().unwrap();
    let (s, _) = json_of(
        addr,
        "POST",
        &format!("/api/v1/webhooks/{hook_id}/deliveries/{did}/redeliver"),
        b"",
    );
    assert_eq!(s, 202);
    let third = wait_for("redelivery", 20, || rx.got.lock().unwrap().get(2).cloned());
    assert_eq!(third.headers["webhook-id"], first.headers["webhook-id"]);
    verified(&third, &secret);
    // Nothing else was sent: one event per change.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rx.got.lock().unwrap().len(), 3);

    // Delete.
    let (s, _) = http(
        addr,
        "DELETE",
        &format!("/api/v1/artifacts/{id}"),
        Some(RW),
        b"",
    );
    assert_eq!(s, 204);
    let (s, _) = http(
        addr,
        "GET",
        &format!("/api/v1/artifacts/{id}"),
        Some(RW),
        b"",
    );
    assert_eq!(s, 404);
}

#[test]
fn server_refuses_without_tokens_and_rejects_hostile_sboms_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    let srv = start(dir.path(), &db, &["--body-limit-mib", "1"]);
    let addr = srv.addr;
    // Health needs no token; everything else does.
    assert_eq!(http(addr, "GET", "/healthz", None, b"").0, 200);
    let (s, b) = http(addr, "GET", "/readyz", None, b"");
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    assert_eq!(http(addr, "GET", "/api/v1/artifacts", None, b"").0, 401);
    let (s, b) = http(
        addr,
        "GET",
        "/api/v1/artifacts",
        Some("wrong-token-0123456789"),
        b"",
    );
    assert_eq!(s, 401);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["error"]["status"], 401);
    assert_eq!(http(addr, "GET", "/api/v1/artifacts", Some(RO), b"").0, 200);
    let sbom = std::fs::read(sbom_fixture()).unwrap();
    assert_eq!(http(addr, "POST", "/api/v1/sboms", Some(RO), &sbom).0, 403);

    // Hostile bodies: a clear 400 each, nothing stored.
    for (body, why) in [
        (
            &b"{\"bomFormat\": \"CycloneDX\", \"components\": 7"[..],
            "not JSON",
        ),
        (&b"{\"hello\": 1}"[..], "neither CycloneDX"),
        (&b"\xff\xfe\x00garbage"[..], "not JSON"),
    ] {
        let (s, b) = http(addr, "POST", "/api/v1/sboms", Some(RW), body);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(s, 400, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(why), "{v}");
    }
    let big = vec![b' '; 2 << 20];
    assert_eq!(http(addr, "POST", "/api/v1/sboms", Some(RW), &big).0, 413);
    let (_, v) = json_of(addr, "GET", "/api/v1/artifacts", b"");
    assert_eq!(v["artifacts"], json!([]), "{v}");

    // Loopback webhooks are refused without --allow-private-webhooks.
    let (s, v) = json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        br#"{"url": "http://127.0.0.1:9/x"}"#,
    );
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("refused"),
        "{v}"
    );
    let (s, _) = json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        br#"{"url": "http://169.254.169.254/latest"}"#,
    );
    assert_eq!(s, 400);

    // Every route of the OpenAPI document exists (and nothing the router has is missing from it).
    let (s, b) = http(addr, "GET", "/api/v1/openapi.json", Some(RO), b"");
    assert_eq!(s, 200);
    let spec: Value = serde_json::from_slice(&b).unwrap();
    let checked_in: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::util::workspace().join("crates/sekisho-server/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(spec, checked_in);
    let mut n = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_ascii_uppercase();
            let p = path.replace("{id}", "nope").replace("{delivery}", "nope");
            let (s, b) = http(addr, &m, &p, Some(RW), b"{}");
            let text = String::from_utf8_lossy(&b);
            assert!(
                s != 405 && !text.contains("no such route"),
                "{m} {path}: {s} {text}"
            );
            n += 1;
        }
    }
    assert!(n >= 16, "{n} operations");
    // An unknown route is a JSON 404.
    let (s, b) = http(addr, "GET", "/api/v1/nothing", Some(RW), b"");
    assert_eq!(s, 404);
    assert!(String::from_utf8_lossy(&b).contains("no such route"));
    // Metrics in Prometheus text.
    let (s, b) = http(addr, "GET", "/metrics", Some(RO), b"");
    assert_eq!(s, 200);
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("# TYPE sekisho_rematch_queue_depth gauge"),
        "{text}"
    );
    // Three hostile bodies and the `{}` the route check posted.
    assert!(text.contains("sekisho_scan_failures_total 4"), "{text}");

    // SIGTERM: a graceful stop, exit 0.
    let mut srv = srv;
    let st = std::process::Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let code = wait_for("graceful exit", 10, || srv.child.try_wait().unwrap());
    assert!(code.success(), "{code:?}");
}

#[test]
fn failing_receiver_gets_retries_then_a_dead_letter() {
    failing_receiver_gets_retries_then_a_dead_letter_on(&Backend::Sqlite);
}

#[test]
fn failing_receiver_gets_retries_then_a_dead_letter_on_postgres() {
    if let Some(b) = Backend::postgres("failing_receiver_get") {
        failing_receiver_gets_retries_then_a_dead_letter_on(&b);
    }
}

fn failing_receiver_gets_retries_then_a_dead_letter_on(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    let srv = start(
        dir.path(),
        &db,
        &backend.flags(&[
            "--allow-private-webhooks",
            "--webhook-backoff-ms",
            "100",
            "--webhook-attempts",
            "3",
        ]),
    );
    let addr = srv.addr;
    upload(addr, "app", &std::fs::read(sbom_fixture()).unwrap());
    let rx = receiver(500);
    let (_, hook) = json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        json!({"url": format!("http://{}/", rx.addr)})
            .to_string()
            .as_bytes(),
    );
    let hook_id = hook["id"].as_str().unwrap().to_string();
    import_file(
        &db,
        dir.path(),
        "a.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-01-01T00:00:00Z", false),
    );
    let d = wait_for("dead letter", 30, || {
        let (_, d) = json_of(
            addr,
            "GET",
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            b"",
        );
        (d["deliveries"][0]["state"] == "dead").then_some(d)
    });
    let del = &d["deliveries"][0];
    assert_eq!(del["attempts"], 3, "{d}");
    let hist = del["history"].as_array().unwrap();
    assert_eq!(hist.len(), 3);
    assert!(hist.iter().all(|h| h["status"] == 500), "{d}");
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let ids: BTreeSet<&String> = got.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert_eq!(ids.len(), 1, "stable webhook-id across retries");
    let (_, m) = http(addr, "GET", "/metrics", Some(RO), b"");
    assert!(String::from_utf8_lossy(&m).contains("sekisho_dead_letters 1"));
    // The receiver recovers; a redelivery gets through.
    rx.status.store(204, Ordering::SeqCst);
    let did = del["id"].as_str().unwrap();
    let (s, _) = json_of(
        addr,
        "POST",
        &format!("/api/v1/webhooks/{hook_id}/deliveries/{did}/redeliver"),
        b"",
    );
    assert_eq!(s, 202);
    wait_for("redelivered", 20, || {
        let (_, d) = json_of(
            addr,
            "GET",
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            b"",
        );
        (d["deliveries"][0]["state"] == "delivered").then_some(())
    });
}

/// Many artifacts × many advisories, one advisory per transaction: kill -9 while the queue is
/// being worked, restart, and every (artifact, advisory) gets exactly one `finding.new`.
#[test]
fn kill_during_rematch_loses_nothing_and_duplicates_nothing() {
    kill_during_rematch_loses_nothing_and_duplicates_nothing_on(&Backend::Sqlite);
}

#[test]
fn kill_during_rematch_loses_nothing_and_duplicates_nothing_on_postgres() {
    if let Some(b) = Backend::postgres("kill_during_rematch_") {
        kill_during_rematch_loses_nothing_and_duplicates_nothing_on(&b);
    }
}

fn kill_during_rematch_loses_nothing_and_duplicates_nothing_on(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    let extra = backend.flags(&["--allow-private-webhooks", "--rematch-batch", "1"]);
    let srv = start(dir.path(), &db, &extra);
    let addr = srv.addr;
    let sbom = std::fs::read(sbom_fixture()).unwrap();
    let t0 = Instant::now();
    let artifacts = 40;
    for i in 0..artifacts {
        upload(addr, &format!("app-{i}"), &sbom);
    }
    let rx = receiver(200);
    json_of(
        addr,
        "POST",
        "/api/v1/webhooks",
        json!({"url": format!("http://{}/", rx.addr)})
            .to_string()
            .as_bytes(),
    );
    // Three advisories for each of the SBOM's twelve packages, in one import: each batch
    // re-matches the components of one package.
    let names = [
        "asap",
        "jquery",
        "js-tokens",
        "loose-envify",
        "object-assign",
        "promise",
        "prop-types",
        "react-is",
        "react",
        "redux",
        "scheduler",
        "symbol-observable",
    ];
    let adir = dir.path().join("advs");
    std::fs::create_dir_all(&adir).unwrap();
    let mut advisories = 0;
    for (n, name) in names.iter().enumerate() {
        for k in 0..3 {
            let mut v: Value = serde_json::from_str(&jquery_advisory(
                &format!("GHSA-test-{n:02}-{k}"),
                "2024-01-01T00:00:00Z",
                false,
            ))
            .unwrap();
            v["aliases"] = json!([format!("CVE-2099-{:04}", 1000 + n * 10 + k)]);
            v["affected"][0]["package"]["name"] = json!(name);
            v["affected"][0]["ranges"][0]["events"][1]["fixed"] = json!("999.0.0");
            std::fs::write(adir.join(format!("{n}-{k}.json")), v.to_string()).unwrap();
            advisories += 1;
        }
    }
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(&adir)
        .output()
        .unwrap();
    assert!(out.status.success());
    // Kill as soon as the first events exist while advisories are still queued.
    eprintln!("imported at {:?}", t0.elapsed());
    let mut srv = srv;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, e) = json_of(addr, "GET", "/api/v1/events?limit=1", b"");
        if !e["events"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "no re-match");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (_, r) = json_of(addr, "GET", "/readyz", b"");
    let left = r["pending_advisories"].as_u64().unwrap();
    assert!(left > 0, "the re-match finished before the kill: {r}");
    eprintln!("kill at {:?} with {left} advisories queued", t0.elapsed());
    srv.child.kill().unwrap(); // SIGKILL
    srv.child.wait().unwrap();
    drop(srv);
    let srv = start(dir.path(), &db, &extra);
    let addr = srv.addr;
    let expected = artifacts * advisories;
    let events = wait_for("every event", 60, || {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let (_, e) = json_of(
                addr,
                "GET",
                &format!("/api/v1/events?after={after}&limit=1000"),
                b"",
            );
            let page = e["events"].as_array().unwrap().clone();
            if page.is_empty() {
                break;
            }
            after = page.last().unwrap()["seq"].as_i64().unwrap();
            all.extend(page);
        }
        let (_, r) = json_of(addr, "GET", "/readyz", b"");
        (r["pending_advisories"] == 0 && all.len() >= expected).then_some(all)
    });
    eprintln!("all events at {:?}", t0.elapsed());
    let mut seen = BTreeSet::new();
    for e in &events {
        assert_eq!(e["type"], "finding.new");
        let key = (
            e["artifact"].as_str().unwrap().to_string(),
            e["vuln_id"].as_str().unwrap().to_string(),
        );
        assert!(seen.insert(key.clone()), "duplicate event for {key:?}");
    }
    assert_eq!(seen.len(), expected);
    // Every artifact has every finding.
    let (_, list) = json_of(addr, "GET", "/api/v1/artifacts?limit=1000", b"");
    for a in list["artifacts"].as_array().unwrap() {
        assert_eq!(a["findings"], advisories as u64, "{a}");
    }
    // Deliveries are at least once: every event reached the receiver. (A request cut off by
    // the kill may have arrived without its headers: it counts for nothing.)
    wait_for("every delivery", 60, || {
        let ids: BTreeSet<String> = rx
            .got
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| r.headers.get("webhook-id").cloned())
            .collect();
        (ids.len() >= expected).then_some(())
    });
}

/// kill -9 while a delivery is on the wire (the receiver has the request and has not answered):
/// after a restart the same delivery is sent again, with the same webhook-id and a valid
/// signature, and recorded once as delivered. At least once, never lost.
#[test]
fn kill_mid_delivery_redelivers_after_restart() {
    kill_mid_delivery_redelivers_after_restart_on(&Backend::Sqlite);
}

#[test]
fn kill_mid_delivery_redelivers_after_restart_on_postgres() {
    if let Some(b) = Backend::postgres("kill_mid_delivery_re") {
        kill_mid_delivery_redelivers_after_restart_on(&b);
    }
}

fn kill_mid_delivery_redelivers_after_restart_on(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = base_db(dir.path());
    // A 1 s answer time: the delivery in flight is leased for 8 s.
    let extra = backend.flags(&[
        "--allow-private-webhooks",
        "--webhook-backoff-ms",
        "100",
        "--webhook-timeout",
        "1",
    ]);
    let srv = start(dir.path(), &db, &extra);
    let addr = srv.addr;
    upload(addr, "app", &std::fs::read(sbom_fixture()).unwrap());
    let rx = receiver(0);
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
    let hook_id = hook["id"].as_str().unwrap().to_string();
    import_file(
        &db,
        dir.path(),
        "a.json",
        &jquery_advisory("GHSA-6c3j-c64m-qhgq", "2024-01-01T00:00:00Z", false),
    );
    let first = wait_for("the delivery on the wire", 20, || {
        rx.got.lock().unwrap().first().cloned()
    });
    let p = verified(&first, &secret);
    assert_eq!(p["type"], "finding.new", "{p}");
    let mut srv = srv;
    srv.child.kill().unwrap(); // SIGKILL, the receiver still holding the request
    srv.child.wait().unwrap();
    drop(srv);
    let killed = Instant::now();

    rx.status.store(200, Ordering::SeqCst);
    let srv = start(dir.path(), &db, &extra);
    let addr = srv.addr;
    let again = wait_for("the redelivery after the restart", 60, || {
        rx.got.lock().unwrap().get(1).cloned()
    });
    eprintln!("redelivered {:?} after the kill", killed.elapsed());
    assert_eq!(
        again.headers["webhook-id"], first.headers["webhook-id"],
        "a redelivery keeps its webhook-id, so receivers can drop the duplicate"
    );
    assert_eq!(verified(&again, &secret), p, "the same payload");
    let d = wait_for("delivered", 30, || {
        let (_, d) = json_of(
            addr,
            "GET",
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            b"",
        );
        (d["deliveries"][0]["state"] == "delivered").then_some(d)
    });
    let list = d["deliveries"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "one delivery, not a second one for the same event: {d}"
    );
    // Nothing more is sent once it is delivered.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(rx.got.lock().unwrap().len(), 2);
}
