//! Target arguments shared by scans and `sbom`: how a user names an image, a root filesystem or a
//! VM disk, mapped onto `sekisho-scan`'s target types. Opening them is the library's.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::{Limits, Platform};
use sekisho_scan::{CacheSettings, Environment, ImageSource, ImageSpec, RegistryAccess};

/// `image REF | --input FILE | --oci-dir DIR[:TAG]`
#[derive(Debug, Args)]
pub struct ImageTarget {
    /// Image reference to pull from a registry, e.g. `127.0.0.1:5000/team/app:1.2`,
    /// `alpine` (= docker.io/library/alpine:latest) or `name@sha256:…`. Or, instead:
    /// --input FILE, --oci-dir DIR[:TAG].
    // Not `required` for clap: without any of the three, `spec` names all of them.
    pub reference: Option<String>,
    /// A docker-archive (`docker save`) or OCI archive, optionally gzip-compressed.
    #[arg(long, conflicts_with_all = ["reference", "oci_dir"])]
    pub input: Option<PathBuf>,
    /// An OCI image layout directory, optionally with `:TAG`.
    #[arg(long, conflicts_with_all = ["reference", "input"])]
    pub oci_dir: Option<String>,
    /// Platform to pick from a multi-platform image, OS/ARCH[/VARIANT] (default: linux/<host arch>).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Allow plain-HTTP registries and skip TLS certificate verification.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (otherwise Docker's config.json and credential helpers are used).
    #[arg(long, env = "SEKISHO_USERNAME")]
    pub username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Registry password from the environment (prefer --password-stdin).
    #[arg(
        long = "password",
        env = "SEKISHO_PASSWORD",
        hide = true,
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// Extra CA certificate (PEM) to trust for the registry; repeatable. SSL_CERT_FILE is honoured.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Per-layer result cache directory (default: $XDG_CACHE_HOME/sekisho).
    #[arg(long, value_name = "DIR", env = "SEKISHO_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Size bound of the layer cache, in MiB (least recently used entries are evicted).
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub cache_max_mb: u64,
    /// Largest number of bytes one layer may inflate to (decompression-bomb guard).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub max_layer_bytes: Option<u64>,
}

impl ImageTarget {
    /// The per-layer cache (`--cache-dir`, `--no-cache`, `--cache-max-mb`).
    pub fn cache(&self, env: &Environment) -> Option<CacheSettings> {
        if self.no_cache {
            return None;
        }
        let dir = self.cache_dir.clone().or_else(|| env.cache_dir())?;
        Some(CacheSettings {
            dir,
            max_bytes: self.cache_max_mb.saturating_mul(1 << 20),
        })
    }

    /// The image as the library names it. The registry password comes from `password` when the
    /// caller already read it, else `--password-stdin` reads standard input.
    pub fn spec(&self, env: &Environment, password: Option<String>) -> anyhow::Result<ImageSpec> {
        let source = if let Some(f) = &self.input {
            ImageSource::Archive(f.clone())
        } else if let Some(d) = &self.oci_dir {
            ImageSource::Layout(d.clone())
        } else if let Some(r) = &self.reference {
            ImageSource::Registry(r.clone())
        } else {
            anyhow::bail!(
                "name the image to scan: a registry reference (`sekisho image alpine:3.19`), a \
                 docker-archive or OCI archive file (`--input FILE`, gzip ok), or an OCI image \
                 layout directory (`--oci-dir DIR[:TAG]`)"
            );
        };
        let platform = self
            .platform
            .as_deref()
            .map(Platform::parse)
            .transpose()
            .context("bad --platform")?;
        let mut limits = Limits::default();
        if let Some(m) = self.max_layer_bytes {
            limits.max_inflated = m;
        }
        let mut registry = RegistryAccess::from_environment(env);
        registry.insecure = self.insecure;
        registry.ca_certs.splice(0..0, self.ca_cert.iter().cloned());
        if matches!(source, ImageSource::Registry(_)) {
            registry.credentials = self.credentials(password)?;
        }
        Ok(ImageSpec {
            source,
            platform,
            registry,
            limits,
        })
    }

    fn credentials(&self, password: Option<String>) -> anyhow::Result<Option<Credentials>> {
        let password = if let Some(p) = password {
            Some(p)
        } else if self.password_stdin {
            let mut s = String::new();
            std::io::stdin()
                .take(64 << 10)
                .read_to_string(&mut s)
                .context("reading the password from standard input")?;
            Some(s.trim_end_matches(['\r', '\n']).to_string())
        } else {
            self.password.clone()
        };
        match (&self.username, password) {
            (Some(u), Some(p)) => Ok(Some(Credentials {
                username: u.clone(),
                password: p,
            })),
            (Some(u), None) => anyhow::bail!(
                "--username {u} given without a password; add --password-stdin (e.g. `echo $PW | sekisho image --username {u} --password-stdin …`)"
            ),
            (None, _) => Ok(None),
        }
    }
}

/// `rootfs DIR`
#[derive(Debug, Args)]
pub struct RootfsTarget {
    /// The root directory.
    pub dir: PathBuf,
}

/// `vm DISK`
#[derive(Debug, Args)]
pub struct VmTarget {
    /// A disk image: raw, qcow2, VMDK, VHD or VHDX, or a bare filesystem image.
    pub disk: PathBuf,
}
