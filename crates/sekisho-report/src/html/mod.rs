//! The HTML report: one self-contained file (inline CSS, inline SVG charts, a small inline script
//! that only filters), readable without scripts, passing a strict Content-Security-Policy (the
//! style and script are allowed by their SHA-256 hashes; nothing else may load).
//!
//! Sections, in order: a summary (counts by severity and kind as bar charts, each target's
//! identity, advisory coverage per ecosystem with the packages that were not checked and why,
//! the DB's age), the fix plan, the findings (vulnerabilities grouped by package, one row per
//! advisory and package version with the copies' paths inside; other kinds grouped by file), the
//! layers (each build step and what its layer added), and notes.
//!
//! Every string of the report is hostile (package names, paths, advisory text, history lines):
//! it reaches the page only through [`escape::Html`]. Links are made only for `http(s)` URLs.
//!
//! For embedding (the server's dashboard): [`report_body`] is the report without the page
//! around it, [`page`] wraps any body in the same head (style, script, CSP meta), and
//! [`content_security_policy`] is the policy to send as a header.

pub mod chart;
pub mod escape;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use sekisho_catalog::{Package, PackageLookup};
use sekisho_finding::{Finding, Kind, Severity, Status, Vulnerability, advisory_uri};
use sekisho_policy::SuppressReason;

use crate::model::{ScanReport, ScanTarget, Target};
use crate::summary::{self, VulnRow};
use chart::Bar;
use escape::{Html, path_segment};

/// The report's stylesheet (inline, allowed by its hash).
pub const STYLE: &str = include_str!("report.css");
/// The report's script (inline, allowed by its hash): shows the filter form, filters and sorts.
pub const SCRIPT: &str = include_str!("report.js");

fn hash(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

/// The Content-Security-Policy of the report: nothing loads (`default-src 'none'`), the inline
/// style and script run by hash, images only as `data:` (none are used but the empty favicon),
/// no `<base>`, no form submission.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
            hash(STYLE),
            hash(SCRIPT)
        )
    })
}

/// A whole page: `title`, the head (CSP meta, viewport, inline style), `body` (markup made with
/// [`escape::Html`]), and the inline script at the end.
pub fn page(title: &str, body: &str) -> String {
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.raw("<meta http-equiv=\"Content-Security-Policy\"")
        .attr("content", content_security_policy())
        .raw(">\n");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.raw("<meta name=\"referrer\" content=\"no-referrer\">\n");
    h.raw("<meta name=\"color-scheme\" content=\"light\">\n");
    h.raw("<link rel=\"icon\" href=\"data:,\">\n");
    h.raw("<title>").text(title).raw("</title>\n");
    h.raw("<style>")
        .raw(STYLE)
        .raw("</style>\n</head>\n<body>\n");
    h.raw(body);
    h.raw("<script>")
        .raw(SCRIPT)
        .raw("</script>\n</body>\n</html>\n");
    h.into_string()
}

/// The page's title for `report`.
pub fn title(report: &ScanReport) -> String {
    match report.targets.as_slice() {
        [t] => format!("sekisho report: {}", t.target.name),
        ts => format!("sekisho report: {} targets", ts.len()),
    }
}

/// Write `report` as one self-contained HTML document.
///
/// # Errors
/// When writing fails.
pub fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(&title(report), &report_body(report)).as_bytes())
}

/// `report` as a `String` (see [`render`]).
pub fn render_string(report: &ScanReport) -> String {
    page(&title(report), &report_body(report))
}

fn sev_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "s-critical",
        Severity::High => "s-high",
        Severity::Medium => "s-medium",
        Severity::Low => "s-low",
        Severity::Info => "s-info",
        Severity::Unknown => "s-unknown",
    }
}

fn bar_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "b-critical",
        Severity::High => "b-high",
        Severity::Medium => "b-medium",
        Severity::Low => "b-low",
        Severity::Info => "b-info",
        Severity::Unknown => "b-unknown",
    }
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Unknown => 0,
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn badge(h: &mut Html, s: Severity) {
    h.raw("<span class=\"sev ")
        .raw(sev_class(s))
        .raw("\">")
        .raw(s.as_str())
        .raw("</span>");
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A link to an advisory's page (NVD, GitHub advisories, OSV), the ID percent-encoded.
fn advisory_link(h: &mut Html, id: &str) {
    h.link(&advisory_uri(&path_segment(id)), id);
}

/// What the page shows for one target, computed once.
struct View<'a> {
    t: &'a ScanTarget,
    lookup: PackageLookup<'a>,
    vulns: Vec<VulnRow<'a>>,
    info: Vec<VulnRow<'a>>,
    /// Other findings by kind, each kind grouped by file.
    others: Vec<(Kind, Vec<FileGroup<'a>>)>,
}

struct FileGroup<'a> {
    name: String,
    findings: Vec<&'a Finding>,
}

impl<'a> View<'a> {
    fn new(t: &'a ScanTarget) -> Self {
        let mut others = Vec::new();
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Vulnerability) {
            let mut by: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
            for f in t.findings.iter().filter(|f| f.kind() == kind) {
                let l = f.location();
                let name = l
                    .and_then(|l| l.path.clone().or_else(|| l.logical.clone()))
                    .unwrap_or_else(|| "(no location)".to_string());
                by.entry(name).or_default().push(f);
            }
            if by.is_empty() {
                continue;
            }
            let mut groups: Vec<FileGroup<'_>> = by
                .into_iter()
                .map(|(name, mut findings)| {
                    findings.sort_by(|a, b| {
                        b.severity()
                            .cmp(&a.severity())
                            .then_with(|| line_of(a).cmp(&line_of(b)))
                            .then_with(|| a.id().cmp(b.id()))
                    });
                    FileGroup { name, findings }
                })
                .collect();
            groups.sort_by(|a, b| group_order(a.key(), b.key()));
            others.push((kind, groups));
        }
        Self {
            t,
            lookup: PackageLookup::new(&t.target.packages),
            vulns: summary::vuln_rows(t),
            info: summary::informational_rows(t),
            others,
        }
    }

    fn package(&self, f: &Vulnerability) -> Option<&'a Package> {
        self.lookup.get(&f.package_id, f.package)
    }

    /// Every row of the findings tables with its severity and kind.
    fn rows(&self) -> impl Iterator<Item = (Severity, Kind)> + '_ {
        self.vulns
            .iter()
            .chain(&self.info)
            .map(|r| (r.finding.severity, Kind::Vulnerability))
            .chain(
                self.others
                    .iter()
                    .flat_map(|(_, g)| g.iter().flat_map(|g| &g.findings))
                    .map(|f| (f.severity(), f.kind())),
            )
    }
}

