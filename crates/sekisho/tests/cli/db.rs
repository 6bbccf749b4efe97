//! `sekisho db …`: import of all shared OSV data with independently counted records, exact query
//! answers on real records, atomic replacement under `kill -9`, updates from a loopback mirror,
//! export round trip.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{have_tool, run, sekisho, shared_data};

pub(crate) const OSV_DIRS: &[&str] = &[
    "osv-go-vulndb",
    "osv-rustsec",
    "osv-pypa-json",
    "osv-almalinux",
    "osv-dev-testdata",
    "osv-psf-cpython",
];

pub(crate) fn json_out(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "sekisho {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

const DEBIAN_NUMBERED: &[&str] = &[
    "buzz", "hamm", "potato", "woody", "sarge", "etch", "lenny", "squeeze", "wheezy", "jessie",
    "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke",
];

/// Count records independently of the importer: distinct ids, and per base ecosystem the
/// distinct ids with an affected package there.
fn count_records(dirs: &[PathBuf]) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut ids = BTreeSet::new();
    let mut per: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            continue;
        }
        let name = p.to_string_lossy().to_string();
        if name.ends_with(".yaml") {
            let t = std::fs::read_to_string(&p).unwrap();
            let mut id = None;
            for l in t.lines() {
                if let Some(x) = l.strip_prefix("id: ") {
                    id = Some(x.trim().to_string());
                    ids.insert(x.trim().to_string());
                }
                if let (Some(id), Some((_, e))) = (&id, l.split_once("ecosystem: ")) {
                    let base = e.trim().split(':').next().unwrap().to_string();
                    per.entry(base).or_default().insert(id.clone());
                }
            }
            continue;
        }
        if !name.ends_with(".json") {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(&p).unwrap()) else {
            continue;
        };
        if let Some(id) = v.get("id").and_then(Value::as_str) {
            ids.insert(id.to_string());
            for a in v
                .get("affected")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(e) = a.pointer("/package/ecosystem").and_then(Value::as_str) {
                    let base = e.split(':').next().unwrap().to_string();
                    per.entry(base).or_default().insert(id.to_string());
                }
            }
        } else if name.ends_with("debian_security_tracker_mock.json") {
            for (_pkg, cves) in v.as_object().unwrap() {
                for (cve, body) in cves.as_object().unwrap() {
                    let Some(rels) = body.get("releases").and_then(Value::as_object) else {
                        continue;
                    };
                    let affected = rels.iter().any(|(code, r)| {
                        DEBIAN_NUMBERED.contains(&code.as_str())
                            && !(r["status"] == "resolved" && r["fixed_version"] == "0")
                    });
                    if affected {
                        let id = format!("DEBIAN-{cve}");
                        ids.insert(id.clone());
                        per.entry("Debian".into()).or_default().insert(id);
                    }
                }
            }
        }
    }
    (ids, per)
}

/// One DB holding all shared OSV data plus the converted Debian and Alpine feed fixtures,
/// built once for the query tests.
pub(crate) fn full_db() -> &'static PathBuf {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("db.sqlite");
        let d = shared_data();
        let mut args: Vec<String> = vec![
            "db".into(),
            "import".into(),
            "--fresh".into(),
            "--db".into(),
            db.display().to_string(),
        ];
        for x in OSV_DIRS {
            args.push(d.join(x).display().to_string());
        }
        args.push(
            d.join("feeds-vunnel-fixtures/debian/test-fixtures/input/debian.json")
                .display()
                .to_string(),
        );
        args.push(
            d.join("feeds-alpine-secdb-2020/v3.10")
                .display()
                .to_string(),
        );
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        db
    })
}

#[test]
fn import_all_shared_osv_data_counts_match() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let d = shared_data();
    let dirs: Vec<PathBuf> = OSV_DIRS.iter().map(|x| d.join(x)).collect();
    let mut args = vec![
        "db",
        "import",
        "--fresh",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ];
    let ds: Vec<String> = dirs.iter().map(|p| p.display().to_string()).collect();
    args.extend(ds.iter().map(String::as_str));
    let rep = json_out(&args);
    let (ids, per) = count_records(&dirs);
    assert_eq!(rep["report"]["malformed"], 0, "{rep}");
    let st = json_out(&[
        "db",
        "status",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(st["kind"], "db_status");
    assert_eq!(
        st["advisories"].as_u64().unwrap(),
        ids.len() as u64,
        "total advisories"
    );
    let got: BTreeMap<String, u64> = st["ecosystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["ecosystem"].as_str().unwrap().to_string(),
                e["advisories"].as_u64().unwrap(),
            )
        })
        .collect();
    for eco in ["Go", "crates.io", "PyPI", "AlmaLinux", "Debian", "Ubuntu"] {
        assert_eq!(
            got.get(eco).copied(),
            per.get(eco).map(|s| s.len() as u64),
            "{eco}: {got:?}"
        );
    }
    assert!(per["Go"].len() > 4000 && per["AlmaLinux"].len() > 5000);
    // Withdrawn and non-security records are kept, and flagged.
    assert!(st["withdrawn"].as_u64().unwrap() >= 30, "{st}");
    assert!(
        st["non_security"].as_u64().unwrap() > 0,
        "ALBA/ALEA errata: {st}"
    );
}

