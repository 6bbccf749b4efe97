//! `--format html`: the report of a Debian 12 root (the real dpkg status of the shared
//! debian12-full fixture, an old `requests`, a vulnerable `smallvec`, planted secrets) with a DB
//! imported from the shared data, checked in the binary's output and in a real headless
//! Chromium: every finding ID of the JSON output is in the DOM after the script ran, the
//! severity filter of the URL fragment hides the rest, no request leaves for another origin
//! (a loopback proxy sees every one; a control page proves it would), screenshots are written.
//!
//! Chromium is Debian's `chromium` (`.ci/apt-packages.txt`). Without it the Chromium tests skip
//! locally and fail under `CI=true`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{have_tool, import, sekisho, shared_data, write};

/// The scanned root, the DB, and the planted secret values.
struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    root: PathBuf,
    db: PathBuf,
    secrets: Vec<String>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let root = base.join("root");
    let d = shared_data().join("fixtures-debian12-local");
    write(
        &root,
        "etc/os-release",
        &fs::read_to_string(d.join("etc_os-release")).unwrap(),
    );
    write(
        &root,
        "var/lib/dpkg/status",
        &fs::read_to_string(d.join("var_lib_dpkg_status")).unwrap(),
    );
    for venv in ["srv/a/.venv", "srv/b/.venv"] {
        write(
            &root,
            &format!("{venv}/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\nLicense: Apache-2.0\n\n",
        );
    }
    write(
        &root,
        "srv/app/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let mut secrets = Vec::new();
    for d in sekisho_secret::DETECTORS.iter().take(6) {
        if let Some(s) = sekisho_secret::fixture::sample(d.rule.id, 7) {
            let p = root.join("srv/secrets").join(d.rule.id).join(s.file);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, &s.text).unwrap();
            secrets.push(s.value);
        }
    }
    let db = base.join("db.sqlite");
    import(
        &db,
        &[
            shared_data().join("osv-pypa-json/requests"),
            shared_data().join("osv-rustsec"),
        ],
    );
    Fixture {
        _dir: dir,
        dir: base,
        root,
        db,
        secrets,
    }
}

fn scan(fx: &Fixture, format: &str) -> Vec<u8> {
    let out = sekisho()
        .args(["rootfs"])
        .arg(&fx.root)
        .args(["--scanners", "vuln,secret", "--offline", "--quiet"])
        .args(["--format", format, "--db"])
        .arg(&fx.db)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every finding ID of the JSON output.
fn json_ids(fx: &Fixture) -> (BTreeSet<String>, Value) {
    let v: Value = serde_json::from_slice(&scan(fx, "json")).unwrap();
    let ids: BTreeSet<String> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    (ids, v)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The finding rows of a page or DOM dump: (data-id, data-sev, hidden, data-kind).
fn rows(html: &str) -> Vec<(String, String, bool, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<tr class=\"f\"") {
        let tag_end = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i..tag_end];
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
            attr("data-kind").unwrap(),
        ));
        rest = &rest[tag_end..];
    }
    out
}

