//! The rule table as markdown: the generated part of `docs/secrets.md` (a test keeps the page
//! current; `SEKISHO_UPDATE_DOCS=1 cargo test -p sekisho-secret --test docs` rewrites it).

use std::fmt::Write;

use crate::rules::{Check, DETECTORS};

/// Marks the start of the generated table in `docs/secrets.md`.
pub const BEGIN: &str = "<!-- BEGIN generated from crates/sekisho-secret/src/rules.rs -->";
/// Marks its end.
pub const END: &str = "<!-- END generated -->";

fn check_text(c: Check) -> &'static str {
    match c {
        Check::None => "",
        Check::GithubCrc => "CRC32 tail",
        Check::NpmCrc => "CRC32 tail",
        Check::Macaroon => "macaroon structure",
        Check::Bech32 => "bech32 checksum",
        Check::Jwt => "JSON header and payload",
        Check::DockerAuth => "base64 `user:password`",
        Check::OpensshPlain | Check::OpensshEncrypted => "openssh-key-v1 header",
        Check::PemBase64 => "decodes to a PEM private key",
        Check::Pkcs12 => "PKCS#12 structure with a key bag",
    }
}

/// One section per rule group (the secret family), one row per rule.
pub fn markdown_table() -> String {
    let mut groups: Vec<&str> = Vec::new();
    for d in DETECTORS {
        if !groups.contains(&d.rule.group) {
            groups.push(d.rule.group);
        }
    }
    let esc = |x: &str| x.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let _ = writeln!(s, "{} rules.\n", DETECTORS.len());
    for g in groups {
        let _ = writeln!(s, "### {g}\n");
        s.push_str("| ID | Severity | Title | Offline check | Fix |\n|---|---|---|---|---|\n");
        for d in DETECTORS.iter().filter(|d| d.rule.group == g) {
            let r = &d.rule;
            let check = match (check_text(d.check), d.generic) {
                ("", true) => "entropy and shape".to_string(),
                ("", false) => String::new(),
                (c, _) => c.to_string(),
            };
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} |",
                r.id,
                r.severity.as_str(),
                esc(r.title),
                check,
                esc(r.fix)
            );
        }
        s.push('\n');
    }
    s
}