impl FileGroup<'_> {
    fn key(&self) -> (u8, usize, &str) {
        (
            self.findings
                .iter()
                .map(|f| rank(f.severity()))
                .max()
                .unwrap_or(0),
            self.findings.len(),
            &self.name,
        )
    }
}

fn line_of(f: &Finding) -> (u32, u32) {
    f.location()
        .map_or((0, 0), |l| (l.line.unwrap_or(0), l.column.unwrap_or(0)))
}

/// The order the script's default sort gives: most severe first, then most findings, then name.
fn group_order(a: (u8, usize, &str), b: (u8, usize, &str)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2))
}

/// The report without the page around it: header, navigation and every section.
pub fn report_body(report: &ScanReport) -> String {
    let views: Vec<View<'_>> = report.targets.iter().map(View::new).collect();
    let mut h = Html::new();
    h.raw("<a class=\"skip\" href=\"#findings\">Skip to the findings</a>\n");
    header(&mut h, report);
    h.raw("<nav class=\"toc\" aria-label=\"Sections\"><ul>");
    for (id, name) in [
        ("summary", "Summary"),
        ("fix-plan", "Fix plan"),
        ("findings", "Findings"),
        ("layers", "Layers"),
        ("notes", "Notes"),
    ] {
        h.raw("<li><a href=\"#")
            .raw(id)
            .raw("\">")
            .raw(name)
            .raw("</a></li>");
    }
    h.raw("</ul></nav>\n<main>\n");
    summary_section(&mut h, report, &views);
    fix_plan_section(&mut h, report, &views);
    findings_section(&mut h, report, &views);
    layers_section(&mut h, &views);
    notes_section(&mut h, report, &views);
    h.raw("</main>\n");
    h.into_string()
}

fn header(h: &mut Html, report: &ScanReport) {
    h.raw("<header class=\"top\"><h1>");
    match report.targets.as_slice() {
        [t] => {
            h.raw("Security report: <span class=\"mono\">")
                .text(&t.target.name)
                .raw("</span>");
        }
        ts => {
            h.raw("Security report: ")
                .text(&plural(ts.len(), "target", "targets"));
        }
    }
    h.raw("</h1><p>");
    h.text(&report.tool.name)
        .raw(" ")
        .text(&report.tool.version)
        .raw(" · created <time>")
        .text(&report.created)
        .raw("</time> · scanners: ")
        .text(&report.scanners.join(", "));
    h.raw("</p></header>\n");
}

