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

pub(crate) fn os_line(t: &Target) -> String {
    match &t.os {
        Some(os) => {
            let name = os.pretty_name.clone().unwrap_or_else(|| {
                format!("{} {}", os.id, os.version_id.as_deref().unwrap_or(""))
                    .trim()
                    .to_string()
            });
            // Whether advisories were checked for it is the coverage section's to say: the OS
            // line never claims it.
            let eol = if os.eol { ", end-of-life" } else { "" };
            let known = if os.known {
                ""
            } else {
                ", not a release sekisho knows"
            };
            format!("{name}{eol}{known}")
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

/// `label` then `text` wrapped to `width` columns; continuation lines are indented under the
/// text.
fn wrap(label: &str, text: &str, width: Option<usize>) -> String {
    let indent = label.chars().count();
    let Some(w) = width.filter(|w| *w > indent + 20) else {
        return format!("{label}{text}");
    };
    let mut out = String::new();
    let mut line = label.to_string();
    let mut empty = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let add = usize::from(!empty) + word.chars().count();
        if !empty && line.chars().count() + add > w {
            out.push_str(&line);
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out
}

/// The summary block: counts that agree with the rows below, fixable or not, per ecosystem with
/// why UNKNOWN severities are unknown, and the upgrades that clear the most.
fn render_summary(
    rows: &[crate::summary::VulnRow<'_>],
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let c = crate::summary::counts(rows);
    let copies = if c.findings == c.distinct {
        String::new()
    } else {
        format!(
            " ({} findings: copies of one package version are one row; JSON lists each)",
            c.findings
        )
    };
    writeln!(
        out,
        "{}",
        wrap(
            "Summary: ",
            &format!("{} vulnerabilities{copies}", c.distinct),
            width
        )
    )?;
    let sev: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = c.by_severity.get(s).copied().unwrap_or(0);
            (n > 0 || *s != Severity::Info).then(|| format!("{s} {n}"))
        })
        .collect();
    writeln!(out, "  severity   {}", sev.join(", "))?;
    writeln!(
        out,
        "  fixable    {} with a fixed version, {} without",
        c.fixable, c.unfixable
    )?;
    let mut ecos: Vec<(&String, &(usize, usize))> = c.by_ecosystem.iter().collect();
    ecos.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let parts: Vec<String> = ecos
        .iter()
        .map(|(e, (n, unknown))| {
            if *unknown > 0 {
                format!(
                    "{e} {n} ({unknown} UNKNOWN: {})",
                    crate::summary::unknown_reason(e)
                )
            } else {
                format!("{e} {n}")
            }
        })
        .collect();
    writeln!(out, "{}", wrap("  ecosystem  ", &parts.join("; "), width))?;
    let plan = crate::summary::fix_plan(rows);
    for (i, u) in plan.iter().take(5).enumerate() {
        let lead = if i == 0 {
            "  upgrade    "
        } else {
            "             "
        };
        let hc = if u.high_or_critical > 0 {
            format!(" ({} HIGH or CRITICAL)", u.high_or_critical)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}",
            wrap(
                &format!("{lead}{}. ", i + 1),
                &format!(
                    "{} {} -> {} clears {}{hc}",
                    u.name,
                    u.from,
                    u.to,
                    plural(u.clears, "vulnerability", "vulnerabilities")
                ),
                width,
            )
        )?;
    }
    if plan.len() > 5 {
        writeln!(out, "             … {} more upgrades", plan.len() - 5)?;
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What was checked and what was not, per ecosystem, and how to get what is missing.
fn render_coverage(t: &ScanTarget, width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    if t.coverage.is_empty() {
        return Ok(());
    }
    let checked: Vec<String> = t
        .coverage
        .iter()
        .filter(|c| c.has_data)
        .map(|c| match c.advisories {
            Some(a) => format!(
                "{} ({}, {})",
                c.ecosystem,
                plural(c.packages, "package", "packages"),
                plural(a as usize, "advisory", "advisories")
            ),
            None => format!(
                "{} ({})",
                c.ecosystem,
                plural(c.packages, "package", "packages")
            ),
        })
        .collect();
    writeln!(out, "Coverage:")?;
    if !checked.is_empty() {
        writeln!(
            out,
            "{}",
            wrap("  checked      ", &checked.join(", "), width)
        )?;
    }
    for c in t.coverage.iter().filter(|c| !c.has_data) {
        writeln!(
            out,
            "{}",
            wrap(
                "  not checked  ",
                &format!(
                    "no advisory data for {} ({} not checked); get it with {}",
                    c.ecosystem,
                    plural(c.packages, "package", "packages"),
                    crate::summary::coverage_hint(&c.ecosystem)
                ),
                width,
            )
        )?;
    }
    Ok(())
}

/// Column widths of the vulnerability table for a terminal `width` columns wide. Below
/// [`NARROW`] columns the severity goes under the ID and the other advisory IDs are left to JSON.
struct Widths {
    narrow: bool,
    package: usize,
    id: usize,
    fixed: usize,
    title: usize,
}

const NARROW: usize = 110;

fn widths(rows: &[crate::summary::VulnRow<'_>], width: Option<usize>) -> Widths {
    let max =
        |f: &dyn Fn(&crate::summary::VulnRow<'_>) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let pkg_len = max(&|r| r.name.chars().count().max(r.version.chars().count()));
    let id_len = max(&|r| r.finding.id.chars().count());
    let fixed_len = max(&|r| {
        r.finding
            .fixed_version
            .as_deref()
            .map_or(10, |f| f.chars().count())
    });
    let Some(w) = width else {
        return Widths {
            narrow: false,
            package: pkg_len.clamp(7, 60),
            id: id_len.clamp(13, 60),
            fixed: fixed_len.clamp(8, 40),
            title: 60,
        };
    };
    let narrow = w < NARROW;
    // Borders and padding: 3 per column plus one.
    let (cols, sev) = if narrow { (4, 0) } else { (5, 8) };
    let content = w.saturating_sub(3 * cols + 1);
    let id = id_len.clamp(13, 19);
    let fixed = fixed_len.clamp(8, if narrow { 12 } else { 18 });
    let package = pkg_len.clamp(10, (content * 22 / 100).max(10));
    let title = content.saturating_sub(id + sev + fixed + package).max(12);
    Widths {
        narrow,
        package,
        id,
        fixed,
        title,
    }
}

/// The vulnerability rows, one per advisory and package version, fitted to the width.
fn render_vuln_rows(
    rows: &[crate::summary::VulnRow<'_>],
    width: Option<usize>,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let w = widths(rows, width);
    let mut table = new_table(color);
    if w.narrow {
        table.set_header(vec!["Package", "Vulnerability", "Fixed in", "Title"]);
    } else {
        table.set_header(vec![
            "Package",
            "Vulnerability",
            "Severity",
            "Fixed in",
            "Title",
        ]);
    }
    let mut last: Option<(&str, &str)> = None;
    for r in rows {
        let f = r.finding;
        let first = last != Some((r.name, r.version));
        last = Some((r.name, r.version));
        let pkg = if first {
            let mut c = format!(
                "{}\n{}",
                truncate(r.name, w.package),
                truncate(r.version, w.package)
            );
            if let Some(src) = r.source {
                c.push_str(&format!(
                    "\n{}",
                    truncate(&format!("(source {src})"), w.package)
                ));
            }
            c
        } else {
            String::new()
        };
        let mut ids = truncate(&f.id, w.id);
        let others: Vec<&str> = f
            .advisories
            .iter()
            .filter(|a| **a != f.id)
            .map(String::as_str)
            .collect();
        if w.narrow {
            ids.push('\n');
            match f.severity_source() {
                Some(src) => ids.push_str(&truncate(
                    &format!("{} ({})", f.severity.as_str(), alias_kind(src)),
                    w.id,
                )),
                None => ids.push_str(f.severity.as_str()),
            }
        } else if !others.is_empty() {
            ids.push('\n');
            ids.push_str(&truncate(&format!("({})", others.join(", ")), w.id));
        }
        let fixed = match (&f.fixed_version, &f.vex) {
            (_, Some(v)) => format!("{} (VEX)", v.status),
            (Some(x), None) => x.clone(),
            (None, None) => match f.status {
                Status::WillNotFix => "will not fix".into(),
                Status::FixDeferred => "fix deferred".into(),
                Status::EndOfLife => "end of life".into(),
                _ => "no fix yet".into(),
            },
        };
        let fixed_cell = if color && f.fixed_version.is_none() && f.status == Status::Affected {
            Cell::new(truncate(&fixed, w.fixed)).add_attribute(Attribute::Bold)
        } else {
            Cell::new(truncate(&fixed, w.fixed))
        };
        let mut title = truncate(f.summary.as_deref().unwrap_or(""), w.title);
        if let Some(p) = r.paths.first() {
            let more = if r.paths.len() > 1 {
                format!(" (+{} more)", r.paths.len() - 1)
            } else {
                String::new()
            };
            let room = w.title.saturating_sub(3 + more.chars().count()).max(8);
            title.push_str(&format!("\nin {}{more}", middle_cut(p, room)));
        } else if r.copies > 1 {
            title.push_str(&format!("\n{} copies", r.copies));
        }
        let id_cell = if w.narrow && color {
            Cell::new(ids).fg(sev_color(f.severity))
        } else {
            Cell::new(ids)
        };
        if w.narrow {
            table.add_row(vec![Cell::new(pkg), id_cell, fixed_cell, Cell::new(title)]);
        } else {
            table.add_row(vec![
                Cell::new(pkg),
                id_cell,
                sev_cell(f.severity, color),
                fixed_cell,
                Cell::new(title),
            ]);
        }
    }
    writeln!(out, "{table}")
}

/// The kind of an alias record, as the table names it: `GHSA`, `NVD` (a CVE record), else the
/// ID's prefix.
fn alias_kind(id: &str) -> &str {
    if id.starts_with("CVE-") {
        "NVD"
    } else {
        id.split('-').next().unwrap_or(id)
    }
}

/// Informational notices shown with `--show-informational`, apart from the vulnerabilities.
fn render_informational(
    t: &ScanTarget,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rows = crate::summary::informational_rows(t);
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "Informational notices ({}, not vulnerabilities: unmaintained or unsound code):",
        rows.len()
    )?;
    for r in rows {
        let f = r.finding;
        writeln!(
            out,
            "{}",
            wrap(
                "  ",
                &format!(
                    "{} {} {}: {} ({}){}",
                    f.id,
                    r.name,
                    r.version,
                    f.summary.as_deref().unwrap_or(""),
                    f.informational.as_deref().unwrap_or("notice"),
                    f.fixed_version
                        .as_deref()
                        .map(|v| format!("; {v} is not affected"))
                        .unwrap_or_default()
                ),
                width
            )
        )?;
    }
    Ok(())
}

/// The vulnerabilities among a target's findings.
fn vulns(findings: &[Finding]) -> Vec<&Vulnerability> {
    findings
        .iter()
        .filter_map(Finding::as_vulnerability)
        .filter(|f| f.informational.is_none())
        .collect()
}

/// Lines of at most `max` characters. Words are kept whole where they fit; a word longer than
/// a line (a path, a token) is broken after a `/` where one is near, otherwise at the limit, so
/// nothing is cut away.
fn wrap_cell(text: &str, max: usize) -> String {
    let max = max.max(4);
    let mut lines: Vec<String> = Vec::new();
    for para in text.lines() {
        let mut cur = String::new();
        for word in para.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            let cur_len = cur.chars().count();
            if cur_len > 0 && cur_len + 1 + word.len() <= max {
                cur.push(' ');
                cur.extend(word.iter());
                continue;
            }
            if cur_len > 0 {
                lines.push(std::mem::take(&mut cur));
            }
            while word.len() > max {
                // Prefer a break just after a '/' in the last third of the line.
                let cut = (max * 2 / 3..max)
                    .rev()
                    .find(|&i| word[i - 1] == '/')
                    .unwrap_or(max);
                lines.push(word.drain(..cut).collect());
            }
            cur = word.into_iter().collect();
        }
        if !cur.is_empty() || lines.is_empty() {
            lines.push(cur);
        }
    }
    lines.join("\n")
}

/// One table per kind of finding other than vulnerabilities: Severity, the check (ID, title,
/// fix) and where (location, layer, the kind's own detail). Cells wrap to the width rather than
/// cut, so a path or an ID is never lost; without a width (`--wide`) every cell is one line.
fn render_checks(
    t: &ScanTarget,
    out: &mut dyn Write,
    color: bool,
    width: Option<usize>,
) -> io::Result<()> {
    // Three columns: Severity (8 wide) and two text columns sharing the rest; the borders and
    // padding of three columns take 10.
    let (check_w, where_w) = match width {
        None => (usize::MAX, usize::MAX),
        Some(w) => {
            let content = w.saturating_sub(8 + 10).max(28);
            let check = content * 55 / 100;
            (check, content - check)
        }
    };
    let cell = |text: &str, w: usize| {
        if w == usize::MAX {
            text.to_string()
        } else {
            wrap_cell(text, w)
        }
    };
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
        writeln!(
            out,
            "{}",
            wrap(&format!("{}: ", kind.heading()), &counts_line(&s), width)
        )?;
        let mut table = new_table(color);
        table.set_header(vec!["Severity", "Check / fix", "Where"]);
        for f in fs {
            let mut wh: Vec<String> = Vec::new();
            if let Some(l) = f.location() {
                wh.push(l.display());
                // A rootfs or a disk is one layer without a digest: "layer 0" would say nothing.
                if let Some(layer) = l
                    .layer
                    .as_ref()
                    .filter(|layer| layer.digest.is_some() || layer.index > 0)
                {
                    let mut line = format!("layer {}", layer.index);
                    if let Finding::Secret(x) = f {
                        match (&x.deleted_in, x.present) {
                            (Some(d), _) => {
                                line.push_str(&format!(", deleted in layer {}", d.index))
                            }
                            (None, false) => line.push_str(", not in the final filesystem"),
                            _ => {}
                        }
                    }
                    wh.push(line);
                }
            }
            match f {
                Finding::Misconfiguration(m) => {
                    if let Some(v) = m.value.as_deref() {
                        wh.push(format!("value: {}", truncate(v, 60)));
                    }
                }
                Finding::Secret(x) => {
                    wh.push(format!("match: {}", x.redacted));
                    if x.location.layer.is_none() && !x.present {
                        wh.push("not in the final filesystem".to_string());
                    }
                    if let Some(v) = &x.vendor {
                        wh.push(format!("vendor: {}", v.package));
                    }
                }
                Finding::Drift(d) => wh.push(format!(
                    "{} ({})",
                    serde_json::to_value(d.change)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    d.class
                )),
                Finding::Isolation(i) => {
                    wh.push(format!("wall: {}", i.wall));
                    if !i.caught_by.is_empty() {
                        wh.push(format!("caught by: {}", i.caught_by.join(", ")));
                    }
                }
                Finding::Vulnerability(_) => {}
            }
            let wh: Vec<String> = wh.iter().map(|l| cell(l, where_w)).collect();
            let check = [
                f.id().to_string(),
                f.title().into_owned(),
                format!("fix: {}", f.fix()),
            ]
            .iter()
            .map(|l| cell(l.trim(), check_w))
            .collect::<Vec<_>>()
            .join("\n");
            table.add_row(vec![
                sev_cell(f.severity(), color),
                Cell::new(check),
                Cell::new(wh.join("\n")),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

/// `sekisho config`: the paths, the files read per type and the policy.
fn render_config_head(
    t: &ScanTarget,
    c: Option<&crate::model::ConfigSummary>,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{}", wrap("", &t.target.name, width))?;
    if let Some(c) = c {
        let files: Vec<String> = c.files.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let line = format!(
            "{} ({}); {} objects checked; policy {}, Kubernetes {}{}",
            c.files.values().sum::<usize>(),
            if files.is_empty() {
                "none".to_string()
            } else {
                files.join(", ")
            },
            c.objects,
            c.policy,
            c.k8s_version,
            if c.other_files > 0 {
                format!(
                    "; {} other files not configuration, not read",
                    c.other_files
                )
            } else {
                String::new()
            }
        );
        writeln!(out, "{}", wrap("Files: ", &line, width))?;
    }
    if t.findings.is_empty() {
        writeln!(out, "Misconfigurations: none")?;
    }
    Ok(())
}

/// Notes, then the findings suppressed in the files (inline comments, annotations) with
/// their reasons.
fn render_notes_and_suppressed(
    t: &ScanTarget,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if !t.target.notes.is_empty() {
        writeln!(out, "Notes ({}):", t.target.notes.len())?;
        for l in crate::model::note_lines(&t.target) {
            writeln!(out, "{}", wrap("  - ", &l, width))?;
        }
    }
    for s in &t.suppressed {
        let (how, file, line, reason) = match &s.reason {
            SuppressReason::Inline { file, line, reason } => ("suppressed", file, *line, reason),
            SuppressReason::Ignored {
                file, line, reason, ..
            } => ("ignored", file, u32::try_from(*line).ok(), reason),
            _ => continue,
        };
        let at = s
            .finding
            .location()
            .map(|l| l.display())
            .unwrap_or_default();
        let text = format!(
            "{how} {} at {at} ({file}{}{})",
            s.finding.id(),
            line.map(|l| format!(":{l}")).unwrap_or_default(),
            reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_else(|| ": no reason given".to_string())
        );
        writeln!(out, "{}", wrap("  ", &text, width))?;
    }
    Ok(())
}

pub(crate) fn suppressed_line(report: &ScanReport) -> Option<String> {
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
    if get("informational") > 0 {
        parts.push(format!(
            "{} informational notices (unmaintained or unsound code; --show-informational lists them)",
            get("informational")
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
    render_scan_width(report, out, color, None)
}

/// [`render_scan`] fitted to `width` columns (`None`: no limit, long cells keep more text).
///
/// # Errors
/// When writing fails.
pub fn render_scan_width(
    report: &ScanReport,
    out: &mut dyn Write,
    color: bool,
    width: Option<usize>,
) -> io::Result<()> {
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
        if t.target.kind == "config" {
            render_config_head(t, report.config.as_ref(), width, out)?;
            render_checks(t, out, color, width)?;
            render_notes_and_suppressed(t, width, out)?;
            writeln!(out)?;
            continue;
        }
        writeln!(
            out,
            "{}",
            wrap(
                "",
                &format!("{} ({})", t.target.name, os_line(&t.target)),
                width
            )
        )?;
        let lookup = PackageLookup::new(&t.target.packages);
        let fs: Vec<&Vulnerability> = vulns(&t.findings);
        if vuln {
            // The severities are the summary's to break down (rows per advisory and version);
            // this line counts findings, as JSON does.
            let line = format!(
                "{}; vulnerabilities: {}",
                t.target.packages.len(),
                if !report.vulnerability_data {
                    "not checked".to_string()
                } else if fs.is_empty() {
                    "none in the ecosystems checked (see Coverage)".to_string()
                } else {
                    format!("{} findings", fs.len())
                }
            );
            writeln!(out, "{}", wrap("Packages: ", &line, width))?;
        } else {
            writeln!(
                out,
                "Packages: {} (not checked for vulnerabilities: scanners {})",
                t.target.packages.len(),
                report.scanners.join(",")
            )?;
        }

        if vuln && !report.vulnerability_data {
            render_packages(&t.target, out, color)?;
        } else if !fs.is_empty() {
            let rows = crate::summary::vuln_rows(t);
            if !rows.is_empty() {
                render_summary(&rows, width, out)?;
            }
            render_coverage(t, width, out)?;
            if !rows.is_empty() {
                render_vuln_rows(&rows, width, color, out)?;
            }
            render_informational(t, width, out)?;
        } else if vuln {
            render_coverage(t, width, out)?;
        }
        render_checks(t, out, color, width)?;
        if !t.target.notes.is_empty() {
            writeln!(out, "Notes ({}):", t.target.notes.len())?;
            for l in crate::model::note_lines(&t.target) {
                writeln!(out, "{}", wrap("  - ", &l, width))?;
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
        writeln!(out, "{}", wrap("", &l, width))?;
    }
    for w in &report.warnings {
        writeln!(out, "{}", wrap("warning: ", w, width))?;
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
            for l in crate::model::note_lines(t) {
                writeln!(out, "  - {l}")?;
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
