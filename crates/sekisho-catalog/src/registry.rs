//! The list of catalogers and the driver that runs them over a target.

use sekisho_artifact::{Capture, Inventory, LayerSource, WalkError};

use crate::model::{Catalog, OsInfo};

/// What a cataloger knows when it parses: the OS found (if any).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub os: Option<OsInfo>,
}

/// One package cataloger (dpkg, apk, rpm, python, npm, …).
pub trait Cataloger: Send + Sync {
    /// Short stable name, e.g. `dpkg`, used in notes.
    fn name(&self) -> &'static str;
    /// The captures this cataloger needs. Capture ids must be unique across catalogers; prefix
    /// them with the cataloger name (`dpkg-status`, `dpkg-info`).
    fn captures(&self) -> Vec<Box<dyn Capture>>;
    /// Parse what was captured and append packages (and notes for anything not understood).
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog);
}

/// Every cataloger sekisho has, OS catalogers first.
pub fn default_catalogers() -> Vec<Box<dyn Cataloger>> {
    Vec::new()
}

/// Every capture of `catalogers`, flattened.
pub fn all_captures(catalogers: &[Box<dyn Cataloger>]) -> Vec<Box<dyn Capture>> {
    catalogers.iter().flat_map(|c| c.captures()).collect()
}

/// Run `catalogers` over an already collected inventory.
pub fn catalog_inventory(
    inv: &Inventory,
    catalogers: &[Box<dyn Cataloger>],
    ctx: &Context,
) -> Catalog {
    let mut out = Catalog {
        os: ctx.os.clone(),
        layers: inv.layers.clone(),
        notes: inv.notes.clone(),
        ..Catalog::default()
    };
    for c in catalogers {
        c.catalog(inv, ctx, &mut out);
    }
    out
}

/// Walk `layers` once with every default cataloger's captures and catalog the result.
///
/// # Errors
/// When a layer cannot be walked at all (entry-level problems become notes).
pub fn scan(layers: Vec<Box<dyn LayerSource>>, threads: usize) -> Result<Catalog, WalkError> {
    let catalogers = default_catalogers();
    let captures = all_captures(&catalogers);
    let refs: Vec<&dyn Capture> = captures.iter().map(AsRef::as_ref).collect();
    let inv = sekisho_artifact::collect(layers, &refs, threads)?;
    Ok(catalog_inventory(&inv, &catalogers, &Context::default()))
}
