//! What the user asked to see: VEX statements, ignore rules and filters applied to findings.
//! Nothing is dropped silently: every finding that is not shown is kept as [`Suppressed`] with the
//! reason, so JSON can show it and the table can count it.

use serde::{Deserialize, Serialize};

use sekisho_catalog::purl::Purl;
use sekisho_catalog::{Package, PackageLookup};
use sekisho_finding::time::Date;
use sekisho_finding::{Finding, Severity, Status, VexApplied};

use crate::ignore::{IgnoreFile, Subject};
use crate::vex::VexDocument;

/// Why a finding is not shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SuppressReason {
    /// A VEX statement said `not_affected` or `fixed`.
    Vex { document: String, status: Status },
    /// A rule of the ignore file.
    Ignored {
        file: String,
        line: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    /// A status hidden unless `--show-all-statuses` (will_not_fix, end_of_life).
    Status { status: Status },
    /// Not in `--severity`.
    Severity { severity: Severity },
    /// `--ignore-unfixed`: no fixed version.
    Unfixed,
    /// An informational notice (RustSec unmaintained, unsound), shown with
    /// `--show-informational`.
    Informational { notice: String },
    /// Suppressed where the finding was made: an inline comment or annotation in the file
    /// (`# sekisho:ignore=<id> <reason>`, `sekisho.dev/ignore`).
    Inline {
        file: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl SuppressReason {
    /// The reason's kind as JSON names it (`vex`, `ignored`, `status`, `severity`, `unfixed`,
    /// `inline`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Vex { .. } => "vex",
            Self::Ignored { .. } => "ignored",
            Self::Status { .. } => "status",
            Self::Severity { .. } => "severity",
            Self::Unfixed => "unfixed",
            Self::Informational { .. } => "informational",
            Self::Inline { .. } => "inline",
        }
    }
}

/// A finding that is not shown, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    pub reason: SuppressReason,
    pub finding: Finding,
}

/// The user's choices.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub vex: Vec<VexDocument>,
    pub ignore: Option<IgnoreFile>,
    /// Only these severities (`None` = all).
    pub severities: Option<Vec<Severity>>,
    pub ignore_unfixed: bool,
    pub show_all_statuses: bool,
    /// Show informational notices (RustSec unmaintained, unsound) with the findings.
    pub show_informational: bool,
    /// The day expiry dates are checked against.
    pub today: Option<Date>,
}

/// Findings after the policy.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// Warnings for the user (expired ignore rules).
    pub warnings: Vec<String>,
}

