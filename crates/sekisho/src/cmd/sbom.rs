//! `sekisho sbom …`: inventory only. (Owned by the catalog work.)

use std::process::ExitCode;

use clap::Subcommand;

use super::target::{ImageTarget, RootfsTarget, VmTarget};

#[derive(Debug, Subcommand)]
pub enum SbomCmd {
    /// SBOM of a container image.
    Image(ImageTarget),
    /// SBOM of a root filesystem.
    Rootfs(RootfsTarget),
    /// SBOM of a VM disk.
    Vm(VmTarget),
}

pub fn run(_c: SbomCmd) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sekisho sbom` is not built yet")
}
