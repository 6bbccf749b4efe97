//! The HTML report: a snapshot of a small report holding every kind of finding, the escaping of
//! hostile text planted in every string field, the CSP hashes, and every finding ID present.

use sekisho_artifact::{LayerInfo, Note};
use sekisho_catalog::{OsInfo, Package, PackageKind, SourcePackage};
use sekisho_finding::{
    Change, Coverage, Drift, Finding, Isolation, LayerRef, Location, Misconfiguration, Rating,
    RatingMethod, Secret, Severity, Status, Vulnerability,
};
use sekisho_policy::{SuppressReason, Suppressed};
use sekisho_report::html;
use sekisho_report::{DbInfo, HistoryStep, ImageInfo, ScanReport, ScanTarget, Target, Tool};

/// Every string of the fixture goes through `s`: the identity for the snapshot, a hostile
/// suffix for the escaping test.
type S<'a> = &'a dyn Fn(&str) -> String;

fn pkg(s: S<'_>, name: &str, version: &str, kind: PackageKind, eco: &str) -> Package {
    Package {
        id: s(&format!("pkg-{name}-{version}")),
        name: s(name),
        version: s(version),
        kind,
        ecosystem: Some(s(eco)),
        purl: s(&format!("pkg:generic/{name}@{version}")),
        source: None,
        licenses: vec![s("MIT")],
        arch: None,
        modularity_label: None,
        locations: vec![],
        layer: Some(0),
        files: vec![],
    }
}

#[allow(clippy::too_many_arguments)]
fn vuln(
    s: S<'_>,
    id: &str,
    p: &Package,
    index: usize,
    name: &str,
    version: &str,
    eco: &str,
    sev: Severity,
    fixed: Option<&str>,
) -> Finding {
    Finding::Vulnerability(Vulnerability {
        id: s(id),
        advisories: vec![s(&format!("GHSA-{}", id.to_lowercase()))],
        aliases: vec![s(id)],
        related: vec![],
        package: index,
        package_id: p.id.clone(),
        matched_name: s(name),
        matched_version: s(version),
        ecosystem: s(eco),
        status: if fixed.is_some() {
            Status::Fixed
        } else {
            Status::Affected
        },
        fixed_version: fixed.map(s),
        severity: sev,
        ratings: if sev == Severity::Unknown {
            vec![]
        } else {
            vec![Rating {
                source: s("nvd"),
                method: RatingMethod::CvssV3,
                score: Some(match sev {
                    Severity::Critical => 9.8,
                    Severity::High => 7.5,
                    Severity::Medium => 5.3,
                    _ => 3.1,
                }),
                severity: sev,
                vector: Some(s("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")),
            }]
        },
        summary: Some(s(&format!("{id} lets a remote attacker in"))),
        references: vec![
            s("https://example.invalid/advisory"),
            s("javascript:alert(3)"),
        ],
        published: None,
        modified: None,
        vex: None,
        informational: None,
    })
}

