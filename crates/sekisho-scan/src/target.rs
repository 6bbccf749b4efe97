//! What to scan, and opening it into layers: an image (registry, docker/OCI archive, OCI layout),
//! a root filesystem directory, every OS-root filesystem of a VM disk, or an SBOM.

use std::path::PathBuf;
use std::sync::Arc;

use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::image::{ImageMeta, Limits, Platform, archive, layout};
use sekisho_artifact::{LayerSource, Note};
use sekisho_report::PartitionInfo;

use crate::env::Environment;
use crate::error::{ErrorKind, ScanError, image_kind};
use crate::progress::{Event, Progress};

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// A reference pulled from a registry (`127.0.0.1:5000/app:1.2`, `alpine`, `name@sha256:…`).
    Registry(String),
    /// A docker-archive (`docker save`) or OCI archive file, optionally gzip-compressed.
    Archive(PathBuf),
    /// An OCI image layout directory, optionally with `:TAG` (`./layout:1.2`).
    Layout(String),
}

/// How to reach registries for one scan. Nothing is taken from the process: credentials come
/// from `credentials`, else from `docker_config` when set; with neither, none are sent.
#[derive(Debug, Clone, Default)]
pub struct RegistryAccess {
    /// Allow plain HTTP and skip TLS verification.
    pub insecure: bool,
    /// Explicit credentials.
    pub credentials: Option<Credentials>,
    /// Read credentials (and run credential helpers) from this Docker config file.
    pub docker_config: Option<PathBuf>,
    /// Extra CA certificates (PEM files).
    pub ca_certs: Vec<PathBuf>,
    /// The proxy.
    pub proxy: sekisho_artifact::image::registry::ProxySettings,
    /// Which addresses connections may go to (a server refuses private ones); `None`: any.
    pub address_filter: Option<sekisho_artifact::image::registry::AddressFilter>,
    /// An `Authorization` header sent to the registry's API from the first request on.
    pub authorization: Option<String>,
}

impl RegistryAccess {
    /// What the CLI uses: the environment's Docker config, CAs and proxy, plus `--ca-cert`s.
    pub fn from_environment(env: &Environment) -> Self {
        Self {
            insecure: false,
            credentials: None,
            docker_config: env.docker_config.clone(),
            ca_certs: env.extra_ca_certs.clone(),
            proxy: env.proxy.clone(),
            address_filter: None,
            authorization: None,
        }
    }
}

/// An image to scan.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    pub source: ImageSource,
    /// The platform to pick from a multi-platform image (`linux/<host arch>` by default).
    pub platform: Option<Platform>,
    pub registry: RegistryAccess,
    /// Decompression-bomb and size bounds.
    pub limits: Limits,
}

impl ImageSpec {
    /// An image with default access and limits.
    pub fn new(source: ImageSource) -> Self {
        Self {
            source,
            platform: None,
            registry: RegistryAccess::default(),
            limits: Limits::default(),
        }
    }

    /// What the user named, for reports.
    pub fn display_name(&self) -> String {
        match &self.source {
            ImageSource::Registry(r) => r.clone(),
            ImageSource::Archive(p) => p.display().to_string(),
            ImageSource::Layout(d) => d.clone(),
        }
    }
}

/// What to scan.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per scan request; boxing the image spec buys nothing"
)]
pub enum TargetSpec {
    Image(ImageSpec),
    /// A root filesystem directory.
    Rootfs(PathBuf),
    /// A VM disk image (raw, qcow2, VMDK, VHD, VHDX, or a bare filesystem).
    Vm {
        disk: PathBuf,
        /// Follow qcow2 backing files (only within the image's directory).
        allow_backing: bool,
    },
    /// A CycloneDX or SPDX JSON SBOM (its bytes, and the name to report it under).
    Sbom {
        name: String,
        bytes: Arc<[u8]>,
    },
}

impl TargetSpec {
    /// The report's `kind` of this target.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Image(_) => "image",
            Self::Rootfs(_) => "rootfs",
            Self::Vm { .. } => "vm",
            Self::Sbom { .. } => "sbom",
        }
    }
}

