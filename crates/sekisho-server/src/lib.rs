//! `sekisho server`: keeps the packages of every uploaded SBOM, re-matches only what each
//! vulnerability-DB change touches, and notifies webhooks (Standard Webhooks) of the findings
//! that appear and go.
//!
//! - [`auth`]: bearer tokens (read-only, read-write), constant-time.
//! - [`store`]: the state behind the [`store::Store`] trait; [`store::sqlite`] is the embedded
//!   default.
//! - [`matching`]: matching, the DB watcher and the delta re-match.
//! - [`webhook`]: signatures, the retry schedule, target checks, one delivery.
//! - [`api`]: the HTTP API (axum), JSON errors, limits.
//! - [`state`]: the configuration and the shared state.
//! - [`service`]: the process: listener, background tasks, graceful shutdown.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod ids;
pub mod matching;
pub mod service;
pub mod state;
pub mod store;
pub mod webhook;

pub use service::run;
pub use state::{App, Config};
