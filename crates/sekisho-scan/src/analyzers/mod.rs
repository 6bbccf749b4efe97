//! The analyzers sekisho ships with, one module each.

pub mod kernel;
pub mod vuln;
