//! `db update`: fetch OSV data from a mirror over HTTP(S) and import it atomically.
//!
//! A mirror has OSV.dev's bucket layout (`<base>/<Ecosystem>/all.zip`,
//! `<base>/<Ecosystem>/modified_id.csv`, `<base>/<Ecosystem>/<ID>.json`). When the DB already has
//! an ecosystem, only the records newer than the last seen `modified` are fetched (the CSV is
//! sorted newest first); otherwise, or when too much changed, the whole `all.zip` is downloaded,
//! checked against the zip caps, and imported. `--source` may also point at one file: a zip of
//! OSV records or a `db export` file. Nothing is swapped in unless every download verified.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{DbError, Result};
use crate::export;
use crate::model::Advisory;
use crate::sink::{ImportReport, Sink};
use crate::store::{Builder, Db};

/// OSV.dev's public bucket.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems fetched by default: the OS families and language ecosystems sekisho matches.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
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

/// Above this many changed records, an incremental update downloads `all.zip` instead.
const INCREMENTAL_MAX: usize = 5000;
/// Largest download accepted.
const MAX_DOWNLOAD: u64 = 4 << 30;

/// `$XDG_CONFIG_HOME/sekisho/config.toml`, section `[db]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Config {
    /// Mirror base URL or URL of one archive/export file.
    pub source: Option<String>,
    /// Ecosystems `db update` fetches.
    pub ecosystems: Option<Vec<String>>,
    /// Days after which the DB is called stale.
    pub max_age_days: Option<u64>,
    /// DB path.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    db: Config,
}

/// Load the `[db]` section of the config file at `path` (defaults when there is no file). The
/// caller finds the file (`$XDG_CONFIG_HOME/sekisho/config.toml`) and loads it once.
///
/// # Errors
/// [`DbError::Config`] when the file exists but does not parse.
pub fn load_config(path: &Path) -> Result<Config> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Config::default());
    };
    let f: ConfigFile = toml::from_str(&text).map_err(|e| DbError::Config {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(f.db)
}

/// Options of [`update`].
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Mirror base URL or file URL; `None` = config file, else [`DEFAULT_SOURCE`].
    pub source: Option<String>,
    /// Ecosystems to fetch; empty = config file, else [`DEFAULT_ECOSYSTEMS`].
    pub ecosystems: Vec<String>,
    /// Never touch the network.
    pub offline: bool,
    /// Always download `all.zip` (ignore `modified_id.csv`).
    pub full: bool,
    /// Progress bar on stderr.
    pub progress: bool,
    /// The config file's `[db]` section (source and ecosystem defaults).
    pub config: Config,
}

/// What happened to one ecosystem.
#[derive(Debug, Clone, Serialize)]
pub struct EcosystemUpdate {
    pub ecosystem: String,
    /// `full`, `incremental`, `unchanged` or `file`.
    pub mode: String,
    pub records: u64,
}