/// A target opened into layers, ready for the walk. A VM disk gives one per scannable
/// filesystem.
pub struct OpenedTarget {
    /// What the user named, e.g. `127.0.0.1:5000/app:1.2`, `/srv/root`, `disk.qcow2 p2 "root" (ext4)`.
    pub name: String,
    /// `image`, `rootfs`, `vm`.
    pub kind: &'static str,
    /// The layers, bottom to top.
    pub layers: Vec<Box<dyn LayerSource>>,
    /// Things skipped while opening (foreign layers, unsupported partitions, …).
    pub notes: Vec<Note>,
    /// Images: the image config (user, env, history, …).
    pub image: Option<ImageMeta>,
    /// VM disks: the partition or volume the filesystem was read from.
    pub partition: Option<PartitionInfo>,
}

fn registry_options(a: &RegistryAccess) -> RegistryOptions {
    RegistryOptions {
        insecure: a.insecure,
        credentials: a.credentials.clone(),
        ca_certs: a.ca_certs.clone(),
        docker_config: a.docker_config.clone(),
        proxy: a.proxy.clone(),
        address_filter: a.address_filter.clone(),
        authorization: a.authorization.clone(),
        ..RegistryOptions::default()
    }
}

/// Open an image from a registry, an archive or an OCI layout.
///
/// # Errors
/// [`ErrorKind::Target`], [`ErrorKind::Registry`] or [`ErrorKind::Limit`], naming the image.
pub fn open_image(spec: &ImageSpec, progress: &dyn Progress) -> Result<OpenedTarget, ScanError> {
    let iopts = ImageOptions {
        platform: spec.platform.clone(),
        limits: spec.limits.clone(),
    };
    let img = match &spec.source {
        ImageSource::Archive(f) => archive::open_archive(f, &iopts).map_err(|e| {
            ScanError::with_source(
                image_kind(&e),
                format!("cannot open image archive {}", f.display()),
                e,
            )
        })?,
        ImageSource::Layout(d) => layout::open_layout(d, &iopts).map_err(|e| {
            ScanError::with_source(image_kind(&e), format!("cannot open OCI layout {d}"), e)
        })?,
        ImageSource::Registry(r) => {
            progress.event(&Event::Pulling { reference: r });
            open_registry(r, &registry_options(&spec.registry), &iopts).map_err(|e| {
                ScanError::with_source(image_kind(&e), format!("cannot pull image {r}"), e)
            })?
        }
    };
    Ok(OpenedTarget {
        name: spec.display_name(),
        kind: "image",
        layers: img.layers,
        notes: img.notes,
        image: Some(img.meta),
        partition: None,
    })
}

/// Open a plain root filesystem directory as one layer.
///
/// # Errors
/// [`ErrorKind::Target`] when it is not a readable directory.
pub fn open_rootfs(dir: &std::path::Path) -> Result<OpenedTarget, ScanError> {
    let layer = sekisho_artifact::rootfs::DirLayer::new(dir).map_err(|e| {
        ScanError::with_source(
            ErrorKind::Target,
            format!("cannot scan root filesystem {}", dir.display()),
            e,
        )
    })?;
    Ok(OpenedTarget {
        name: dir.display().to_string(),
        kind: "rootfs",
        layers: vec![Box::new(layer)],
        notes: Vec::new(),
        image: None,
        partition: None,
    })
}

/// What was found in one partition or volume of a VM disk.
pub use sekisho_disk::VolumeReport as PartitionReport;

