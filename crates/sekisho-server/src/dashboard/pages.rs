//! The dashboard's pages, rendered on the server with the HTML report's escaping writer
//! ([`Html`]: markup only from literals, every stored string escaped) and its inline-SVG bar
//! charts. Pure functions of the data they are given: the handlers in [`super`] fetch it.
//!
//! Every page has the same head: the report's stylesheet and the dashboard's own, both inline
//! and allowed by hash, and the report's filter script (allowed by hash; it does nothing on a
//! page without the findings filter). Nothing loads from anywhere: see [`csp`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use sekisho_finding::Severity;
use sekisho_report::ScanReport;
use sekisho_report::html::chart::{self, Bar};
use sekisho_report::html::escape::{Html, path_segment};
use sekisho_report::html::{SCRIPT, STYLE, report_body};
use sekisho_vulndb::store::Status;

use crate::auth::Access;
use crate::store::{ArtifactMeta, DayCount, DeliveryRow, EventRow, WebhookRow};

/// The dashboard's own styles (navigation, forms), on top of the report's.
pub const DASH_STYLE: &str = "nav.dash{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.25rem;padding:.5rem 1.5rem;background:#1f2937;color:#fff}\
nav.dash a{color:#fff;text-decoration:none;padding:.15rem .1rem;border-bottom:2px solid transparent}\
nav.dash a[aria-current=page]{border-bottom-color:#fbbf24;font-weight:600}\
nav.dash .brand{font-weight:700;margin-right:.5rem}\
nav.dash .who{margin-left:auto;color:#d1d5db}\
nav.dash form{display:inline;margin:0}\
nav.dash button,form.inline button,form.login button{font:inherit;padding:.15rem .6rem;cursor:pointer}\
form.inline{display:inline;margin:0}\
form.login{max-width:26rem;margin:3rem auto;padding:1.25rem 1.5rem;border:1px solid var(--line);background:var(--panel)}\
form.login label{display:block;font-weight:600;margin:.5rem 0 .25rem}\
form.login input[type=password]{width:100%;font:inherit;padding:.35rem .45rem}\
form.login p.err{color:#7f1d1d;font-weight:600}\
.state-dead{font-weight:700;color:#7f1d1d}.state-pending{color:#8a4b08}.state-delivered{color:#166534}\
.b-new{fill:#b91c1c}.b-resolved{fill:#166534}\
section.danger{margin:2rem 1.5rem;padding:.5rem 1rem 1rem;border:2px solid #7f1d1d}\
section.danger h2{margin-top:.5rem}";

fn hash(s: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
    )
}

/// The Content-Security-Policy header of every dashboard response: nothing loads
/// (`default-src 'none'`), the two inline stylesheets and the report's script run by hash,
/// forms post only to this origin, no framing, no `<base>`.
pub fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src {} {}; script-src {}; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            hash(STYLE),
            hash(DASH_STYLE),
            hash(SCRIPT)
        )
    })
}

/// Who is looking, for the navigation bar and the forms.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    pub access: Access,
    /// The session's CSRF token.
    pub csrf: &'a str,
}

impl Viewer<'_> {
    pub fn can_write(&self) -> bool {
        self.access == Access::ReadWrite
    }
}

/// The pages of the navigation bar: (path, label).
pub const NAV: &[(&str, &str)] = &[
    ("/", "Artifacts"),
    ("/changes", "What changed"),
    ("/webhooks", "Webhooks"),
    ("/db", "DB status"),
];

fn csrf_field(h: &mut Html, token: &str) {
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", token)
        .raw(">");
}

