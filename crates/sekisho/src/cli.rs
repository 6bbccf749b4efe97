//! The command-line surface. Each subcommand's arguments live beside its implementation in `cmd/`.

use clap::{Parser, Subcommand};

use crate::cmd;

/// sekisho (関所) inspects what crosses into production: container images, root filesystems, VM
/// golden images and SBOMs are scanned for vulnerable packages, and the walls around running
/// containers are measured.
///
/// Exit codes: 0 ok; 1 a gate tripped (--fail-on; --exit-code changes it); 2 usage error or
/// unreadable input; 3 the scan ran but no vulnerability data was available.
#[derive(Debug, Parser)]
#[command(name = "sekisho", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a container image (registry, --input archive or --oci-dir layout) for vulnerabilities.
    Image(cmd::scan::ImageArgs),
    /// Scan a root filesystem directory for vulnerabilities.
    Rootfs(cmd::scan::RootfsArgs),
    /// Scan a VM disk image (raw, qcow2, VMDK, VHD, VHDX) for vulnerabilities.
    Vm(cmd::scan::VmArgs),
    /// List every package in a target as an SBOM (CycloneDX by default); no DB needed.
    #[command(subcommand)]
    Sbom(cmd::sbom::SbomCmd),
    /// Report vulnerabilities for an existing CycloneDX or SPDX SBOM.
    ScanSbom(cmd::scan::ScanSbomArgs),
    /// Manage the vulnerability database.
    #[command(subcommand)]
    Db(cmd::db::DbCmd),
    /// Version parsing and ordering, as each ecosystem's own tools do it.
    #[command(subcommand)]
    Version(cmd::version::VersionCmd),
    /// Audit the walls between a workload and the host.
    Isolation(cmd::isolation::IsolationArgs),
    /// Judge the kernel and container runtime against known container escapes.
    Kernel(cmd::kernel::KernelArgs),
    /// Compare a running container with the image it came from, by content.
    Drift(cmd::drift::DriftArgs),
    /// Run the server: stored SBOMs re-matched on every DB change, signed webhook notifications.
    Server(cmd::server::ServerArgs),
    /// Check Dockerfiles, Kubernetes manifests, compose files and OCI runtime configs for
    /// misconfigurations, at the exact line.
    Config(cmd::config::ConfigArgs),
}