/// A two-layer image: Debian packages (one source package), the same Python package in two
/// virtualenvs, one informational notice, and one finding of every other kind.
fn fixture(s: S<'_>) -> ScanReport {
    let mut libssl = pkg(
        s,
        "libssl3",
        "3.0.11-1~deb12u1",
        PackageKind::Deb,
        "Debian:12",
    );
    libssl.source = Some(SourcePackage {
        name: s("openssl"),
        version: None,
    });
    libssl.locations = vec![s("var/lib/dpkg/status")];
    let zlib = pkg(
        s,
        "zlib1g",
        "1:1.2.13.dfsg-1",
        PackageKind::Deb,
        "Debian:12",
    );
    let mut flask_a = pkg(s, "Flask", "2.0.0", PackageKind::Python, "PyPI");
    flask_a.id = s("pkg-flask-a");
    flask_a.locations = vec![s(
        "srv/a/.venv/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA",
    )];
    flask_a.layer = Some(1);
    let mut flask_b = flask_a.clone();
    flask_b.id = s("pkg-flask-b");
    flask_b.locations = vec![s(
        "srv/b/.venv/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA",
    )];
    let mut tokio = pkg(s, "tokio", "0.1.22", PackageKind::Cargo, "crates.io");
    tokio.locations = vec![s("srv/app/Cargo.lock")];
    tokio.layer = Some(1);
    let mut unknown = pkg(s, "mystery", "1.0", PackageKind::Deb, "Debian:12");
    unknown.ecosystem = None;

    let packages = vec![
        libssl.clone(),
        zlib.clone(),
        flask_a.clone(),
        flask_b.clone(),
        tokio.clone(),
        unknown,
    ];
    let l1 = Some(LayerRef {
        index: 1,
        digest: Some(s(&format!("sha256:{}", "ab".repeat(32)))),
        created_by: Some(s("COPY . /srv")),
    });
    let mut informational = vuln(
        s,
        "RUSTSEC-2020-0001",
        &tokio,
        4,
        "tokio",
        "0.1.22",
        "crates.io",
        Severity::Unknown,
        Some("1.0.0"),
    );
    if let Finding::Vulnerability(v) = &mut informational {
        v.informational = Some(s("unmaintained"));
    }
    let mut misconf_loc = Location::at(s("srv/k8s/web.yaml"), 12, 9).in_layer(l1.clone());
    misconf_loc.logical = Some(s("Deployment default/web"));
    let findings = vec![
        vuln(
            s,
            "CVE-2024-0001",
            &libssl,
            0,
            "openssl",
            "3.0.11-1~deb12u1",
            "Debian:12",
            Severity::Critical,
            Some("3.0.13-1~deb12u1"),
        ),
        vuln(
            s,
            "CVE-2024-0002",
            &libssl,
            0,
            "openssl",
            "3.0.11-1~deb12u1",
            "Debian:12",
            Severity::Medium,
            None,
        ),
        vuln(
            s,
            "CVE-2023-0003",
            &zlib,
            1,
            "zlib",
            "1:1.2.13.dfsg-1",
            "Debian:12",
            Severity::Low,
            Some("1:1.2.13.dfsg-2"),
        ),
        vuln(
            s,
            "CVE-2023-30861",
            &flask_a,
            2,
            "Flask",
            "2.0.0",
            "PyPI",
            Severity::High,
            Some("2.2.5"),
        ),
        vuln(
            s,
            "CVE-2023-30861",
            &flask_b,
            3,
            "Flask",
            "2.0.0",
            "PyPI",
            Severity::High,
            Some("2.2.5"),
        ),
        informational,
        Finding::Misconfiguration(Misconfiguration {
            id: s("run-as-root"),
            aliases: vec![s("KSV012")],
            severity: Severity::Medium,
            title: s("Container may run as root"),
            why: s("Root in a container is root on the host once a wall fails."),
            fix: s("Set securityContext.runAsNonRoot: true."),
            location: misconf_loc,
            file_type: s("kubernetes"),
            object: Some(s("Deployment default/web")),
            value: Some(s("runAsUser: 0")),
        }),
        Finding::Secret(Secret {
            id: s("github-pat"),
            severity: Severity::Critical,
            title: s("GitHub personal access token"),
            why: s("Anyone who pulls the image can act as the token's owner."),
            fix: s("Revoke the token and rebuild without it."),
            location: Location::at(s("root/.config/gh/hosts.yml"), 3, 17).in_layer(l1),
            redacted: s("ghp_****"),
            fingerprint: s("0123456789abcdef"),
            deleted_in: Some(LayerRef {
                index: 1,
                ..LayerRef::default()
            }),
            present: false,
            vendor: None,
        }),
        Finding::Drift(Drift {
            id: s("drift-executable"),
            severity: Severity::High,
            title: s("New executable"),
            why: s("Binaries that were not in the image were added."),
            fix: s("Rebuild the image instead of patching the container."),
            location: Location::file(s("usr/local/bin/nc")),
            change: Change::Added,
            class: s("executable"),
            detail: s("ELF, 34 KB"),
        }),
        Finding::Isolation(Isolation {
            id: s("no-seccomp"),
            severity: Severity::High,
            title: s("No seccomp filter"),
            why: s("Every system call reaches the kernel."),
            fix: s("Run with the runtime's default seccomp profile."),
            wall: s("seccomp"),
            evidence: vec![s("Seccomp: 0")],
            caught_by: vec![s("oci-no-seccomp")],
            location: Location::logical(s("wall:seccomp")),
        }),
    ];
    let ignored = Suppressed {
        reason: SuppressReason::Ignored {
            file: s(".sekishoignore"),
            line: 3,
            reason: Some(s("not reachable")),
            expires: None,
        },
        finding: vuln(
            s,
            "CVE-2022-9999",
            &zlib,
            1,
            "zlib",
            "1:1.2.13.dfsg-1",
            "Debian:12",
            Severity::Low,
            None,
        ),
    };
    let target = ScanTarget {
        target: Target {
            name: s("registry.example/app:1.2"),
            kind: "image".into(),
            os: Some(OsInfo {
                id: s("debian"),
                version_id: Some(s("12")),
                codename: Some(s("bookworm")),
                pretty_name: Some(s("Debian GNU/Linux 12 (bookworm)")),
                source: s("etc/os-release"),
                osv_ecosystem: Some(s("Debian:12")),
                known: true,
                ..OsInfo::default()
            }),
            layers: vec![
                LayerInfo {
                    index: 0,
                    digest: Some(s(&format!("sha256:{}", "01".repeat(32)))),
                    diff_id: Some(s(&format!("sha256:{}", "02".repeat(32)))),
                    created_by: Some(s("ADD rootfs.tar.xz / # debian:bookworm")),
                    media_type: None,
                    size: Some(29_000_000),
                    description: None,
                },
                LayerInfo {
                    index: 1,
                    digest: Some(s(&format!("sha256:{}", "ab".repeat(32)))),
                    diff_id: None,
                    created_by: Some(s("COPY . /srv")),
                    media_type: None,
                    size: Some(4096),
                    description: None,
                },
            ],
            packages,
            notes: vec![Note::new(
                Some(1),
                s("srv/app/vendor.jar"),
                s("skipped: corrupt zip"),
            )],
            partition: None,
            image: Some(ImageInfo {
                digest: Some(s(&format!("sha256:{}", "cd".repeat(32)))),
                id: Some(s(&format!("sha256:{}", "ef".repeat(32)))),
                platform: s("linux/amd64"),
                repo_tags: vec![s("registry.example/app:1.2")],
                repo_digests: vec![],
                created: Some(s("2026-11-20T10:00:00Z")),
                history: vec![
                    HistoryStep {
                        created_by: Some(s("ADD rootfs.tar.xz / # debian:bookworm")),
                        created: None,
                        layer: Some(0),
                    },
                    HistoryStep {
                        created_by: Some(s("ENV PATH=/usr/local/bin:/usr/bin")),
                        created: None,
                        layer: None,
                    },
                    HistoryStep {
                        created_by: Some(s("COPY . /srv")),
                        created: None,
                        layer: Some(1),
                    },
                ],
            }),
        },
        findings,
        suppressed: vec![ignored],
        coverage: vec![
            Coverage {
                ecosystem: s("Debian:12"),
                packages: 2,
                has_data: true,
                advisories: Some(41_000),
            },
            Coverage {
                ecosystem: s("PyPI"),
                packages: 2,
                has_data: true,
                advisories: Some(2661),
            },
            Coverage {
                ecosystem: s("crates.io"),
                packages: 1,
                has_data: false,
                advisories: Some(0),
            },
        ],
    };
    let mut r = ScanReport::new(
        Tool::sekisho("0.1.0"),
        "2026-11-30T12:00:00Z".into(),
        true,
        Some(DbInfo {
            path: Some(s("/var/cache/sekisho/db.sqlite")),
            updated: Some("2026-11-25T06:00:00Z".into()),
            advisories: Some(43_661),
        }),
        vec![target],
        vec![s("ignore rule CVE-2021-1 expired on 2026-01-01")],
    );
    r.scanners = vec!["vuln".into(), "secret".into(), "config".into()];
    r.summary = sekisho_report::model::summarize(&r.targets);
    r
}

