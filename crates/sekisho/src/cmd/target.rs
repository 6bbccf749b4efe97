//! Target arguments shared by scans and `sbom`: how a user names an image, a root filesystem or a
//! VM disk, and how each is opened into layers. (Owned by the image-sources work.)
//!
//! ```text
//! pub fn open_image(t: &ImageTarget, opts: &OpenOptions) -> anyhow::Result<OpenedTarget>
//! pub fn open_image_with_config(t: &ImageTarget, opts: &OpenOptions)
//!     -> anyhow::Result<(OpenedTarget, ImageMeta)>
//! pub fn open_rootfs(t: &RootfsTarget) -> anyhow::Result<OpenedTarget>
//! ImageTarget::collect_options(&self) -> CollectOptions   // --cache-dir / --no-cache
//! ```
//! Then: `sekisho_catalog::scan(opened.layers, &t.collect_options())`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use sekisho_artifact::CollectOptions;
use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::image::{ImageMeta, Limits, Platform, archive, layout};

/// `image REF | --input FILE | --oci-dir DIR[:TAG]`
#[derive(Debug, Args)]
pub struct ImageTarget {
    /// Image reference to pull from a registry, e.g. `127.0.0.1:5000/team/app:1.2`,
    /// `alpine` (= docker.io/library/alpine:latest) or `name@sha256:…`.
    #[arg(required_unless_present_any = ["input", "oci_dir"])]
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
    /// How layers are collected: threads and the per-layer cache (`--cache-dir`, `--no-cache`).
    pub fn collect_options(&self) -> CollectOptions {
        let cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .or_else(sekisho_artifact::cache::default_dir)
        };
        CollectOptions {
            cache_dir,
            cache_max_bytes: self.cache_max_mb.saturating_mul(1 << 20),
            ..CollectOptions::default()
        }
    }

    /// What the user named, for reports.
    pub fn display_name(&self) -> String {
        if let Some(r) = &self.reference {
            r.clone()
        } else if let Some(i) = &self.input {
            i.display().to_string()
        } else {
            self.oci_dir.clone().unwrap_or_default()
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

/// A target opened into layers, ready for cataloguing. A VM disk gives one per scannable
/// filesystem.
pub struct OpenedTarget {
    /// What the user named, e.g. `127.0.0.1:5000/app:1.2`, `/srv/root`, `disk.qcow2 partition 2 (ext4)`.
    pub name: String,
    /// The layers, bottom to top.
    pub layers: Vec<Box<dyn sekisho_artifact::LayerSource>>,
    /// Things skipped while opening (foreign layers, unsupported partitions, …).
    pub notes: Vec<sekisho_artifact::Note>,
    /// VM disks: the partition or volume the filesystem was read from.
    pub partition: Option<sekisho_report::PartitionInfo>,
}

/// Options for opening targets that are not command-line flags.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Stay silent on stderr (no "pulling …" line).
    pub quiet: bool,
    /// The registry password, when the caller already read it (otherwise `--password-stdin`
    /// reads standard input).
    pub password: Option<String>,
}

fn image_options(t: &ImageTarget) -> anyhow::Result<ImageOptions> {
    let platform = t
        .platform
        .as_deref()
        .map(Platform::parse)
        .transpose()
        .context("bad --platform")?;
    let mut limits = Limits::default();
    if let Some(m) = t.max_layer_bytes {
        limits.max_inflated = m;
    }
    Ok(ImageOptions { platform, limits })
}

fn registry_options(t: &ImageTarget, opts: &OpenOptions) -> anyhow::Result<RegistryOptions> {
    let password = if let Some(p) = &opts.password {
        Some(p.clone())
    } else if t.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .take(64 << 10)
            .read_to_string(&mut s)
            .context("reading the password from standard input")?;
        Some(s.trim_end_matches(['\r', '\n']).to_string())
    } else {
        t.password.clone()
    };
    let credentials = match (&t.username, password) {
        (Some(u), Some(p)) => Some(Credentials {
            username: u.clone(),
            password: p,
        }),
        (Some(u), None) => anyhow::bail!(
            "--username {u} given without a password; add --password-stdin (e.g. `echo $PW | sekisho image --username {u} --password-stdin …`)"
        ),
        (None, _) => None,
    };
    Ok(RegistryOptions {
        insecure: t.insecure,
        credentials,
        ca_certs: t.ca_cert.clone(),
        ..RegistryOptions::default()
    })
}

/// Open an image from a registry, an archive or an OCI layout.
pub fn open_image(t: &ImageTarget, opts: &OpenOptions) -> anyhow::Result<OpenedTarget> {
    open_image_with_config(t, opts).map(|(o, _)| o)
}

/// [`open_image`], also returning the image config (OS/arch, user, env, entrypoint, cmd, ports,
/// labels, history) for later stages.
pub fn open_image_with_config(
    t: &ImageTarget,
    opts: &OpenOptions,
) -> anyhow::Result<(OpenedTarget, ImageMeta)> {
    let iopts = image_options(t)?;
    let img = if let Some(f) = &t.input {
        archive::open_archive(f, &iopts)
            .with_context(|| format!("cannot open image archive {}", f.display()))?
    } else if let Some(d) = &t.oci_dir {
        layout::open_layout(d, &iopts).with_context(|| format!("cannot open OCI layout {d}"))?
    } else if let Some(r) = &t.reference {
        let ropts = registry_options(t, opts)?;
        if !opts.quiet {
            eprintln!("pulling {r}");
        }
        open_registry(r, &ropts, &iopts).with_context(|| format!("cannot pull image {r}"))?
    } else {
        anyhow::bail!("name an image: REF, --input FILE or --oci-dir DIR[:TAG]");
    };
    let target = OpenedTarget {
        name: t.display_name(),
        layers: img.layers,
        notes: img.notes,
        partition: None,
    };
    Ok((target, img.meta))
}

/// Open a plain root filesystem directory as one layer.
pub fn open_rootfs(t: &RootfsTarget) -> anyhow::Result<OpenedTarget> {
    let layer = sekisho_artifact::rootfs::DirLayer::new(&t.dir)
        .with_context(|| format!("cannot scan root filesystem {}", t.dir.display()))?;
    Ok(OpenedTarget {
        name: t.dir.display().to_string(),
        layers: vec![Box::new(layer)],
        notes: Vec::new(),
        partition: None,
    })
}
