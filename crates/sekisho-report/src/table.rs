//! Human-readable tables (the default format): findings grouped by target and package, severities
//! coloured unless `NO_COLOR`, a summary line with counts per severity, and plain lines for what
//! could not be checked ("no advisory data for Debian:13") and what was not shown.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use sekisho_match::{Finding, Severity, Status, SuppressReason};

use crate::model::{SbomReport, ScanReport, Target};

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

fn status_text(f: &Finding) -> String {
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

/// Counts line: `Total: 5 (CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 0)`.
pub fn counts_line(findings: &[&Finding]) -> String {
    let mut parts = Vec::new();
    for s in Severity::ALL {
        let n = findings.iter().filter(|f| f.severity == s).count();
        parts.push(format!("{s}: {n}"));
    }
    format!("Total: {} ({})", findings.len(), parts.join(", "))
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
    if !report.vulnerability_data {
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
        let fs: Vec<&Finding> = t.findings.iter().collect();
        writeln!(
            out,
            "Packages: {}; vulnerabilities: {}",
            t.target.packages.len(),
            if report.vulnerability_data {
                counts_line(&fs)
            } else {
                "not checked".to_string()
            }
        )?;
        for c in t.coverage.iter().filter(|c| !c.has_data) {
            writeln!(
                out,
                "no advisory data for {} ({} package{} not checked)",
                c.ecosystem,
                c.packages,
                if c.packages == 1 { "" } else { "s" }
            )?;
        }
        if !report.vulnerability_data {
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
            let mut order: Vec<&Finding> = fs.clone();
            order.sort_by(|a, b| {
                let pa = &t.target.packages[a.package];
                let pb = &t.target.packages[b.package];
                pa.name
                    .cmp(&pb.name)
                    .then(pa.version.cmp(&pb.version))
                    .then(a.package.cmp(&b.package))
                    .then(b.severity.cmp(&a.severity))
                    .then(a.id.cmp(&b.id))
            });
            let mut last: Option<usize> = None;
            for f in order {
                let p = &t.target.packages[f.package];
                let first = last != Some(f.package);
                last = Some(f.package);
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
                    let mut c = p.name.clone();
                    if p.name != f.matched_name {
                        c.push_str(&format!("\n(source {})", f.matched_name));
                    }
                    // Language packages: where it was found, so two copies of one package (two
                    // virtualenvs, two lockfiles) read as two rows for a reason.
                    if let (false, Some(loc)) = (p.kind.is_os(), p.locations.first()) {
                        c.push_str(&format!("\n{}", middle_cut(loc, 96)));
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
                        p.version.clone()
                    } else {
                        String::new()
                    }),
                    Cell::new(f.fixed_version.clone().unwrap_or_default()),
                    Cell::new(truncate(f.summary.as_deref().unwrap_or(""), 60)),
                ]);
            }
            writeln!(out, "{table}")?;
        }
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
            writeln!(
                out,
                "  ignored {} in {} ({file}:{line}{})",
                f.id,
                t.target.packages[f.package].name,
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    if report.targets.len() > 1 {
        let all: Vec<&Finding> = report.targets.iter().flat_map(|t| &t.findings).collect();
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
