//! The isolation audit's results in the shared finding model, so `sekisho isolation` renders
//! through the same SARIF and CycloneDX writers (and the same gate) as every scan. The audit
//! itself is `sekisho-audit`'s; a workload is a target, each finding an `isolation` finding
//! with its wall's evidence.

use sekisho_audit::hostview::HostReport;
use sekisho_audit::model::{Finding as AuditFinding, Report, Wall};
use sekisho_finding::Finding;
use sekisho_report::{ScanReport, ScanTarget, Target, Tool};

fn findings(fs: &[AuditFinding], walls: &[Wall]) -> Vec<Finding> {
    fs.iter()
        .map(|f| {
            let evidence = walls
                .iter()
                .find(|w| w.wall == f.wall)
                .map(|w| w.evidence.clone())
                .unwrap_or_default();
            Finding::Isolation(f.to_isolation(&evidence))
        })
        .collect()
}

fn target(name: String, kind: &str, fs: Vec<Finding>, notes: &[String]) -> ScanTarget {
    ScanTarget {
        target: Target {
            name,
            kind: kind.to_string(),
            notes: notes
                .iter()
                .map(|n| sekisho_artifact::Note::new(None, "isolation", n.clone()))
                .collect(),
            ..Target::default()
        },
        findings: fs,
        suppressed: Vec::new(),
        coverage: Vec::new(),
    }
}

fn report(tool: Tool, created: String, targets: Vec<ScanTarget>) -> ScanReport {
    let mut r = ScanReport::new(tool, created, false, None, targets, Vec::new());
    r.scanners = vec!["isolation".into()];
    r
}

/// The inside view of one workload as a scan report.
pub fn inside_report(r: &Report, tool: Tool, created: String) -> ScanReport {
    let name = match (&r.target.name, r.target.own) {
        (Some(n), _) => format!("pid {} ({n})", r.target.pid),
        (None, _) => format!("pid {}", r.target.pid),
    };
    report(
        tool,
        created,
        vec![target(
            name,
            "workload",
            findings(&r.findings, &r.walls),
            &r.notes,
        )],
    )
}

/// The host view, one target per container.
pub fn host_report(r: &HostReport, tool: Tool, created: String) -> ScanReport {
    let targets = r
        .containers
        .iter()
        .map(|c| {
            let name = match (&c.runtime, &c.command) {
                (Some(rt), Some(cmd)) => format!("{rt} {} ({cmd}, pid {})", c.id, c.init_pid),
                (Some(rt), None) => format!("{rt} {} (pid {})", c.id, c.init_pid),
                (None, Some(cmd)) => format!("{} ({cmd}, pid {})", c.id, c.init_pid),
                (None, None) => format!("{} (pid {})", c.id, c.init_pid),
            };
            target(name, "container", findings(&c.findings, &c.walls), &[])
        })
        .collect();
    let mut rep = report(tool, created, targets);
    if let Some(first) = rep.targets.first_mut() {
        first.target.notes.extend(
            r.notes
                .iter()
                .map(|n| sekisho_artifact::Note::new(None, "host", n.clone())),
        );
    }
    rep
}
