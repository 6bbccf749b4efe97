//! More `sekisho db …` behaviours: malformed records in an import, stale DBs, readers during an
//! import, progress/summary streams, the config file and the default ecosystem list of
//! `db update`, `db query` without a version, `db status` fields, several ranges or affected
//! entries per package, Go module path and Maven `group:artifact` normalisation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::db::{Mirror, full_db, ids_in, json_out, make_zip};
use crate::util::{have_tool, run, sekisho, shared_data, write};

fn s(x: &str) -> String {
    x.to_string()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every OSV JSON record under `dir` (recursively) whose `affected` names `eco`/`name`.
fn records_for(dir: &Path, eco: &str, name: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if p.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(&p).unwrap()) else {
            continue;
        };
        let hit = v["affected"].as_array().into_iter().flatten().any(|a| {
            a.pointer("/package/ecosystem").and_then(Value::as_str) == Some(eco)
                && a.pointer("/package/name").and_then(Value::as_str) == Some(name)
        });
        if hit {
            out.push(v);
        }
    }
    out
}

const GOOD_1: &str = r#"{"id":"SYNTH-GOOD-1","modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"PyPI","name":"synth-pkg"},
  "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#;
const GOOD_2: &str = r#"{"id":"SYNTH-GOOD-2","modified":"2026-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"PyPI","name":"synth-pkg"},
  "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.1"}]}]}]}"#;

