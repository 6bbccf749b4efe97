//! The list of catalogers and the driver that runs them over a target.
//!
//! A scan is one walk: the captures of OS detection ([`crate::os::release`]) and of every
//! cataloger are registered together, [`sekisho_artifact::collect_with`] streams the target once
//! (caching per-layer results when the options say so), then OS detection runs on the inventory
//! and every cataloger parses its captures with the detected OS in its [`Context`].
//!
//! After cataloguing, [`dedupe_owned`] enforces "one report per package": a language package
//! whose files are owned by an OS package (dpkg `info/*.list`, rpm file lists, apk `R:` lines)
//! was installed by the OS package manager and is reported once, as the OS package.

use std::collections::HashSet;

use sekisho_artifact::{Capture, CollectOptions, Inventory, LayerSource, Note, WalkError};

use crate::cataloger::{Cataloger, Context};
use crate::model::Catalog;
use crate::os;

/// The OS package catalogers.
pub fn os_catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(os::dpkg::Dpkg),
        Box::new(os::apk::Apk),
        Box::new(os::rpm::Rpm),
    ]
}

/// Every cataloger sekisho has, OS catalogers first. Language catalogers are appended here.
pub fn default_catalogers() -> Vec<Box<dyn Cataloger>> {
    let mut v = os_catalogers();
    v.extend(crate::lang::catalogers());
    v
}

/// The captures OS detection needs (always registered by [`scan`]).
pub fn os_captures() -> Vec<Box<dyn Capture>> {
    vec![
        Box::new(os::release::ReleaseCapture),
        Box::new(os::release::BusyboxCapture),
    ]
}

/// Every capture of `catalogers`, flattened (OS detection's not included; see [`os_captures`]).
/// Captures with the same id are the same capture (the Go and Rust catalogers share the one that
/// reads executables), so each id appears once and every file is read and held once.
pub fn all_captures(catalogers: &[Box<dyn Cataloger>]) -> Vec<Box<dyn Capture>> {
    let mut seen = std::collections::HashSet::new();
    catalogers
        .iter()
        .flat_map(|c| c.captures())
        .filter(|c| seen.insert(c.id()))
        .collect()
}

/// Run `catalogers` over an already collected inventory with a given context, then drop
/// language packages owned by OS packages and sort the result.
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
    if out.os.is_none() && out.packages.iter().any(|p| p.kind.is_os()) {
        out.notes.push(Note::new(
            None,
            "os",
            "OS packages found but the OS was not recognised: they carry no OSV ecosystem",
        ));
    }
    dedupe_owned(&mut out, Some(inv));
    out.packages.sort_by(|a, b| {
        (!a.kind.is_os(), a.kind, &a.name, &a.version, &a.locations).cmp(&(
            !b.kind.is_os(),
            b.kind,
            &b.name,
            &b.version,
            &b.locations,
        ))
    });
    crate::model::assign_ids(&mut out.packages);
    out
}

/// Detect the OS of an inventory collected with [`os_captures`] and run `catalogers` over it.
pub fn analyze(inv: &Inventory, catalogers: &[Box<dyn Cataloger>]) -> Catalog {
    let mut notes = Vec::new();
    let os = os::release::detect(inv, &mut notes);
    if let Some(o) = &os {
        if !o.known {
            notes.push(Note::new(
                None,
                o.source.clone(),
                format!(
                    "OS {} {} is not a release sekisho knows; its packages carry no OSV ecosystem",
                    o.id,
                    o.version_id.as_deref().unwrap_or("(no version)")
                ),
            ));
        } else if o.eol {
            notes.push(Note::new(
                None,
                o.source.clone(),
                format!(
                    "OS {} {} is end-of-life: its advisories may be incomplete",
                    o.id,
                    o.version_id.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    let ctx = Context { os };
    let mut cat = catalog_inventory(inv, catalogers, &ctx);
    cat.notes.extend(notes);
    cat
}

/// Drop language packages whose files an OS package owns ("one report per package"). With an
/// inventory, paths on both sides are resolved through the image's symlinks first (dpkg lists
/// `/lib/x` where merged-/usr images have `usr/lib/x`).
pub fn dedupe_owned(cat: &mut Catalog, inv: Option<&Inventory>) {
    if !cat.packages.iter().any(|p| !p.kind.is_os()) {
        return;
    }
    let canon = |p: &str| -> String {
        let p = p.trim_start_matches('/');
        inv.and_then(|i| i.resolve(p).ok())
            .unwrap_or_else(|| p.to_string())
    };
    let owned: HashSet<String> = cat
        .packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter())
        .map(|f| canon(f))
        .collect();
    if owned.is_empty() {
        return;
    }
    cat.packages.retain(|p| {
        p.kind.is_os()
            || p.locations.is_empty()
            || !p.locations.iter().any(|l| owned.contains(&canon(l)))
    });
}

/// Walk `layers` once with every default cataloger's captures (and OS detection's) and catalog
/// the result.
///
/// # Errors
/// When a layer cannot be walked at all (entry-level problems become notes).
pub fn scan(
    layers: Vec<Box<dyn LayerSource>>,
    opts: &CollectOptions,
) -> Result<Catalog, WalkError> {
    scan_with(layers, opts, &default_catalogers())
}

/// [`scan`] with a chosen list of catalogers.
///
/// # Errors
/// See [`scan`].
pub fn scan_with(
    layers: Vec<Box<dyn LayerSource>>,
    opts: &CollectOptions,
    catalogers: &[Box<dyn Cataloger>],
) -> Result<Catalog, WalkError> {
    let mut captures = os_captures();
    captures.extend(all_captures(catalogers));
    let refs: Vec<&dyn Capture> = captures.iter().map(AsRef::as_ref).collect();
    let inv = sekisho_artifact::collect_with(layers, &refs, opts)?;
    Ok(analyze(&inv, catalogers))
}
