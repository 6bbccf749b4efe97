//! The floor under the walls: is the shared kernel, or the container runtime, known to be
//! broken?
//!
//! Every container on a host shares one kernel, and one kernel bug is an escape for all of them
//! (Dirty COW, Dirty Pipe, the fsconfig overflow, the cgroup `release_agent` bug); a runtime bug
//! is the same (runc's `/proc/self/exe` overwrite, its leaked fd). This crate holds a curated,
//! versioned list of such escapes ([`data`], `data/escapes.toml`, every version sourced), works
//! out which kernel and runtime are really running ([`identity`], [`runtime`]) and judges each
//! escape ([`verdict`]) the way the distributions do: a Debian, Ubuntu or RHEL kernel by its
//! package version against the distribution's fix (a raw upstream comparison is wrong on every
//! one of them), anything else by upstream branch ranges, saying so. [`boot`] does the same for
//! the kernels installed in a disk image and the one its bootloader starts.
//!
//! Pure: no I/O. The auditor (`sekisho-audit`) reads `/proc`, `/sys` and package databases and
//! passes the text in, together with [`verdict::Evidence`] (user namespaces, seccomp,
//! capabilities, cgroups) to weigh the preconditions.
//!
//! ```
//! use sekisho_kernel::{data, identity::KernelIdentity, verdict::{judge_kernel, Verdict}};
//! let id = KernelIdentity::parse(
//!     "5.10.0-11-amd64",
//!     Some("Linux version 5.10.0-11-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110) #1 SMP Debian 5.10.92-1 (2022-01-18)"),
//!     None,
//! );
//! let verdicts = judge_kernel(data::embedded(), &id, None);
//! let dirty_pipe = verdicts.iter().find(|j| j.id == "CVE-2022-0847").unwrap();
//! assert_eq!(dirty_pipe.verdict, Verdict::Affected);
//! assert_eq!(dirty_pipe.reason, "Debian 5.10.92-1 < fixed 5.10.92-2 (DSA-5092-1)");
//! ```

#![forbid(unsafe_code)]

pub mod boot;
pub mod data;
pub mod identity;
pub mod kver;
pub mod runtime;
pub mod verdict;

use serde::Serialize;

/// Errors: only the data file can be wrong (identities and verdicts never fail).
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("escape data is not valid TOML: {message}")]
    Toml { message: String },
    #[error("escape data, entry {entry}: {message}")]
    Data { entry: String, message: String },
}

impl KernelError {
    pub(crate) fn data(entry: &str, message: impl Into<String>) -> Self {
        Self::Data {
            entry: entry.to_string(),
            message: message.into(),
        }
    }
}

/// Counts of verdicts, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub affected: usize,
    pub not_affected: usize,
    pub unknown: usize,
    /// Affected and reachable with the measured evidence.
    pub exploitable: usize,
}

impl Counts {
    pub fn of(js: &[verdict::Judgement]) -> Self {
        let mut c = Counts::default();
        for j in js {
            match j.verdict {
                verdict::Verdict::Affected => c.affected += 1,
                verdict::Verdict::NotAffected => c.not_affected += 1,
                verdict::Verdict::Unknown => c.unknown += 1,
            }
            if j.reach == Some(verdict::Reach::Exploitable) {
                c.exploitable += 1;
            }
        }
        c
    }
}

/// The `kernel` section: the identities found and every escape judged. It is the body of
/// `sekisho kernel --format json` (`{"schema_version": 1, "kind": "kernel", ...}`) and the
/// `escapes` member of `sekisho isolation`'s JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The data file's `updated` date.
    pub data_updated: String,
    pub kernel: identity::KernelIdentity,
    pub runtimes: Vec<runtime::RuntimeIdentity>,
    /// The evidence the preconditions were weighed against (`null`: not weighed).
    pub evidence: Option<verdict::Evidence>,
    pub escapes: Vec<verdict::Judgement>,
    pub counts: Counts,
    pub notes: Vec<String>,
}

impl Section {
    /// Judge a kernel and runtimes with the embedded data.
    pub fn build(
        kernel: identity::KernelIdentity,
        runtimes: Vec<runtime::RuntimeIdentity>,
        evidence: Option<verdict::Evidence>,
        notes: Vec<String>,
    ) -> Self {
        let db = data::embedded();
        let mut escapes = verdict::judge_kernel(db, &kernel, evidence.as_ref());
        for rt in &runtimes {
            escapes.extend(verdict::judge_runtime(db, rt, evidence.as_ref()));
        }
        let counts = Counts::of(&escapes);
        Section {
            data_updated: db.updated.clone(),
            kernel,
            runtimes,
            evidence,
            escapes,
            counts,
            notes,
        }
    }
}