/// Review item 1: Broken records are skipped, counted and named (JSON report and stderr); good ones stored.
#[test]
fn malformed_records_are_counted_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let recs = tmp.path().join("recs");
    write(&recs, "good/SYNTH-GOOD-1.json", GOOD_1);
    write(&recs, "good/SYNTH-GOOD-2.json", GOOD_2);
    write(
        &recs,
        "bad/a-invalid.json",
        r#"{"id": "SYNTH-BROKEN", "affected": ["#,
    );
    write(
        &recs,
        "bad/b-no-id.json",
        r#"{"modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"synth-pkg"}}]}"#,
    );
    write(
        &recs,
        "bad/c-wrong-types.json",
        r#"{"id":"SYNTH-WRONG-TYPES","modified":"2026-01-01T00:00:00Z","aliases":"CVE-1","affected":{"x":1}}"#,
    );
    write(
        &recs,
        "bad/d-bad-range.json",
        r#"{"id":"SYNTH-BAD-RANGE","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"synth-pkg"},"ranges":[{"type":"NOT-A-TYPE","events":"nope"}]}]}"#,
    );
    write(&recs, "README.md", "not a record");
    let db = tmp.path().join("db.sqlite");
    let o = run(&[
        "db",
        "import",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
        recs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["report"];
    assert_eq!(r["records"], 2, "{v}");
    assert_eq!(r["inserted"], 2, "{v}");
    assert_eq!(r["malformed"], 4, "{v}");
    assert_eq!(r["ignored_files"], 1, "{v}");
    let ex: Vec<&str> = r["malformed_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(ex.len(), 4, "{ex:?}");
    for (file, id) in [
        ("a-invalid.json", None),
        ("b-no-id.json", None),
        ("c-wrong-types.json", Some("SYNTH-WRONG-TYPES")),
        ("d-bad-range.json", Some("SYNTH-BAD-RANGE")),
    ] {
        let e = ex
            .iter()
            .find(|e| e.contains(file))
            .unwrap_or_else(|| panic!("{file} not named: {ex:?}"));
        if let Some(id) = id {
            assert!(e.contains(id), "{e}");
        }
    }
    // The same on stderr, in JSON mode too.
    let err = stderr(&o);
    assert!(err.contains("4 malformed records skipped"), "{err}");
    for f in ["a-invalid.json", "b-no-id.json", "c-wrong-types.json"] {
        assert!(err.contains(f), "{err}");
    }
    // Table mode: summary on stdout, the malformed list on stderr only.
    let db2 = tmp.path().join("db2.sqlite");
    let o = run(&[
        "db",
        "import",
        "--db",
        db2.to_str().unwrap(),
        recs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("2 records read"), "{out}");
    assert!(!out.contains("malformed"), "{out}");
    assert!(stderr(&o).contains("SYNTH-BAD-RANGE"), "{}", stderr(&o));
    // The good ones are stored and answer queries; the source records the malformed count.
    assert_eq!(
        sorted(ids_in(&db, &["PyPI", "synth-pkg"])),
        vec![s("SYNTH-GOOD-1"), s("SYNTH-GOOD-2")]
    );
    assert_eq!(
        ids_in(&db, &["PyPI", "synth-pkg", "0.5"]),
        vec![s("SYNTH-GOOD-1")]
    );
    let st = json_out(&[
        "db",
        "status",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(st["advisories"], 2);
    assert_eq!(st["sources"][0]["malformed"], 4, "{st}");
    assert_eq!(st["sources"][0]["records"], 2, "{st}");
}

fn set_updated_at(db: &Path, when: &str) {
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\n\
             c.execute(\"UPDATE meta SET value=? WHERE key='updated_at'\",(sys.argv[2],))\n\
             assert c.total_changes==1\nc.commit()",
        )
        .arg(db)
        .arg(when)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Review item 2: An old DB warns on stderr (status, query, scans) and never fails.
#[test]
fn stale_db_warns_and_exits_0() {
    if !have_tool("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let recs = tmp.path().join("recs");
    write(&recs, "SYNTH-GOOD-1.json", GOOD_1);
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let o = run(&["db", "import", "--db", dbs, recs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let scan = |extra_env: Option<&Path>| {
        let mut c = sekisho();
        c.args([
            "rootfs",
            root.to_str().unwrap(),
            "--offline",
            "--format",
            "json",
            "--db",
            dbs,
        ]);
        c.env(
            "XDG_CONFIG_HOME",
            extra_env.unwrap_or(tmp.path().join("noconfig").as_path()),
        );
        c.output().unwrap()
    };
    // Fresh: no warning anywhere.
    let o = run(&["db", "status", "--db", dbs]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("days old"), "{}", stderr(&o));
    let o = scan(None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("days old"), "{}", stderr(&o));
    // --max-age-days 0 makes a fresh-ish DB stale once a second has passed.
    std::thread::sleep(Duration::from_millis(1100));
    let o = run(&["db", "status", "--max-age-days", "0", "--db", dbs]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning: vulnerability database"),
        "{}",
        stderr(&o)
    );
    // The config's max_age_days is honoured by db and by scans.
    let cfg = tmp.path().join("cfg");
    write(&cfg, "sekisho/config.toml", "[db]\nmax_age_days = 0\n");
    let o = sekisho()
        .args(["db", "query", "--db", dbs, "PyPI", "synth-pkg", "0.1"])
        .env("XDG_CONFIG_HOME", &cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("days old"), "{}", stderr(&o));
    let o = scan(Some(&cfg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("days old"), "{}", stderr(&o));
    // An updated_at far in the past: warning naming the age, exit 0, JSON says stale.
    set_updated_at(&db, "2020-01-01T00:00:00Z");
    let o = run(&["db", "status", "--format", "json", "--db", dbs]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("warning:") && err.contains("older than 7 days"),
        "{err}"
    );
    assert!(err.contains("sekisho db update"), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stale"], true);
    assert!(v["age_seconds"].as_u64().unwrap() > 2000 * 86_400);
    let o = run(&["db", "status", "--db", dbs]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("(stale)"));
    let o = run(&["db", "query", "--db", dbs, "PyPI", "synth-pkg", "0.1"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("days old"), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("SYNTH-GOOD-1"));
    let o = scan(None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("days old"), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.to_string().contains("days old"),
        "warning also in the report: {v}"
    );
    // A generous limit silences it.
    let o = run(&["db", "status", "--max-age-days", "100000", "--db", dbs]);
    assert!(!stderr(&o).contains("days old"), "{}", stderr(&o));
}

/// Review item 3: Readers querying the DB path while a big import into it runs see the old content until
/// the swap, then the new content; never an error or a half-built state.
#[test]
fn readers_during_import_see_old_then_new() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let d = shared_data();
    let o = run(&[
        "db",
        "import",
        "--db",
        dbs,
        d.join("osv-pypa-json/requests").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q = || ids_in(&db, &["PyPI", "jinja2", "2.0"]);
    let old = q();
    assert!(old.is_empty(), "{old:?}");
    let expected_new = sorted(
        records_for(&d.join("osv-pypa-json/jinja2"), "PyPI", "jinja2")
            .iter()
            .filter(|v| v["withdrawn"].is_null())
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect(),
    );
    assert!(!expected_new.is_empty());
    let mut child = sekisho()
        .args(["db", "import", "--db", dbs])
        .arg(d.join("osv-almalinux"))
        .arg(d.join("osv-go-vulndb"))
        .arg(d.join("osv-pypa-json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let (mut n_old, mut n_old_while_building, mut n_new) = (0, 0, 0);
    let mut finished = None;
    loop {
        let building = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"));
        let got = sorted(q()); // asserts exit 0 and JSON
        if got == old {
            assert_eq!(n_new, 0, "old content after the new one was seen");
            n_old += 1;
            if building {
                n_old_while_building += 1;
            }
        } else {
            assert_eq!(got, expected_new, "neither old nor new content");
            n_new += 1;
        }
        if finished.is_none()
            && let Some(st) = child.try_wait().unwrap()
        {
            assert!(st.success());
            finished = Some(n_old + n_new);
        }
        if finished.is_some_and(|at| n_old + n_new >= at + 3) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "import hangs");
    }
    assert!(n_old_while_building >= 1, "no query ran during the import");
    assert!(n_new >= 3, "new content never seen");
}

/// Review item 4: Progress is for terminals only: with stderr not a TTY, `db import` draws nothing (no
/// spinner, no carriage returns) and stdout holds only the summary.
#[test]
fn import_progress_and_summary_streams() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let d = shared_data();
    let o = run(&[
        "db",
        "import",
        "--db",
        db.to_str().unwrap(),
        d.join("osv-rustsec").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = stderr(&o);
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    assert!(
        !err.contains("records"),
        "non-TTY stderr carries no progress: {err:?}"
    );
    assert!(!out.contains('\r') && !out.contains('\u{1b}'), "{out:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty() && lines.len() <= 2, "{out}");
    assert!(
        lines[0].contains(" records read (") && lines[0].contains(" new,"),
        "{out}"
    );
    // JSON: stdout is exactly one JSON document.
    let o = run(&[
        "db",
        "import",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
        d.join("osv-psf-cpython").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is pure JSON");
    assert_eq!(v["kind"], "db_import");
    assert!(!stderr(&o).contains('\r'));
}

/// The ecosystems `db update` fetches when neither --ecosystem nor the config names any
/// (documented in docs/vulndb.md).
const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Alpine",
    "AlmaLinux",
    "Rocky Linux",
    "Red Hat",
    "SUSE",
    "openSUSE",
    "Wolfi",
    "Chainguard",
    "npm",
    "PyPI",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
];

fn decode(p: &str) -> String {
    p.replace("%20", " ").replace("%3A", ":")
}

/// Review item 5: `$XDG_CONFIG_HOME/sekisho/config.toml` sets the mirror, the DB path and the ecosystems;
/// without any, the default ecosystem list is fetched.
#[test]
fn update_honours_config_and_default_ecosystems() {
    if !have_tool("python3") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mirror");
    let d = shared_data();
    // Every default ecosystem has an all.zip (a mirror missing one fails the whole update);
    // crates.io and PyPI carry a few real records, the others one synthetic record each.
    let rust: Vec<PathBuf> = [
        "RUSTSEC-2021-0003",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
    ]
    .iter()
    .map(|i| d.join(format!("osv-rustsec/{i}.json")))
    .collect();
    let mut py: Vec<PathBuf> = std::fs::read_dir(d.join("osv-pypa-json/requests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    py.sort();
    for eco in DEFAULT_ECOSYSTEMS {
        let dir = root.join(eco);
        std::fs::create_dir_all(&dir).unwrap();
        let files = match *eco {
            "crates.io" => rust.clone(),
            "PyPI" => py.clone(),
            _ => {
                let id = format!("SYNTH-{}", eco.replace(' ', "-").to_uppercase());
                let f = tmp.path().join(format!("{id}.json"));
                std::fs::write(
                    &f,
                    format!(
                        r#"{{"id":"{id}","modified":"2026-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"{eco}","name":"synth"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}}]}}]}}]}}"#
                    ),
                )
                .unwrap();
                let mut files = vec![f];
                if *eco == "Wolfi" {
                    // One broken entry: counted against this ecosystem's source only.
                    let b = tmp.path().join("BROKEN.json");
                    std::fs::write(&b, "{\"id\": ").unwrap();
                    files.push(b);
                }
                files
            }
        };
        make_zip(tmp.path(), &files, &dir.join("all.zip"));
    }
    let mirror = Mirror::start(root.clone());
    let cfg = tmp.path().join("config");
    let cache = tmp.path().join("cache");
    let db = tmp.path().join("from-config/db.sqlite");
    write(
        &cfg,
        "sekisho/config.toml",
        &format!(
            "[db]\nsource = \"{}\"\npath = \"{}\"\n",
            mirror.url(),
            db.display()
        ),
    );
    let update = |extra: &[&str]| {
        let o = sekisho()
            .args(["db", "update", "--format", "json"])
            .args(extra)
            .env("XDG_CONFIG_HOME", &cfg)
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("SEKISHO_DB")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    // No --source, no --db, no --ecosystem: config source and path, default ecosystems.
    let v = update(&[]);
    assert_eq!(v["db"], db.display().to_string(), "{v}");
    assert_eq!(v["source"], mirror.url(), "{v}");
    assert!(db.is_file(), "DB not at the config path");
    assert!(!cache.join("sekisho/db.sqlite").exists());
    let reqs = mirror.requests();
    let fetched: BTreeSet<String> = reqs
        .iter()
        .filter_map(|r| r.strip_suffix("/all.zip"))
        .map(|r| decode(r.trim_start_matches('/')))
        .collect();
    let want: BTreeSet<String> = DEFAULT_ECOSYSTEMS.iter().map(|e| s(e)).collect();
    assert_eq!(fetched, want, "{reqs:?}");
    // Every request is under a default ecosystem directory (modified_id.csv probes included).
    for r in &reqs {
        let top = decode(r.trim_start_matches('/').split('/').next().unwrap());
        assert!(want.contains(&top), "unexpected request {r}");
    }
    let ecos: BTreeSet<String> = v["ecosystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ecosystem"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ecos, want);
    let dbs = db.to_str().unwrap();
    assert!(ids_in(&db, &["crates.io", "smallvec", "0.6.9"]).contains(&s("RUSTSEC-2019-0009")));
    assert!(!ids_in(&db, &["PyPI", "requests", "2.19.0"]).is_empty());
    assert_eq!(
        ids_in(&db, &["Rocky Linux", "synth"]),
        vec![s("SYNTH-ROCKY-LINUX")]
    );
    // `db status` and `db query` without --db also use the config path.
    let o = sekisho()
        .args(["db", "status", "--format", "json"])
        .env("XDG_CONFIG_HOME", &cfg)
        .env_remove("SEKISHO_DB")
        .output()
        .unwrap();
    let st: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["path"], dbs);
    assert_eq!(v["report"]["malformed"], 1, "{v}");
    for src in st["sources"].as_array().unwrap() {
        let name = src["name"].as_str().unwrap();
        let want = u64::from(name.ends_with("/Wolfi"));
        assert_eq!(src["malformed"], want, "{src}");
        assert_eq!(src["kind"], "update");
    }
    assert_eq!(
        st["sources"].as_array().unwrap().len(),
        DEFAULT_ECOSYSTEMS.len()
    );
    // `ecosystems` in the config replaces the default list; --ecosystem replaces both.
    write(
        &cfg,
        "sekisho/config.toml",
        &format!(
            "[db]\nsource = \"{}\"\npath = \"{}\"\necosystems = [\"crates.io\", \"Go\"]\n",
            mirror.url(),
            db.display()
        ),
    );
    let n = mirror.requests().len();
    let v = update(&["--full"]);
    let reqs = mirror.requests()[n..].to_vec();
    let fetched: BTreeSet<String> = reqs
        .iter()
        .filter_map(|r| r.strip_suffix("/all.zip"))
        .map(|r| decode(r.trim_start_matches('/')))
        .collect();
    assert_eq!(fetched, BTreeSet::from([s("crates.io"), s("Go")]), "{v}");
    let n = mirror.requests().len();
    update(&["--full", "--ecosystem", "PyPI"]);
    let reqs = mirror.requests()[n..].to_vec();
    assert!(reqs.iter().all(|r| r.starts_with("/PyPI/")), "{reqs:?}");
    // A missing ecosystem archive fails the whole update (documented), old DB kept.
    std::fs::remove_file(root.join("npm/all.zip")).unwrap();
    let before = std::fs::read(&db).unwrap();
    let o = sekisho()
        .args([
            "db",
            "update",
            "--full",
            "--ecosystem",
            "Go",
            "--ecosystem",
            "npm",
        ])
        .env("XDG_CONFIG_HOME", &cfg)
        .env_remove("SEKISHO_DB")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("npm/all.zip"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// Review item 6: `db query ECOSYSTEM NAME` without a version lists every advisory for the package;
/// `--all` adds the withdrawn ones.
#[test]
fn query_without_version_lists_all_advisories() {
    let db = full_db();
    let d = shared_data();
    for (eco, name, dir) in [
        ("PyPI", "jinja2", "osv-pypa-json"),
        ("Go", "github.com/gorilla/sessions", "osv-go-vulndb"),
        ("crates.io", "smallvec", "osv-rustsec"),
    ] {
        let recs = records_for(&d.join(dir), eco, name);
        let all = sorted(
            recs.iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect(),
        );
        let active = sorted(
            recs.iter()
                .filter(|v| v["withdrawn"].is_null())
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect(),
        );
        assert!(!all.is_empty(), "{eco} {name}");
        assert_eq!(sorted(ids_in(db, &[eco, name])), active, "{eco} {name}");
        assert_eq!(
            sorted(ids_in(db, &[eco, name, "--all"])),
            all,
            "{eco} {name} --all"
        );
    }
    // gorilla/sessions has only a withdrawn record: nothing without --all.
    assert!(ids_in(db, &["Go", "github.com/gorilla/sessions"]).is_empty());
    // Table output: one line per advisory, the withdrawn one flagged.
    let o = run(&[
        "db",
        "query",
        "--all",
        "--db",
        db.to_str().unwrap(),
        "Go",
        "github.com/gorilla/sessions",
    ]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("GO-2024-2730\t") && l.ends_with("[withdrawn]")),
        "{out}"
    );
}

/// Review item 7: `db status`: path, schema version, build/update times, age, sources, counts per
/// ecosystem, in JSON and in the table.
#[test]
fn status_fields_are_present_and_right() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    let d = shared_data();
    let rust = d.join("osv-rustsec");
    let jinja = d.join("osv-pypa-json/jinja2");
    let t0 = std::time::SystemTime::now();
    let o = run(&[
        "db",
        "import",
        "--db",
        dbs,
        rust.to_str().unwrap(),
        jinja.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = json_out(&["db", "status", "--format", "json", "--db", dbs]);
    assert_eq!(st["kind"], "db_status");
    assert_eq!(st["schema_version"], 1);
    assert_eq!(st["db_schema_version"], 1);
    assert_eq!(st["path"], dbs);
    assert_eq!(st["stale"], false);
    assert!(st["age_seconds"].as_u64().unwrap() < 600, "{st}");
    assert_eq!(st["size_bytes"], std::fs::metadata(&db).unwrap().len());
    let rfc = |k: &str| {
        let t = st[k].as_str().unwrap_or_else(|| panic!("{k}: {st}"));
        assert!(
            t.len() == 20 && t.ends_with('Z') && &t[10..11] == "T",
            "{k}: {t}"
        );
        t.to_string()
    };
    let (built, updated) = (rfc("built_at"), rfc("updated_at"));
    assert!(built <= updated);
    let year = 1970 + t0.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 31_556_952;
    assert!(built.starts_with(&year.to_string()[..3]), "{built}");
    let count =
        |dir: &Path, eco: &str| {
            let mut ids = BTreeSet::new();
            let mut stack = vec![dir.to_path_buf()];
            while let Some(p) = stack.pop() {
                if p.is_dir() {
                    stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                } else if p.extension().is_some_and(|e| e == "json") {
                    let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                    if v["affected"].as_array().into_iter().flatten().any(|a| {
                        a.pointer("/package/ecosystem").and_then(Value::as_str) == Some(eco)
                    }) {
                        ids.insert(v["id"].as_str().unwrap().to_string());
                    }
                }
            }
            ids.len() as u64
        };
    let (n_rust, n_py) = (count(&rust, "crates.io"), count(&jinja, "PyPI"));
    let ecos: Vec<(String, u64)> = st["ecosystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["packages"].as_u64().unwrap() >= 1);
            (
                e["ecosystem"].as_str().unwrap().to_string(),
                e["advisories"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ecos, vec![(s("PyPI"), n_py), (s("crates.io"), n_rust)]);
    assert_eq!(st["advisories"], n_py + n_rust);
    assert_eq!(st["withdrawn"], 13, "RustSec has 13 withdrawn (MANIFEST)");
    let srcs: Vec<(String, String, u64)> = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert_eq!(x["malformed"], 0);
            assert!(x["imported_at"].as_str().unwrap().ends_with('Z'));
            (
                x["name"].as_str().unwrap().to_string(),
                x["kind"].as_str().unwrap().to_string(),
                x["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        srcs,
        vec![
            (jinja.display().to_string(), s("import"), n_py),
            (rust.display().to_string(), s("import"), n_rust),
        ]
    );
    // Table: the same facts.
    let o = run(&["db", "status", "--db", dbs]);
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    for needle in [
        format!("path:            {dbs}"),
        s("schema version:  1"),
        format!("built:           {built}"),
        format!("updated:         {updated}"),
        s("age:             0d 0h"),
        format!("advisories:      {} (13 withdrawn", n_py + n_rust),
        format!("{} records, 0 malformed", n_rust),
    ] {
        assert!(t.contains(&needle), "{needle:?} not in\n{t}");
    }
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("crates.io "))
        .unwrap();
    assert!(line.contains(&format!(" {n_rust} advisories")), "{line}");
}

/// Review item 8: One package with several affected entries (real: GO-2023-2185, stdlib) and with several
/// range objects in one entry (SYNTHETIC record): inside each range and between ranges.
#[test]
fn several_ranges_and_affected_entries_per_package() {
    let db = full_db();
    let id = s("GO-2023-2185");
    // Entry 1: [0, 1.20.11) [1.21.0-0, 1.21.4); entry 2: [1.20.11, 1.20.12) [1.21.4, 1.21.5).
    let q = |v: &str| -> Vec<(String, String, Vec<String>)> {
        let out = json_out(&[
            "db",
            "query",
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
            "Go",
            "stdlib",
            v,
        ]);
        out["matches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["id"] == "GO-2023-2185")
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
            .collect()
    };
    for (v, fixed) in [
        ("1.20.10", Some("1.20.11")),
        ("1.20.11", Some("1.20.12")),
        ("1.20.12", None),
        ("1.20.99", None),
        ("1.21.0", Some("1.21.4")),
        ("1.21.3", Some("1.21.4")),
        ("1.21.4", Some("1.21.5")),
        ("1.21.5", None),
        ("1.22.0", None),
    ] {
        let got = q(v);
        match fixed {
            Some(f) => {
                assert!(!got.is_empty(), "{v}: no match");
                for m in &got {
                    assert_eq!((&m.0, m.1.as_str()), (&id, "fixed"), "{v}");
                }
                assert!(got.iter().any(|m| m.2 == vec![s(f)]), "{v}: {got:?}");
            }
            None => assert!(got.is_empty(), "{v}: {got:?}"),
        }
    }
    // SYNTHETIC: two range objects for one package in one affected entry, and a second
    // affected entry for the same package with an explicit versions list.
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "recs/SYNTH-MULTI-1.json",
        r#"{"id":"SYNTH-MULTI-1","modified":"2026-01-01T00:00:00Z","summary":"SYNTHETIC test record",
          "affected":[
            {"package":{"ecosystem":"PyPI","name":"synth-multi"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.2"}]},
                       {"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.3"}]},
                       {"type":"GIT","repo":"https://example.invalid/x","events":[{"introduced":"0"},{"fixed":"abc"}]}]},
            {"package":{"ecosystem":"PyPI","name":"synth-multi"},"versions":["3.5"]}]}"#,
    );
    let sdb = tmp.path().join("db.sqlite");
    let o = run(&[
        "db",
        "import",
        "--db",
        sdb.to_str().unwrap(),
        tmp.path().join("recs").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = s("SYNTH-MULTI-1");
    for (v, hit) in [
        ("0.9", false),
        ("1.0", true),
        ("1.1.5", true),
        ("1.2", false),
        ("1.9", false),
        ("2.0", true),
        ("2.2.9", true),
        ("2.3", false),
        ("3.0", false),
        ("3.5", true),
        ("3.6", false),
    ] {
        let got = ids_in(&sdb, &["PyPI", "synth-multi", v]);
        assert_eq!(got.contains(&m), hit, "{v}: {got:?}");
    }
    let fx = json_out(&[
        "db",
        "query",
        "--format",
        "json",
        "--db",
        sdb.to_str().unwrap(),
        "PyPI",
        "synth-multi",
        "2.1",
    ]);
    assert_eq!(
        fx["matches"][0]["fixed"],
        serde_json::json!(["2.3"]),
        "{fx}"
    );
}

/// Review item 9: Go module paths (scheme and trailing slash dropped, case and `/vN` significant) and Maven
/// `group:artifact` (also `group/artifact`, case-insensitive) through `db query`.
#[test]
fn go_and_maven_name_normalisation() {
    let db = full_db();
    let g = s("GO-2026-5207");
    for name in [
        "github.com/rancher/fleet",
        "https://github.com/rancher/fleet",
        "github.com/rancher/fleet/",
        " github.com/rancher/fleet ",
    ] {
        assert!(ids_in(db, &["Go", name, "0.12.3"]).contains(&g), "{name:?}");
        assert!(
            ids_in(db, &["go", name, "0.12.3"]).contains(&g),
            "go {name:?}"
        );
    }
    // Module paths are case-sensitive and a /vN suffix is another module.
    assert!(!ids_in(db, &["Go", "github.com/Rancher/Fleet", "0.12.3"]).contains(&g));
    assert!(!ids_in(db, &["Go", "github.com/rancher/fleet/v2", "0.12.3"]).contains(&g));
    // A real /vN module: found only under its own path.
    let d = shared_data();
    let v2 = records_for(
        &d.join("osv-go-vulndb"),
        "Go",
        "github.com/go-jose/go-jose/v3",
    );
    let v2_ids = sorted(
        v2.iter()
            .filter(|v| v["withdrawn"].is_null())
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect(),
    );
    assert!(!v2_ids.is_empty());
    assert_eq!(
        sorted(ids_in(db, &["Go", "github.com/go-jose/go-jose/v3"])),
        v2_ids
    );
    let base = ids_in(db, &["Go", "github.com/go-jose/go-jose"]);
    let base_expected = sorted(
        records_for(&d.join("osv-go-vulndb"), "Go", "github.com/go-jose/go-jose")
            .iter()
            .filter(|v| v["withdrawn"].is_null())
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect(),
    );
    assert_eq!(sorted(base), base_expected);
    // Maven: GHSA-838r-hvwh-24h8 (osv.dev testdata), org.apache.any23:apache-any23 < 2.5.
    let m = vec![s("GHSA-838r-hvwh-24h8")];
    for name in [
        "org.apache.any23:apache-any23",
        "org.apache.any23/apache-any23",
        "Org.Apache.Any23:Apache-Any23",
        "ORG.APACHE.ANY23/APACHE-ANY23",
    ] {
        assert_eq!(ids_in(db, &["Maven", name, "2.4"]), m, "{name}");
        assert_eq!(ids_in(db, &["maven", name]), m, "{name}");
        assert!(ids_in(db, &["Maven", name, "2.5"]).is_empty(), "{name}");
    }
    assert!(ids_in(db, &["Maven", "org.apache.any23", "2.4"]).is_empty());
}