impl Policy {
    /// Apply VEX, ignore rules and filters to the findings of one target, whatever their kind.
    /// `packages` are the target's packages (vulnerability findings name one of them).
    pub fn apply(&self, packages: &[Package], findings: Vec<Finding>) -> Applied {
        let today = self
            .today
            .unwrap_or_else(|| Date::from_unix(sekisho_finding::time::unix_now()));
        let lookup = PackageLookup::new(packages);
        let mut out = Applied::default();
        if let Some(ig) = &self.ignore {
            for r in ig.rules.iter().filter(|r| r.expired(today)) {
                out.warnings.push(format!(
                    "{}:{}: ignore rule for {} expired on {}; the finding is reported again",
                    ig.file,
                    r.line,
                    r.id,
                    r.expires.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
        }
        for mut f in findings {
            let pkg = f
                .as_vulnerability()
                .and_then(|v| lookup.get(&v.package_id, v.package));
            let purl = pkg.and_then(|p| Purl::parse(&p.purl));
            // VEX (vulnerabilities only): the first statement that applies and changes something
            // wins.
            if let Some(v) = f.as_vulnerability_mut() {
                let ids: Vec<&str> = v.all_ids().collect();
                let vex = self.vex.iter().find_map(|doc| {
                    doc.statements
                        .iter()
                        .filter(|s| s.status.applied().is_some())
                        .find(|s| s.applies(&ids, purl.as_ref()))
                        .map(|s| (doc.name.clone(), s.clone()))
                });
                drop(ids);
                if let Some((document, st)) = vex {
                    let vstatus = st.status.applied().unwrap_or(Status::NotAffected);
                    v.status = Status::NotAffected;
                    v.vex = Some(VexApplied {
                        document: document.clone(),
                        status: vstatus,
                        justification: st.justification.clone(),
                        statement: st.statement.clone(),
                    });
                    if !self.show_all_statuses {
                        out.suppressed.push(Suppressed {
                            reason: SuppressReason::Vex {
                                document,
                                status: vstatus,
                            },
                            finding: f,
                        });
                        continue;
                    }
                }
            }
            if let Some(ig) = &self.ignore {
                let ids = f.all_ids();
                let mut names: Vec<&str> = Vec::new();
                let mut paths: Vec<&str> = Vec::new();
                match (&f, pkg) {
                    (Finding::Vulnerability(v), _) => {
                        names.push(v.matched_name.as_str());
                        if let Some(p) = pkg {
                            names.push(p.name.as_str());
                            paths.extend(p.locations.iter().map(String::as_str));
                        }
                    }
                    (other, _) => {
                        if let Some(p) = other.location().and_then(|l| l.path.as_deref()) {
                            paths.push(p);
                        }
                    }
                }
                let subject = Subject {
                    ids,
                    names,
                    purl: purl.as_ref(),
                    locations: &paths,
                };
                let rule = ig
                    .rules
                    .iter()
                    .find(|r| !r.expired(today) && r.selects(&subject))
                    .cloned();
                if let Some(r) = rule {
                    out.suppressed.push(Suppressed {
                        reason: SuppressReason::Ignored {
                            file: ig.file.clone(),
                            line: r.line,
                            reason: r.reason.clone(),
                            expires: r.expires.map(|d| d.to_string()),
                        },
                        finding: f,
                    });
                    continue;
                }
            }
            if let Some(notice) = f.as_vulnerability().and_then(|v| v.informational.clone())
                && !self.show_informational
            {
                out.suppressed.push(Suppressed {
                    reason: SuppressReason::Informational { notice },
                    finding: f,
                });
                continue;
            }
            if let Some(v) = f.as_vulnerability()
                && v.vex.is_none()
                && v.status.hidden_by_default()
                && !self.show_all_statuses
            {
                let status = v.status;
                out.suppressed.push(Suppressed {
                    reason: SuppressReason::Status { status },
                    finding: f,
                });
                continue;
            }
            if let Some(sev) = &self.severities
                && !sev.contains(&f.severity())
            {
                out.suppressed.push(Suppressed {
                    reason: SuppressReason::Severity {
                        severity: f.severity(),
                    },
                    finding: f,
                });
                continue;
            }
            if self.ignore_unfixed
                && f.as_vulnerability()
                    .is_some_and(|v| v.fixed_version.is_none())
            {
                out.suppressed.push(Suppressed {
                    reason: SuppressReason::Unfixed,
                    finding: f,
                });
                continue;
            }
            out.findings.push(f);
        }
        out
    }
}

/// `--fail-on` and `--exit-code`: when the findings shown make a scan fail. The same for every
/// kind: a severity threshold, and/or a list of IDs (any ID of a finding, case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// Trip on a finding of this severity or higher.
    pub min_severity: Option<Severity>,
    /// Trip on a finding with one of these IDs.
    pub ids: Vec<String>,
    /// Trip on any finding shown (`--exit-code` alone).
    pub any: bool,
}

impl Gate {
    /// Whether the gate is set at all.
    pub fn is_set(&self) -> bool {
        self.min_severity.is_some() || !self.ids.is_empty() || self.any
    }

    /// The findings that trip the gate.
    pub fn tripped_by<'a>(
        &self,
        findings: impl IntoIterator<Item = &'a Finding>,
    ) -> Vec<&'a Finding> {
        findings
            .into_iter()
            .filter(|f| {
                self.any
                    || self.min_severity.is_some_and(|m| f.severity() >= m)
                    || f.all_ids()
                        .iter()
                        .any(|i| self.ids.iter().any(|g| g.eq_ignore_ascii_case(i)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekisho_catalog::PackageKind;

    fn pkg() -> Package {
        Package {
            id: String::new(),
            name: "jinja2".into(),
            version: "2.10".into(),
            kind: PackageKind::Python,
            ecosystem: Some("PyPI".into()),
            purl: "pkg:pypi/jinja2@2.10".into(),
            source: None,
            licenses: vec![],
            arch: None,
            modularity_label: None,
            locations: vec!["usr/lib/python3/dist-packages/Jinja2-2.10.dist-info/METADATA".into()],
            layer: Some(0),
            files: vec![],
        }
    }

    fn finding(id: &str, sev: Severity, status: Status, fixed: Option<&str>) -> Finding {
        Finding::Vulnerability(sekisho_finding::Vulnerability {
            id: id.into(),
            advisories: vec![format!("GHSA-{id}")],
            aliases: vec![],
            related: vec![],
            package: 0,
            package_id: String::new(),
            matched_name: "jinja2".into(),
            matched_version: "2.10".into(),
            ecosystem: "PyPI".into(),
            status,
            fixed_version: fixed.map(str::to_string),
            severity: sev,
            ratings: vec![],
            summary: None,
            references: vec![],
            published: None,
            modified: None,
            vex: None,
            informational: None,
        })
    }

    #[test]
    fn applies_in_order() {
        let vex = crate::vex::parse(
            "v.json",
            br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:pypi/jinja2"}],"status":"not_affected","justification":"component_not_present"}]}"#,
        )
        .unwrap();
        let ignore = crate::ignore::parse(
            ".sekishoignore",
            "CVE-2 reason=accepted\nCVE-3 exp:2020-01-01\nCVE-9 path=nowhere/**\n",
        )
        .unwrap();
        let policy = Policy {
            vex: vec![vex],
            ignore: Some(ignore),
            severities: Some(vec![Severity::High, Severity::Critical]),
            ignore_unfixed: true,
            show_all_statuses: false,
            show_informational: false,
            today: Date::parse("2026-11-26"),
        };
        let fs = vec![
            finding("CVE-1", Severity::High, Status::Fixed, Some("2.11")),
            finding("CVE-2", Severity::High, Status::Fixed, Some("2.11")),
            finding("CVE-3", Severity::High, Status::Fixed, Some("2.11")),
            finding("CVE-4", Severity::High, Status::WillNotFix, None),
            finding("CVE-5", Severity::Low, Status::Fixed, Some("2.11")),
            finding("CVE-6", Severity::Critical, Status::Affected, None),
            finding("CVE-9", Severity::Critical, Status::Fixed, Some("3")),
        ];
        let a = policy.apply(&[pkg()], fs);
        let shown: Vec<&str> = a.findings.iter().map(|f| f.id()).collect();
        assert_eq!(shown, vec!["CVE-3", "CVE-9"]);
        let why: Vec<String> = a
            .suppressed
            .iter()
            .map(|s| {
                format!(
                    "{}:{}",
                    s.finding.id(),
                    serde_json::to_value(&s.reason).unwrap()["kind"]
                        .as_str()
                        .unwrap()
                )
            })
            .collect();
        assert_eq!(
            why,
            vec![
                "CVE-1:vex",
                "CVE-2:ignored",
                "CVE-4:status",
                "CVE-5:severity",
                "CVE-6:unfixed"
            ]
        );
        assert_eq!(a.warnings.len(), 1);
        assert!(a.warnings[0].contains(".sekishoignore:2"));
        // VEX'd findings are shown as such with --show-all-statuses.
        let all = Policy {
            show_all_statuses: true,
            ..Policy::default()
        };
        let vex = crate::vex::parse(
            "v.json",
            br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
              {"vulnerability":{"name":"CVE-1"},"products":["pkg:pypi/jinja2"],"status":"fixed"}]}"#,
        )
        .unwrap();
        let all = Policy {
            vex: vec![vex],
            ..all
        };
        let a = all.apply(
            &[pkg()],
            vec![finding(
                "CVE-1",
                Severity::High,
                Status::Fixed,
                Some("2.11"),
            )],
        );
        assert_eq!(a.findings.len(), 1);
        let v = a.findings[0].as_vulnerability().unwrap();
        assert_eq!(v.status, Status::NotAffected);
        assert_eq!(v.vex.as_ref().unwrap().status, Status::Fixed);
    }
}