/// Open every OS-root filesystem of a VM disk as a target, and report on every partition. With
/// no OS root anywhere it fails, listing every partition with its reason and the disk's notes:
/// never a silent "0 packages".
///
/// # Errors
/// [`ErrorKind::Target`] for unreadable or corrupt disks, or when nothing is scannable.
pub fn open_vm(
    disk_path: &std::path::Path,
    allow_backing: bool,
) -> Result<(Vec<OpenedTarget>, Vec<PartitionReport>), ScanError> {
    let opts = sekisho_disk::OpenOptions { allow_backing };
    let disk = sekisho_disk::open_disk(disk_path, &opts).map_err(|e| {
        ScanError::with_source(
            ErrorKind::Target,
            format!("cannot read VM disk {}", disk_path.display()),
            e,
        )
    })?;
    let file = disk_path.file_name().map_or_else(
        || disk_path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    // Disk-level notes and every skipped volume travel with each target, so reports show them.
    let mut shared: Vec<Note> = disk
        .notes
        .iter()
        .map(|n| Note::new(None, file.clone(), n.clone()))
        .collect();
    for v in &disk.volumes {
        if let Some(r) = &v.reason {
            shared.push(Note::new(None, format!("{file} {}", v.title()), r.clone()));
        }
        for n in &v.notes {
            shared.push(Note::new(None, format!("{file} {}", v.title()), n.clone()));
        }
    }
    if disk.os_roots().next().is_none() {
        // Nothing recognised at all: say what the file is instead, and which command reads it.
        if disk.format == sekisho_disk::Format::Raw
            && disk.volumes.iter().all(|v| v.fs == "unknown")
            && let Some(what) = sekisho_disk::sniff::describe(disk_path)
        {
            return Err(ScanError::new(
                ErrorKind::Target,
                format!(
                    "{} is not a VM disk image: it is {what}\n  (`sekisho vm` reads raw, qcow2, \
                     VMDK, VHD and VHDX disks: MBR, GPT and LVM volumes with ext2/3/4 or XFS)",
                    disk_path.display()
                ),
            ));
        }
        let mut msg = format!(
            "no filesystem with an operating system root found in {}:\n{}",
            disk_path.display(),
            partition_table(&disk.volumes)
        );
        for n in &disk.notes {
            msg.push_str(&format!("  note: {n}\n"));
        }
        return Err(ScanError::new(
            ErrorKind::Target,
            msg.trim_end().to_string(),
        ));
    }
    let mut targets = Vec::new();
    for v in disk.os_roots() {
        let name = format!("{file} {}", v.title());
        let Some(layer) = v.layer(format!("{} ({})", name, disk.format.name())) else {
            continue;
        };
        targets.push(OpenedTarget {
            name,
            kind: "vm",
            layers: vec![Box::new(layer)],
            notes: shared.clone(),
            image: None,
            partition: Some(PartitionInfo {
                disk: disk_path.display().to_string(),
                format: disk.format.name().to_string(),
                index: v.index.clone(),
                number: v.number,
                name: v.name.clone(),
                type_id: v.type_id.clone(),
                filesystem: v.fs.clone(),
                label: v.label.clone(),
                offset: v.offset,
                size: v.size,
            }),
        });
    }
    Ok((targets, disk.volumes))
}

/// A plain-text table of the partitions, one per line, for stderr or the text report.
pub fn partition_table(reports: &[PartitionReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let what = match (&r.os, r.os_root) {
            (Some(os), true) => format!("scanned: {os}"),
            (None, true) => "scanned".to_string(),
            _ => r.reason.clone().unwrap_or_default(),
        };
        s.push_str(&format!(
            "  {:<14} {:<20} {:<38} {:<8} {}\n",
            r.index,
            r.name.as_deref().unwrap_or("-"),
            r.type_id.as_deref().unwrap_or("-"),
            r.fs,
            what
        ));
        for n in &r.notes {
            s.push_str(&format!("  {:<14} note: {n}\n", ""));
        }
    }
    s
}

/// Open any walkable target (images, root filesystems, VM disks) into its targets, telling
/// `progress` what happens. SBOMs have no layers: see [`crate::pipeline`].
///
/// # Errors
/// As [`open_image`], [`open_rootfs`] and [`open_vm`].
pub fn open(spec: &TargetSpec, progress: &dyn Progress) -> Result<Vec<OpenedTarget>, ScanError> {
    match spec {
        TargetSpec::Image(i) => Ok(vec![open_image(i, progress)?]),
        TargetSpec::Rootfs(d) => Ok(vec![open_rootfs(d)?]),
        TargetSpec::Vm {
            disk,
            allow_backing,
        } => {
            let (opened, parts) = open_vm(disk, *allow_backing)?;
            let disk_s = disk.display().to_string();
            let table = partition_table(&parts);
            progress.event(&Event::Partitions {
                disk: &disk_s,
                table: table.trim_end(),
            });
            Ok(opened)
        }
        TargetSpec::Sbom { .. } => Err(ScanError::new(
            ErrorKind::Usage,
            "an SBOM has no files to open",
        )),
    }
}