fn plain(x: &str) -> String {
    x.to_string()
}

#[test]
fn snapshot_of_the_body() {
    let r = fixture(&plain);
    insta::assert_snapshot!("report_body", html::report_body(&r));
}

#[test]
fn page_is_self_contained_with_a_csp_matching_its_inline_code() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let page = html::render_string(&fixture(&plain));
    assert!(page.starts_with("<!DOCTYPE html>"));
    let csp = html::content_security_policy();
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        csp.replace('\'', "&#39;")
    )));
    assert!(csp.starts_with("default-src 'none';"));
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        let a = page.find(open).unwrap() + open.len();
        let b = page[a..].find(close).unwrap() + a;
        let d = sha2::Sha256::digest(&page.as_bytes()[a..b]);
        let h = base64::engine::general_purpose::STANDARD.encode(d);
        assert!(csp.contains(&format!("'sha256-{h}'")), "{open} hash {h}");
        assert_eq!(page.matches(open).count(), 1);
    }
    // Nothing is loaded from anywhere: no src, no stylesheet link, no url() in the CSS, no
    // style attributes (a strict CSP would drop them).
    for bad in [
        " src=",
        "<link rel=\"stylesheet\"",
        "url(",
        "@import",
        " style=\"",
    ] {
        assert!(!page.contains(bad), "{bad}");
    }
    assert!(
        page.contains("<link rel=\"icon\" href=\"data:,\">"),
        "favicon"
    );
}