/// A whole page. `current` is the navigation entry to mark (`None`: no navigation bar, the
/// login page).
pub fn page(title: &str, viewer: Option<(&Viewer<'_>, &str)>, body: &str) -> String {
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.raw("<meta name=\"referrer\" content=\"no-referrer\">\n");
    h.raw("<meta name=\"color-scheme\" content=\"light\">\n");
    h.raw("<link rel=\"icon\" href=\"data:,\">\n");
    h.raw("<title>").text(title).raw("</title>\n");
    h.raw("<style>").raw(STYLE).raw("</style>\n");
    h.raw("<style>")
        .raw(DASH_STYLE)
        .raw("</style>\n</head>\n<body>\n");
    if let Some((v, current)) = viewer {
        h.raw("<nav class=\"dash\" aria-label=\"Dashboard\"><span class=\"brand\">sekisho</span>");
        for (path, label) in NAV {
            h.raw("<a").attr("href", path);
            if *path == current {
                h.raw(" aria-current=\"page\"");
            }
            h.raw(">").text(label).raw("</a>");
        }
        h.raw("<span class=\"who\">signed in, ")
            .raw(if v.can_write() {
                "read-write"
            } else {
                "read-only"
            })
            .raw("</span>");
        h.raw("<form method=\"post\" action=\"/logout\">");
        csrf_field(&mut h, v.csrf);
        h.raw("<button type=\"submit\">Log out</button></form></nav>\n");
    }
    h.raw(body);
    h.raw("<script>")
        .raw(SCRIPT)
        .raw("</script>\n</body>\n</html>\n");
    h.into_string()
}

fn top(h: &mut Html, title: &str, sub: &str) {
    h.raw("<header class=\"top\"><h1>").text(title).raw("</h1>");
    if !sub.is_empty() {
        h.raw("<p>").text(sub).raw("</p>");
    }
    h.raw("</header>\n");
}

/// The login form. `error`: why the last attempt failed.
pub fn login(csrf: &str, error: Option<&str>) -> String {
    let mut h = Html::new();
    h.raw("<main><form class=\"login\" method=\"post\" action=\"/login\">\n<h1>sekisho dashboard</h1>\n");
    if let Some(e) = error {
        h.raw("<p class=\"err\" role=\"alert\">")
            .text(e)
            .raw("</p>\n");
    }
    h.raw("<p>Sign in with one of the server's API tokens (<code>--token-file</code>). A read-only token shows everything; a read-write token can also redeliver webhooks.</p>\n");
    h.raw("<label for=\"token\">Token</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>\n");
    csrf_field(&mut h, csrf);
    h.raw("<p><button type=\"submit\">Sign in</button></p>\n</form></main>\n");
    page("sekisho: sign in", None, h.as_str())
}

/// A message page (not found, forbidden).
pub fn message(viewer: Option<&Viewer<'_>>, title: &str, text: &str) -> String {
    let mut h = Html::new();
    top(&mut h, title, "");
    h.raw("<main><p>").text(text).raw("</p></main>\n");
    page(title, viewer.map(|v| (v, "")), h.as_str())
}

fn sev_bar_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "b-critical",
        Severity::High => "b-high",
        Severity::Medium => "b-medium",
        Severity::Low => "b-low",
        Severity::Info => "b-info",
        Severity::Unknown => "b-unknown",
    }
}

/// One row of the artifacts page: the artifact and its findings by severity (`None`: the
/// report could not be made, with why).
#[derive(Debug, Clone)]
pub struct ArtifactLine {
    pub meta: ArtifactMeta,
    pub counts: Result<BTreeMap<Severity, usize>, String>,
}

/// Columns of the artifacts table.
const COLUMNS: [Severity; 5] = Severity::VULNERABILITY;

