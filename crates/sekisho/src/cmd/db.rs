//! `sekisho db …`: import, update, export, status and query of the vulnerability database
//! (library: `sekisho-vulndb`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use sekisho_scan::{Environment, Settings};
use sekisho_vulndb::{
    DEFAULT_MAX_AGE, Db, ImportOptions, QueryOptions, UpdateOptions, export, import_paths, update,
};

use super::{EXIT_NO_DATA, EXIT_OK};

/// Options every `db` subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct DbOpts {
    /// Database file (default: $XDG_CACHE_HOME/sekisho/db.sqlite, or the config file's `db.path`).
    #[arg(long, global = true, value_name = "PATH", env = "SEKISHO_DB")]
    pub db: Option<PathBuf>,
    /// Warn when the database is older than this many days.
    #[arg(long, global = true, value_name = "DAYS")]
    pub max_age_days: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Import OSV records (directories, .json/.yaml files, all.zip archives, export files) and
    /// native feeds (Debian tracker JSON, Alpine secdb), then swap the new DB in atomically.
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Start from an empty database instead of adding to the existing one.
        #[arg(long)]
        fresh: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        opts: DbOpts,
    },
    /// Download OSV data from a mirror (default: OSV.dev) and import it atomically.
    Update {
        /// Mirror base URL (OSV bucket layout) or URL of one all.zip or export file.
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        /// Ecosystem to fetch (repeatable; default: every ecosystem sekisho matches).
        #[arg(long = "ecosystem", value_name = "ECOSYSTEM")]
        ecosystems: Vec<String>,
        /// Never touch the network: only report the state of the local database.
        #[arg(long)]
        offline: bool,
        /// Download whole archives even when an incremental update is possible.
        #[arg(long)]
        full: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        opts: DbOpts,
    },
    /// Write the whole database as one compact, checksummed file (for air-gapped sites).
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        opts: DbOpts,
    },
    /// Show the database's path, schema, age, sources and counts per ecosystem.
    Status {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        opts: DbOpts,
    },
    /// Advisories affecting VERSION of package NAME in ECOSYSTEM (all advisories for the
    /// package without VERSION).
    Query {
        /// OSV ecosystem with release: `Debian:12`, `Ubuntu:22.04`, `Alpine:v3.19`, `PyPI`, `Go`.
        ecosystem: String,
        name: String,
        #[arg(value_name = "VERSION")]
        pkg_version: Option<String>,
        /// Include withdrawn records and non-security errata.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[command(flatten)]
        opts: DbOpts,
    },
}

/// The environment and the settings file, read once per command.
struct Ctx {
    env: Environment,
    settings: Settings,
}

impl Ctx {
    fn load() -> anyhow::Result<Self> {
        let env = Environment::from_process();
        let settings = Settings::load(&env)?;
        Ok(Self { env, settings })
    }

    fn db_path(&self, o: &DbOpts) -> PathBuf {
        o.db.clone()
            .unwrap_or_else(|| self.settings.db_path(&self.env))
    }

    fn max_age(&self, o: &DbOpts) -> Duration {
        o.max_age_days
            .or(self.settings.db.max_age_days)
            .map(|d| Duration::from_secs(d * 86_400))
            .unwrap_or(DEFAULT_MAX_AGE)
    }
}

fn progress_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_import_report(
    kind: &str,
    r: &sekisho_vulndb::ImportReport,
    format: Format,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    // Skipped records are named on stderr whatever the output format.
    if r.malformed > 0 {
        eprintln!(
            "warning: {} malformed records skipped; first ones:",
            r.malformed
        );
        for e in &r.malformed_examples {
            eprintln!("  {e}");
        }
    }
    if r.ignored_files > 0 {
        eprintln!(
            "warning: {} of {} files were not advisory data and were skipped{}",
            r.ignored_files,
            r.files,
            if r.ignored_files > r.ignored_examples.len() as u64 {
                "; first ones:"
            } else {
                ":"
            }
        );
        for e in &r.ignored_examples {
            eprintln!("  {e}");
        }
    }
    for p in &r.inputs_without_records {
        eprintln!("warning: no advisory record found in {p}");
    }
    if format == Format::Json {
        let mut v = serde_json::json!({"schema_version": 1, "kind": kind, "report": r});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                o.insert(k.clone(), x.clone());
            }
        }
        return print_json(&v);
    }
    println!(
        "{} records read ({} new, {} replaced, {} kept because the DB had a newer version, {} converted from distro feeds)",
        r.records, r.inserted, r.replaced, r.kept_newer, r.converted
    );
    if r.ignored_files > 0 {
        println!(
            "{} files were not advisory data and were ignored",
            r.ignored_files
        );
    }
    Ok(())
}

