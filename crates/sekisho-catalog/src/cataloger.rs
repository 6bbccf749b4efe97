//! The cataloger trait and what a cataloger is told when it parses.
//!
//! Its own module because both sides need it: every cataloger (under [`crate::os`] and
//! [`crate::lang`]) implements [`Cataloger`], and the driver in [`crate::registry`] lists the
//! catalogers and runs them. Catalogers depend on this, never on the driver.

use sekisho_artifact::{Capture, Inventory};

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
