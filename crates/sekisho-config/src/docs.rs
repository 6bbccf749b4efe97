//! Texts generated from the check table: `--list-checks` and `docs/config-checks.md` (a test
//! keeps the page current).

use std::fmt::Write;

use crate::FileType;
use crate::checks::{self, RULES};

fn heading(t: FileType) -> &'static str {
    match t {
        FileType::Dockerfile => "Dockerfile",
        FileType::Kubernetes => "Kubernetes",
        FileType::Compose => "Compose",
        FileType::OciRuntime => "OCI runtime config.json",
        FileType::ImageConfig => "Image config",
    }
}

/// `sekisho config --list-checks`: one line per check, grouped by file type.
pub fn list_text() -> String {
    let mut s = String::new();
    for t in FileType::ALL {
        let rules: Vec<_> = RULES.iter().filter(|r| checks::file_type(r) == t).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(s, "{} ({} checks)", heading(t), rules.len());
        for r in rules {
            let aliases = if r.aliases.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.aliases.join(", "))
            };
            let _ = writeln!(
                s,
                "  {:<32} {:<8} {}{aliases}",
                r.id,
                r.severity.as_str(),
                r.title
            );
        }
        s.push('\n');
    }
    s
}

/// The check table as markdown (the generated part of `docs/config-checks.md`).
pub fn markdown_table() -> String {
    let mut s = String::new();
    for t in FileType::ALL {
        let rules: Vec<_> = RULES.iter().filter(|r| checks::file_type(r) == t).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {}\n", heading(t));
        s.push_str("| ID | Aliases | Severity | Title | Why | Fix |\n|---|---|---|---|---|---|\n");
        for r in rules {
            let esc = |x: &str| x.replace('|', "\\|");
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} |",
                r.id,
                r.aliases.join(", "),
                r.severity.as_str(),
                esc(r.title),
                esc(r.why),
                esc(r.fix)
            );
        }
        s.push('\n');
    }
    s
}

/// The markers around the generated table in `docs/config-checks.md`.
pub const BEGIN: &str =
    "<!-- BEGIN GENERATED CHECK TABLE (sekisho_config::docs::markdown_table) -->";
pub const END: &str = "<!-- END GENERATED CHECK TABLE -->";