#[test]
fn html_holds_every_finding_id_of_the_json_and_no_secret() {
    let fx = fixture();
    let (ids, json) = json_ids(&fx);
    assert!(
        ids.iter()
            .any(|i| i.starts_with("PYSEC-") || i.starts_with("CVE-"))
    );
    let ecosystems: BTreeSet<&str> = json["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["ecosystem"].as_str())
        .collect();
    assert!(
        ecosystems.contains("PyPI") && ecosystems.contains("crates.io"),
        "{ecosystems:?}"
    );
    assert!(
        json["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "secret")
    );
    let html = String::from_utf8(scan(&fx, "html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let got: BTreeSet<String> = rows(&html).into_iter().map(|r| r.0).collect();
    assert_eq!(got, ids, "finding IDs of the HTML and the JSON");
    // Two copies of requests 2.19.0 are one row per advisory, each listing both paths.
    assert!(html.contains("srv/a/.venv/lib/python3.11/site-packages/requests-2.19.0.dist-info"));
    assert!(html.contains("srv/b/.venv/lib/python3.11/site-packages/requests-2.19.0.dist-info"));
    // The OS packages were not checked, and the page says so and why.
    assert!(html.contains("the DB has no advisory data for Debian:12"));
    for v in &fx.secrets {
        assert!(!html.contains(v.as_str()), "secret value in the HTML");
    }
    // -o writes the same document.
    let out = fx.dir.join("r.html");
    let o = sekisho()
        .args(["rootfs"])
        .arg(&fx.root)
        .args([
            "--scanners",
            "vuln,secret",
            "--offline",
            "--quiet",
            "-f",
            "html",
            "-o",
        ])
        .arg(&out)
        .arg("--db")
        .arg(&fx.db)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(rows(&fs::read_to_string(&out).unwrap()).len(), got.len());
}

// ---- Chromium ------------------------------------------------------------------------------

/// Run chromium headless with `args` (plus a private profile and no background traffic), at
/// most 90 s; stdout.
fn chromium(profile: &Path, args: &[String]) -> String {
    let mut c = Command::new("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--metrics-recording-only",
        "--no-pings",
        "--mute-audio",
        "--hide-scrollbars",
        "--disable-breakpad",
        "--disable-field-trial-config",
        "--disable-search-engine-choice-screen",
        "--no-service-autorun",
        "--password-store=basic",
        "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,PrivacySandboxSettings4",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap();
    let err = err_reader.join().unwrap();
    assert!(status.success(), "chromium {args:?} failed: {err}");
    out
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// A loopback listener that answers every connection with `answer(request line)` and records
/// the request lines.
struct Listener {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn listen(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Listener {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            let log = Arc::clone(&log);
            let answer = Arc::clone(&answer);
            std::thread::spawn(move || serve(s, &log, &*answer));
        }
    });
    Listener { port, seen }
}

fn serve(mut s: TcpStream, log: &Mutex<Vec<String>>, answer: &dyn Fn(&str) -> Vec<u8>) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    // Headers until the blank line.
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let line = line.trim().to_string();
    log.lock().unwrap().push(line.clone());
    let _ = s.write_all(&answer(&line));
    let _ = s.flush();
}

fn http(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

#[test]
fn chromium_dom_has_every_finding_and_the_fragment_filters() {
    if !have_tool("chromium") {
        return;
    }
    let fx = fixture();
    let (ids, _) = json_ids(&fx);
    let page = fx.dir.join("report.html");
    fs::write(&page, scan(&fx, "html")).unwrap();
    let profile = tempfile::tempdir().unwrap();

    // After load: the script ran under the page's CSP (it marks the root), every finding ID
    // of the JSON is a row, none hidden.
    let dom = chromium(profile.path(), &["--dump-dom".into(), file_url(&page)]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the script did not run (CSP?)"
    );
    let all = rows(&dom);
    let got: BTreeSet<String> = all.iter().map(|r| r.0.clone()).collect();
    assert_eq!(got, ids, "finding IDs in the DOM and in the JSON");
    assert!(all.iter().all(|r| !r.2), "a row is hidden without a filter");
    assert!(dom.contains(&format!("Showing {n} of {n} findings.", n = all.len())));

    // #severity=HIGH hides every row of another severity, and only those.
    let high = all.iter().filter(|r| r.1 == "HIGH").count();
    assert!(
        high > 0 && high < all.len(),
        "fixture needs HIGH and other rows"
    );
    let dom = chromium(
        profile.path(),
        &[
            "--dump-dom".into(),
            format!("{}#severity=HIGH", file_url(&page)),
        ],
    );
    let filtered = rows(&dom);
    assert_eq!(filtered.len(), all.len());
    for (id, sev, hidden, _) in &filtered {
        assert_eq!(*hidden, sev != "HIGH", "{id} {sev} hidden={hidden}");
    }
    assert!(dom.contains(&format!("Showing {high} of {} findings.", all.len())));
    // The text and kind filters combine with it.
    let dom = chromium(
        profile.path(),
        &[
            "--dump-dom".into(),
            format!("{}#kind=secret", file_url(&page)),
        ],
    );
    let by_kind = rows(&dom);
    assert!(by_kind.iter().any(|r| r.3 == "secret" && !r.2));
    for (id, _, hidden, kind) in &by_kind {
        assert_eq!(*hidden, kind != "secret", "{id} {kind} hidden={hidden}");
    }
}

/// Whether a proxied request line (`CONNECT host:443 …`, `GET http://host/… …`) is for one of
/// Chromium's own Google services.
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

#[test]
fn chromium_sends_no_request_to_another_origin_and_screenshots() {
    if !have_tool("chromium") {
        return;
    }
    let fx = fixture();
    let report = Arc::new(scan(&fx, "html"));
    let control = b"<!DOCTYPE html><title>control</title><img src=\"http://other.example.invalid/pixel.png\"><script src=\"https://cdn.example.invalid/x.js\"></script>".to_vec();
    let r = Arc::clone(&report);
    let site = listen(move |line| match line.split(' ').nth(1) {
        Some("/report.html") => http("200 OK", "text/html; charset=utf-8", &r),
        Some("/control.html") => http("200 OK", "text/html", &control),
        _ => http("404 Not Found", "text/plain", b"no"),
    });
    // Every request for another origin goes to this proxy (loopback is reached directly).
    let proxy = listen(|_| http("502 Bad Gateway", "text/plain", b"blocked"));
    let profile = tempfile::tempdir().unwrap();
    let args = |path: &str| -> Vec<String> {
        vec![
            format!("--proxy-server=http://127.0.0.1:{}", proxy.port),
            "--dump-dom".into(),
            format!("http://127.0.0.1:{}/{path}", site.port),
        ]
    };

    // The control page's image and script do reach the proxy: the check can fail.
    chromium(profile.path(), &args("control.html"));
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.contains("example.invalid")),
        "the proxy saw no request of the control page: {seen:?}"
    );
    proxy.seen.lock().unwrap().clear();
    site.seen.lock().unwrap().clear();

    let dom = chromium(profile.path(), &args("report.html"));
    assert!(dom.contains("data-ready=\"1\""));
    // Chromium's own services (sign-in, time, search preconnect) may still call Google
    // however many switches turn them off; they are the browser's, not the page's. Everything
    // else the proxy saw came from the page. (The page itself names no host: no src, no url(),
    // and its CSP is default-src 'none', which the script running by hash shows is enforced.)
    let seen: Vec<String> = proxy
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| !browser_service(l))
        .cloned()
        .collect();
    assert!(seen.is_empty(), "requests for other origins: {seen:?}");
    let local = site.seen.lock().unwrap().clone();
    assert_eq!(
        local,
        vec!["GET /report.html HTTP/1.1".to_string()],
        "the page loaded nothing else"
    );

    // Screenshots at desktop and phone widths.
    let page = fx.dir.join("report.html");
    fs::write(&page, &*report).unwrap();
    for (name, size) in [("desktop", "1280,900"), ("phone", "390,844")] {
        let png = fx.dir.join(format!("report-{name}.png"));
        chromium(
            profile.path(),
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={size}"),
                file_url(&page),
            ],
        );
        let b = fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert!(
            b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() > 10_000,
            "{name}"
        );
        if let Some(d) = std::env::var_os("SEKISHO_SCREENSHOT_DIR") {
            fs::copy(&png, Path::new(&d).join(format!("report-{name}.png"))).unwrap();
        }
    }
}