fn heading_for_target(h: &mut Html, views: &[View<'_>], v: &View<'_>, tag: &str) {
    if views.len() > 1 {
        h.raw("<")
            .raw(tag)
            .raw(">Target <span class=\"mono\">")
            .text(&v.t.target.name)
            .raw("</span></")
            .raw(tag)
            .raw(">\n");
    }
}

// ---- summary ---------------------------------------------------------------------------------

fn summary_section(h: &mut Html, report: &ScanReport, views: &[View<'_>]) {
    h.raw("<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n");
    let vuln = report.vulnerabilities_scanned();
    if vuln && !report.vulnerability_data {
        h.raw("<p class=\"alert\" role=\"alert\"><strong>No vulnerability data was available:</strong> the packages were NOT checked for vulnerabilities. Run <code>sekisho db update</code> (or <code>sekisho db import DIR</code> offline) and scan again.</p>\n");
    } else if !vuln {
        h.raw("<p class=\"warn\">Packages were not checked for vulnerabilities: the scanners that ran are ")
            .text(&report.scanners.join(", "))
            .raw(".</p>\n");
    }
    for w in &report.warnings {
        h.raw("<p class=\"warn\"><strong>Warning:</strong> ")
            .text(w)
            .raw("</p>\n");
    }

    // Charts over every row the findings tables show.
    let mut by_sev: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut total = 0usize;
    for v in views {
        for (s, k) in v.rows() {
            *by_sev.entry(s).or_default() += 1;
            *by_kind.entry(k).or_default() += 1;
            total += 1;
        }
    }
    let copies: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    h.raw("<p>");
    h.text(&plural(total, "finding", "findings"));
    if copies != total {
        h.text(&format!(
            " ({copies} in the JSON output: copies of one package version with the same advisory are one row here, with each copy's path)"
        ));
    }
    h.raw(".</p>\n<div class=\"grid\">\n<figure>");
    let sev_bars: Vec<Bar> = Severity::ALL
        .iter()
        .filter(|s| **s != Severity::Info || by_sev.contains_key(s))
        .map(|s| Bar {
            label: s.as_str().to_string(),
            value: by_sev.get(s).copied().unwrap_or(0),
            class: bar_class(*s),
        })
        .collect();
    chart::bars(h, "chart-sev", "Findings by severity", &sev_bars);
    h.raw("<figcaption>Findings by severity</figcaption></figure>\n<figure>");
    let kind_bars: Vec<Bar> = Kind::ALL
        .iter()
        .filter(|k| by_kind.contains_key(k) || **k == Kind::Vulnerability)
        .map(|k| Bar {
            label: k.as_str().to_string(),
            value: by_kind.get(k).copied().unwrap_or(0),
            class: "b-kind",
        })
        .collect();
    chart::bars(h, "chart-kind", "Findings by kind", &kind_bars);
    h.raw("<figcaption>Findings by kind</figcaption></figure>\n</div>\n");

    db_facts(h, report);
    for v in views {
        h.raw("<section class=\"target\">\n");
        if views.len() > 1 {
            h.raw("<h3>Target <span class=\"mono\">")
                .text(&v.t.target.name)
                .raw("</span></h3>\n");
        } else {
            h.raw("<h3>Target</h3>\n");
        }
        identity(h, v);
        vuln_counts(h, v);
        if vuln {
            coverage(h, report, v);
        }
        h.raw("</section>\n");
    }
    h.raw("</section>\n");
}

fn db_facts(h: &mut Html, report: &ScanReport) {
    if !report.vulnerabilities_scanned() {
        return;
    }
    h.raw("<h3>Vulnerability database</h3>\n<dl class=\"facts\">");
    match &report.db {
        None => {
            h.raw("<dt>DB</dt><dd>none was used</dd>");
        }
        Some(db) => {
            if let Some(p) = &db.path {
                h.raw("<dt>Path</dt><dd><code>").text(p).raw("</code></dd>");
            }
            h.raw("<dt>Updated</dt><dd>");
            match &db.updated {
                Some(u) => {
                    h.raw("<time>").text(u).raw("</time>");
                    let age = sekisho_finding::time::parse_rfc3339(u).and_then(|u| {
                        sekisho_finding::time::parse_rfc3339(&report.created)
                            .map(|c| (i128::from(c) - i128::from(u)) / 86_400)
                    });
                    match age {
                        Some(d) if d >= 0 => {
                            h.text(&format!(
                                " ({} old when the report was made)",
                                plural(d as usize, "day", "days")
                            ));
                        }
                        Some(_) => {
                            h.text(" (after the report's time: clocks disagree)");
                        }
                        None => {}
                    }
                }
                None => {
                    h.raw("unknown (the DB does not say when it was built)");
                }
            }
            h.raw("</dd>");
            if let Some(a) = db.advisories {
                h.raw("<dt>Advisories</dt><dd>").num(a).raw("</dd>");
            }
        }
    }
    h.raw("</dl>\n");
}

fn identity(h: &mut Html, v: &View<'_>) {
    let t: &Target = &v.t.target;
    h.raw("<dl class=\"facts\">");
    h.raw("<dt>Name</dt><dd><code>")
        .text(&t.name)
        .raw("</code></dd>");
    h.raw("<dt>Kind</dt><dd>").text(&t.kind).raw("</dd>");
    if let Some(img) = &t.image {
        for (label, v) in [("Digest", &img.digest), ("Image ID", &img.id)] {
            if let Some(v) = v {
                h.raw("<dt>")
                    .raw(label)
                    .raw("</dt><dd><code>")
                    .text(v)
                    .raw("</code></dd>");
            }
        }
        if !img.repo_tags.is_empty() || !img.repo_digests.is_empty() {
            h.raw("<dt>References</dt><dd><code>")
                .text(
                    &img.repo_tags
                        .iter()
                        .chain(&img.repo_digests)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .raw("</code></dd>");
        }
        if !img.platform.is_empty() {
            h.raw("<dt>Platform</dt><dd>")
                .text(&img.platform)
                .raw("</dd>");
        }
        if let Some(c) = &img.created {
            h.raw("<dt>Built</dt><dd><time>")
                .text(c)
                .raw("</time></dd>");
        }
    }
    let digests: Vec<&str> = if t.layers.len() == 1 && t.image.is_none() {
        t.layers[0]
            .digest
            .iter()
            .chain(t.layers[0].diff_id.iter())
            .map(String::as_str)
            .take(1)
            .collect()
    } else {
        Vec::new()
    };
    if let Some(d) = digests.first() {
        h.raw("<dt>Layer digest</dt><dd><code>")
            .text(d)
            .raw("</code></dd>");
    }
    h.raw("<dt>OS</dt><dd>")
        .text(&crate::table::os_line(t))
        .raw("</dd>");
    h.raw("<dt>Packages</dt><dd>").num(t.packages.len());
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &t.packages {
        *by.entry(p.ecosystem.as_deref().unwrap_or("no ecosystem"))
            .or_default() += 1;
    }
    if !by.is_empty() {
        let parts: Vec<String> = by.iter().map(|(e, n)| format!("{e} {n}")).collect();
        h.raw(" <span class=\"muted\">(")
            .text(&parts.join(", "))
            .raw(")</span>");
    }
    h.raw("</dd>");
    if t.layers.len() > 1 {
        h.raw("<dt>Layers</dt><dd>")
            .num(t.layers.len())
            .raw("</dd>");
    }
    if let Some(p) = &t.partition {
        h.raw("<dt>Disk</dt><dd><code>")
            .text(&p.disk)
            .raw("</code> (")
            .text(&p.format)
            .raw(")</dd><dt>Filesystem</dt><dd>")
            .text(&p.index)
            .raw(" ")
            .text(&p.filesystem);
        if let Some(l) = &p.label {
            h.raw(" label ").text(l);
        }
        if let Some(n) = &p.name {
            h.raw(" name ").text(n);
        }
        h.raw(" at offset ")
            .num(p.offset)
            .raw(", ")
            .num(p.size)
            .raw(" bytes</dd>");
    }
    h.raw("</dl>\n");
}

fn vuln_counts(h: &mut Html, v: &View<'_>) {
    if v.vulns.is_empty() {
        return;
    }
    let c = summary::counts(&v.vulns);
    h.raw("<ul class=\"plain\">");
    h.raw("<li>")
        .text(&plural(c.distinct, "vulnerability", "vulnerabilities"))
        .raw(": ");
    let sev: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| {
            let n = c.by_severity.get(s).copied().unwrap_or(0);
            (n > 0 || *s != Severity::Info).then(|| format!("{s} {n}"))
        })
        .collect();
    h.text(&sev.join(", ")).raw("</li>");
    h.raw("<li>Fixable: ")
        .num(c.fixable)
        .raw(" with a fixed version, ")
        .num(c.unfixable)
        .raw(" without</li>");
    let mut ecos: Vec<(&String, &(usize, usize))> = c.by_ecosystem.iter().collect();
    ecos.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    for (e, (n, unknown)) in ecos {
        h.raw("<li>").text(e).raw(": ").num(*n);
        if *unknown > 0 {
            h.raw(" (")
                .num(*unknown)
                .raw(" UNKNOWN: ")
                .text(summary::unknown_reason(e))
                .raw(")");
        }
        h.raw("</li>");
    }
    h.raw("</ul>\n");
}

/// `text` with its `backquoted` parts as code.
fn code_spans(h: &mut Html, text: &str) {
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            h.raw("<code>").text(part).raw("</code>");
        } else {
            h.text(part);
        }
    }
}

