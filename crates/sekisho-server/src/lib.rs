//! `sekisho server`: keeps the packages of every uploaded SBOM, re-matches only what each
//! vulnerability-DB change touches, and notifies webhooks (Standard Webhooks) of the findings
//! that appear and go.
//!
//! - [`auth`]: bearer tokens (read-only, read-write), constant-time.
//! - [`browser`]: the dashboard's cookie and origin checks (pure, fuzzed).
//! - [`store`]: the state behind the [`store::Store`] trait; [`store::sqlite`] is the embedded
//!   default.
//! - [`matching`]: matching, the DB watcher and the delta re-match.
//! - [`reports`]: findings reports, built ahead of their first request; [`report_cache`]: the
//!   encoded reports kept per artifact and store state, in memory and in files
//!   ([`report_file`], pure, fuzzed).
//! - [`webhook`]: signatures, the retry schedule, one delivery; [`target`]: where a webhook may
//!   point (pure, fuzzed).
//!
//! Without the default `service` feature only the pure parsers ([`auth`], [`browser`], [`target`],
//! [`harbor_input`], [`report_file`]) are built
//! (for the fuzz targets).
//! - [`api`]: the HTTP API (axum), JSON errors, limits.
//! - [`dashboard`]: the web pages at `/` (sessions, CSRF, CSP), server-rendered.
//! - [`state`]: the configuration and the shared state.
//! - [`service`]: the process: listener, background tasks, graceful shutdown.
//! - [`images`]: `POST /images` and the job and watch API; [`jobs`]: the job queue worker (pull,
//!   catalog, store) and the tag watcher (re-catalog when the digest changes).
//! - [`harbor`]: the Harbor Pluggable Scanner API v1 under `/harbor/api/v1`; [`harbor_input`]:
//!   what it reads from Harbor, checked without I/O (fuzzed).

#![forbid(unsafe_code)]

#[cfg(feature = "service")]
pub mod api;
pub mod auth;
pub mod browser;
#[cfg(feature = "service")]
pub mod dashboard;
#[cfg(feature = "service")]
pub mod harbor;
pub mod harbor_input;
#[cfg(feature = "service")]
pub mod ids;
#[cfg(feature = "service")]
pub mod images;
#[cfg(feature = "service")]
pub mod jobs;
#[cfg(feature = "service")]
pub mod matching;
#[cfg(feature = "service")]
pub mod report_cache;
pub mod report_file;
#[cfg(feature = "service")]
pub mod reports;
#[cfg(feature = "service")]
pub mod service;
#[cfg(feature = "service")]
pub mod state;
#[cfg(feature = "service")]
pub mod store;
pub mod target;
#[cfg(all(test, feature = "service"))]
mod test_support;
#[cfg(feature = "service")]
pub mod webhook;

#[cfg(feature = "service")]
pub use service::run;
#[cfg(feature = "service")]
pub use state::{App, Config};