#[test]
fn every_finding_id_is_in_the_page() {
    let r = fixture(&plain);
    let page = html::render_string(&r);
    for t in &r.targets {
        for f in &t.findings {
            assert!(
                page.contains(&format!("data-id=\"{}\"", html::escape::escape(f.id()))),
                "{} missing",
                f.id()
            );
        }
    }
    // The two copies of Flask are one row listing both paths.
    assert_eq!(page.matches("data-id=\"CVE-2023-30861\"").count(), 1);
    assert!(page.contains("srv/a/.venv/") && page.contains("srv/b/.venv/"));
}

const PAYLOAD: &str =
    "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'><svg onload=alert(4)>\u{202E}";

/// The tags the renderer writes; any other tag in the output came from data.
const TAGS: &[&str] = &[
    "html",
    "head",
    "meta",
    "link",
    "title",
    "style",
    "body",
    "script",
    "a",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "nav",
    "ul",
    "li",
    "main",
    "section",
    "div",
    "figure",
    "figcaption",
    "svg",
    "g",
    "rect",
    "text",
    "desc",
    "dl",
    "dt",
    "dd",
    "code",
    "time",
    "span",
    "strong",
    "em",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "details",
    "summary",
    "form",
    "fieldset",
    "legend",
    "label",
    "input",
    "select",
    "option",
    "button",
    "noscript",
];
const ATTRS: &[&str] = &[
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "rel",
    "href",
    "class",
    "id",
    "aria-label",
    "aria-labelledby",
    "aria-live",
    "role",
    "hidden",
    "xmlns",
    "viewBox",
    "x",
    "y",
    "width",
    "height",
    "rx",
    "data-name",
    "data-rank",
    "data-count",
    "data-sev",
    "data-kind",
    "data-fix",
    "data-id",
    "data-label",
    "colspan",
    "scope",
    "type",
    "value",
    "checked",
    "placeholder",
];

