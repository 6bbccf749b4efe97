//! The server's dashboard end to end: the real `sekisho server` on loopback holding two
//! artifacts (the shared Trivy npm CycloneDX SBOM, and a copy with hostile names), findings from
//! advisories imported by `sekisho db import` from another process, finding events from a
//! withdrawal, a webhook whose deliveries go to the dead letter.
//!
//! - Raw HTTP: the login flow (redirects without a session, the exact cookie flags, a wrong
//!   token refused, CSRF and Origin checks), the security headers of every page, API calls with
//!   the cookie alone refused, redeliver and logout.
//! - Escaping: `<script>` and `"><img onerror=...>` planted in the artifact name, a package name
//!   and an advisory summary never reach a page as markup.
//! - Chromium (Debian's `chromium` driven by `chromium-driver` over WebDriver): signs in through
//!   the login form, checks the cookie the browser keeps, loads the artifact page and finds every
//!   finding ID of the API's JSON in the DOM, filters by severity, sees no request leave for
//!   another origin, and writes screenshots. Without chromium or chromedriver the test skips
//!   locally and fails under `CI=true`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::util::{have_tool, sekisho, shared_data};

const RW: &str = "rw-dash-0123456789abcdef";
const RO: &str = "ro-dash-0123456789abcdef";

const HOSTILE_ARTIFACT: &str = "<script>alert('art')</script>\"><img src=x onerror=alert('art')>";
const HOSTILE_PACKAGE: &str = "\"><img src=x onerror=alert('pkg')><script>alert('pkg')</script>";
const HOSTILE_SUMMARY: &str =
    "<script>alert('adv')</script>\"><img src=x onerror=alert('adv')> in react";

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, db: &Path) -> Server {
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("rw {RW}\nro {RO}\n")).unwrap();
    let mut child = sekisho()
        .args(["server", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.join("data"))
        .arg("--token-file")
        .arg(&tokens)
        .arg("--db")
        .arg(db)
        .args([
            "--db-poll-ms",
            "100",
            "--allow-private-webhooks",
            "--webhook-attempts",
            "1",
            "--webhook-timeout",
            "2",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sekisho server");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines.next().expect("server exited").unwrap();
        eprintln!("[server] {line}");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse::<SocketAddr>().unwrap();
        }
    };
    std::thread::spawn(move || {
        for l in lines.by_ref().map_while(Result::ok) {
            eprintln!("[server] {l}");
        }
    });
    Server { child, addr }
}

/// A response: status, headers (names lower-case, in order), body.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// The value `name=` of the first `Set-Cookie` that sets it.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.all("set-cookie")
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
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

/// One HTTP/1.1 request with `headers`; `body` sent as given.
fn req(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    s.write_all(r.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    // Read the head, then Content-Length bytes (chromedriver keeps the connection open), or
    // to the end.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let length = String::from_utf8_lossy(&raw[..split])
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match length {
        Some(n) => {
            while raw.len() < split + 4 + n {
                let got = s.read(&mut buf).unwrap();
                assert!(got > 0, "connection closed inside the body");
                raw.extend_from_slice(&buf[..got]);
            }
        }
        None => {
            s.read_to_end(&mut raw).unwrap();
        }
    }
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
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut b = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        b = dechunk(&b);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&b).to_string(),
    }
}

