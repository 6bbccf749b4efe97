//! `sekisho image|rootfs|vm|scan-sbom`: vulnerability scans. (Owned by the scan/report work.)

use std::process::ExitCode;

use clap::Args;

use super::target::{ImageTarget, RootfsTarget, VmTarget};

#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(flatten)]
    pub target: ImageTarget,
}

#[derive(Debug, Args)]
pub struct RootfsArgs {
    #[command(flatten)]
    pub target: RootfsTarget,
}

#[derive(Debug, Args)]
pub struct VmArgs {
    #[command(flatten)]
    pub target: VmTarget,
}

#[derive(Debug, Args)]
pub struct ScanSbomArgs {
    /// A CycloneDX or SPDX JSON SBOM.
    pub file: std::path::PathBuf,
}

pub fn run_image(_a: ImageArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho image` is not built yet")
}
pub fn run_rootfs(_a: RootfsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho rootfs` is not built yet")
}
pub fn run_vm(_a: VmArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho vm` is not built yet")
}
pub fn run_scan_sbom(_a: ScanSbomArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho scan-sbom` is not built yet")
}