/// `/`: every artifact with its last scan and its findings by severity.
pub fn artifacts(v: &Viewer<'_>, lines: &[ArtifactLine], total: u64, next: Option<&str>) -> String {
    let mut h = Html::new();
    top(
        &mut h,
        "Artifacts",
        &format!(
            "{total} stored; findings as the CLI's default policy shows them, matched against today's DB"
        ),
    );
    h.raw("<main>\n");
    let mut sum: BTreeMap<Severity, usize> = BTreeMap::new();
    for l in lines {
        if let Ok(c) = &l.counts {
            for (s, n) in c {
                *sum.entry(*s).or_default() += n;
            }
        }
    }
    h.raw("<section aria-labelledby=\"all-h\"><h2 id=\"all-h\">Findings of the artifacts on this page</h2><figure>");
    let bars: Vec<Bar> = Severity::ALL
        .iter()
        .filter(|s| **s != Severity::Info || sum.contains_key(s))
        .map(|s| Bar {
            label: s.as_str().to_string(),
            value: sum.get(s).copied().unwrap_or(0),
            class: sev_bar_class(*s),
        })
        .collect();
    chart::bars(&mut h, "sev", "Findings by severity", &bars);
    h.raw("</figure></section>\n");
    h.raw("<section aria-labelledby=\"list-h\"><h2 id=\"list-h\">Artifacts</h2>\n");
    if lines.is_empty() {
        h.raw("<p>No artifact yet: upload an SBOM with <code>POST /api/v1/sboms</code>.</p>\n");
    } else {
        h.raw("<div class=\"scroll\"><table class=\"cards\" id=\"artifacts\"><thead><tr><th scope=\"col\">Artifact</th><th scope=\"col\">Kind</th><th scope=\"col\">Uploaded</th><th scope=\"col\">Findings last changed</th><th scope=\"col\" class=\"n\">Components</th>");
        for s in COLUMNS {
            h.raw("<th scope=\"col\" class=\"n\">")
                .raw(s.as_str())
                .raw("</th>");
        }
        h.raw("<th scope=\"col\" class=\"n\">Total</th></tr></thead><tbody>\n");
        for l in lines {
            let m = &l.meta;
            h.raw("<tr class=\"a\"").attr("data-id", &m.id).raw(">");
            h.raw("<td data-label=\"Artifact\"><a")
                .attr("href", &format!("/artifacts/{}", path_segment(&m.id)))
                .raw(" class=\"mono\">")
                .text(&m.name)
                .raw("</a><br><span class=\"muted mono\">")
                .text(&m.digest)
                .raw("</span></td>");
            h.raw("<td data-label=\"Kind\">").text(&m.kind).raw("</td>");
            h.raw("<td data-label=\"Uploaded\"><time>")
                .text(&m.created)
                .raw("</time></td>");
            h.raw("<td data-label=\"Findings last changed\"><time>")
                .text(&m.updated)
                .raw("</time></td>");
            h.raw("<td class=\"n\" data-label=\"Components\">")
                .num(m.components)
                .raw("</td>");
            match &l.counts {
                Ok(c) => {
                    for s in COLUMNS {
                        h.raw("<td class=\"n\"")
                            .attr("data-label", s.as_str())
                            .attr("data-sev", s.as_str())
                            .raw(">")
                            .num(c.get(&s).copied().unwrap_or(0))
                            .raw("</td>");
                    }
                    h.raw("<td class=\"n\" data-label=\"Total\">")
                        .num(c.values().sum::<usize>())
                        .raw("</td>");
                }
                Err(e) => {
                    h.raw("<td colspan=\"6\" class=\"warn\">")
                        .text(e)
                        .raw("</td>");
                }
            }
            h.raw("</tr>\n");
        }
        h.raw("</tbody></table></div>\n");
    }
    if let Some(n) = next {
        h.raw("<p><a")
            .attr("href", &format!("/?after={}", path_segment(n)))
            .raw(">Next page</a></p>\n");
    }
    h.raw("</section></main>\n");
    page("sekisho: artifacts", Some((v, "/")), h.as_str())
}

/// `/artifacts/{id}`: the stored findings as the HTML report; for read-write sessions, a form
/// that deletes the artifact (a required checkbox confirms, without a script).
pub fn artifact(v: &Viewer<'_>, id: &str, report: &ScanReport) -> String {
    let mut h = Html::new();
    h.raw(&report_body(report));
    if v.can_write() {
        h.raw("<section class=\"danger\" aria-labelledby=\"del-h\"><h2 id=\"del-h\">Delete this artifact</h2>\n<p>Its components and findings go; its events stay.</p>\n<form method=\"post\"")
            .attr("action", &format!("/artifacts/{}/delete", path_segment(id)))
            .raw(">");
        csrf_field(&mut h, v.csrf);
        h.raw("<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> Yes, delete it</label> <button type=\"submit\">Delete</button></form></section>\n");
    }
    page(
        &sekisho_report::html::title(report),
        Some((v, "")),
        h.as_str(),
    )
}

