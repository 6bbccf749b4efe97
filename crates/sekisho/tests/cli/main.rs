//! One integration-test binary that drives the real `sekisho` binary. A module per area.

mod config;
mod dashboard;
mod db;
mod db_more;
mod drift;
mod drift_host;
mod first_run;
mod honest_errors;
mod html;
mod image;
mod isolation;
mod kernel;
mod parity;
mod report;
mod sbom;
mod scan;
mod scan_e2e;
mod secret;
mod server;
mod server_harbor;
mod server_images;
mod util;
mod version;
mod vm;
