//! The scan pipeline as a library: target → layered filesystem → analyzers → matches → policy →
//! report. The `sekisho` CLI and the server are thin callers of [`scan`] and [`inventory`].
//!
//! ```no_run
//! use sekisho_scan::{DbSource, ImageSource, ImageSpec, ScanOptions, ScanRequest, TargetSpec, scan};
//! let req = ScanRequest::new(
//!     TargetSpec::Image(ImageSpec::new(ImageSource::Layout("./layout:1.2".into()))),
//!     DbSource::Path {
//!         path: "db.sqlite".into(),
//!         update: None,
//!         max_age: std::time::Duration::from_secs(7 * 86_400),
//!     },
//! );
//! let outcome = scan(&req, &ScanOptions::default()).unwrap();
//! println!("{} findings", outcome.report.summary.total);
//! ```
//!
//! - [`target`]: what to scan ([`TargetSpec`]) and opening it into layers.
//! - [`analyzer`]: the plug-in trait every kind of check implements; [`analyzers`] holds the
//!   built-in ones. One walk over the layers feeds all of them.
//! - [`pipeline`]: the flow ([`scan`], [`inventory`]), with [`ScanOptions`] (progress,
//!   cancellation, thread budget, cache, date) passed in.
//! - [`db`]: where vulnerability data comes from ([`DbSource`]).
//! - [`policy`]: loading VEX and ignore files into a `sekisho_policy::Policy`.
//! - [`env`]: the ambient state ([`Environment`]) the CLI reads from its process and a server
//!   builds for itself; nothing in this crate reads the process on its own.
//! - [`rules`]: every rule and check ID of every analyzer, in one registry.
//! - [`error`]: [`ScanError`], a kind plus context.

#![forbid(unsafe_code)]

pub mod analyzer;
pub mod analyzers;
pub mod db;
pub mod drift;
pub mod drift_host;
pub mod env;
pub mod error;
pub mod isolation;
pub mod pipeline;
pub mod policy;
pub mod progress;
pub mod rules;
pub mod target;

pub use analyzer::{Analyzer, Context, Output};
pub use db::DbSource;
pub use env::{Environment, Settings};
pub use error::{ErrorKind, ScanError};
pub use pipeline::{
    CacheSettings, SCANNERS, ScanOptions, ScanOutcome, ScanRequest, inventory, scan, scan_opened,
};
pub use policy::PolicySpec;
pub use progress::{Cancel, Event, Progress, Silent};
pub use target::{ImageSource, ImageSpec, OpenedTarget, RegistryAccess, TargetSpec};
