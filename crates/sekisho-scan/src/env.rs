//! The ambient state a scan depends on, passed in explicitly.
//!
//! Libraries never read environment variables, the current directory or standard input: the
//! CLI builds an [`Environment`] from its process ([`Environment::from_process`]), and a server
//! builds one of its own ([`Environment::isolated`]): no home directory, no Docker credentials,
//! no proxy, so a tenant-named image reference never receives the server's registry
//! credentials.

use std::path::{Path, PathBuf};

use sekisho_artifact::image::registry::ProxySettings;

/// Everything a scan would otherwise read from the process environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_CACHE_HOME`, else `~/.cache`.
    pub cache_home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub config_home: Option<PathBuf>,
    /// The Docker config file whose credentials (and credential helpers) registry pulls may use:
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. `None`: no credentials.
    pub docker_config: Option<PathBuf>,
    /// Extra CA certificates for registries (`SSL_CERT_FILE`).
    pub extra_ca_certs: Vec<PathBuf>,
    /// The proxy for registries and downloads (`HTTPS_PROXY`, `NO_PROXY`, …).
    pub proxy: ProxySettings,
    /// The directory relative paths (a default `.sekishoignore`) are found in.
    pub cwd: Option<PathBuf>,
    /// Seconds since the epoch that reports are dated with (`SOURCE_DATE_EPOCH`, else now).
    pub now: u64,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn var_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Environment {
    /// The environment of this process, as the CLI sees it.
    pub fn from_process() -> Self {
        let home = var_path("HOME");
        let cache_home =
            var_path("XDG_CACHE_HOME").or_else(|| home.as_ref().map(|h| h.join(".cache")));
        let config_home =
            var_path("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
        let docker_config = sekisho_artifact::image::auth::docker_config_path(
            var_path("DOCKER_CONFIG").as_deref(),
            home.as_deref(),
        );
        let proxy = ProxySettings {
            url: [
                "ALL_PROXY",
                "all_proxy",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
            ]
            .iter()
            .find_map(|v| var(v)),
            no_proxy: var("NO_PROXY").or_else(|| var("no_proxy")),
        };
        let now = var("SOURCE_DATE_EPOCH")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(sekisho_finding::time::unix_now);
        Self {
            home,
            cache_home,
            config_home,
            docker_config,
            extra_ca_certs: var_path("SSL_CERT_FILE").into_iter().collect(),
            proxy,
            cwd: std::env::current_dir().ok(),
            now,
        }
    }

    /// An environment with nothing ambient: no home, no credentials, no proxy, no working
    /// directory; dated now. What a server scanning for others starts from.
    pub fn isolated() -> Self {
        Self {
            now: sekisho_finding::time::unix_now(),
            ..Self::default()
        }
    }

    /// `<cache home>/sekisho`: the layer cache and the default DB live here.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_home.as_ref().map(|c| c.join("sekisho"))
    }

    /// `<config home>/sekisho/config.toml`.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.config_home
            .as_ref()
            .map(|c| c.join("sekisho").join("config.toml"))
    }

    /// The vulnerability DB's default path: `<cache home>/sekisho/db.sqlite` (or
    /// `./.cache/sekisho/db.sqlite` without any home).
    pub fn default_db_path(&self) -> PathBuf {
        sekisho_vulndb::default_db_path(
            self.cache_home
                .as_deref()
                .unwrap_or_else(|| Path::new(".cache")),
        )
    }

    /// A path relative to [`Environment::cwd`].
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match &self.cwd {
            Some(c) if p.is_relative() => c.join(p),
            _ => p.to_path_buf(),
        }
    }
}

/// The settings file (`config.toml`), loaded once per process.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Its `[db]` section.
    pub db: sekisho_vulndb::update::Config,
}

impl Settings {
    /// Load the settings file of `env` (defaults when there is none).
    ///
    /// # Errors
    /// When the file exists but does not parse.
    pub fn load(env: &Environment) -> Result<Self, sekisho_vulndb::DbError> {
        let db = match env.config_file() {
            Some(p) => sekisho_vulndb::update::load_config(&p)?,
            None => sekisho_vulndb::update::Config::default(),
        };
        Ok(Self { db })
    }

    /// The vulnerability DB path: the settings' `db.path`, else the default.
    pub fn db_path(&self, env: &Environment) -> PathBuf {
        self.db
            .path
            .clone()
            .unwrap_or_else(|| env.default_db_path())
    }

    /// How old a DB may get before scans warn.
    pub fn max_age(&self) -> std::time::Duration {
        self.db
            .max_age_days
            .map_or(sekisho_vulndb::DEFAULT_MAX_AGE, |d| {
                std::time::Duration::from_secs(d * 86_400)
            })
    }
}