/// Why a package was not checked, or `None` when it was.
fn unchecked_reason(report: &ScanReport, t: &ScanTarget, p: &Package) -> Option<String> {
    if !report.vulnerability_data {
        return Some("no vulnerability data was available at all".to_string());
    }
    let Some(e) = p.ecosystem.as_deref() else {
        return Some(if p.kind.is_os() {
            "the operating system or its release is unknown".to_string()
        } else {
            "no ecosystem is known for it".to_string()
        });
    };
    match t.coverage.iter().find(|c| c.ecosystem == e) {
        Some(c) if c.has_data => None,
        Some(_) => Some(format!("the DB has no advisory data for {e}")),
        None => Some("not matched (see the notes)".to_string()),
    }
}

fn coverage(h: &mut Html, report: &ScanReport, v: &View<'_>) {
    let t = v.t;
    h.raw("<h4>Advisory coverage</h4>\n");
    if !t.coverage.is_empty() {
        h.raw("<div class=\"scroll\"><table><caption class=\"muted\">What the DB could check, per ecosystem</caption><thead><tr><th scope=\"col\">Ecosystem</th><th scope=\"col\" class=\"n\">Packages</th><th scope=\"col\" class=\"n\">Advisories in the DB</th><th scope=\"col\">Checked</th></tr></thead><tbody>");
        for c in &t.coverage {
            h.raw("<tr><th scope=\"row\">")
                .text(&c.ecosystem)
                .raw("</th><td class=\"n\">")
                .num(c.packages)
                .raw("</td><td class=\"n\">");
            match c.advisories {
                Some(a) => h.num(a),
                None => h.raw("unknown"),
            };
            h.raw("</td><td>");
            if c.has_data {
                h.raw("yes");
            } else {
                h.raw("<strong>not checked</strong>: no advisory data; get it with ");
                code_spans(h, &summary::coverage_hint(&c.ecosystem));
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div>\n");
    }
    let unchecked: Vec<(&Package, String)> = t
        .target
        .packages
        .iter()
        .filter_map(|p| unchecked_reason(report, t, p).map(|r| (p, r)))
        .collect();
    if unchecked.is_empty() {
        h.raw("<p>Every package was checked.</p>\n");
        return;
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in &unchecked {
        *reasons.entry(r.as_str()).or_default() += 1;
    }
    h.raw("<p><strong>")
        .text(&plural(unchecked.len(), "package was", "packages were"))
        .raw(" not checked</strong>: ");
    let parts: Vec<String> = reasons
        .iter()
        .map(|(r, n)| format!("{n} because {r}"))
        .collect();
    h.text(&parts.join("; ")).raw(".</p>\n");
    h.raw("<details><summary>The packages not checked</summary><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Version</th><th scope=\"col\">Ecosystem</th><th scope=\"col\">Why</th></tr></thead><tbody>");
    for (p, r) in &unchecked {
        h.raw("<tr><td><code>")
            .text(&p.name)
            .raw("</code></td><td><code>")
            .text(&p.version)
            .raw("</code></td><td>")
            .text(p.ecosystem.as_deref().unwrap_or("none"))
            .raw("</td><td>")
            .text(r)
            .raw("</td></tr>");
    }
    h.raw("</tbody></table></div></details>\n");
}

// ---- fix plan --------------------------------------------------------------------------------

fn fix_plan_section(h: &mut Html, report: &ScanReport, views: &[View<'_>]) {
    h.raw("<section id=\"fix-plan\" aria-labelledby=\"fix-plan-h\">\n<h2 id=\"fix-plan-h\">Fix plan</h2>\n");
    if !report.vulnerabilities_scanned() || !report.vulnerability_data {
        h.raw("<p>No fix plan: packages were not checked for vulnerabilities.</p>\n</section>\n");
        return;
    }
    for v in views {
        heading_for_target(h, views, v, "h3");
        let plan = summary::fix_plan(&v.vulns);
        if plan.is_empty() {
            if v.vulns.is_empty() {
                h.raw("<p>No vulnerabilities were found in the ecosystems checked.</p>\n");
            } else {
                h.raw("<p>No upgrade clears a finding: none of the vulnerabilities has a fixed version yet.</p>\n");
            }
            continue;
        }
        h.raw("<p>The package upgrades that clear the most, ranked by the HIGH and CRITICAL vulnerabilities they clear.</p>\n");
        h.raw("<div class=\"scroll\"><table class=\"plan\"><thead><tr><th scope=\"col\" class=\"n\">#</th><th scope=\"col\">Upgrade</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Ecosystem</th><th scope=\"col\" class=\"n\">Clears</th><th scope=\"col\" class=\"n\">HIGH or CRITICAL</th><th scope=\"col\" class=\"n\">Findings</th></tr></thead><tbody>");
        for (i, u) in plan.iter().enumerate() {
            h.raw("<tr><td class=\"n\">")
                .num(i + 1)
                .raw("</td><th scope=\"row\"><code>")
                .text(&u.name)
                .raw("</code></th><td><code>")
                .text(&u.from)
                .raw("</code></td><td><code>")
                .text(&u.to)
                .raw("</code></td><td>")
                .text(&u.ecosystem)
                .raw("</td><td class=\"n\">")
                .num(u.clears)
                .raw("</td><td class=\"n\">")
                .num(u.high_or_critical)
                .raw("</td><td class=\"n\">")
                .num(u.copies)
                .raw("</td></tr>");
        }
        h.raw("</tbody></table></div>\n");
    }
    h.raw("</section>\n");
}

// ---- findings --------------------------------------------------------------------------------

fn filter_form(h: &mut Html, views: &[View<'_>]) {
    let mut sev: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for v in views {
        for (s, k) in v.rows() {
            *sev.entry(s).or_default() += 1;
            *kinds.entry(k).or_default() += 1;
        }
    }
    h.raw("<form id=\"filters\" class=\"filters\" role=\"search\" aria-label=\"Filter the findings\" hidden>\n");
    h.raw("<fieldset><legend>Severity</legend>");
    for s in Severity::ALL {
        if s == Severity::Info && !sev.contains_key(&s) {
            continue;
        }
        h.raw("<label><input type=\"checkbox\" name=\"severity\" checked")
            .attr("value", s.as_str())
            .raw("> ")
            .raw(s.as_str())
            .raw(" (")
            .num(sev.get(&s).copied().unwrap_or(0))
            .raw(")</label>");
    }
    h.raw("</fieldset>\n<fieldset><legend>Kind</legend>");
    for k in Kind::ALL {
        if let Some(n) = kinds.get(&k) {
            h.raw("<label><input type=\"checkbox\" name=\"kind\" checked")
                .attr("value", k.as_str())
                .raw("> ")
                .raw(k.as_str())
                .raw(" (")
                .num(*n)
                .raw(")</label>");
        }
    }
    h.raw("</fieldset>\n");
    h.raw("<label>Fixed version <select name=\"fix\"><option value=\"any\">any</option><option value=\"yes\">available</option><option value=\"no\">none yet</option></select></label>\n");
    h.raw("<label>Text <input type=\"search\" name=\"q\" placeholder=\"package, ID, path…\"></label>\n");
    h.raw("<label>Sort groups by <select name=\"sort\"><option value=\"severity\">highest severity</option><option value=\"name\">name</option><option value=\"count\">most findings</option></select></label>\n");
    h.raw("<button type=\"reset\">Show all</button>\n</form>\n");
    h.raw("<p id=\"shown\" aria-live=\"polite\"></p>\n");
    h.raw("<noscript><p class=\"muted\">Scripts are off: every finding is listed below; filtering needs scripts.</p></noscript>\n");
}

fn findings_section(h: &mut Html, report: &ScanReport, views: &[View<'_>]) {
    h.raw("<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n");
    filter_form(h, views);
    let mut table_no = 0usize;
    for v in views {
        heading_for_target(h, views, v, "h3");
        let any = !v.vulns.is_empty() || !v.info.is_empty() || !v.others.is_empty();
        if !any {
            if report.vulnerabilities_scanned() && !report.vulnerability_data {
                h.raw("<p>Nothing was checked for vulnerabilities (no data).</p>\n");
            } else {
                h.raw(
                    "<p>No findings in what was checked (see the coverage in the summary).</p>\n",
                );
            }
        }
        if !v.vulns.is_empty() {
            table_no += 1;
            vuln_table(
                h,
                v,
                &v.vulns,
                table_no,
                "Vulnerabilities, by package",
                false,
            );
        }
        if !v.info.is_empty() {
            table_no += 1;
            vuln_table(
                h,
                v,
                &v.info,
                table_no,
                "Informational notices (not vulnerabilities: unmaintained or unsound code), by package",
                true,
            );
        }
        for (kind, groups) in &v.others {
            table_no += 1;
            other_table(h, *kind, groups, table_no);
        }
    }
    h.raw("</section>\n");
}

fn fixed_text(f: &Vulnerability) -> String {
    match (&f.fixed_version, &f.vex) {
        (_, Some(v)) => format!("{} (VEX)", v.status),
        (Some(x), None) => x.clone(),
        (None, None) => match f.status {
            Status::WillNotFix => "will not fix".into(),
            Status::FixDeferred => "fix deferred".into(),
            Status::EndOfLife => "end of life".into(),
            Status::NotAffected => "not affected".into(),
            _ => "no fix yet".into(),
        },
    }
}

fn best_score(f: &Vulnerability) -> Option<f64> {
    f.ratings
        .iter()
        .filter(|r| r.severity == f.severity)
        .filter_map(|r| r.score)
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
        .fold(None, |a: Option<f64>, s| Some(a.map_or(s, |a| a.max(s))))
}

fn vuln_table(
    h: &mut Html,
    v: &View<'_>,
    rows: &[VulnRow<'_>],
    no: usize,
    caption: &str,
    informational: bool,
) {
    // Groups: consecutive rows of one package version (vuln_rows sorts by name, version).
    let mut groups: Vec<&[VulnRow<'_>]> = Vec::new();
    let mut start = 0;
    for i in 1..=rows.len() {
        if i == rows.len()
            || (rows[i].name, rows[i].version) != (rows[start].name, rows[start].version)
        {
            groups.push(&rows[start..i]);
            start = i;
        }
    }
    let key = |g: &[VulnRow<'_>]| {
        (
            g.iter()
                .map(|r| rank(r.finding.severity))
                .max()
                .unwrap_or(0),
            g.len(),
        )
    };
    groups.sort_by(|a, b| {
        let (ra, na) = key(a);
        let (rb, nb) = key(b);
        group_order((ra, na, a[0].name), (rb, nb, b[0].name))
    });
    h.raw("<div class=\"fblock\"><div class=\"scroll\"><table class=\"findings cards\"")
        .attr("id", &format!("ft-{no}"))
        .raw("><caption>")
        .text(caption)
        .raw("</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Advisory</th><th scope=\"col\">Fixed in</th><th scope=\"col\">Title and where</th></tr></thead>\n");
    for g in groups {
        let first = &g[0];
        let (r, n) = key(g);
        h.raw("<tbody class=\"g\"")
            .attr("data-name", first.name)
            .attr("data-rank", &r.to_string())
            .attr("data-count", &n.to_string())
            .raw("><tr class=\"gh\"><th colspan=\"4\" scope=\"rowgroup\"><code>")
            .text(first.name)
            .raw("</code> <code>")
            .text(first.version)
            .raw("</code> <span class=\"meta\">");
        let mut meta: Vec<String> = vec![first.finding.ecosystem.clone()];
        if let Some(src) = first.source {
            meta.push(format!("source package {src}"));
        }
        if let Some(l) = v.package(first.finding).and_then(|p| p.layer) {
            meta.push(format!("layer {l}"));
        }
        meta.push(plural(g.len(), "advisory", "advisories"));
        let copies = g.iter().map(|r| r.copies).max().unwrap_or(1);
        if copies > 1 {
            meta.push(format!("{copies} copies"));
        }
        h.text(&format!("· {}", meta.join(" · ")))
            .raw("</span></th></tr>\n");
        for r in g {
            vuln_row(h, r, informational);
        }
        h.raw("</tbody>\n");
    }
    h.raw("</table></div></div>\n");
}

fn vuln_row(h: &mut Html, r: &VulnRow<'_>, informational: bool) {
    let f = r.finding;
    h.raw("<tr class=\"f\"")
        .attr("data-sev", f.severity.as_str())
        .raw(" data-kind=\"vulnerability\"")
        .attr(
            "data-fix",
            if f.fixed_version.is_some() {
                "yes"
            } else {
                "no"
            },
        )
        .attr("data-id", &f.id)
        .raw(">");
    h.raw("<td data-label=\"Severity\">");
    badge(h, f.severity);
    if let Some(s) = best_score(f) {
        h.raw(" <span class=\"muted\">")
            .text(&format!("{s:.1}"))
            .raw("</span>");
    }
    h.raw("</td><td data-label=\"Advisory\">");
    advisory_link(h, &f.id);
    let mut others: Vec<&str> = f
        .advisories
        .iter()
        .chain(&f.aliases)
        .map(String::as_str)
        .filter(|a| *a != f.id)
        .collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        h.raw("<div class=\"muted\">also ");
        for (i, a) in others.iter().enumerate() {
            if i > 0 {
                h.raw(", ");
            }
            advisory_link(h, a);
        }
        h.raw("</div>");
    }
    if let Some(i) = &f.informational {
        h.raw(" <span class=\"tag\">").text(i).raw("</span>");
    }
    h.raw("</td><td data-label=\"Fixed in\"><code>")
        .text(&fixed_text(f))
        .raw("</code>");
    if informational && f.fixed_version.is_some() {
        h.raw(" <span class=\"muted\">and later are not affected</span>");
    }
    if let Some(vex) = &f.vex {
        h.raw("<div class=\"muted\">VEX ").text(&vex.document);
        if let Some(j) = &vex.justification {
            h.raw(": ").text(j);
        }
        h.raw("</div>");
    }
    h.raw("</td><td data-label=\"Title\" class=\"t\">");
    h.text(f.summary.as_deref().unwrap_or(""));
    if !r.paths.is_empty() {
        h.raw("<ul class=\"paths\" aria-label=\"Where\">");
        for p in &r.paths {
            h.raw("<li><code>").text(p).raw("</code></li>");
        }
        h.raw("</ul>");
    } else if r.copies > 1 {
        h.raw("<div class=\"muted\">")
            .num(r.copies)
            .raw(" copies</div>");
    }
    let refs: Vec<&String> = f
        .references
        .iter()
        .filter(|u| escape::safe_url(u).is_some())
        .take(5)
        .collect();
    if !refs.is_empty() {
        h.raw("<details><summary>")
            .text(&plural(refs.len(), "reference", "references"))
            .raw("</summary><ul class=\"plain\">");
        for u in refs {
            h.raw("<li>").link(u, u).raw("</li>");
        }
        h.raw("</ul></details>");
    }
    h.raw("</td></tr>\n");
}

fn other_table(h: &mut Html, kind: Kind, groups: &[FileGroup<'_>], no: usize) {
    let detail = match kind {
        Kind::Secret => "Match (redacted)",
        Kind::Drift => "Change",
        Kind::Isolation => "Wall and evidence",
        _ => "Object and value",
    };
    h.raw("<div class=\"fblock\"><div class=\"scroll\"><table class=\"findings cards\"")
        .attr("id", &format!("ft-{no}"))
        .raw("><caption>")
        .text(kind.heading())
        .raw(if kind == Kind::Isolation {
            ", by wall"
        } else {
            ", by file"
        })
        .raw("</caption><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">ID</th><th scope=\"col\">Where</th><th scope=\"col\">")
        .raw(detail)
        .raw("</th><th scope=\"col\">Title, why, fix</th></tr></thead>\n");
    for g in groups {
        let (r, n, _) = g.key();
        h.raw("<tbody class=\"g\"")
            .attr("data-name", &g.name)
            .attr("data-rank", &r.to_string())
            .attr("data-count", &n.to_string())
            .raw("><tr class=\"gh\"><th colspan=\"5\" scope=\"rowgroup\"><code>")
            .text(&g.name)
            .raw("</code> <span class=\"meta\">· ")
            .text(&plural(n, "finding", "findings"))
            .raw("</span></th></tr>\n");
        for f in &g.findings {
            other_row(h, f);
        }
        h.raw("</tbody>\n");
    }
    h.raw("</table></div></div>\n");
}

fn other_row(h: &mut Html, f: &Finding) {
    h.raw("<tr class=\"f\"")
        .attr("data-sev", f.severity().as_str())
        .attr("data-kind", f.kind().as_str())
        .raw(" data-fix=\"na\"")
        .attr("data-id", f.id())
        .raw("><td data-label=\"Severity\">");
    badge(h, f.severity());
    h.raw("</td><td data-label=\"ID\"><code>")
        .text(f.id())
        .raw("</code>");
    if let Finding::Misconfiguration(m) = f
        && !m.aliases.is_empty()
    {
        h.raw("<div class=\"muted\">also ")
            .text(&m.aliases.join(", "))
            .raw("</div>");
    }
    h.raw("</td><td data-label=\"Where\">");
    if let Some(l) = f.location() {
        let mut parts = Vec::new();
        if let Some(line) = l.line {
            parts.push(match l.column {
                Some(c) => format!("line {line}, column {c}"),
                None => format!("line {line}"),
            });
        }
        if l.path.is_some()
            && let Some(lg) = &l.logical
        {
            parts.push(lg.clone());
        }
        h.text(&parts.join("; "));
        if let Some(layer) = &l.layer {
            h.raw("<div class=\"muted\">layer ").num(layer.index);
            if let Some(c) = &layer.created_by {
                h.raw(": <code>").text(c).raw("</code>");
            }
            h.raw("</div>");
        }
    }
    h.raw("</td><td data-label=\"Detail\">");
    match f {
        Finding::Misconfiguration(m) => {
            let mut parts = vec![m.file_type.clone()];
            if let Some(o) = &m.object {
                parts.push(o.clone());
            }
            h.text(&parts.join(" · "));
            if let Some(v) = &m.value {
                h.raw("<div><code>").text(v).raw("</code></div>");
            }
        }
        Finding::Secret(s) => {
            h.raw("<code>").text(&s.redacted).raw("</code>");
            match (&s.deleted_in, s.present) {
                (Some(d), _) => {
                    h.raw("<div class=\"muted\">deleted in layer ")
                        .num(d.index)
                        .raw(" (still in the image's history)</div>");
                }
                (None, false) => {
                    h.raw("<div class=\"muted\">not in the final filesystem</div>");
                }
                _ => {}
            }
            if let Some(v) = &s.vendor {
                h.raw("<div class=\"muted\">vendor content of ")
                    .text(&v.package)
                    .raw(if v.unchanged {
                        ", unchanged"
                    } else {
                        ", changed"
                    })
                    .raw("</div>");
            }
        }
        Finding::Drift(d) => {
            let change = serde_json::to_value(d.change)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            h.text(&change).raw(" · ").text(&d.class);
            if !d.detail.is_empty() {
                h.raw("<div>").text(&d.detail).raw("</div>");
            }
        }
        Finding::Isolation(i) => {
            h.text(&i.wall);
            if !i.evidence.is_empty() {
                h.raw("<ul class=\"plain\">");
                for e in &i.evidence {
                    h.raw("<li><code>").text(e).raw("</code></li>");
                }
                h.raw("</ul>");
            }
        }
        Finding::Vulnerability(_) => {}
    }
    h.raw("</td><td data-label=\"Title\" class=\"t\"><strong>")
        .text(&f.title())
        .raw("</strong><div>")
        .text(&f.why())
        .raw("</div><div><em>Fix:</em> ")
        .text(&f.fix())
        .raw("</div></td></tr>\n");
}

// ---- layers ----------------------------------------------------------------------------------

fn layers_section(h: &mut Html, views: &[View<'_>]) {
    h.raw(
        "<section id=\"layers\" aria-labelledby=\"layers-h\">\n<h2 id=\"layers-h\">Layers</h2>\n",
    );
    for v in views {
        heading_for_target(h, views, v, "h3");
        let t = &v.t.target;
        if t.layers.is_empty() {
            h.raw("<p>This target has no layers (")
                .text(&t.kind)
                .raw(").</p>\n");
            continue;
        }
        // What each layer added: packages by their layer, vulnerability rows by their package's
        // layer, other findings by their location's layer.
        let mut pkgs: BTreeMap<usize, Vec<&Package>> = BTreeMap::new();
        for p in &t.packages {
            if let Some(l) = p.layer {
                pkgs.entry(l).or_default().push(p);
            }
        }
        let mut finds: BTreeMap<usize, Vec<(Severity, &str)>> = BTreeMap::new();
        for r in v.vulns.iter().chain(&v.info) {
            if let Some(l) = v.package(r.finding).and_then(|p| p.layer) {
                finds
                    .entry(l)
                    .or_default()
                    .push((r.finding.severity, r.finding.id.as_str()));
            }
        }
        for (_, groups) in &v.others {
            for f in groups.iter().flat_map(|g| &g.findings) {
                if let Some(l) = f.layer() {
                    finds.entry(l).or_default().push((f.severity(), f.id()));
                }
            }
        }
        // One row per history step (image targets, empty steps included), else per layer;
        // layers no step points at are listed after.
        let mut steps: Vec<(Option<&str>, Option<&sekisho_artifact::LayerInfo>)> = Vec::new();
        let history = t
            .image
            .as_ref()
            .map(|i| i.history.as_slice())
            .unwrap_or(&[]);
        let mut used = BTreeSet::new();
        for st in history {
            let layer = st
                .layer
                .and_then(|i| t.layers.iter().find(|l| l.index == i));
            if let Some(l) = layer {
                used.insert(l.index);
            }
            steps.push((st.created_by.as_deref(), layer));
        }
        for l in t.layers.iter().filter(|l| !used.contains(&l.index)) {
            steps.push((l.created_by.as_deref(), Some(l)));
        }
        h.raw("<div class=\"scroll\"><table class=\"layers\"><thead><tr><th scope=\"col\" class=\"n\">Step</th><th scope=\"col\">Instruction</th><th scope=\"col\" class=\"n\">Layer</th><th scope=\"col\">Digest</th><th scope=\"col\" class=\"n\">Size</th><th scope=\"col\">Packages added</th><th scope=\"col\">Findings</th></tr></thead><tbody>");
        for (n, (step, layer)) in steps.into_iter().enumerate() {
            h.raw("<tr><td class=\"n\">").num(n + 1).raw("</td><td>");
            match (step, layer.and_then(|l| l.description.as_deref())) {
                (Some(c), _) => {
                    h.raw("<code>").text(c).raw("</code>");
                }
                (None, Some(d)) => {
                    h.text(d);
                }
                (None, None) => {
                    h.raw("<span class=\"muted\">no history step recorded</span>");
                }
            }
            let Some(l) = layer else {
                h.raw("</td><td colspan=\"5\"><span class=\"muted\">no layer (configuration only)</span></td></tr>");
                continue;
            };
            h.raw("</td><td class=\"n\">").num(l.index).raw("</td><td>");
            if let Some(d) = l.diff_id.as_ref().or(l.digest.as_ref()) {
                h.raw("<code>").text(d).raw("</code>");
            }
            h.raw("</td><td class=\"n\">");
            if let Some(s) = l.size {
                h.num(s);
            }
            h.raw("</td><td>");
            match pkgs.get(&l.index) {
                Some(ps) => {
                    h.raw("<details><summary>")
                        .text(&plural(ps.len(), "package", "packages"))
                        .raw("</summary><ul class=\"plain\">");
                    for p in ps {
                        h.raw("<li><code>")
                            .text(&p.name)
                            .raw("</code> ")
                            .text(&p.version)
                            .raw("</li>");
                    }
                    h.raw("</ul></details>");
                }
                None => {
                    h.raw("none");
                }
            }
            h.raw("</td><td>");
            match finds.get(&l.index) {
                Some(fs) => {
                    let mut fs = fs.clone();
                    fs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
                    let mut by: BTreeMap<Severity, usize> = BTreeMap::new();
                    for (s, _) in &fs {
                        *by.entry(*s).or_default() += 1;
                    }
                    let counts: Vec<String> =
                        by.iter().rev().map(|(s, n)| format!("{s} {n}")).collect();
                    h.raw("<details><summary>")
                        .text(&plural(fs.len(), "finding", "findings"))
                        .raw(" (")
                        .text(&counts.join(", "))
                        .raw(")</summary><ul class=\"plain\">");
                    let mut seen = BTreeSet::new();
                    for (s, id) in fs {
                        if seen.insert((s, id)) {
                            h.raw("<li>");
                            badge(h, s);
                            h.raw(" <code>").text(id).raw("</code></li>");
                        }
                    }
                    h.raw("</ul></details>");
                }
                None => {
                    h.raw("none");
                }
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div>\n");
    }
    h.raw("</section>\n");
}

// ---- notes -----------------------------------------------------------------------------------

fn notes_section(h: &mut Html, report: &ScanReport, views: &[View<'_>]) {
    h.raw("<section id=\"notes\" aria-labelledby=\"notes-h\">\n<h2 id=\"notes-h\">Notes</h2>\n");
    if let Some(l) = crate::table::suppressed_line(report) {
        h.raw("<p>").text(&l).raw("</p>\n");
    }
    let mut any = false;
    for v in views {
        let t = v.t;
        let notes = crate::model::note_lines(&t.target);
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
        if notes.is_empty() && ignored.is_empty() {
            continue;
        }
        any = true;
        heading_for_target(h, views, v, "h3");
        if !notes.is_empty() {
            h.raw("<p>Skipped or not understood while reading the target (")
                .num(t.target.notes.len())
                .raw("):</p><ul class=\"plain\">");
            for n in notes {
                h.raw("<li>").text(&n).raw("</li>");
            }
            h.raw("</ul>\n");
        }
        if !ignored.is_empty() {
            h.raw("<p>Ignored by rule:</p><ul class=\"plain\">");
            for (file, line, reason, f) in ignored {
                let what = match f {
                    Finding::Vulnerability(x) => v
                        .lookup
                        .get(&x.package_id, x.package)
                        .map_or(x.matched_name.clone(), |p| p.name.clone()),
                    other => other
                        .location()
                        .map(|l| l.display())
                        .unwrap_or_else(|| other.kind().to_string()),
                };
                h.raw("<li><code>")
                    .text(f.id())
                    .raw("</code> in <code>")
                    .text(&what)
                    .raw("</code> (")
                    .text(&format!("{file}:{line}"));
                if let Some(r) = reason {
                    h.raw(": ").text(r);
                }
                h.raw(")</li>");
            }
            h.raw("</ul>\n");
        }
    }
    if !any && crate::table::suppressed_line(report).is_none() {
        h.raw("<p>Nothing was skipped.</p>\n");
    }
    h.raw("</section>\n");
}
