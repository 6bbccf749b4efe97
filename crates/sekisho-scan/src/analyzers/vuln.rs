//! `vuln`: the packages the catalogers found, matched against the vulnerability DB
//! (`sekisho-match`): source-package mapping, fixed versions, statuses, severities.

use std::sync::Arc;

use sekisho_artifact::Note;
use sekisho_finding::{Finding, Kind};
use sekisho_vulndb::Db;

use crate::analyzer::{Analyzer, Context, Output};
use crate::error::{ErrorKind, ScanError};

/// Matches the catalog against one DB handle (shared, `Sync`).
pub struct Vulnerabilities {
    db: Arc<Db>,
}

impl Vulnerabilities {
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl Analyzer for Vulnerabilities {
    fn id(&self) -> &'static str {
        "vuln"
    }
    fn kind(&self) -> Kind {
        Kind::Vulnerability
    }
    fn needs_packages(&self) -> bool {
        true
    }
    fn works_without_files(&self) -> bool {
        true
    }
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), ScanError> {
        let Some(cat) = cx.catalog else {
            return Ok(());
        };
        let m = sekisho_match::match_catalog(cat, self.db.as_ref()).map_err(|e| {
            ScanError::with_source(ErrorKind::Database, format!("matching {}", cx.target), e)
        })?;
        out.findings
            .extend(m.findings.into_iter().map(Finding::Vulnerability));
        out.notes.extend(m.notes);
        if !m.excluded.is_empty() {
            let parts: Vec<String> = m.excluded.iter().map(|(k, n)| format!("{n} {k}")).collect();
            out.notes.push(Note::new(
                None,
                "advisories",
                format!("not reported: {}", parts.join(", ")),
            ));
        }
        out.coverage = m.coverage;
        Ok(())
    }
}
