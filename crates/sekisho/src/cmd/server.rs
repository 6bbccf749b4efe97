//! `sekisho server`: the long-running service of `sekisho-server` (stored SBOMs re-matched on
//! every vulnerability-DB change, signed webhook notifications). This file only maps flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::EXIT_OK;

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8480")]
    pub listen: SocketAddr,
    /// State directory (the embedded store lives here).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Keep the state in PostgreSQL instead (`postgres://user@host:port/db`): several servers
    /// on one database share the work. The vulnerability DB stays a local file (`--db`).
    /// Also read from SEKISHO_DATABASE_URL, which keeps a password out of the process list.
    #[arg(
        long,
        value_name = "URL",
        env = "SEKISHO_DATABASE_URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Bearer tokens, one per line: `rw <token>` or `ro <token>`.
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,
    /// Vulnerability DB file, watched for changes (default DIR/vulndb.sqlite).
    #[arg(long, value_name = "VULNDB")]
    pub db: Option<PathBuf>,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub body_limit_mib: usize,
    /// Memory for findings reports kept per artifact, in MiB (0: none kept in memory; they are
    /// kept on disk too, under DATA/reports).
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    pub report_cache_mib: usize,
    /// Per-request time limit, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub request_timeout: u64,
    /// Uploads matched at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub max_scans: Option<usize>,
    /// Allow webhook URLs that reach loopback, private or link-local addresses.
    #[arg(long)]
    pub allow_private_webhooks: bool,
    /// First retry delay of a failed delivery, in milliseconds (doubles per attempt, jittered).
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub webhook_backoff_ms: u64,
    /// Longest delay between two delivery attempts, in seconds.
    #[arg(long, default_value_t = 6 * 3600, value_name = "SECS")]
    pub webhook_backoff_max: u64,
    /// Attempts before a delivery goes to the dead letter.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub webhook_attempts: u32,
    /// Time a receiver has to answer one delivery, in seconds. A delivery in flight is leased to
    /// its sender for three times this plus 5 s: after a crash, another replica (or the
    /// restarted server) sends it again once the lease ends, with the same webhook-id.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub webhook_timeout: u64,
    /// How often the vulnerability DB file is checked for a change, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub db_poll_ms: u64,
    /// Advisories re-matched per transaction (smaller: shorter transactions, more of them).
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub rematch_batch: usize,
    /// Mark the dashboard's session cookie `Secure`: set it when browsers reach the server over
    /// TLS (a terminating proxy in front). `X-Forwarded-Proto: https` on a request does the same.
    #[arg(long)]
    pub cookie_secure: bool,
    /// How often a watched image tag (`POST /api/v1/images`) is checked for a new manifest
    /// digest, in seconds; only a new digest is pulled and cataloged again.
    #[arg(long, default_value_t = 6 * 3600, value_name = "SECS")]
    pub watch_interval: u64,
    /// Allow image references (and Harbor scan requests) whose registry reaches loopback,
    /// private or link-local addresses.
    #[arg(long)]
    pub allow_private_registries: bool,
    /// A registry the operator trusts, `host[:port]` as in an image reference (repeatable): the
    /// server sends its own credentials (Docker's config.json and credential helpers, as the CLI
    /// reads them) only to these, and reaches them even on private addresses. Every other
    /// registry is pulled anonymously.
    #[arg(long = "registry", value_name = "HOST[:PORT]")]
    pub registries: Vec<String>,
    /// How long a taken job is held before another worker may take it over, in seconds
    /// (renewed while it runs).
    #[arg(long, default_value_t = 60, value_name = "SECS", hide = true)]
    pub job_lease: u64,
    /// How long a replica holds the advisories of one re-match batch on PostgreSQL, in seconds
    /// (another replica takes them after this when the holder died).
    #[arg(long, default_value_t = 300, value_name = "SECS", hide = true)]
    pub rematch_lease: u64,
}

pub fn run(a: ServerArgs) -> anyhow::Result<ExitCode> {
    let tokens = sekisho_server::auth::Tokens::load(&a.token_file).map_err(anyhow::Error::msg)?;
    let mut cfg = sekisho_server::Config::new(a.listen, a.data.clone(), tokens);
    if let Some(db) = a.db {
        cfg.db = db;
    }
    cfg.body_limit = a.body_limit_mib.max(1) << 20;
    cfg.report_cache = a.report_cache_mib << 20;
    cfg.request_timeout = Duration::from_secs(a.request_timeout.max(1));
    if let Some(n) = a.max_scans {
        cfg.max_scans = n.max(1);
    }
    cfg.allow_private_webhooks = a.allow_private_webhooks;
    cfg.backoff_base = Duration::from_millis(a.webhook_backoff_ms.max(1));
    cfg.backoff_max = Duration::from_secs(a.webhook_backoff_max.max(1));
    cfg.max_attempts = a.webhook_attempts.max(1);
    cfg.delivery_timeout = Duration::from_secs(a.webhook_timeout.clamp(1, 600));
    cfg.poll_interval = Duration::from_millis(a.db_poll_ms.clamp(50, 60_000));
    cfg.rematch_batch = a.rematch_batch.max(1);
    cfg.cookie_secure = a.cookie_secure;
    cfg.watch_interval = Duration::from_secs(a.watch_interval.max(1));
    cfg.allow_private_registries = a.allow_private_registries;
    cfg.registries = a.registries;
    if !cfg.registries.is_empty() {
        cfg.docker_config = sekisho_scan::Environment::from_process().docker_config;
    }
    cfg.job_lease = Duration::from_secs(a.job_lease.clamp(1, 3600));
    cfg.database = a.database.filter(|d| !d.is_empty());
    cfg.rematch_lease = Duration::from_secs(a.rematch_lease.clamp(1, 24 * 3600));
    sekisho_server::run(cfg).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::from(EXIT_OK))
}
