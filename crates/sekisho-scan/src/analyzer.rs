//! The analyzer plug-in point.
//!
//! An analyzer says what it wants from the one walk over a target's layers ([`Analyzer::captures`]
//! and [`Analyzer::index`]), then turns what was captured into findings
//! ([`Analyzer::analyze`]). The walker owns the traversal: every analyzer's captures are registered
//! together, each layer is read once, and each wanted file is read once for all of them. Adding a
//! kind of check is implementing this trait and registering it in [`crate::Scanners`] (or passing
//! it to [`crate::ScanRequest::extra_analyzers`]); no branch in any caller.
//!
//! The package catalogers are not analyzers: they are the stage every analyzer can build on
//! ([`Context::catalog`]), run when some analyzer asks for it ([`Analyzer::needs_packages`]).

use sekisho_artifact::image::ImageMeta;
use sekisho_artifact::{Capture, IndexMode, Inventory, Note};
use sekisho_catalog::Catalog;
use sekisho_finding::{Coverage, Finding, Kind, Rule};
use sekisho_policy::Suppressed;

use crate::error::ScanError;
use crate::progress::Cancel;

/// What an analyzer sees of one target after the walk.
pub struct Context<'a> {
    /// What the user named (`app:1.2`, `/srv/root`).
    pub target: &'a str,
    /// `image`, `rootfs`, `vm`, `sbom`.
    pub target_kind: &'a str,
    /// Every captured version of every wanted file, with its fate (see
    /// [`sekisho_artifact::Inventory`]).
    pub inventory: &'a Inventory,
    /// The image config, for images.
    pub image: Option<&'a ImageMeta>,
    /// The packages, when the package stage ran.
    pub catalog: Option<&'a Catalog>,
    /// Checked between long steps.
    pub cancel: &'a Cancel,
}

/// What an analyzer produced for one target.
#[derive(Debug, Default)]
pub struct Output {
    /// Findings, before the user's policy is applied.
    pub findings: Vec<Finding>,
    /// Findings the analyzer itself suppressed (inline comments in a file), with the reason.
    pub suppressed: Vec<Suppressed>,
    /// What was skipped or not understood.
    pub notes: Vec<Note>,
    /// Vulnerability analyzers: advisory coverage per ecosystem.
    pub coverage: Vec<Coverage>,
}

/// One kind of check over a target's files.
pub trait Analyzer: Send + Sync {
    /// Stable id; for the built-in analyzers, the `--scanners` name (`vuln`, `secret`, `config`).
    fn id(&self) -> &'static str;
    /// The kind of finding it makes.
    fn kind(&self) -> Kind;
    /// What it wants from the walk. Capture ids are part of the per-layer cache key: keep them
    /// unique (prefix with the analyzer id) and bump them when what a capture keeps changes.
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        Vec::new()
    }
    /// Whether it needs the per-entry index (with digests for drift).
    fn index(&self) -> IndexMode {
        IndexMode::Off
    }
    /// Whether it needs the package stage's [`Catalog`].
    fn needs_packages(&self) -> bool {
        false
    }
    /// Whether it can analyze a target without files (an SBOM).
    fn works_without_files(&self) -> bool {
        false
    }
    /// The rules and checks it may report (for `--list-checks`, docs, and the ID registry).
    fn rules(&self) -> &'static [Rule] {
        &[]
    }
    /// Turn the walk's results into findings.
    ///
    /// # Errors
    /// When the analyzer cannot run at all (entry-level problems become notes).
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), ScanError>;
}
