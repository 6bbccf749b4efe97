//! The isolation audit's results in the shared finding model, so `sekisho isolation` renders
//! through the same SARIF and CycloneDX writers (and the same gate) as every scan. The audit
//! itself is `sekisho-audit`'s; a workload is a target, each finding an `isolation` finding
//! with its wall's evidence.

use sekisho_audit::hostview::HostReport;
use sekisho_audit::model::{Finding as AuditFinding, Report, Wall};
use sekisho_finding::Finding;
use sekisho_kernel::verdict::Verdict;
use sekisho_report::{ScanReport, ScanTarget, Target, Tool};

use crate::analyzers::kernel::{escape_finding, escape_severity};

/// Known escapes of the kernel section that affect this host, as findings.
fn escapes(k: Option<&sekisho_kernel::Section>) -> Vec<Finding> {
    let Some(k) = k else {
        return Vec::new();
    };
    k.escapes
        .iter()
        .filter(|j| j.verdict == Verdict::Affected)
        .map(|j| {
            let (subject, logical) = match &j.runtime_path {
                Some(p) => (format!("the runtime {p}"), format!("runtime:{p}")),
                None => (
                    format!("the running kernel {}", k.kernel.release),
                    format!("kernel:{}", k.kernel.release),
                ),
            };
            escape_finding(j, &subject, logical, escape_severity(j))
        })
        .collect()
}

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

/// The host view, one target per container, and the host's own kernel and runtimes (judged
/// once for every container on it).
pub fn host_report(r: &HostReport, tool: Tool, created: String) -> ScanReport {
    let mut targets: Vec<ScanTarget> = r
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
    targets.push(target(
        "host kernel and runtimes".into(),
        "host",
        escapes(r.known_escapes.as_ref()),
        &r.notes,
    ));
    report(tool, created, targets)
}
