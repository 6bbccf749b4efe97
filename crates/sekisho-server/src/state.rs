//! The server's configuration and the state its handlers and background tasks share.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};

use crate::auth::Tokens;
use crate::matching::Matcher;
use crate::store::Store;
use crate::store::postgres::{PgOptions, PgStore};
use crate::store::sqlite::SqliteStore;

/// Everything `sekisho server` is told.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// State directory (the SQLite store `server.sqlite` lives here).
    pub data: PathBuf,
    /// The vulnerability DB file watched for changes.
    pub db: PathBuf,
    pub tokens: Tokens,
    /// Largest request body (bytes).
    pub body_limit: usize,
    /// Bytes of encoded findings reports kept in memory (0: none; they are kept on disk under
    /// `data/reports` whatever this is).
    pub report_cache: usize,
    /// Per-request time limit.
    pub request_timeout: Duration,
    /// Uploads matched at once.
    pub max_scans: usize,
    pub allow_private_webhooks: bool,
    /// How often the DB file is looked at.
    pub poll_interval: Duration,
    /// First retry delay of a failed delivery; doubles per attempt (with jitter).
    pub backoff_base: Duration,
    /// Longest delay between two attempts.
    pub backoff_max: Duration,
    /// Attempts before a delivery goes to the dead letter.
    pub max_attempts: u32,
    /// Time limit of one delivery attempt.
    pub delivery_timeout: Duration,
    /// Advisories re-matched per transaction.
    pub rematch_batch: usize,
    /// Mark the dashboard's cookies `Secure` (the server is reached over TLS, e.g. behind a
    /// terminating proxy).
    pub cookie_secure: bool,
    /// How often a watched image tag's manifest digest is checked.
    pub watch_interval: Duration,
    /// Allow image references whose registry (or token realm, or redirect) reaches loopback,
    /// private or link-local addresses.
    pub allow_private_registries: bool,
    /// Registries the operator configured (`host[:port]` as in a reference): the only ones the
    /// server sends its own credentials (from `docker_config`) to, and reached even on private
    /// addresses. Every other registry is pulled anonymously, on public addresses only.
    pub registries: Vec<String>,
    /// The Docker config file with the server's registry credentials.
    pub docker_config: Option<PathBuf>,
    /// How long a taken job is held before another worker may take it (renewed while it runs).
    pub job_lease: Duration,
    /// The shared PostgreSQL store (`postgres://...`); `None`: the embedded SQLite store under
    /// `data`.
    pub database: Option<String>,
    /// How long a replica holds the advisories of one re-match batch (PostgreSQL only: another
    /// replica takes them after this when the holder died).
    pub rematch_lease: Duration,
}

impl Config {
    /// Defaults for everything but where to listen, the data directory and the tokens.
    pub fn new(listen: SocketAddr, data: PathBuf, tokens: Tokens) -> Self {
        Self {
            listen,
            db: data.join("vulndb.sqlite"),
            data,
            tokens,
            body_limit: 64 << 20,
            report_cache: 512 << 20,
            request_timeout: Duration::from_secs(60),
            max_scans: std::thread::available_parallelism().map_or(2, |n| n.get()),
            allow_private_webhooks: false,
            poll_interval: Duration::from_secs(1),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(6 * 3600),
            max_attempts: 12,
            delivery_timeout: Duration::from_secs(10),
            rematch_batch: 256,
            cookie_secure: false,
            watch_interval: Duration::from_secs(6 * 3600),
            allow_private_registries: false,
            registries: Vec::new(),
            docker_config: None,
            job_lease: Duration::from_secs(60),
            database: None,
            rematch_lease: Duration::from_secs(300),
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub scans: AtomicU64,
    pub scan_failures: AtomicU64,
    pub rematch_passes: AtomicU64,
    pub rematch_components: AtomicU64,
    pub rematch_micros: AtomicU64,
    pub deliveries_ok: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub dead_letters: AtomicU64,
    pub requests: AtomicU64,
    pub report_hits: AtomicU64,
    pub report_builds: AtomicU64,
    /// Reports built ahead of their first request.
    pub report_warm: AtomicU64,
}

/// State shared by the handlers and the background tasks.
pub struct App {
    pub cfg: Config,
    pub store: Arc<dyn Store>,
    pub matcher: Matcher,
    /// The bound on scans running at once (uploads, image pulls, watch re-catalogs).
    pub scans: Arc<Semaphore>,
    pub metrics: Metrics,
    /// Encoded findings reports, kept per artifact.
    pub reports: crate::report_cache::ReportCache,
    /// Artifacts whose reports are built ahead of their first request.
    pub warmer: crate::report_cache::Warmer,
    pub wake_deliveries: Notify,
    pub wake_rematch: Notify,
    pub started: Instant,
    /// Wakes the job worker (a job was queued).
    pub wake_jobs: Notify,
    /// This process's name as a job holder.
    pub owner: String,
}

impl App {
    /// Open the store and the DB (a missing DB is not fatal: the server runs, says so in
    /// `/readyz`, and matches everything when one appears).
    ///
    /// # Errors
    /// When the data directory or the store cannot be opened.
    pub fn open(cfg: Config) -> Result<Arc<Self>, String> {
        std::fs::create_dir_all(&cfg.data)
            .map_err(|e| format!("cannot create {}: {e}", cfg.data.display()))?;
        let (store, shared): (Arc<dyn Store>, bool) = match &cfg.database {
            Some(url) => {
                let opts = PgOptions {
                    advisory_lease: cfg.rematch_lease,
                };
                let s = PgStore::open(url, opts).map_err(|e| format!("--database: {e}"))?;
                eprintln!("sekisho server: store: {}", s.place());
                (Arc::new(s), true)
            }
            None => {
                let path = cfg.data.join("server.sqlite");
                let s = SqliteStore::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                (Arc::new(s), false)
            }
        };
        let app = Arc::new(Self {
            matcher: if shared {
                Matcher::shared(cfg.db.clone())
            } else {
                Matcher::new(cfg.db.clone())
            },
            scans: Arc::new(Semaphore::new(cfg.max_scans.max(1))),
            store,
            reports: crate::report_cache::ReportCache::new(
                cfg.report_cache,
                Some(cfg.data.join("reports")),
            ),
            warmer: crate::report_cache::Warmer::default(),
            cfg,
            metrics: Metrics::default(),
            wake_deliveries: Notify::new(),
            wake_rematch: Notify::new(),
            started: Instant::now(),
            wake_jobs: Notify::new(),
            owner: crate::ids::new_id("worker_"),
        });
        // The embedded store is this process's alone: a job left running was cut short. A shared
        // store's jobs may be other replicas': a crashed one's are taken when its lease ends.
        let n = if shared {
            0
        } else {
            app.store
                .requeue_running_jobs()
                .map_err(|e| e.to_string())?
        };
        if n > 0 {
            eprintln!("sekisho server: resuming {n} interrupted job(s)");
        }
        app.matcher.check(app.store.as_ref())?;
        Ok(app)
    }
}
