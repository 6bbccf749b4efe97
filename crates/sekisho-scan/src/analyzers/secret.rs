//! `secret`: credentials in every layer's files (deleted, overwritten and shadowed versions
//! too), in the image config (Env, Labels) and in the build history, never printed
//! (`sekisho-secret`). Files an installed package owns and that still match its checksum are
//! reported at INFO as vendor content.

use sekisho_artifact::{Capture, Note};
use sekisho_finding::{Finding, Kind, Rule};
use sekisho_secret::{Rules, SecretCapture};

use crate::analyzer::{Analyzer, Context, Output};
use crate::error::{ErrorKind, ScanError};

/// The secret analyzer over the built-in rule set.
pub struct Secrets {
    rules: &'static Rules,
}

impl Secrets {
    /// # Errors
    /// When the built-in rules do not compile (a defect the crate's tests catch).
    pub fn new() -> Result<Self, ScanError> {
        let rules = Rules::builtin()
            .map_err(|e| ScanError::new(ErrorKind::Analyzer, format!("secret rules: {e}")))?;
        Ok(Self { rules })
    }
}

impl Analyzer for Secrets {
    fn id(&self) -> &'static str {
        "secret"
    }
    fn kind(&self) -> Kind {
        Kind::Secret
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        let mut c: Vec<Box<dyn Capture>> = vec![Box::new(SecretCapture::new(self.rules))];
        c.extend(sekisho_secret::vendor::captures());
        c
    }
    fn rules(&self) -> &'static [Rule] {
        sekisho_secret::rules()
    }
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), ScanError> {
        let rep = sekisho_secret::analyze(self.rules, cx.inventory, cx.image, None);
        out.findings
            .extend(rep.findings.into_iter().map(Finding::Secret));
        out.notes.extend(rep.notes);
        out.notes
            .push(Note::new(None, "secrets", rep.summary.to_string()));
        Ok(())
    }
}