pub fn run(c: DbCmd) -> anyhow::Result<ExitCode> {
    let cx = Ctx::load()?;
    match c {
        DbCmd::Import {
            paths,
            fresh,
            format,
            opts,
        } => {
            let path = cx.db_path(&opts);
            let r = match import_paths(
                &path,
                &paths,
                &ImportOptions {
                    fresh,
                    progress: progress_wanted(),
                },
            ) {
                Ok(r) => r,
                // Already names every input and why each was skipped.
                Err(e @ sekisho_vulndb::DbError::NothingImported(_)) => return Err(e.into()),
                Err(e) => {
                    return Err(
                        anyhow::Error::new(e).context(format!("import into {}", path.display()))
                    );
                }
            };
            print_import_report("db_import", &r, format, serde_json::json!({"db": path}))?;
            Ok(ExitCode::from(EXIT_OK))
        }
        DbCmd::Update {
            source,
            ecosystems,
            offline,
            full,
            format,
            opts,
        } => {
            let path = cx.db_path(&opts);
            let r = update(
                &path,
                &UpdateOptions {
                    source,
                    ecosystems,
                    offline,
                    full,
                    progress: progress_wanted(),
                    config: cx.settings.db.clone(),
                },
            )
            .with_context(|| format!("update {}", path.display()))?;
            if r.offline {
                match Db::open(&path) {
                    Ok(db) => {
                        if let Some(w) = db.stale_warning(cx.max_age(&opts)) {
                            eprintln!("warning: {w}");
                        }
                        eprintln!(
                            "offline: not contacting {}; using {}",
                            r.source,
                            path.display()
                        );
                    }
                    Err(e) => eprintln!("warning: offline and {e}"),
                }
                return Ok(ExitCode::from(EXIT_OK));
            }
            if format == Format::Table {
                for e in &r.ecosystems {
                    println!("{:<14} {:<12} {} records", e.ecosystem, e.mode, e.records);
                }
            }
            print_import_report(
                "db_update",
                &r.import,
                format,
                serde_json::json!({"db": path, "source": r.source, "ecosystems": r.ecosystems}),
            )?;
            Ok(ExitCode::from(EXIT_OK))
        }
        DbCmd::Export { file, opts } => {
            let path = cx.db_path(&opts);
            let db = Db::open(&path)?;
            let h = export::write(&db, &file)
                .with_context(|| format!("export to {}", file.display()))?;
            println!(
                "wrote {} records to {} (sha256 {})",
                h.records,
                file.display(),
                h.payload_sha256
            );
            Ok(ExitCode::from(EXIT_OK))
        }
        DbCmd::Status { format, opts } => {
            let path = cx.db_path(&opts);
            let db = Db::open(&path)?;
            let st = db.status()?;
            let stale = st.is_stale(cx.max_age(&opts));
            if let Some(w) = db.stale_warning(cx.max_age(&opts)) {
                eprintln!("warning: {w}");
            }
            if format == Format::Json {
                let mut v = serde_json::to_value(&st)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("stale".into(), stale.into());
                    o.insert("kind".into(), "db_status".into());
                    o.insert("db_schema_version".into(), st.schema_version.into());
                    o.insert("schema_version".into(), 1.into());
                }
                print_json(&v)?;
                return Ok(ExitCode::from(EXIT_OK));
            }
            println!("path:            {}", st.path.display());
            println!("schema version:  {}", st.schema_version);
            println!("built:           {}", st.built_at.as_deref().unwrap_or("-"));
            println!(
                "updated:         {}",
                st.updated_at.as_deref().unwrap_or("-")
            );
            match st.age_seconds {
                Some(a) => println!(
                    "age:             {}d {}h{}",
                    a / 86_400,
                    (a / 3600) % 24,
                    if stale { " (stale)" } else { "" }
                ),
                None => println!("age:             unknown"),
            }
            println!("size:            {} bytes", st.size_bytes);
            println!(
                "advisories:      {} ({} withdrawn, {} non-security, {} without a package)",
                st.advisories, st.withdrawn, st.non_security, st.without_package
            );
            println!("ecosystems:");
            for e in &st.ecosystems {
                println!(
                    "  {:<24} {:>8} advisories {:>8} packages",
                    e.ecosystem, e.advisories, e.packages
                );
            }
            if !st.releases.is_empty() {
                println!("releases:");
                for e in &st.releases {
                    let n = format!("{}:{}", e.ecosystem, e.release);
                    println!(
                        "  {n:<24} {:>8} advisories {:>8} packages",
                        e.advisories, e.packages
                    );
                }
            }
            println!("sources:");
            for s in &st.sources {
                println!(
                    "  {} ({}, {}): {} records, {} malformed",
                    s.name, s.kind, s.imported_at, s.records, s.malformed
                );
            }
            Ok(ExitCode::from(EXIT_OK))
        }
        DbCmd::Query {
            ecosystem,
            name,
            pkg_version: version,
            all,
            format,
            opts,
        } => {
            let path = cx.db_path(&opts);
            let db = Db::open(&path)?;
            if let Some(w) = db.stale_warning(cx.max_age(&opts)) {
                eprintln!("warning: {w}");
            }
            let has = db.has_data(&ecosystem)?;
            let q = QueryOptions {
                include_withdrawn: all,
                include_non_security: all,
            };
            let out = db.query(&ecosystem, &name, version.as_deref(), q)?;
            for n in &out.notes {
                eprintln!("note: {n}");
            }
            if !has {
                eprintln!("no advisory data for {ecosystem} in {}", path.display());
            }
            if format == Format::Json {
                let matches: Vec<serde_json::Value> = out
                    .matches
                    .iter()
                    .map(|m| {
                        let a = &m.candidate.advisory;
                        serde_json::json!({
                            "id": a.id,
                            "aliases": a.aliases,
                            "upstream": a.upstream,
                            "related": a.related,
                            "summary": a.summary,
                            "published": a.published,
                            "modified": a.modified,
                            "withdrawn": a.withdrawn,
                            "security": m.candidate.security,
                            "ecosystem": m.candidate.ecosystem,
                            "package": m.candidate.affected.package.as_ref().map(|p| p.name.clone()),
                            "fixed": m.fixed,
                            "status": m.status,
                            "severity": m.severity,
                            "ranges": m.candidate.affected.ranges,
                            "ecosystem_specific": m.candidate.affected.ecosystem_specific,
                        })
                    })
                    .collect();
                print_json(&serde_json::json!({
                    "schema_version": 1,
                    "kind": "db_query",
                    "ecosystem": ecosystem,
                    "package": name,
                    "version": version,
                    "has_data": has,
                    "matches": matches,
                    "notes": out.notes,
                }))?;
            } else {
                for m in &out.matches {
                    let a = &m.candidate.advisory;
                    let mut ids: Vec<&str> = a
                        .aliases
                        .iter()
                        .chain(a.upstream.iter())
                        .map(String::as_str)
                        .collect();
                    ids.dedup();
                    let fixed = if m.fixed.is_empty() {
                        "-".to_string()
                    } else {
                        m.fixed.join(",")
                    };
                    let flags = match (a.is_withdrawn(), m.candidate.security) {
                        (true, _) => " [withdrawn]",
                        (_, false) => " [not a security advisory]",
                        _ => "",
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}{}",
                        a.id,
                        m.severity.rating,
                        m.status.as_str(),
                        fixed,
                        if ids.is_empty() {
                            "-".to_string()
                        } else {
                            ids.join(",")
                        },
                        a.summary.as_deref().unwrap_or(""),
                        flags
                    );
                }
                if out.matches.is_empty() {
                    eprintln!("no advisories match");
                }
            }
            if !has {
                return Ok(ExitCode::from(EXIT_NO_DATA));
            }
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}
