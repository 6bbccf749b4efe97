//! Catalogers: what is installed in a filesystem view, and where it came from.
//!
//! Each [`Cataloger`] registers [`sekisho_artifact::Capture`]s for the files it needs, so a target
//! is streamed once; after the walk it parses what was captured from the
//! [`sekisho_artifact::Inventory`] into [`Package`]s. The result is a [`Catalog`]: the OS, the
//! packages and notes on everything that was skipped or not understood.

#![forbid(unsafe_code)]

pub mod model;
pub mod registry;

pub use model::{Catalog, Language, OsInfo, Package, PackageKind, SourcePackage};
pub use registry::{Cataloger, Context, all_captures, catalog_inventory, default_catalogers, scan};
