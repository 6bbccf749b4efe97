//! Target arguments shared by scans and `sbom`: how a user names an image, a root filesystem or a
//! VM disk, and how each is opened into layers. (Owned by the image-sources work.)

use std::path::PathBuf;

use clap::Args;

/// `image REF | --input FILE | --oci-dir DIR[:TAG]`
#[derive(Debug, Args)]
pub struct ImageTarget {
    /// Image reference to pull from a registry, e.g. `127.0.0.1:5000/team/app:1.2`.
    #[arg(required_unless_present_any = ["input", "oci_dir"])]
    pub reference: Option<String>,
    /// A docker-archive or OCI archive (optionally gzip-compressed).
    #[arg(long, conflicts_with_all = ["reference", "oci_dir"])]
    pub input: Option<PathBuf>,
    /// An OCI image layout directory, optionally with `:TAG`.
    #[arg(long, conflicts_with_all = ["reference", "input"])]
    pub oci_dir: Option<String>,
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
}