fn event_artifact_name(e: &EventRow) -> String {
    serde_json::from_str::<serde_json::Value>(&e.payload)
        .ok()
        .and_then(|p| p["data"]["artifact"]["name"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Days shown in the chart of `/changes`.
pub const CHART_DAYS: usize = 14;

/// `/changes`: new and resolved findings per day, and the newest events.
pub fn changes(v: &Viewer<'_>, days: &[DayCount], recent: &[EventRow]) -> String {
    let mut h = Html::new();
    top(
        &mut h,
        "What changed",
        "Findings that appeared (finding.new) and went (finding.resolved) when the vulnerability DB changed, per UTC day",
    );
    h.raw("<main>\n");
    if days.is_empty() {
        h.raw("<p>No change yet: events are recorded when a DB update adds or withdraws an advisory that a stored component matches.</p>\n");
    } else {
        let shown = &days[..days.len().min(CHART_DAYS)];
        h.raw("<section aria-labelledby=\"chart-h\"><h2 id=\"chart-h\">");
        if shown.len() == 1 {
            h.raw("The last day with changes");
        } else {
            h.raw("The last ")
                .num(shown.len())
                .raw(" days with changes");
        }
        h.raw("</h2><figure>");
        let mut bars = Vec::new();
        for d in shown {
            bars.push(Bar {
                label: format!("{} new", d.day),
                value: d.new as usize,
                class: "b-new",
            });
            bars.push(Bar {
                label: format!("{} resolved", d.day),
                value: d.resolved as usize,
                class: "b-resolved",
            });
        }
        chart::bars(&mut h, "days", "New and resolved findings per day", &bars);
        h.raw("</figure></section>\n");
        h.raw("<section aria-labelledby=\"days-h\"><h2 id=\"days-h\">Per day</h2><div class=\"scroll\"><table id=\"days\"><thead><tr><th scope=\"col\">Day (UTC)</th><th scope=\"col\" class=\"n\">New</th><th scope=\"col\" class=\"n\">Resolved</th><th scope=\"col\" class=\"n\">Net</th></tr></thead><tbody>\n");
        for d in days {
            h.raw("<tr class=\"d\"")
                .attr("data-day", &d.day)
                .raw("><th scope=\"row\"><time>")
                .text(&d.day)
                .raw("</time></th><td class=\"n\">")
                .num(d.new)
                .raw("</td><td class=\"n\">")
                .num(d.resolved)
                .raw("</td><td class=\"n\">")
                .num(d.new as i64 - d.resolved as i64)
                .raw("</td></tr>\n");
        }
        h.raw("</tbody></table></div></section>\n");
    }
    if !recent.is_empty() {
        h.raw("<section aria-labelledby=\"ev-h\"><h2 id=\"ev-h\">Newest events</h2><div class=\"scroll\"><table id=\"events\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Change</th><th scope=\"col\">Finding</th><th scope=\"col\">Artifact</th></tr></thead><tbody>\n");
        for e in recent {
            let change = match e.kind.as_str() {
                "finding.new" => "new",
                "finding.resolved" => "resolved",
                other => other,
            };
            h.raw("<tr class=\"e\"")
                .attr("data-kind", &e.kind)
                .raw("><td><time>")
                .text(&e.created)
                .raw("</time></td><td>")
                .text(change)
                .raw("</td><td class=\"mono\">")
                .text(&e.vuln_id)
                .raw("</td><td><a")
                .attr("href", &format!("/artifacts/{}", path_segment(&e.artifact)))
                .raw(" class=\"mono\">")
                .text(&event_artifact_name(e))
                .raw("</a> <span class=\"muted mono\">")
                .text(&e.artifact)
                .raw("</span></td></tr>\n");
        }
        h.raw("</tbody></table></div></section>\n");
    }
    h.raw("</main>\n");
    page("sekisho: what changed", Some((v, "/changes")), h.as_str())
}

fn delivery_row(h: &mut Html, v: &Viewer<'_>, d: &DeliveryRow, with_hook: bool) {
    h.raw("<tr class=\"dl\"")
        .attr("data-id", &d.id)
        .attr("data-state", &d.state)
        .raw(">");
    if with_hook {
        h.raw("<td class=\"mono\">").text(&d.webhook).raw("</td>");
    }
    h.raw("<td class=\"mono\">")
        .text(&d.id)
        .raw("</td><td>")
        .text(&d.kind)
        .raw(" <span class=\"muted mono\">")
        .text(&d.event)
        .raw("</span></td><td><span")
        .attr("class", &format!("state-{}", d.state))
        .raw(">")
        .text(&d.state)
        .raw("</span></td><td class=\"n\">")
        .num(d.attempts)
        .raw("</td><td>");
    match d.history.last() {
        Some(a) => {
            h.raw("<time>").text(&a.at).raw("</time>: ");
            if let Some(s) = a.status {
                h.raw("HTTP ").num(s);
            }
            if let Some(e) = &a.error {
                h.raw(" ").text(e);
            }
        }
        None => {
            h.raw("<span class=\"muted\">none yet</span>");
        }
    }
    h.raw("</td><td>");
    if let Some(n) = &d.next_attempt {
        h.raw("<time>").text(n).raw("</time>");
    }
    h.raw("</td><td>");
    if v.can_write() {
        h.raw("<form class=\"inline\" method=\"post\"")
            .attr(
                "action",
                &format!(
                    "/webhooks/{}/deliveries/{}/redeliver",
                    path_segment(&d.webhook),
                    path_segment(&d.id)
                ),
            )
            .raw(">");
        csrf_field(h, v.csrf);
        h.raw("<button type=\"submit\">Redeliver</button></form>");
    } else {
        h.raw("<span class=\"muted\">read-only</span>");
    }
    h.raw("</td></tr>\n");
}

fn deliveries_head(h: &mut Html, id: &str, caption: &str, with_hook: bool) {
    h.raw("<div class=\"scroll\"><table")
        .attr("id", id)
        .raw("><caption>")
        .text(caption)
        .raw("</caption><thead><tr>");
    if with_hook {
        h.raw("<th scope=\"col\">Webhook</th>");
    }
    h.raw("<th scope=\"col\">Delivery</th><th scope=\"col\">Event</th><th scope=\"col\">State</th><th scope=\"col\" class=\"n\">Attempts</th><th scope=\"col\">Last attempt</th><th scope=\"col\">Next attempt</th><th scope=\"col\">Action</th></tr></thead><tbody>\n");
}

/// `/webhooks`: every webhook with its newest deliveries; dead letters first.
pub fn webhooks(v: &Viewer<'_>, hooks: &[(WebhookRow, Vec<DeliveryRow>)], limit: usize) -> String {
    let mut h = Html::new();
    top(
        &mut h,
        "Webhooks",
        &format!(
            "{} registered; the newest {limit} deliveries of each",
            hooks.len()
        ),
    );
    h.raw("<main>\n");
    let dead: Vec<&DeliveryRow> = hooks
        .iter()
        .flat_map(|(_, d)| d.iter())
        .filter(|d| d.state == "dead")
        .collect();
    h.raw("<section aria-labelledby=\"dead-h\"><h2 id=\"dead-h\">Dead letters</h2>\n");
    if dead.is_empty() {
        h.raw("<p>None: every delivery shown was accepted or is still being retried.</p>\n");
    } else {
        h.raw("<p>These deliveries ran out of attempts. Redeliver makes one due now with a fresh retry budget and the same <code>webhook-id</code>.</p>\n");
        deliveries_head(&mut h, "dead", "Deliveries that ran out of attempts", true);
        for d in &dead {
            delivery_row(&mut h, v, d, true);
        }
        h.raw("</tbody></table></div>\n");
    }
    h.raw("</section>\n");
    if hooks.is_empty() {
        h.raw("<p>No webhook: register one with <code>POST /api/v1/webhooks</code>.</p>\n");
    }
    for (i, (w, ds)) in hooks.iter().enumerate() {
        h.raw("<section")
            .attr("aria-labelledby", &format!("wh{i}-h"))
            .raw("><h2")
            .attr("id", &format!("wh{i}-h"))
            .raw(">Webhook <span class=\"mono\">")
            .text(&w.id)
            .raw("</span></h2>\n<dl class=\"facts\"><dt>URL</dt><dd class=\"mono\">")
            .text(&w.url)
            .raw("</dd><dt>Events</dt><dd>")
            .text(&if w.events.is_empty() {
                "every type".to_string()
            } else {
                w.events.join(", ")
            })
            .raw("</dd><dt>Created</dt><dd><time>")
            .text(&w.created)
            .raw("</time></dd></dl>\n");
        if ds.is_empty() {
            h.raw("<p>No delivery yet.</p>\n");
        } else {
            deliveries_head(&mut h, &format!("wh{i}"), "Deliveries, newest first", false);
            for d in ds {
                delivery_row(&mut h, v, d, false);
            }
            h.raw("</tbody></table></div>\n");
        }
        h.raw("</section>\n");
    }
    h.raw("</main>\n");
    page("sekisho: webhooks", Some((v, "/webhooks")), h.as_str())
}

/// A duration in seconds for people: `3 d 4 h`, `5 h 2 min`, `40 s`.
pub fn age(secs: u64) -> String {
    let (d, hr, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d} d {hr} h")
    } else if hr > 0 {
        format!("{hr} h {m} min")
    } else if m > 0 {
        format!("{m} min {} s", secs % 60)
    } else {
        format!("{secs} s")
    }
}

/// What the DB page shows.
#[derive(Debug, Clone, Default)]
pub struct DbPage {
    pub path: String,
    /// `None`: no DB loaded (with `error` saying why, when known).
    pub status: Option<Status>,
    pub error: Option<String>,
    pub pending_advisories: u64,
}

/// `/db`: the vulnerability DB's age, sources and last import.
pub fn db(v: &Viewer<'_>, p: &DbPage) -> String {
    let mut h = Html::new();
    top(&mut h, "Vulnerability DB", &p.path);
    h.raw("<main>\n");
    if let Some(e) = &p.error {
        h.raw("<p class=\"alert\" role=\"alert\">")
            .text(e)
            .raw("</p>\n");
    }
    match &p.status {
        None => {
            h.raw("<p class=\"alert\" role=\"alert\"><strong>No vulnerability DB is loaded:</strong> uploads are stored unmatched until one appears at this path (<code>sekisho db update</code> or <code>sekisho db import</code>).</p>\n");
        }
        Some(st) => {
            let last_import = st.sources.iter().map(|s| s.imported_at.as_str()).max();
            h.raw("<section aria-labelledby=\"st-h\"><h2 id=\"st-h\">Status</h2><dl class=\"facts\" id=\"dbfacts\">");
            h.raw("<dt>Age</dt><dd>");
            match st.age_seconds {
                Some(a) => {
                    h.text(&age(a)).raw(" (updated <time>");
                    h.text(st.updated_at.as_deref().unwrap_or(""))
                        .raw("</time>)");
                }
                None => {
                    h.raw("unknown: the DB has no update time");
                }
            }
            h.raw("</dd><dt>Last import</dt><dd>");
            match last_import {
                Some(t) => h.raw("<time>").text(t).raw("</time>"),
                None => h.raw("none recorded"),
            };
            h.raw("</dd><dt>Built</dt><dd>")
                .text(st.built_at.as_deref().unwrap_or("unknown"))
                .raw("</dd><dt>Advisories</dt><dd>")
                .num(st.advisories)
                .raw(" (")
                .num(st.withdrawn)
                .raw(" withdrawn)</dd><dt>Size</dt><dd>")
                .num(st.size_bytes)
                .raw(" bytes</dd><dt>Waiting to be re-matched</dt><dd>")
                .num(p.pending_advisories)
                .raw(" advisories</dd></dl></section>\n");
            h.raw("<section aria-labelledby=\"src-h\"><h2 id=\"src-h\">Sources</h2>\n");
            if st.sources.is_empty() {
                h.raw("<p>No source recorded.</p>\n");
            } else {
                h.raw("<div class=\"scroll\"><table id=\"sources\"><thead><tr><th scope=\"col\">Source</th><th scope=\"col\">Kind</th><th scope=\"col\">Imported</th><th scope=\"col\" class=\"n\">Records</th><th scope=\"col\" class=\"n\">Malformed</th></tr></thead><tbody>\n");
                for s in &st.sources {
                    h.raw("<tr><td class=\"mono\">")
                        .text(&s.name)
                        .raw("</td><td>")
                        .text(&s.kind)
                        .raw("</td><td><time>")
                        .text(&s.imported_at)
                        .raw("</time></td><td class=\"n\">")
                        .num(s.records)
                        .raw("</td><td class=\"n\">")
                        .num(s.malformed)
                        .raw("</td></tr>\n");
                }
                h.raw("</tbody></table></div>\n");
            }
            h.raw("</section>\n");
            if !st.ecosystems.is_empty() {
                h.raw("<section aria-labelledby=\"eco-h\"><h2 id=\"eco-h\">Ecosystems</h2><div class=\"scroll\"><table id=\"ecosystems\"><thead><tr><th scope=\"col\">Ecosystem</th><th scope=\"col\" class=\"n\">Advisories</th><th scope=\"col\" class=\"n\">Packages</th></tr></thead><tbody>\n");
                for e in &st.ecosystems {
                    h.raw("<tr><td>")
                        .text(&e.ecosystem)
                        .raw("</td><td class=\"n\">")
                        .num(e.advisories)
                        .raw("</td><td class=\"n\">")
                        .num(e.packages)
                        .raw("</td></tr>\n");
                }
                h.raw("</tbody></table></div></section>\n");
            }
        }
    }
    h.raw("</main>\n");
    page("sekisho: DB status", Some((v, "/db")), h.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

    fn viewer() -> Viewer<'static> {
        Viewer {
            access: Access::ReadWrite,
            csrf: "tok\"en",
        }
    }

    fn clean(page: &str) {
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img src=x"), "{page}");
        // The only script element is the report's.
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn hostile_names_are_escaped_everywhere() {
        let meta = ArtifactMeta {
            id: HOSTILE.into(),
            name: HOSTILE.into(),
            kind: HOSTILE.into(),
            digest: HOSTILE.into(),
            created: HOSTILE.into(),
            updated: HOSTILE.into(),
            components: 1,
            findings: 0,
        };
        let p = artifacts(
            &viewer(),
            &[ArtifactLine {
                meta,
                counts: Err(HOSTILE.into()),
            }],
            1,
            Some(HOSTILE),
        );
        clean(&p);
        assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
        let ev = EventRow {
            seq: 1,
            id: HOSTILE.into(),
            kind: HOSTILE.into(),
            artifact: HOSTILE.into(),
            vuln_id: HOSTILE.into(),
            created: HOSTILE.into(),
            payload: serde_json::json!({"data": {"artifact": {"name": HOSTILE}}}).to_string(),
        };
        let day = DayCount {
            day: HOSTILE.into(),
            new: 1,
            resolved: 2,
        };
        clean(&changes(&viewer(), &[day], &[ev]));
        let w = WebhookRow {
            id: HOSTILE.into(),
            url: HOSTILE.into(),
            events: vec![HOSTILE.into()],
            created: HOSTILE.into(),
            secret: "whsec_never_shown".into(),
        };
        let d = DeliveryRow {
            id: HOSTILE.into(),
            webhook: HOSTILE.into(),
            event: HOSTILE.into(),
            kind: HOSTILE.into(),
            state: "dead".into(),
            attempts: 1,
            next_attempt: Some(HOSTILE.into()),
            created: HOSTILE.into(),
            updated: HOSTILE.into(),
            history: vec![crate::store::AttemptRow {
                attempt: 1,
                at: HOSTILE.into(),
                status: None,
                error: Some(HOSTILE.into()),
            }],
        };
        let p = webhooks(&viewer(), &[(w, vec![d])], 50);
        clean(&p);
        assert!(!p.contains("whsec_never_shown"));
        // The action URL percent-encodes the ids.
        assert!(p.contains("action=\"/webhooks/%3Cscript%3E"), "{p}");
        clean(&message(Some(&viewer()), HOSTILE, HOSTILE));
        clean(&login(HOSTILE, Some(HOSTILE)));
    }

    #[test]
    fn read_only_viewers_get_no_forms_but_logout() {
        let v = Viewer {
            access: Access::ReadOnly,
            csrf: "t",
        };
        let d = DeliveryRow {
            id: "d1".into(),
            webhook: "w1".into(),
            event: "e".into(),
            kind: "finding.new".into(),
            state: "dead".into(),
            attempts: 3,
            next_attempt: None,
            created: String::new(),
            updated: String::new(),
            history: Vec::new(),
        };
        let w = WebhookRow {
            id: "w1".into(),
            url: "http://x/".into(),
            events: Vec::new(),
            created: String::new(),
            secret: String::new(),
        };
        let p = webhooks(&v, &[(w, vec![d])], 50);
        assert_eq!(p.matches("<form").count(), 1, "only the logout form");
        assert!(p.contains("action=\"/logout\""));
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let c = csp();
        assert!(c.starts_with("default-src 'none';"));
        assert!(c.contains("frame-ancestors 'none'"));
        assert!(c.contains(&hash(STYLE)) && c.contains(&hash(DASH_STYLE)));
        assert!(c.contains(&hash(SCRIPT)));
        assert!(!c.contains("unsafe"));
        let p = login("t", None);
        assert!(!p.contains("style=\""), "no style attributes under the CSP");
    }

    #[test]
    fn ages_read_well() {
        assert_eq!(age(40), "40 s");
        assert_eq!(age(125), "2 min 5 s");
        assert_eq!(age(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(age(2 * 86_400 + 5 * 3600), "2 d 5 h");
    }
}
