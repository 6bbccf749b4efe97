//! The isolation audit behind `sekisho isolation`: the walls between a workload and the host.
//!
//! A container is a process on a shared kernel; its walls are namespaces, cgroups, seccomp,
//! capabilities and LSMs, plus optionally a sandbox kernel (gVisor) or a VM (Kata, Firecracker).
//! This crate measures them without privileges and without changing anything:
//!
//! * [`inside::audit`] looks at one process (the caller, or `--pid`): reads `/proc` and `/sys`,
//!   runs safe syscall probes, detects the runtime, and grades each wall;
//! * [`hostview::audit`] looks at every process on the host and groups the containerised ones
//!   per container, one row of walls each.
//!
//! All host access goes through the [`host::Host`] trait, so every check runs in unit tests on
//! recorded `/proc` and `/sys` trees ([`host::FixtureHost`]); the real implementation
//! ([`host::RealHost`]) is exercised by the CLI tests inside real sandboxes (unshare, bwrap,
//! runc). The only `unsafe` code is in [`sys`].
//!
//! ```no_run
//! use sekisho_audit::{host::RealHost, inside};
//! let report = inside::audit(&RealHost, &inside::Options { pid: None, probe: true }).unwrap();
//! println!("{}", report.grade);
//! ```

pub mod caps;
pub mod cgroups;
pub mod checks;
pub mod citations;
pub mod escapes;
pub mod exposure;
pub mod host;
pub mod hostview;
pub mod inside;
pub mod lsm;
pub mod model;
pub mod namespaces;
pub mod parse;
pub mod probe;
pub mod render;
pub mod runtime;
mod sys;

/// The probe helper (see [`host::HelperProbes`]): call [`probe_helper_main`] first thing in
/// `main` of the binary that serves as helper.
pub use sys::{HELPER_ARG as PROBE_HELPER_ARG, helper_main as probe_helper_main};

/// Why an audit could not run at all (individual unreadable files become notes instead).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("/proc/self/status is not readable: is /proc mounted?")]
    NoProc {
        #[source]
        source: std::io::Error,
    },
    #[error("process {pid} not found (or /proc/{pid}/status is not readable)")]
    NoSuchProcess {
        pid: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("/proc is not listable: {source}")]
    NoProcList {
        #[source]
        source: std::io::Error,
    },
}