/// Walk every tag of `page` (values are always double-quoted and escaped, so a quote ends a
/// value), failing on an unknown tag or attribute: data that escaped would show up as one.
fn check_markup(page: &str) {
    let b = page.as_bytes();
    assert!(page.starts_with("<!DOCTYPE html>\n"));
    let mut i = "<!DOCTYPE html>".len();
    let mut in_raw: Option<&str> = None;
    while let Some(off) = page[i..].find('<') {
        let start = i + off;
        if let Some(end) = in_raw {
            // Inside <style> or <script>: our own literal text, until its end tag.
            let close = page[start..].find(end).expect("raw text closes") + start;
            i = close + end.len();
            in_raw = None;
            continue;
        }
        let mut j = start + 1;
        if b.get(j) == Some(&b'/') {
            j += 1;
        }
        let name_end = page[j..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(page.len(), |k| k + j);
        let name = &page[j..name_end];
        assert!(
            TAGS.contains(&name),
            "unexpected tag {name:?} at {start}: {}",
            &page[start..(start + 80).min(page.len())]
        );
        // Attributes until '>'.
        let mut k = name_end;
        loop {
            while b[k].is_ascii_whitespace() {
                k += 1;
            }
            if b[k] == b'>' {
                k += 1;
                break;
            }
            if b[k] == b'/' {
                k += 1;
                continue;
            }
            let a_end = page[k..]
                .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                .unwrap()
                + k;
            let attr = &page[k..a_end];
            assert!(
                ATTRS.contains(&attr),
                "unexpected attribute {attr:?} in <{name}> at {k}: {}",
                &page[start..(k + 60).min(page.len())]
            );
            k = a_end;
            if b[k] == b'=' {
                assert_eq!(b[k + 1], b'"', "unquoted value of {attr}");
                let close = page[k + 2..].find('"').unwrap() + k + 2;
                let value = &page[k + 2..close];
                assert!(!value.contains('<') && !value.contains('>'), "{value}");
                if attr == "href" {
                    assert!(
                        value.starts_with("https://")
                            || value.starts_with('#')
                            || value == "data:,",
                        "href {value}"
                    );
                }
                k = close + 1;
            }
        }
        if !page[start..].starts_with("</") && (name == "style" || name == "script") {
            in_raw = Some(if name == "style" {
                "</style>"
            } else {
                "</script>"
            });
        }
        i = k;
    }
}

#[test]
fn hostile_text_in_every_field_is_escaped() {
    let hostile = |x: &str| format!("{x}{PAYLOAD}");
    let r = fixture(&hostile);
    let page = html::render_string(&r);
    check_markup(&page);
    // The only script is ours, the payload is shown as text (escaped) where fields are shown.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(!page.contains("<img") && !page.contains("<svg onload"));
    assert!(page.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
    ));
    // The bidi override cannot reorder the text.
    assert!(!page.contains('\u{202E}') && page.contains("[U+202E]"));
    // A javascript: reference is never a link.
    assert!(!page.to_ascii_lowercase().contains("href=\"javascript"));
    // Every field did reach the page (escaped): each planted field shows up as text. The
    // escaped payload appears once per field rendered; there are dozens.
    let n = page.matches("&lt;svg onload=alert(4)&gt;").count();
    assert!(n > 60, "only {n} fields rendered");
    for id in [
        "CVE-2024-0001",
        "run-as-root",
        "github-pat",
        "drift-executable",
        "no-seccomp",
        "RUSTSEC-2020-0001",
    ] {
        let want = format!("data-id=\"{}\"", html::escape::escape(&hostile(id)));
        assert!(page.contains(&want), "{id}");
    }
    // The plain report passes the same markup walk.
    check_markup(&html::render_string(&fixture(&plain)));
}
