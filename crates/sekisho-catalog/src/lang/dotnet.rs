//! .NET packages (NuGet): `*.deps.json` written next to built applications and
//! `packages.lock.json` in projects.
//!
//! - `*.deps.json` (<https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md>):
//!   `libraries` maps `Name/Version` to `{ "type": "package" | "project" | "reference" | … }`;
//!   only `package` entries come from NuGet.
//! - `packages.lock.json` (NuGet lock file, `version` 1 or 2): `dependencies` maps each target
//!   framework to `Name → { "type": "Direct" | "Transitive" | "CentralTransitive" | "Project",
//!   "resolved": "1.2.3" }`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Format, LangError, Parsed, SimpleCataloger, file_name, package};
use crate::cataloger::Cataloger;
use crate::model::PackageKind;

static FORMATS: &[Format] = &[
    Format {
        capture: "dotnet-deps-json",
        wants: |p| file_name(p).ends_with(".deps.json"),
        parse: parse_deps_json,
    },
    Format {
        capture: "dotnet-packages-lock",
        wants: |p| file_name(p) == "packages.lock.json",
        parse: parse_packages_lock,
    },
];

/// The .NET cataloger.
pub fn cataloger() -> Box<dyn Cataloger> {
    Box::new(SimpleCataloger {
        name: "dotnet",
        formats: FORMATS,
    })
}

/// `*.deps.json`.
pub fn parse_deps_json(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = ".deps.json";
    let v: Value = super::json(path, F, data)?;
    let Some(libs) = v.get("libraries").and_then(Value::as_object) else {
        return Err(LangError::invalid(path, F, "no libraries object"));
    };
    let mut out = Parsed::default();
    let mut bad = Vec::new();
    for (key, e) in libs {
        if e.get("type").and_then(Value::as_str) != Some("package") {
            continue; // the application's own projects and framework references
        }
        match key.split_once('/') {
            Some((n, ver)) if !n.is_empty() && !ver.is_empty() => {
                out.packages.push(package(PackageKind::Nuget, n, ver));
            }
            _ => bad.push(key.clone()),
        }
    }
    if !bad.is_empty() {
        out.notes.push(format!(
            "{} librar(ies) not named Name/Version, not reported: {}",
            bad.len(),
            bad.join(", ")
        ));
    }
    Ok(out)
}

/// `packages.lock.json`.
pub fn parse_packages_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "packages.lock.json";
    let v: Value = super::json(path, F, data)?;
    match v.get("version").and_then(Value::as_i64) {
        Some(1 | 2) => {}
        Some(n) => return Err(LangError::unsupported(path, F, format!("version {n}"))),
        None => return Err(LangError::invalid(path, F, "no version")),
    }
    let Some(targets) = v.get("dependencies").and_then(Value::as_object) else {
        return Err(LangError::invalid(path, F, "no dependencies object"));
    };
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    let mut unresolved = Vec::new();
    for deps in targets.values() {
        let Some(deps) = deps.as_object() else {
            continue;
        };
        for (name, e) in deps {
            if e.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            match e.get("resolved").and_then(Value::as_str) {
                Some(ver) if !ver.is_empty() => {
                    if seen.insert((name.clone(), ver.to_string())) {
                        out.packages.push(package(PackageKind::Nuget, name, ver));
                    }
                }
                _ => unresolved.push(name.clone()),
            }
        }
    }
    if !unresolved.is_empty() {
        out.notes.push(format!(
            "{} dependenc(ies) without a resolved version, not reported: {}",
            unresolved.len(),
            unresolved.join(", ")
        ));
    }
    Ok(out)
}