fn api(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let auth = format!("Bearer {RW}");
    let r = req(
        addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn import_file(db: &Path, dir: &Path, name: &str, text: &str) {
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

/// An npm advisory as an OSV record (made up for the test, except jQuery's, which is the
/// shared Trivy fixture's CVE-2019-11358).
fn advisory(id: &str, alias: Option<&str>, pkg: &str, fixed: Option<&str>, cvss: &str) -> Value {
    let mut events = vec![json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(json!({"fixed": f}));
    }
    let mut v = json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "summary": format!("test advisory for {pkg}"),
        "affected": [{
            "package": {"ecosystem": "npm", "name": pkg},
            "ranges": [{"type": "SEMVER", "events": events}]
        }],
        "severity": [{"type": "CVSS_V3", "score": cvss}],
    });
    if let Some(a) = alias {
        v["aliases"] = json!([a]);
    }
    v
}

/// The advisories: one per severity over the fixture's packages, one for the hostile package.
fn advisories() -> Vec<Value> {
    let mut react = advisory(
        "SEKISHO-TEST-0002",
        None,
        "react",
        Some("16.9.0"),
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
    );
    react["summary"] = json!(HOSTILE_SUMMARY);
    react["details"] = json!(HOSTILE_SUMMARY);
    vec![
        advisory(
            "GHSA-6c3j-c64m-qhgq",
            Some("CVE-2019-11358"),
            "jquery",
            Some("3.4.0"),
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:L",
        ),
        react,
        advisory(
            "SEKISHO-TEST-0003",
            None,
            "redux",
            None,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ),
        advisory(
            "SEKISHO-TEST-0004",
            None,
            "prop-types",
            Some("15.8.0"),
            "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
        ),
        advisory(
            "SEKISHO-TEST-0005",
            None,
            "object-assign",
            Some("4.1.2"),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        ),
        advisory(
            "SEKISHO-TEST-0006",
            None,
            HOSTILE_PACKAGE,
            Some("2.0.0"),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
        ),
    ]
}

fn write_advisories(db: &Path, dir: &Path, name: &str, advs: &[Value]) {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    for a in advs {
        let id = a["id"].as_str().unwrap();
        std::fs::write(d.join(format!("{id}.json")), a.to_string()).unwrap();
    }
    let out = sekisho()
        .args(["db", "import", "--db"])
        .arg(db)
        .arg(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A server with two artifacts, findings of several severities, new and resolved events, and a
/// webhook whose deliveries are dead letters.
struct Fixture {
    _dir: tempfile::TempDir,
    srv: Server,
    /// (id, name) of the plain and the hostile artifact.
    plain: (String, String),
    hostile: (String, String),
    hook: String,
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vulndb.sqlite");
    import_file(
        &db,
        dir.path(),
        "base.json",
        &std::fs::read_to_string(shared_data().join("osv-pypa-json/django/PYSEC-2007-1.json"))
            .unwrap(),
    );
    let srv = start(dir.path(), &db);
    let addr = srv.addr;
    let sbom_path =
        shared_data().join("fixtures-trivy/integration/testdata/npm-cyclonedx.json.golden");
    let sbom = std::fs::read_to_string(&sbom_path).unwrap();
    let (s, a) = api(addr, "POST", "/api/v1/sboms?name=shop-frontend", &sbom);
    assert_eq!(s, 201, "{a}");
    let plain = (
        a["id"].as_str().unwrap().to_string(),
        "shop-frontend".into(),
    );
    // The hostile copy: its name, its root component and one more package are markup.
    let mut bom: Value = serde_json::from_str(&sbom).unwrap();
    bom["metadata"]["component"]["name"] = json!(HOSTILE_ARTIFACT);
    bom["components"].as_array_mut().unwrap().push(json!({
        "bom-ref": "hostile",
        "type": "library",
        "name": HOSTILE_PACKAGE,
        "version": "1.0.0",
        "purl": format!("pkg:npm/{}@1.0.0", percent(HOSTILE_PACKAGE)),
    }));
    let (s, a) = api(
        addr,
        "POST",
        &format!("/api/v1/sboms?name={}", percent(HOSTILE_ARTIFACT)),
        &bom.to_string(),
    );
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["name"], HOSTILE_ARTIFACT);
    let hostile = (
        a["id"].as_str().unwrap().to_string(),
        HOSTILE_ARTIFACT.into(),
    );

    // A webhook nobody answers (a closed loopback port): one attempt, then the dead letter.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (s, h) = api(
        addr,
        "POST",
        "/api/v1/webhooks",
        &json!({"url": format!("http://127.0.0.1:{port}/hook")}).to_string(),
    );
    assert_eq!(s, 201, "{h}");
    let hook = h["id"].as_str().unwrap().to_string();

    // New advisories: findings appear (finding.new); then one is withdrawn (finding.resolved).
    let mut advs = advisories();
    write_advisories(&db, dir.path(), "rev1", &advs);
    let want = |id: &str, n: usize| {
        let path = format!("/api/v1/artifacts/{id}/findings");
        wait_for("the re-match", 30, || {
            let (_, r) = api(addr, "GET", &path, "");
            (r["targets"][0]["findings"].as_array().map_or(0, Vec::len) == n).then_some(())
        });
    };
    want(&plain.0, 5);
    want(&hostile.0, 6);
    let oa = advs
        .iter_mut()
        .find(|a| a["id"] == "SEKISHO-TEST-0005")
        .unwrap();
    oa["withdrawn"] = json!("2024-02-01T00:00:00Z");
    oa["modified"] = json!("2024-02-01T00:00:00Z");
    write_advisories(&db, dir.path(), "rev2", &advs);
    want(&plain.0, 4);
    want(&hostile.0, 5);
    // Every delivery (6 + 5 new, 2 resolved) ends dead.
    wait_for("dead letters", 60, || {
        let (_, d) = api(
            addr,
            "GET",
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            "",
        );
        let list = d["deliveries"].as_array()?;
        (list.len() == 13 && list.iter().all(|x| x["state"] == "dead")).then_some(())
    });
    Fixture {
        _dir: dir,
        srv,
        plain,
        hostile,
        hook,
    }
}

/// The login form's CSRF token and cookie.
fn login_form(addr: SocketAddr) -> (String, String) {
    let r = req(addr, "GET", "/login", &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.set_cookie("sekisho_login").expect("login cookie");
    let value = c
        .strip_prefix("sekisho_login=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let field = field_value(&r.body, "csrf");
    (field, value)
}

/// The `value` of the first hidden input named `name`.
fn field_value(html: &str, name: &str) -> String {
    let k = format!("name=\"{name}\" value=\"");
    let i = html.find(&k).unwrap_or_else(|| panic!("no {name} field")) + k.len();
    html[i..i + html[i..].find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// Sign in with `token`; the session cookie value.
fn login(addr: SocketAddr, token: &str) -> String {
    let (csrf, c) = login_form(addr);
    let cookie = format!("sekisho_login={c}");
    let origin = format!("http://{addr}");
    let r = req(
        addr,
        "POST",
        "/login",
        &[
            FORM,
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &form(&[("token", token), ("csrf", &csrf)]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/"));
    let c = r.set_cookie("sekisho_session").unwrap();
    c.strip_prefix("sekisho_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn get(addr: SocketAddr, path: &str, session: &str) -> Resp {
    let c = format!("sekisho_session={session}");
    req(addr, "GET", path, &[("Cookie", &c)], "")
}

fn check_page_headers(r: &Resp) {
    let csp = r.header("content-security-policy").expect("CSP header");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    for part in [
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
}

#[test]
fn dashboard_login_cookies_csrf_headers_and_forms() {
    let fx = fixture();
    let addr = fx.srv.addr;

    // Without a session every page redirects to the login form, with the headers.
    for p in [
        "/",
        "/changes",
        "/webhooks",
        "/db",
        &format!("/artifacts/{}", fx.plain.0),
    ] {
        let r = req(addr, "GET", p, &[], "");
        assert_eq!(r.status, 303, "{p}");
        assert_eq!(r.header("location"), Some("/login"), "{p}");
        check_page_headers(&r);
        let r = get(addr, p, "not-a-session");
        assert_eq!(r.status, 303, "{p}");
    }

    // The login form: its double-submit cookie, exactly.
    let r = req(addr, "GET", "/login", &[], "");
    assert_eq!(r.status, 200);
    check_page_headers(&r);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let c = r.set_cookie("sekisho_login").unwrap();
    let v = c
        .strip_prefix("sekisho_login=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(
        c,
        format!("sekisho_login={v}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=600")
    );
    assert_eq!(field_value(&r.body, "csrf"), v);

    let (csrf, lc) = login_form(addr);
    let cookie = format!("sekisho_login={lc}");
    let post = |headers: &[(&str, &str)], body: &str| req(addr, "POST", "/login", headers, body);
    // No CSRF field; a field but no cookie; a cookie from another form; cross-site; another
    // origin: 403, no session.
    for (h, b) in [
        (
            vec![FORM, ("Cookie", cookie.as_str())],
            form(&[("token", RW)]),
        ),
        (vec![FORM], form(&[("token", RW), ("csrf", &csrf)])),
        (
            vec![FORM, ("Cookie", cookie.as_str())],
            form(&[("token", RW), ("csrf", &login_form(addr).0)]),
        ),
        (
            vec![
                FORM,
                ("Cookie", cookie.as_str()),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            form(&[("token", RW), ("csrf", &csrf)]),
        ),
        (
            vec![
                FORM,
                ("Cookie", cookie.as_str()),
                ("Origin", "http://evil.example"),
            ],
            form(&[("token", RW), ("csrf", &csrf)]),
        ),
    ] {
        let r = post(&h, &b);
        assert_eq!(r.status, 403, "{h:?} {b}: {}", r.body);
        assert!(r.set_cookie("sekisho_session").is_none());
        check_page_headers(&r);
    }
    // A wrong token: 401, the form again, no session.
    let r = post(
        &[FORM, ("Cookie", &cookie)],
        &form(&[("token", "rw-dash-0123456789abcdeX"), ("csrf", &csrf)]),
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains("That token is not valid."));
    assert!(r.set_cookie("sekisho_session").is_none());

    // A read-only token: a session cookie with exactly these flags, never the token.
    let origin = format!("http://{addr}");
    let r = post(
        &[
            FORM,
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &form(&[("token", RO), ("csrf", &csrf)]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/"));
    let c = r.set_cookie("sekisho_session").unwrap();
    let ro = c
        .strip_prefix("sekisho_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        c,
        format!("sekisho_session={ro}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800")
    );
    assert_eq!(ro.len(), 43, "32 random bytes, base64url");
    assert!(!ro.contains("dash") && !c.contains(RO));
    // The login cookie is cleared.
    assert!(r.set_cookie("sekisho_login").unwrap().contains("Max-Age=0"));
    // Behind a TLS proxy the cookie is Secure.
    let (csrf2, lc2) = login_form(addr);
    let r = post(
        &[
            FORM,
            ("Cookie", &format!("sekisho_login={lc2}")),
            ("X-Forwarded-Proto", "https"),
        ],
        &form(&[("token", RO), ("csrf", &csrf2)]),
    );
    assert_eq!(r.status, 303);
    assert!(
        r.set_cookie("sekisho_session")
            .unwrap()
            .ends_with("; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800; Secure")
    );

    // Every page with the session, with the same headers.
    let mut policy = None;
    for p in [
        "/".to_string(),
        "/changes".into(),
        "/webhooks".into(),
        "/db".into(),
        format!("/artifacts/{}", fx.plain.0),
        format!("/artifacts/{}", fx.hostile.0),
    ] {
        let r = get(addr, &p, &ro);
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        check_page_headers(&r);
        let csp = r.header("content-security-policy").unwrap().to_string();
        assert_eq!(policy.get_or_insert(csp.clone()), &csp);
        assert!(r.body.contains("signed in, read-only"), "{p}");
    }
    // Logged in, /login goes home.
    let r = get(addr, "/login", &ro);
    assert_eq!((r.status, r.header("location")), (303, Some("/")));
    let r = get(addr, "/artifacts/art_nope", &ro);
    assert_eq!(r.status, 404);

    // The cookie never authorises the API.
    let c = format!("sekisho_session={ro}");
    for (m, p) in [
        ("GET", "/api/v1/artifacts"),
        ("POST", "/api/v1/rematch"),
        (
            "DELETE",
            &format!("/api/v1/artifacts/{}", fx.plain.0) as &str,
        ),
    ] {
        let r = req(addr, m, p, &[("Cookie", &c)], "");
        assert_eq!(r.status, 401, "{m} {p}");
    }

    // Redeliver: the dead letters are listed with a form for read-write sessions only.
    let (_, d) = api(
        addr,
        "GET",
        &format!("/api/v1/webhooks/{}/deliveries", fx.hook),
        "",
    );
    let dl = d["deliveries"][0]["id"].as_str().unwrap().to_string();
    let action = format!("/webhooks/{}/deliveries/{dl}/redeliver", fx.hook);
    let page = get(addr, "/webhooks", &ro).body;
    assert!(page.contains(&format!("data-id=\"{dl}\" data-state=\"dead\"")));
    assert!(!page.contains(&action), "a read-only session gets no form");
    let ro_csrf = field_value(&page, "csrf");
    let r = req(
        addr,
        "POST",
        &action,
        &[FORM, ("Cookie", &c)],
        &form(&[("csrf", &ro_csrf)]),
    );
    assert_eq!(r.status, 403, "read-only");

    let rw = login(addr, RW);
    let rwc = format!("sekisho_session={rw}");
    let page = get(addr, "/webhooks", &rw).body;
    assert!(page.contains("signed in, read-write"));
    assert!(page.contains(&format!("action=\"{action}\"")));
    let rw_csrf = field_value(&page, "csrf");
    assert_ne!(rw_csrf, ro_csrf, "CSRF tokens are per session");
    // Without the token, with another session's token, cross-site: 403, nothing changes.
    for (h, b) in [
        (vec![FORM, ("Cookie", rwc.as_str())], String::new()),
        (
            vec![FORM, ("Cookie", rwc.as_str())],
            form(&[("csrf", &ro_csrf)]),
        ),
        (
            vec![
                FORM,
                ("Cookie", rwc.as_str()),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            form(&[("csrf", &rw_csrf)]),
        ),
    ] {
        let r = req(addr, "POST", &action, &h, &b);
        assert_eq!(r.status, 403, "{h:?} {b}");
    }
    let attempts = |addr| {
        let (_, d) = api(
            addr,
            "GET",
            &format!("/api/v1/webhooks/{}/deliveries", fx.hook),
            "",
        );
        d["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == dl.as_str())
            .unwrap()["history"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(attempts(addr), 1);
    let r = req(
        addr,
        "POST",
        &action,
        &[
            FORM,
            ("Cookie", &rwc),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &form(&[("csrf", &rw_csrf)]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/webhooks"));
    check_page_headers(&r);
    // Sent again (and dead again: nobody listens).
    wait_for("the redelivery", 30, || (attempts(addr) == 2).then_some(()));

    // Delete an artifact: the form is on its page for read-write sessions only; the session's
    // token, read-write and the confirmation box are all needed.
    let del = format!("/artifacts/{}/delete", fx.plain.0);
    assert!(
        !get(addr, &format!("/artifacts/{}", fx.plain.0), &ro)
            .body
            .contains(&del)
    );
    assert!(
        get(addr, &format!("/artifacts/{}", fx.plain.0), &rw)
            .body
            .contains(&format!("action=\"{del}\""))
    );
    for (cookie, body, status) in [
        (rwc.as_str(), form(&[("confirm", "yes")]), 403),
        (
            rwc.as_str(),
            form(&[("csrf", &ro_csrf), ("confirm", "yes")]),
            403,
        ),
        (
            c.as_str(),
            form(&[("csrf", &ro_csrf), ("confirm", "yes")]),
            403,
        ),
        (rwc.as_str(), form(&[("csrf", &rw_csrf)]), 400),
    ] {
        let r = req(addr, "POST", &del, &[FORM, ("Cookie", cookie)], &body);
        assert_eq!(r.status, status, "{body}");
        assert_eq!(
            api(
                addr,
                "GET",
                &format!("/api/v1/artifacts/{}", fx.plain.0),
                ""
            )
            .0,
            200
        );
    }
    let r = req(
        addr,
        "POST",
        &del,
        &[FORM, ("Cookie", &rwc)],
        &form(&[("csrf", &rw_csrf), ("confirm", "yes")]),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/")));
    assert_eq!(
        api(
            addr,
            "GET",
            &format!("/api/v1/artifacts/{}", fx.plain.0),
            ""
        )
        .0,
        404
    );
    assert!(!get(addr, "/", &rw).body.contains(&fx.plain.0));

    // Logout: needs the token; clears the cookie; the session is gone.
    let r = req(addr, "POST", "/logout", &[FORM, ("Cookie", &rwc)], "");
    assert_eq!(r.status, 403);
    let r = req(
        addr,
        "POST",
        "/logout",
        &[FORM, ("Cookie", &rwc)],
        &form(&[("csrf", &rw_csrf)]),
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login"));
    assert_eq!(
        r.set_cookie("sekisho_session"),
        Some("sekisho_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
    );
    let r = get(addr, "/", &rw);
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    // The other session lives on.
    assert_eq!(get(addr, "/", &ro).status, 200);
}

/// No planted markup reaches a page as markup; the page's only script is the report's.
fn assert_inert(page: &str, what: &str) {
    for bad in ["<script>alert", "<img src=x", "onerror=alert('", "\"><img"] {
        assert!(!page.contains(bad), "{what}: {bad} in the page");
    }
    assert_eq!(page.matches("<script").count(), 1, "{what}");
    assert_eq!(page.matches("<img").count(), 0, "{what}");
}

#[test]
fn dashboard_pages_escape_hostile_names() {
    let fx = fixture();
    let addr = fx.srv.addr;
    let s = login(addr, RW);
    let esc_art = "&lt;script&gt;alert(&#39;art&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(&#39;art&#39;)&gt;";
    let esc_pkg = "&quot;&gt;&lt;img src=x onerror=alert(&#39;pkg&#39;)&gt;&lt;script&gt;alert(&#39;pkg&#39;)&lt;/script&gt;";
    let esc_adv = "&lt;script&gt;alert(&#39;adv&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(&#39;adv&#39;)&gt; in react";

    let home = get(addr, "/", &s).body;
    assert_inert(&home, "/");
    assert!(home.contains(esc_art), "{home}");
    assert!(home.contains(&format!("href=\"/artifacts/{}\"", fx.hostile.0)));
    assert!(home.contains(&fx.plain.1));
    // Counts by severity per artifact (plain: CRITICAL redux, HIGH react, MEDIUM jquery, LOW
    // prop-types).
    let row = &home[home.find(&format!("data-id=\"{}\"", fx.plain.0)).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    for (sev, n) in [
        ("CRITICAL", 1),
        ("HIGH", 1),
        ("MEDIUM", 1),
        ("LOW", 1),
        ("UNKNOWN", 0),
    ] {
        assert!(
            row.contains(&format!("data-sev=\"{sev}\">{n}</td>")),
            "{sev} {n}: {row}"
        );
    }

    let art = get(addr, &format!("/artifacts/{}", fx.hostile.0), &s).body;
    assert_inert(&art, "artifact");
    assert!(art.contains(esc_art));
    assert!(art.contains(esc_pkg), "package name");
    assert!(art.contains(esc_adv), "advisory summary");

    let changes = get(addr, "/changes", &s).body;
    assert_inert(&changes, "/changes");
    assert!(
        changes.contains(esc_art),
        "artifact name from the event payload"
    );
    // 11 new and 2 resolved today, in the table and the chart.
    let today = &changes[changes.find("<tr class=\"d\"").unwrap()..];
    let today = &today[..today.find("</tr>").unwrap()];
    assert!(
        today.contains("<td class=\"n\">11</td><td class=\"n\">2</td><td class=\"n\">9</td>"),
        "{today}"
    );
    assert!(changes.contains("<svg class=\"chart\""));
    assert!(changes.contains(" new: 11, "), "chart description");
    assert_eq!(changes.matches("<tr class=\"e\"").count(), 13);

    let hooks = get(addr, "/webhooks", &s).body;
    assert_inert(&hooks, "/webhooks");
    assert_eq!(
        hooks.matches("data-state=\"dead\"").count(),
        13 * 2,
        "dead letters and the webhook's table"
    );
    let db = get(addr, "/db", &s).body;
    assert_inert(&db, "/db");
    assert!(db.contains("<dt>Last import</dt><dd><time>"), "{db}");
    assert!(db.contains("<dt>Age</dt><dd>"));
    assert_eq!(
        db.matches("<tr><td class=\"mono\">").count(),
        3,
        "three imports: {db}"
    );
}

// ---- Chromium over WebDriver -----------------------------------------------------------------

/// A minimal WebDriver client (W3C protocol, JSON over HTTP/1.1) for `chromedriver`.
struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty()
            && let Ok(mut s) = TcpStream::connect(self.addr)
        {
            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = write!(
                s,
                "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.session, self.addr
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wd(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string).unwrap_or_default();
    let r = req(
        addr,
        method,
        path,
        &[("Content-Type", "application/json; charset=utf-8")],
        &body,
    );
    let v: Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", r.body));
    assert!(
        r.status == 200,
        "{method} {path} {body}: {} {}",
        r.status,
        v
    );
    v["value"].clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    fn start(profile: &Path, proxy: u16) -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_for("chromedriver", 30, || {
            TcpStream::connect(addr).ok().map(|_| ())
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--no-default-browser-check", "--disable-background-networking",
                    "--disable-component-update", "--disable-default-apps", "--disable-extensions",
                    "--disable-sync", "--disable-domain-reliability",
                    "--disable-client-side-phishing-detection", "--metrics-recording-only",
                    "--no-pings", "--mute-audio", "--hide-scrollbars", "--disable-breakpad",
                    "--disable-field-trial-config", "--disable-search-engine-choice-screen",
                    "--no-service-autorun", "--password-store=basic",
                    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,PrivacySandboxSettings4",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--proxy-server=http://127.0.0.1:{proxy}"),
                ]
            }
        }}});
        let mut d = Driver {
            child,
            addr,
            session: String::new(),
        };
        let v = wd(addr, "POST", "/session", Some(&caps));
        d.session = v["sessionId"].as_str().unwrap().to_string();
        d
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        wd(
            self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_string()
    }

    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
    }

    fn dom(&self) -> String {
        self.script("return document.documentElement.outerHTML")
            .as_str()
            .unwrap()
            .to_string()
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn screenshot(&self, to: &Path) {
        let b64 = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(to, png).unwrap();
    }
}

/// A loopback listener that answers every request with `answer` and records request lines.
struct Listener {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn listen(answer: &'static [u8]) -> Listener {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(line.trim().to_string());
                let _ = s.write_all(answer);
            });
        }
    });
    Listener { port, seen }
}

/// Whether a proxied request line is for one of Chromium's own Google services (the browser's,
/// not the page's; see html.rs).
fn browser_service(line: &str) -> bool {
    let target = line.split(' ').nth(1).unwrap_or("");
    let host = target
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    ["google.com", "googleapis.com", "gstatic.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The finding rows of a DOM: (data-id, data-sev, hidden).
fn rows(html: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<tr class=\"f\"") {
        let end = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i..end];
        let attr = |name: &str| {
            let k = format!(" {name}=\"");
            tag.find(&k).map(|a| {
                let v = &tag[a + k.len()..];
                unescape(&v[..v.find('"').unwrap()])
            })
        };
        out.push((
            attr("data-id").unwrap(),
            attr("data-sev").unwrap(),
            tag.contains(" hidden"),
        ));
        rest = &rest[end..];
    }
    out
}

fn json_ids(addr: SocketAddr, id: &str) -> BTreeSet<String> {
    let (_, r) = api(addr, "GET", &format!("/api/v1/artifacts/{id}/findings"), "");
    r["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn dashboard_in_chromium_signs_in_shows_every_finding_filters_and_stays_local() {
    if !have_tool("chromium") || !have_tool("chromedriver") {
        return;
    }
    let fx = fixture();
    let addr = fx.srv.addr;
    let base = format!("http://{addr}");
    let proxy =
        listen(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let control = listen(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<!DOCTYPE html><title>control</title><img src=\"http://other.example.invalid/pixel.png\">");
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let d = Driver::start(profile.path(), proxy.port);

    // The control page's image does reach the proxy: the check below can fail.
    d.go(&format!("http://127.0.0.1:{}/control.html", control.port));
    wait_for("the control request", 20, || {
        proxy
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("example.invalid"))
            .then_some(())
    });
    proxy.seen.lock().unwrap().clear();

    // Without a session the dashboard sends the browser to the login form; sign in there.
    d.go(&format!("{base}/"));
    assert_eq!(d.url(), format!("{base}/login"));
    let token = d.element("#token");
    d.call(
        "POST",
        &format!("/element/{token}/value"),
        Some(json!({"text": RO})),
    );
    let button = d.element("form.login button[type=submit]");
    d.call("POST", &format!("/element/{button}/click"), Some(json!({})));
    let deadline = Instant::now() + Duration::from_secs(20);
    while d.url() != format!("{base}/") {
        assert!(
            Instant::now() < deadline,
            "not signed in: {} {}",
            d.url(),
            d.dom()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The browser keeps the session cookie with the server's flags, and scripts cannot read it.
    let cookies = d.call("GET", "/cookie", None);
    let sc = cookies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sekisho_session")
        .unwrap_or_else(|| panic!("no session cookie: {cookies}"))
        .clone();
    assert_eq!(sc["httpOnly"], true, "{sc}");
    assert_eq!(sc["sameSite"], "Strict", "{sc}");
    assert_eq!(sc["path"], "/", "{sc}");
    assert_eq!(d.script("return document.cookie"), json!(""));

    let home = d.dom();
    assert!(home.contains(&format!("data-id=\"{}\"", fx.plain.0)));
    assert!(home.contains(&format!("data-id=\"{}\"", fx.hostile.0)));
    assert!(home.contains("signed in, read-only"));
    let shot = out.path().join("dashboard.png");
    d.screenshot(&shot);

    // One artifact: every finding ID of the JSON is a row of the DOM after the script ran.
    for (id, _) in [&fx.plain, &fx.hostile] {
        d.go(&format!("{base}/artifacts/{id}"));
        let dom = d.dom();
        assert!(
            dom.contains("data-ready=\"1\""),
            "the script did not run (CSP?)"
        );
        let all = rows(&dom);
        let got: BTreeSet<String> = all.iter().map(|r| r.0.clone()).collect();
        assert_eq!(
            got,
            json_ids(addr, id),
            "finding IDs of the DOM and the JSON"
        );
        assert!(all.iter().all(|r| !r.2), "a row is hidden without a filter");
        // The planted markup stayed text: no element came of it.
        assert_eq!(
            d.script("return document.querySelectorAll('img').length"),
            json!(0)
        );
        assert_eq!(
            d.script("return document.querySelectorAll('script').length"),
            json!(1)
        );
    }
    // Filtering by severity (the report's own script, state in the fragment) hides the rest.
    d.go(&format!("{base}/artifacts/{}#severity=HIGH", fx.plain.0));
    wait_for("the filtered page", 20, || {
        d.dom().contains("data-ready=\"1\"").then_some(())
    });
    let dom = d.dom();
    let filtered = rows(&dom);
    let high = filtered.iter().filter(|r| r.1 == "HIGH").count();
    assert!(high > 0 && high < filtered.len(), "{filtered:?}");
    for (fid, sev, hidden) in &filtered {
        assert_eq!(*hidden, sev != "HIGH", "{fid} {sev} hidden={hidden}");
    }
    assert!(dom.contains(&format!("Showing {high} of {} findings.", filtered.len())));
    let shot2 = out.path().join("dashboard-artifact.png");
    d.screenshot(&shot2);

    // The other pages load too.
    let mut shots = vec![shot, shot2];
    for p in ["/changes", "/webhooks", "/db"] {
        d.go(&format!("{base}{p}"));
        assert!(d.dom().contains("signed in, read-only"), "{p}");
        // Nothing was fetched by any page: no subresource at all, same origin or not.
        assert_eq!(
            d.script("return performance.getEntriesByType('resource').length"),
            json!(0),
            "{p}"
        );
        let png = out.path().join(format!("dashboard-{}.png", &p[1..]));
        d.screenshot(&png);
        shots.push(png);
    }

    // No request left for another origin (beyond the browser's own services).
    let seen: Vec<String> = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| !browser_service(l))
        .cloned()
        .collect();
    assert!(seen.is_empty(), "requests for other origins: {seen:?}");

    for p in &shots {
        let b = std::fs::read(p).unwrap();
        assert!(
            b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() > 10_000,
            "{}",
            p.display()
        );
        if let Some(dir) = std::env::var_os("SEKISHO_SCREENSHOT_DIR") {
            std::fs::copy(p, PathBuf::from(dir).join(p.file_name().unwrap())).unwrap();
        }
    }
}