/// What [`update`] did.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub source: String,
    pub offline: bool,
    pub ecosystems: Vec<EcosystemUpdate>,
    pub import: ImportReport,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(1800)))
        .timeout_connect(Some(Duration::from_secs(30)))
        .user_agent(concat!("sekisho/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn enc(seg: &str) -> String {
    let mut o = String::new();
    for b in seg.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// GET `url` into `out`, capped at `cap` bytes; checks Content-Length against what arrived.
fn download(agent: &ureq::Agent, url: &str, out: &mut std::fs::File, cap: u64) -> Result<u64> {
    let err = |reason: String| DbError::Download {
        url: url.to_string(),
        reason,
    };
    let mut resp = agent.get(url).call().map_err(|e| err(e.to_string()))?;
    let declared: Option<u64> = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if declared.is_some_and(|d| d > cap) {
        return Err(err(format!(
            "{} bytes is over the {cap} byte cap",
            declared.unwrap_or(0)
        )));
    }
    let mut r = resp.body_mut().with_config().limit(cap).reader();
    let n = std::io::copy(&mut r, out).map_err(|e| err(e.to_string()))?;
    if let Some(d) = declared
        && d != n
    {
        return Err(err(format!("truncated: {n} of {d} bytes")));
    }
    out.flush().map_err(|e| err(e.to_string()))?;
    out.seek(SeekFrom::Start(0))
        .map_err(|e| err(e.to_string()))?;
    Ok(n)
}

fn get_small(agent: &ureq::Agent, url: &str, cap: u64) -> Result<Vec<u8>> {
    let err = |reason: String| DbError::Download {
        url: url.to_string(),
        reason,
    };
    let mut resp = agent.get(url).call().map_err(|e| err(e.to_string()))?;
    let mut v = Vec::new();
    resp.body_mut()
        .with_config()
        .limit(cap)
        .reader()
        .read_to_end(&mut v)
        .map_err(|e| err(e.to_string()))?;
    Ok(v)
}

/// Parse `modified_id.csv` lines newer than `since`; returns (newest timestamp, ids).
fn newer_than(csv: &str, since: &str) -> (Option<String>, Vec<String>) {
    let mut newest = None;
    let mut ids = Vec::new();
    for line in csv.lines() {
        let Some((ts, id)) = line.trim().split_once(',') else {
            continue;
        };
        if newest.is_none() {
            newest = Some(ts.to_string());
        }
        // `<`, not `<=`: records sharing the last seen timestamp are fetched again (harmless).
        if ts < since {
            break;
        }
        ids.push(id.trim().to_string());
    }
    (newest, ids)
}

fn temp_file(dir: &Path, tag: &str) -> Result<(std::fs::File, PathBuf)> {
    std::fs::create_dir_all(dir).map_err(|e| DbError::io(dir, e))?;
    let p = dir.join(format!(".sekisho-download-{}-{tag}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&p)
        .map_err(|e| DbError::io(&p, e))?;
    Ok((f, p))
}

struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What an update fetches, decided without touching the network: the source, the ecosystems,
/// and the URL of each whole download (an incremental update fetches less).
#[derive(Debug, Clone, Serialize)]
pub struct UpdatePlan {
    pub source: String,
    /// Empty when the source is one file.
    pub ecosystems: Vec<String>,
    /// The archives a full update downloads: `<source>/<Ecosystem>/all.zip`, or the source file.
    pub downloads: Vec<String>,
}

impl UpdatePlan {
    /// Whether the source names one file (an OSV zip or an export file), not a mirror.
    #[must_use]
    pub fn is_one_file(&self) -> bool {
        let last = self.source.rsplit('/').next().unwrap_or("");
        last.contains('.') && !last.contains(':')
    }
}

/// The plan of [`update`] with these options (options, then the config file, then the
/// defaults).
#[must_use]
pub fn plan(opts: &UpdateOptions) -> UpdatePlan {
    let cfg = &opts.config;
    let source = opts
        .source
        .clone()
        .or(cfg.source.clone())
        .unwrap_or_else(|| DEFAULT_SOURCE.to_string());
    let source = source.trim_end_matches('/').to_string();
    let ecosystems: Vec<String> = if !opts.ecosystems.is_empty() {
        opts.ecosystems.clone()
    } else if let Some(e) = cfg.ecosystems.clone() {
        e
    } else {
        DEFAULT_ECOSYSTEMS
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    };
    let mut p = UpdatePlan {
        source,
        ecosystems,
        downloads: Vec::new(),
    };
    if p.is_one_file() {
        p.ecosystems.clear();
        p.downloads.push(p.source.clone());
    } else {
        p.downloads = p
            .ecosystems
            .iter()
            .map(|e| format!("{}/{}/all.zip", p.source, enc(e)))
            .collect();
    }
    p
}

/// The size of each of the plan's downloads, asked of the server (HEAD requests, a few seconds at
/// most each); `None` where it does not say or cannot be reached.
#[must_use]
pub fn download_sizes(plan: &UpdatePlan) -> Vec<Option<u64>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .timeout_connect(Some(Duration::from_secs(5)))
        .user_agent(concat!("sekisho/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    plan.downloads
        .iter()
        .map(|u| {
            let resp = agent.head(u).call().ok()?;
            resp.headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        })
        .collect()
}

/// Update the DB at `db` from a mirror. Atomic: on any failure the previous DB stays in place.
///
/// # Errors
/// Download, verification, SQLite and file-system errors.
pub fn update(db: &Path, opts: &UpdateOptions) -> Result<UpdateReport> {
    let pl = plan(opts);
    let one_file = pl.is_one_file();
    let UpdatePlan {
        source, ecosystems, ..
    } = pl;
    if opts.offline {
        return Ok(UpdateReport {
            source,
            offline: true,
            ecosystems: Vec::new(),
            import: ImportReport::default(),
        });
    }
    let dir = db
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let agent = agent();
    let existing = Db::open(db).ok();
    let mut b = Builder::begin(db, false)?;
    let mut sink = Sink::new(&mut b, opts.progress);
    let mut report = Vec::new();
    if one_file {
        // One file: an OSV zip or an export file.
        let (mut f, p) = temp_file(&dir, "file")?;
        let _guard = RemoveOnDrop(p.clone());
        download(&agent, &source, &mut f, MAX_DOWNLOAD)?;
        let before = sink.report.records;
        if export::is_export_file(&p) {
            export::read(&mut f, &source, &mut sink)?;
        } else {
            sink.zip(&source, &mut f, &source)?;
        }
        let n = sink.report.records - before;
        sink.builder
            .record_source(&source, "update-file", n, sink.report.malformed)?;
        report.push(EcosystemUpdate {
            ecosystem: "*".into(),
            mode: "file".into(),
            records: n,
        });
    } else {
        for eco in &ecosystems {
            let eco_url = format!("{source}/{}", enc(eco));
            let src_name = eco_url.clone();
            let meta_key = format!("update_modified:{src_name}");
            let since = match &existing {
                Some(d) if !opts.full => d.meta(&meta_key)?,
                _ => None,
            };
            let csv = get_small(&agent, &format!("{eco_url}/modified_id.csv"), 1 << 30)
                .ok()
                .map(|v| String::from_utf8_lossy(&v).into_owned());
            let before = sink.report.records;
            let malformed_before = sink.report.malformed;
            let mut mode = "full";
            let mut newest = csv.as_deref().and_then(|c| newer_than(c, "").0);
            let mut done = false;
            if let (Some(since), Some(csv)) = (&since, &csv) {
                let (nw, ids) = newer_than(csv, since);
                newest = nw;
                if ids.len() <= INCREMENTAL_MAX {
                    mode = if ids.is_empty() {
                        "unchanged"
                    } else {
                        "incremental"
                    };
                    for id in ids {
                        let url = format!("{eco_url}/{}.json", enc(&id));
                        let bytes = get_small(&agent, &url, 64 << 20)?;
                        match Advisory::from_json(&bytes) {
                            Ok(a) => sink.put(&a, &src_name)?,
                            Err(e) => sink.bad(format!("{url}: {e}")),
                        }
                    }
                    done = true;
                }
            }
            if !done {
                let (mut f, p) = temp_file(&dir, "zip")?;
                let _guard = RemoveOnDrop(p);
                download(&agent, &format!("{eco_url}/all.zip"), &mut f, MAX_DOWNLOAD)?;
                sink.zip(&format!("{eco_url}/all.zip"), &mut f, &src_name)?;
            }
            let n = sink.report.records - before;
            if let Some(nw) = newest {
                sink.builder.set_meta(&meta_key, &nw)?;
            }
            sink.builder.record_source(
                &src_name,
                "update",
                n,
                sink.report.malformed - malformed_before,
            )?;
            report.push(EcosystemUpdate {
                ecosystem: eco.clone(),
                mode: mode.into(),
                records: n,
            });
        }
    }
    sink.progress.finish_and_clear();
    let import = sink.report;
    b.commit()?;
    Ok(UpdateReport {
        source,
        offline: false,
        ecosystems: report,
        import,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_newer() {
        let csv = "2026-01-03T00:00:00Z,C\n2026-01-02T00:00:00Z,B\n2026-01-01T00:00:00Z,A\n";
        let (n, ids) = newer_than(csv, "2026-01-01T00:00:00Z");
        assert_eq!(n.as_deref(), Some("2026-01-03T00:00:00Z"));
        // A shares the last-seen timestamp, so it is fetched again: a record modified later in
        // that same second must not be missed.
        assert_eq!(ids, vec!["C", "B", "A"]);
        let (_, ids) = newer_than(csv, "2026-01-02T12:00:00Z");
        assert_eq!(ids, vec!["C"]);
        assert_eq!(enc("Rocky Linux"), "Rocky%20Linux");
    }
}
