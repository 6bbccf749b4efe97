//! The vulnerability database: everything sekisho calls "vulnerable" comes from here.
//!
//! It imports OSV records (directory trees, single JSON/YAML files, OSV.dev `<Ecosystem>/all.zip`
//! archives, `db export` files) and converts native distribution feeds (Debian security tracker
//! JSON, Alpine secdb) into the same OSV shape; stores them in one SQLite file that is replaced
//! atomically; and answers lookups by (ecosystem, release, package name).
//!
//! # API for the matcher
//!
//! ```no_run
//! use sekisho_vulndb::{Db, QueryOptions, default_db_path};
//! # fn main() -> Result<(), sekisho_vulndb::DbError> {
//! let db = Db::open(&default_db_path(std::path::Path::new("/root/.cache")))?;          // read-only; safe while updates swap files
//! if !db.has_data("Debian:13")? {
//!     eprintln!("no advisory data for Debian:13");
//! }
//! // Raw candidates (no version evaluation): every affected entry naming the package.
//! for c in db.lookup("Debian:12", "openssl")?.iter() {
//!     if c.withdrawn || !c.security { continue; }
//!     let _ = (&c.advisory.id, &c.advisory.upstream, &c.affected.ranges, &c.ecosystem);
//! }
//! // Evaluated: advisories affecting a version, with fixed versions, status and severity.
//! let out = db.query("PyPI", "Django", Some("3.2.0"), QueryOptions::default())?;
//! for m in &out.matches {
//!     let _ = (&m.candidate.advisory.id, &m.fixed, m.status, m.severity.rating);
//! }
//! # Ok(()) }
//! ```
//!
//! - [`Db::open`], [`Db::lookup`] / [`Db::lookup_key`] → [`Candidate`] (advisory fields in
//!   [`Advisory`]: id, aliases, upstream, related, summary, details, severity vectors, published,
//!   modified, withdrawn, references, database_specific; the [`sekisho_version::osv::Affected`]
//!   entry; `security` false for ALBA-/ALEA- errata; `withdrawn`).
//! - [`Db::query`] → [`QueryOutcome`] of [`Match`] (`fixed`, [`FixStatus`], [`severity::Assessment`])
//!   plus notes for entries that could not be evaluated. [`fix_status`] is public for callers that
//!   evaluate ranges themselves.
//! - [`Db::has_data`], [`Db::status`] ([`Status`]), [`Db::stale_warning`], [`default_db_path`].
//! - Names are normalised by [`normalize`] (PEP 503 for PyPI, Go module paths, Maven
//!   `group:artifact`; `Debian:bookworm` = `Debian:12`, `Ubuntu:22.04` = `Ubuntu:22.04:LTS`,
//!   `Alpine:3.19.1` = `Alpine:v3.19`).
//! - [`severity`]: CVSS v3.x/v4.0 base scores computed from vectors, the rating scale, and Debian,
//!   Ubuntu and Red Hat ratings.
//! - Writing: [`import::import_paths`], [`update::update`], [`export::write`], all through the
//!   atomic [`Builder`].

#![forbid(unsafe_code)]

pub mod convert;
pub mod cvss4;
pub mod error;
#[cfg(feature = "db")]
pub mod export;
#[cfg(feature = "db")]
pub mod import;
pub mod model;
pub mod normalize;
pub mod severity;
#[cfg(feature = "db")]
pub mod sink;
pub mod status;
#[cfg(feature = "db")]
pub mod store;
#[cfg(feature = "db")]
pub mod update;

pub use error::{DbError, Result};
#[cfg(feature = "db")]
pub use import::{ImportOptions, ImportReport, Limits, import_paths};
pub use model::{Advisory, Reference, SeverityEntry};
pub use status::{FixStatus, fix_status};
#[cfg(feature = "db")]
pub use store::{
    Builder, Candidate, DEFAULT_MAX_AGE, Db, EcosystemCount, Match, PutOutcome, QueryOptions,
    QueryOutcome, SCHEMA_VERSION, SourceInfo, Status, default_db_path,
};
#[cfg(feature = "db")]
pub use update::{UpdateOptions, UpdatePlan, UpdateReport, download_sizes, plan, update};
