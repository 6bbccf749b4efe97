//! One integration-test binary that drives the real `sekisho` binary. A module per area.

mod image;
mod report;
mod sbom;
mod scan;
mod db;
mod isolation;
mod util;
mod version;
