//! The analyzers sekisho ships with, one module each.

use std::sync::Arc;

use crate::analyzer::Analyzer;
use crate::error::ScanError;

pub mod config;
pub mod kernel;
pub mod secret;
pub mod vuln;

/// The file analyzers behind the scanner names of a request (`vuln` is not one of them: it
/// matches packages after the walk).
///
/// # Errors
/// When an analyzer cannot be built.
pub fn for_scanners(names: &[String]) -> Result<Vec<Arc<dyn Analyzer>>, ScanError> {
    let mut out: Vec<Arc<dyn Analyzer>> = Vec::new();
    for n in names {
        match n.as_str() {
            "secret" => out.push(Arc::new(secret::Secrets::new()?)),
            "kernel" => out.push(Arc::new(kernel::Kernels)),
            "config" => out.push(Arc::new(config::Configs)),
            _ => {}
        }
    }
    Ok(out)
}