fn query(args: &[&str]) -> Vec<(String, String, Vec<String>)> {
    let db = full_db();
    let mut a = vec![
        "db",
        "query",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    let v = json_out(&a);
    let mut out: Vec<_> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["status"].as_str().unwrap().to_string(),
                m["fixed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

fn ids(args: &[&str]) -> Vec<String> {
    query(args).into_iter().map(|(i, _, _)| i).collect()
}

#[test]
fn query_table_exact() {
    let s = |x: &str| x.to_string();
    // Debian, converted from the security-tracker JSON: fixed in bookworm-security.
    assert_eq!(
        query(&["Debian:12", "sope", "5.8.0-1"]),
        vec![(
            s("DEBIAN-CVE-2025-53603"),
            s("fixed"),
            vec![s("5.8.0-1+deb12u1")]
        )]
    );
    assert!(ids(&["Debian:12", "sope", "5.8.0-1+deb12u1"]).is_empty());
    // Codename and numeric release are the same release.
    assert_eq!(
        ids(&["Debian:bookworm", "sope", "5.8.0-1"]),
        vec![s("DEBIAN-CVE-2025-53603")]
    );
    // Open in an end-of-life release: no fix, status end_of_life.
    assert_eq!(
        query(&["Debian:10", "chromium", "89.0.4389.114-1~deb10u1"])
            .into_iter()
            .filter(|(i, _, _)| i == "DEBIAN-CVE-2022-0456")
            .collect::<Vec<_>>(),
        vec![(s("DEBIAN-CVE-2022-0456"), s("end_of_life"), vec![])]
    );
    // DSA record from osv.dev (Debian:7).
    assert_eq!(
        query(&["Debian:7", "nginx", "1.2.1-2.2+wheezy2"]),
        vec![(s("DSA-3029-1"), s("fixed"), vec![s("1.2.1-2.2+wheezy3")])]
    );
    assert!(ids(&["Debian:7", "nginx", "1.2.1-2.2+wheezy3"]).is_empty());
    // Ubuntu Pro (ESM) record, introduced-only: every version affected, no fix.
    assert_eq!(
        query(&["Ubuntu:Pro:14.04:LTS", "linux", "3.13.0-206.257"]),
        vec![(s("UBUNTU-CVE-2025-38094"), s("affected"), vec![])]
    );
    // Multiple introduced/fixed pairs in one range: the fix of the version's own branch.
    let q = query(&["Go", "github.com/rancher/fleet", "0.12.3"]);
    let m = q
        .iter()
        .find(|m| m.0 == "GO-2026-5207")
        .expect("GO-2026-5207 matches");
    assert_eq!((m.1.as_str(), m.2.clone()), ("fixed", vec![s("0.12.14")]));
    let g = s("GO-2026-5207");
    assert!(!ids(&["Go", "github.com/rancher/fleet", "0.12.14"]).contains(&g));
    assert!(!ids(&["Go", "github.com/rancher/fleet", "0.10.0"]).contains(&g));
    assert!(ids(&["Go", "github.com/rancher/fleet", "0.15.0"]).contains(&g));
    // last_affected is an inclusive ceiling.
    assert_eq!(
        query(&["PyPI", "py", "1.11.0"])
            .into_iter()
            .filter(|(i, _, _)| i == "PYSEC-2022-42969")
            .collect::<Vec<_>>(),
        vec![(s("PYSEC-2022-42969"), s("unknown"), vec![])]
    );
    assert!(!ids(&["PyPI", "py", "1.11.1"]).contains(&s("PYSEC-2022-42969")));
    // Epochs in AlmaLinux fixed versions: 1:3.0.1-42 < 1:3.0.1-43, and a missing epoch is 0.
    assert!(ids(&["AlmaLinux:9", "openssl", "1:3.0.1-42.el9"]).contains(&s("ALSA-2022:7288")));
    assert!(!ids(&["AlmaLinux:9", "openssl", "1:3.0.1-43.el9_0"]).contains(&s("ALSA-2022:7288")));
    assert!(ids(&["AlmaLinux:9.2", "openssl", "3.0.7-1.el9"]).contains(&s("ALSA-2022:7288")));
    // Withdrawn records never match, but --all shows them.
    assert!(ids(&["Go", "github.com/gorilla/sessions", "1.2.1"]).is_empty());
    assert_eq!(
        ids(&["Go", "github.com/gorilla/sessions", "1.2.1", "--all"]),
        vec![s("GO-2024-2730")]
    );
    // Alpine secdb converted: multi-id strings split, "0" = not affected.
    assert!(!ids(&["Alpine:v3.10", "ansible", "2.8.3-r0"]).is_empty());
    assert!(ids(&["Alpine:3.10.4", "ansible", "2.8.4-r0"]).is_empty());
    // PEP 503 name normalisation.
    assert_eq!(
        ids(&["PyPI", "PY", "1.11.0"]),
        ids(&["pypi", "py", "1.11.0"])
    );
}

#[test]
fn no_data_for_release_is_reported() {
    let db = full_db();
    let o = run(&[
        "db",
        "query",
        "--db",
        db.to_str().unwrap(),
        "Ubuntu:20.04",
        "openssl",
        "3.0.0",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no advisory data for Ubuntu:20.04"));
    let o = run(&["db", "query", "--db", "/nonexistent/db.sqlite", "PyPI", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn kill_9_mid_import_leaves_old_db_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let d = shared_data();
    let go = d.join("osv-go-vulndb");
    let o = run(&[
        "db",
        "import",
        "--fresh",
        "--db",
        db.to_str().unwrap(),
        go.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = std::fs::read(&db).unwrap();
    let q = |db: &Path| ids_in(db, &["Go", "github.com/rancher/fleet", "0.15.0"]);
    assert!(q(&db).contains(&"GO-2026-5207".to_string()));
    let q_before = q(&db);
    // A big import into the same DB, killed half-way.
    let mut child = sekisho()
        .args(["db", "import", "--db", db.to_str().unwrap()])
        .args(OSV_DIRS.iter().map(|x| d.join(x)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut saw_tmp = false;
    while start.elapsed() < Duration::from_secs(60) {
        let grown = std::fs::read_dir(dir.path()).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().contains(".tmp-")
                && e.metadata()
                    .map(|m| m.len() > before.len() as u64 + 1_000_000)
                    .unwrap_or(false)
        });
        if grown {
            saw_tmp = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saw_tmp, "import finished before it could be killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The old DB is byte-identical and answers queries.
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(q(&db), q_before);
    // The next import cleans the dead temporary file up and works.
    let o = run(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        d.join("osv-psf-cpython").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "stale temporaries left: {left:?}");
}

pub(crate) fn ids_in(db: &Path, args: &[&str]) -> Vec<String> {
    let mut a = vec![
        "db",
        "query",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    let v = json_out(&a);
    v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// A minimal HTTP/1.1 file server on 127.0.0.1 for the mirror tests; counts requests per path.
pub(crate) struct Mirror {
    port: u16,
    stop: std::sync::Arc<AtomicBool>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Mirror {
    pub(crate) fn start(root: PathBuf) -> Mirror {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        l.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s2, l2) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            while !s2.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        let mut buf = [0u8; 8192];
                        let mut req = Vec::new();
                        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                            let n = c.read(&mut buf).unwrap_or(0);
                            if n == 0 {
                                break;
                            }
                            req.extend_from_slice(&buf[..n]);
                        }
                        let req = String::from_utf8_lossy(&req).to_string();
                        let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                        l2.lock().unwrap().push(path.clone());
                        let decoded = path.replace("%20", " ").replace("%3A", ":");
                        let f = root.join(decoded.trim_start_matches('/'));
                        let resp = match std::fs::read(&f) {
                            Ok(body) if f.is_file() => {
                                let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                                r.extend_from_slice(&body);
                                r
                            }
                            _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                        };
                        let _ = c.write_all(&resp);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Mirror { port, stop, log }
    }
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub(crate) fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

pub(crate) fn make_zip(dir: &Path, files: &[PathBuf], out: &Path) {
    let list = dir.join("zip-list.txt");
    std::fs::write(
        &list,
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys,zipfile,os\nz=zipfile.ZipFile(sys.argv[2],'w',zipfile.ZIP_DEFLATED)\n\
             for p in open(sys.argv[1]).read().split('\\n'):\n  z.write(p, os.path.basename(p))\nz.close()",
        )
        .arg(&list)
        .arg(out)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn update_from_loopback_mirror_full_then_incremental_and_export() {
    if !have_tool("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mirror");
    let d = shared_data();
    // An OSV-shaped mirror: crates.io/all.zip + modified_id.csv from the RustSec data.
    let mut recs: Vec<(String, String, PathBuf)> = Vec::new();
    let mut stack = vec![d.join("osv-rustsec")];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            recs.push((
                v["modified"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
                p,
            ));
        }
    }
    recs.sort();
    let newest = recs.pop().unwrap(); // held back for the incremental round
    let eco = root.join("crates.io");
    std::fs::create_dir_all(&eco).unwrap();
    make_zip(
        tmp.path(),
        &recs.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
        &eco.join("all.zip"),
    );
    for (_, id, p) in &recs {
        std::fs::copy(p, eco.join(format!("{id}.json"))).unwrap();
    }
    let csv: String = recs
        .iter()
        .rev()
        .map(|(m, i, _)| format!("{m},{i}\n"))
        .collect();
    std::fs::write(eco.join("modified_id.csv"), &csv).unwrap();
    let mirror = Mirror::start(root.clone());
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let v = json_out(&[
        "db",
        "update",
        "--format",
        "json",
        "--db",
        dbs,
        "--source",
        &mirror.url(),
        "--ecosystem",
        "crates.io",
    ]);
    assert_eq!(v["ecosystems"][0]["mode"], "full", "{v}");
    assert_eq!(v["report"]["records"].as_u64().unwrap(), recs.len() as u64);
    let st = json_out(&["db", "status", "--format", "json", "--db", dbs]);
    assert_eq!(st["advisories"].as_u64().unwrap(), recs.len() as u64);
    // The held-back record appears upstream: the next update fetches only it.
    std::fs::copy(&newest.2, eco.join(format!("{}.json", newest.1))).unwrap();
    std::fs::write(
        eco.join("modified_id.csv"),
        format!("{},{}\n{csv}", newest.0, newest.1),
    )
    .unwrap();
    let n_before = mirror.requests().len();
    let v = json_out(&[
        "db",
        "update",
        "--format",
        "json",
        "--db",
        dbs,
        "--source",
        &mirror.url(),
        "--ecosystem",
        "crates.io",
    ]);
    assert_eq!(v["ecosystems"][0]["mode"], "incremental", "{v}");
    let n = v["report"]["records"].as_u64().unwrap();
    assert!((1..=20).contains(&n), "{v}");
    assert_eq!(v["report"]["inserted"], 1, "{v}");
    let reqs = mirror.requests()[n_before..].to_vec();
    assert!(!reqs.iter().any(|r| r.ends_with("all.zip")), "{reqs:?}");
    let st = json_out(&["db", "status", "--format", "json", "--db", dbs]);
    assert_eq!(st["advisories"].as_u64().unwrap(), recs.len() as u64 + 1);
    // --offline never touches the network.
    let n = mirror.requests().len();
    let o = run(&[
        "db",
        "update",
        "--offline",
        "--db",
        dbs,
        "--source",
        &mirror.url(),
    ]);
    assert!(o.status.success());
    assert_eq!(mirror.requests().len(), n);
    // Export, then import the export by URL into a new DB: same counts.
    let exp = root.join("sekisho-db.export");
    let o = run(&["db", "export", "--db", dbs, exp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db2 = tmp.path().join("db2.sqlite");
    let v = json_out(&[
        "db",
        "update",
        "--format",
        "json",
        "--db",
        db2.to_str().unwrap(),
        "--source",
        &format!("{}/sekisho-db.export", mirror.url()),
    ]);
    assert_eq!(v["ecosystems"][0]["mode"], "file");
    let st2 = json_out(&[
        "db",
        "status",
        "--format",
        "json",
        "--db",
        db2.to_str().unwrap(),
    ]);
    assert_eq!(st2["advisories"], st["advisories"]);
    assert_eq!(st2["ecosystems"], st["ecosystems"]);
    // A corrupted export is refused and the DB is left as it was.
    let mut bytes = std::fs::read(&exp).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    let bad = tmp.path().join("bad.export");
    std::fs::write(&bad, &bytes).unwrap();
    let before = std::fs::read(&db2).unwrap();
    let o = run(&[
        "db",
        "import",
        "--db",
        db2.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&db2).unwrap(), before);
    // A missing archive on the mirror fails cleanly, old DB kept.
    let o = run(&[
        "db",
        "update",
        "--db",
        dbs,
        "--source",
        &mirror.url(),
        "--ecosystem",
        "npm",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("all.zip"));
}

#[test]
fn zip_bomb_is_refused() {
    if !have_tool("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bomb = tmp.path().join("all.zip");
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nz.writestr('A.json', b' '*(80<<20))\nz.close()")
        .arg(&bomb)
        .status()
        .unwrap();
    assert!(st.success());
    let db = tmp.path().join("db.sqlite");
    let o = run(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        bomb.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cap") || err.contains("bomb"), "{err}");
    assert!(!db.exists());
}
