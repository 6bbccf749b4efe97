//! Human-readable tables (the default format): vulnerabilities grouped by target and package, then
//! one table per other kind of finding (misconfigurations, secrets, drift, isolation), severities
//! coloured unless `NO_COLOR`, a summary line with counts per severity, and plain lines for what
//! could not be checked ("no advisory data for Debian:13") and what was not shown.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use sekisho_catalog::PackageLookup;
use sekisho_finding::{Finding, Kind, Severity, Status, Vulnerability};
use sekisho_policy::SuppressReason;

use crate::model::{SbomReport, ScanReport, ScanTarget, Target};

fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Disabled);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn sev_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Info => Color::Cyan,
        Severity::Unknown => Color::Grey,
    }
}

fn sev_cell(s: Severity, color: bool) -> Cell {
    let c = Cell::new(s.as_str());
    if color {
        c.fg(sev_color(s)).add_attribute(Attribute::Bold)
    } else {
        c
    }
}

fn truncate(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A path of at most `max` characters: long ones keep their start and end around a `…`, since
/// two copies of a package usually differ in the middle (the project or virtualenv directory).
fn middle_cut(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let a: String = s.chars().take(head).collect();
    let b: String = s.chars().skip(n - tail).collect();
    format!("{a}…{b}")
}

fn status_text(f: &Vulnerability) -> String {
    match &f.vex {
        Some(v) => format!("{} (VEX)", v.status),
        None => f.status.to_string(),
    }
}

fn os_line(t: &Target) -> String {
    match &t.os {
        Some(os) => {
            let name = os.pretty_name.clone().unwrap_or_else(|| {
                format!("{} {}", os.id, os.version_id.as_deref().unwrap_or(""))
                    .trim()
                    .to_string()
            });
            let eco = os
                .osv_ecosystem
                .as_deref()
                .map(|e| format!(", advisories: {e}"))
                .unwrap_or_default();
            let eol = if os.eol { ", end-of-life" } else { "" };
            let known = if os.known {
                ""
            } else {
                ", not a release sekisho knows"
            };
            format!("{name}{eco}{eol}{known}")
        }
        None => "no operating system detected".to_string(),
    }
}

/// Counts line: `Total: 5 (CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 0)`; `INFO` is listed
/// when a finding has it.
pub fn counts_line(severities: &[Severity]) -> String {
    let mut parts = Vec::new();
    for s in Severity::ALL {
        let n = severities.iter().filter(|x| **x == s).count();
        if s == Severity::Info && n == 0 {
            continue;
        }
        parts.push(format!("{s}: {n}"));
    }
    format!("Total: {} ({})", severities.len(), parts.join(", "))
}

/// The vulnerabilities among a target's findings.
fn vulns(findings: &[Finding]) -> Vec<&Vulnerability> {
    findings
        .iter()
        .filter_map(Finding::as_vulnerability)
        .collect()
}

fn sevs(fs: &[&Vulnerability]) -> Vec<Severity> {
    fs.iter().map(|f| f.severity).collect()
}

/// One table per kind of finding other than vulnerabilities.
fn render_checks(t: &ScanTarget, out: &mut dyn Write, color: bool) -> io::Result<()> {
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Vulnerability) {
        let mut fs: Vec<&Finding> = t.findings.iter().filter(|f| f.kind() == kind).collect();
        if fs.is_empty() {
            continue;
        }
        fs.sort_by(|a, b| {
            b.severity()
                .cmp(&a.severity())
                .then_with(|| {
                    a.location()
                        .map(|l| l.display())
                        .cmp(&b.location().map(|l| l.display()))
                })
                .then_with(|| a.id().cmp(b.id()))
        });
        let s: Vec<Severity> = fs.iter().map(|f| f.severity()).collect();
        writeln!(out, "{}: {}", kind.heading(), counts_line(&s))?;
        let mut table = new_table(color);
        let third = match kind {
            Kind::Secret => "Match",
            Kind::Drift => "Change",
            Kind::Isolation => "Wall",
            _ => "Value",
        };
        table.set_header(vec!["Severity", "ID", "Where", third, "Title / fix"]);
        for f in fs {
            let loc = f.location().map(|l| {
                let mut s = middle_cut(&l.display(), 60);
                if let Some(layer) = &l.layer {
                    s.push_str(&format!("\nlayer {}", layer.index));
                }
                s
            });
            let third = match f {
                Finding::Misconfiguration(m) => m
                    .value
                    .as_deref()
                    .map(|v| truncate(v, 40))
                    .unwrap_or_default(),
                Finding::Secret(x) => {
                    let mut c = x.redacted.clone();
                    match (&x.deleted_in, x.present) {
                        (Some(d), _) => c.push_str(&format!("\ndeleted in layer {}", d.index)),
                        (None, false) => c.push_str("\nnot in the final filesystem"),
                        _ => {}
                    }
                    if let Some(v) = &x.vendor {
                        c.push_str(&format!("\nvendor: {}", v.package));
                    }
                    c
                }
                Finding::Drift(d) => format!(
                    "{}\n{}",
                    serde_json::to_value(d.change)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    d.class
                ),
                Finding::Isolation(i) => i.wall.clone(),
                Finding::Vulnerability(_) => String::new(),
            };
            table.add_row(vec![
                sev_cell(f.severity(), color),
                Cell::new(f.id()),
                Cell::new(loc.unwrap_or_default()),
                Cell::new(third),
                Cell::new(format!(
                    "{}\nfix: {}",
                    truncate(&f.title(), 70),
                    truncate(&f.fix(), 70)
                )),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

fn suppressed_line(report: &ScanReport) -> Option<String> {
    let s = &report.summary.suppressed;
    if s.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let get = |k: &str| s.get(k).copied().unwrap_or(0);
    if get("vex") > 0 {
        parts.push(format!("{} resolved by VEX", get("vex")));
    }
    if get("ignored") > 0 {
        parts.push(format!("{} ignored by rule", get("ignored")));
    }
    if get("status") > 0 {
        parts.push(format!("{} will_not_fix/end_of_life", get("status")));
    }
    if get("severity") > 0 {
        parts.push(format!("{} outside --severity", get("severity")));
    }
    if get("unfixed") > 0 {
        parts.push(format!(
            "{} without a fix (--ignore-unfixed)",
            get("unfixed")
        ));
    }
    if get("inline") > 0 {
        parts.push(format!("{} suppressed in the file", get("inline")));
    }
    let hint = if get("vex") + get("status") > 0 {
        " (--show-all-statuses lists them)"
    } else {
        ""
    };
    Some(format!("Not shown: {}{hint}", parts.join(", ")))
}

/// Render a scan report as tables.
///
/// # Errors
/// When writing fails.
pub fn render_scan(report: &ScanReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let vuln = report.vulnerabilities_scanned();
    if vuln && !report.vulnerability_data {
        writeln!(
            out,
            "No vulnerability data was available: the packages below were NOT checked for vulnerabilities."
        )?;
        writeln!(
            out,
            "Run `sekisho db update` (or `sekisho db import DIR` offline) and scan again."
        )?;
        writeln!(out)?;
    }
    for t in &report.targets {
        writeln!(out, "{} ({})", t.target.name, os_line(&t.target))?;
        let lookup = PackageLookup::new(&t.target.packages);
        let fs: Vec<&Vulnerability> = vulns(&t.findings);
        if vuln {
            writeln!(
                out,
                "Packages: {}; vulnerabilities: {}",
                t.target.packages.len(),
                if report.vulnerability_data {
                    counts_line(&sevs(&fs))
                } else {
                    "not checked".to_string()
                }
            )?;
        } else {
            writeln!(
                out,
                "Packages: {} (not checked for vulnerabilities: scanners {})",
                t.target.packages.len(),
                report.scanners.join(",")
            )?;
        }
        for c in t.coverage.iter().filter(|c| !c.has_data) {
            writeln!(
                out,
                "no advisory data for {} ({} package{} not checked)",
                c.ecosystem,
                c.packages,
                if c.packages == 1 { "" } else { "s" }
            )?;
        }
        if vuln && !report.vulnerability_data {
            render_packages(&t.target, out, color)?;
        } else if !fs.is_empty() {
            let mut table = new_table(color);
            table.set_header(vec![
                "Package",
                "Vulnerability",
                "Severity",
                "Status",
                "Installed",
                "Fixed in",
                "Title",
            ]);
            // Findings whose package the report does not hold (a hostile or stale stored
            // report) sort last, under the name the advisory matched.
            let pos = |f: &Vulnerability| lookup.position(&f.package_id, f.package);
            let mut order: Vec<&Vulnerability> = fs.clone();
            order.sort_by(|a, b| {
                let key = |f: &Vulnerability| {
                    let p = lookup.get(&f.package_id, f.package);
                    (
                        p.is_none(),
                        p.map_or(f.matched_name.as_str(), |p| p.name.as_str())
                            .to_string(),
                        p.map_or(f.matched_version.as_str(), |p| p.version.as_str())
                            .to_string(),
                        pos(f),
                    )
                };
                key(a)
                    .cmp(&key(b))
                    .then(b.severity.cmp(&a.severity))
                    .then(a.id.cmp(&b.id))
            });
            let mut last: Option<Option<usize>> = None;
            for f in order {
                let p = lookup.get(&f.package_id, f.package);
                let first = last != Some(pos(f));
                last = Some(pos(f));
                let (pname, pversion) = p
                    .map_or((f.matched_name.as_str(), f.matched_version.as_str()), |p| {
                        (p.name.as_str(), p.version.as_str())
                    });
                let mut ids = f.id.clone();
                let others: Vec<&String> = f.advisories.iter().filter(|a| **a != f.id).collect();
                if !others.is_empty() {
                    ids.push_str(&format!(
                        "\n({})",
                        others
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let pkg_cell = if first {
                    let mut c = pname.to_string();
                    if pname != f.matched_name {
                        c.push_str(&format!("\n(source {})", f.matched_name));
                    }
                    // Language packages: where it was found, so two copies of one package (two
                    // virtualenvs, two lockfiles) read as two rows for a reason.
                    if let Some(p) = p
                        && let (false, Some(loc)) = (p.kind.is_os(), p.locations.first())
                    {
                        c.push_str(&format!("\n{}", middle_cut(loc, 96)));
                    }
                    if p.is_none() {
                        c.push_str("\n(package not in the report)");
                    }
                    c
                } else {
                    String::new()
                };
                let status = status_text(f);
                let status_cell = if color && f.status == Status::Affected {
                    Cell::new(status).add_attribute(Attribute::Bold)
                } else {
                    Cell::new(status)
                };
                table.add_row(vec![
                    Cell::new(pkg_cell),
                    Cell::new(ids),
                    sev_cell(f.severity, color),
                    status_cell,
                    Cell::new(if first {
                        pversion.to_string()
                    } else {
                        String::new()
                    }),
                    Cell::new(f.fixed_version.clone().unwrap_or_default()),
                    Cell::new(truncate(f.summary.as_deref().unwrap_or(""), 60)),
                ]);
            }
            writeln!(out, "{table}")?;
        }
        render_checks(t, out, color)?;
        if !t.target.notes.is_empty() {
            writeln!(out, "Notes ({}):", t.target.notes.len())?;
            for n in &t.target.notes {
                writeln!(out, "  - {}", crate::model::note_text(n))?;
            }
        }
        let ignored: Vec<_> = t
            .suppressed
            .iter()
            .filter_map(|s| match &s.reason {
                SuppressReason::Ignored {
                    file, line, reason, ..
                } => Some((file, line, reason, &s.finding)),
                _ => None,
            })
            .collect();
        for (file, line, reason, f) in ignored {
            let what = match f {
                Finding::Vulnerability(v) => lookup
                    .get(&v.package_id, v.package)
                    .map_or(v.matched_name.clone(), |p| p.name.clone()),
                other => other
                    .location()
                    .map(|l| l.display())
                    .unwrap_or_else(|| other.kind().to_string()),
            };
            writeln!(
                out,
                "  ignored {} in {what} ({file}:{line}{})",
                f.id(),
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    if report.targets.len() > 1 {
        let all: Vec<Severity> = report
            .targets
            .iter()
            .flat_map(|t| vulns(&t.findings))
            .map(|f| f.severity)
            .collect();
        writeln!(out, "All targets: {}", counts_line(&all))?;
    }
    if let Some(l) = suppressed_line(report) {
        writeln!(out, "{l}")?;
    }
    for w in &report.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn render_packages(t: &Target, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut table = new_table(color);
    table.set_header(vec![
        "Name",
        "Version",
        "Ecosystem",
        "Source",
        "Found in",
        "Layer",
    ]);
    for p in &t.packages {
        let src = p
            .source
            .as_ref()
            .map(|s| match &s.version {
                Some(v) => format!("{} {v}", s.name),
                None => s.name.clone(),
            })
            .unwrap_or_default();
        table.add_row(vec![
            p.name.clone(),
            p.version.clone(),
            p.ecosystem.clone().unwrap_or_else(|| "-".into()),
            src,
            truncate(&p.locations.first().cloned().unwrap_or_default(), 60),
            p.layer.map(|l| l.to_string()).unwrap_or_default(),
        ]);
    }
    writeln!(out, "{table}")
}

/// Render an inventory as tables.
///
/// # Errors
/// When writing fails.
pub fn render_sbom(report: &SbomReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    for t in &report.targets {
        writeln!(out, "{} ({})", t.name, os_line(t))?;
        writeln!(out, "Packages: {}", t.packages.len())?;
        if !t.packages.is_empty() {
            render_packages(t, out, color)?;
        }
        if !t.notes.is_empty() {
            writeln!(out, "Notes ({}):", t.notes.len())?;
            for n in &t.notes {
                writeln!(out, "  - {}", crate::model::note_text(n))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::middle_cut;

    #[test]
    fn long_paths_keep_both_ends() {
        assert_eq!(middle_cut("a/b/c", 10), "a/b/c");
        let p = "home/alice/project-one/.venv/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA";
        let c = middle_cut(p, 40);
        assert_eq!(c.chars().count(), 40);
        assert_eq!(c, "home/alice/project-…0.dist-info/METADATA");
        assert!(c.contains('…'));
    }
}
