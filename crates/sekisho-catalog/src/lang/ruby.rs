//! Ruby gems: installed gem specifications and `Gemfile.lock`.
//!
//! - RubyGems writes a Ruby stub spec per installed gem to `specifications/NAME-VERSION.gemspec`
//!   (`Gem::Specification.new do |s| s.name = "rake".freeze; s.version = "13.0.3" …`). It is
//!   Ruby code; we read the assignments RubyGems generates (`name`, `version`, `license(s)`) and
//!   never evaluate anything.
//! - `Gemfile.lock` (Bundler): sections `GEM`, `GIT`, `PATH`, each with a `specs:` list of
//!   `NAME (VERSION[-PLATFORM])` at four spaces of indent (dependencies of a spec are indented
//!   further). `PATH` gems are local sources of the project and are not reported.

use super::{Format, LangError, Parsed, SimpleCataloger, file_name, package, parent};
use crate::cataloger::Cataloger;
use crate::model::PackageKind;

static FORMATS: &[Format] = &[
    Format {
        capture: "ruby-gemspec",
        wants: |p| p.ends_with(".gemspec") && file_name(parent(p)) == "specifications",
        parse: parse_gemspec,
    },
    Format {
        capture: "ruby-gemfile-lock",
        wants: |p| {
            let n = file_name(p);
            n == "Gemfile.lock" || n == "gems.locked"
        },
        parse: parse_gemfile_lock,
    },
];

/// The Ruby cataloger.
pub fn cataloger() -> Box<dyn Cataloger> {
    Box::new(SimpleCataloger {
        name: "ruby",
        formats: FORMATS,
    })
}

/// Quoted string literals (`"x"`, `'x'`, `%q<x>`) in a Ruby expression, in order.
fn ruby_strings(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (open, close) = match b[i] {
            b'"' => (b'"', b'"'),
            b'\'' => (b'\'', b'\''),
            b'%' if b.get(i + 1) == Some(&b'q') || b.get(i + 1) == Some(&b'Q') => {
                let o = b.get(i + 2).copied().unwrap_or(0);
                let c = match o {
                    b'<' => b'>',
                    b'(' => b')',
                    b'[' => b']',
                    b'{' => b'}',
                    _ => o,
                };
                i += 2;
                (o, c)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let _ = open;
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j] != close {
            if b[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        if j >= b.len() {
            break;
        }
        out.push(expr[start..j].to_string());
        i = j + 1;
    }
    out
}

/// An installed gem's stub specification.
pub fn parse_gemspec(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "gemspec";
    let text = super::text(path, F, data)?;
    let var = text
        .lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("Gem::Specification.new")?;
            let a = rest.find('|')?;
            let b = rest[a + 1..].find('|')?;
            Some(rest[a + 1..a + 1 + b].trim().to_string())
        })
        .ok_or_else(|| LangError::invalid(path, F, "no Gem::Specification.new block"))?;
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        let Some(rest) = l.strip_prefix(&var).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((attr, expr)) = rest.split_once('=') else {
            continue;
        };
        let strings = ruby_strings(expr);
        match attr.trim() {
            "name" => name = strings.into_iter().next(),
            "version" => version = strings.into_iter().next(),
            "license" | "licenses" => licenses.extend(strings),
            _ => {}
        }
    }
    let (Some(name), Some(version)) = (name, version) else {
        return Err(LangError::invalid(
            path,
            F,
            format!("no {var}.name / {var}.version assignment"),
        ));
    };
    let mut p = package(PackageKind::Gem, &name, &version);
    p.licenses = licenses;
    p.files = vec![path.to_string()];
    Ok(Parsed {
        packages: vec![p],
        notes: Vec::new(),
    })
}

/// `Gemfile.lock`.
pub fn parse_gemfile_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "Gemfile.lock";
    let text = super::text(path, F, data)?;
    let mut out = Parsed::default();
    let mut section = "";
    let mut in_specs = false;
    let mut saw_section = false;
    let mut bad = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            saw_section |= matches!(
                section,
                "GEM"
                    | "GIT"
                    | "PATH"
                    | "PLUGIN SOURCE"
                    | "PLATFORMS"
                    | "DEPENDENCIES"
                    | "BUNDLED WITH"
            );
            in_specs = false;
            continue;
        }
        if line == "  specs:" {
            in_specs = true;
            continue;
        }
        if !line.starts_with("    ") {
            in_specs = false;
            continue;
        }
        if !in_specs || line.starts_with("     ") {
            continue; // a dependency of the spec above
        }
        if !matches!(section, "GEM" | "GIT" | "PLUGIN SOURCE") {
            continue; // PATH: the project's own gems
        }
        let l = line.trim();
        let Some((name, rest)) = l.split_once(" (") else {
            bad.push(l.to_string());
            continue;
        };
        let Some(ver) = rest.strip_suffix(')') else {
            bad.push(l.to_string());
            continue;
        };
        // Platform-specific gems: `nokogiri (1.13.6-x86_64-linux)`.
        let ver = match ver.find('-') {
            Some(i) if ver[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic()) => &ver[..i],
            _ => ver,
        };
        if seen.insert((name.to_string(), ver.to_string())) {
            out.packages.push(package(PackageKind::Gem, name, ver));
        }
    }
    if !saw_section {
        return Err(LangError::invalid(path, F, "no GEM/GIT/PATH section"));
    }
    if !bad.is_empty() {
        out.notes.push(format!(
            "{} spec line(s) not of the form `name (version)`: {}",
            bad.len(),
            bad.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(out)
}
