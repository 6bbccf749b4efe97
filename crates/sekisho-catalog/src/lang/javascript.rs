//! JavaScript packages: installed `node_modules` packages and npm/yarn/pnpm lockfiles.
//!
//! - Installed: every `package.json` in npm's layout — `node_modules/NAME/package.json` or
//!   `node_modules/@SCOPE/NAME/package.json`, nested only through further `node_modules`
//!   directories (and pnpm's `node_modules/.pnpm/KEY/node_modules/...` store). A `package.json`
//!   anywhere else inside a package (test fixtures, examples) is not an installed package and is
//!   ignored. Debian's `usr/share/nodejs/NAME/package.json` and `usr/lib/nodejs/...` are read too
//!   (their files belong to dpkg packages, so the driver reports them once).
//! - `package-lock.json` / `npm-shrinkwrap.json`: lockfileVersion 1 (nested `dependencies`) and
//!   2/3 (`packages` keyed by install path), per
//!   <https://docs.npmjs.com/cli/configuring-npm/package-lock-json>.
//! - `yarn.lock`: v1 (yarn's own indented format) and berry (v2+, YAML with `__metadata`).
//! - `pnpm-lock.yaml`: lockfile versions 5.x (`/name/1.0.0_peer`), 6 (`/name@1.0.0(peer)`) and 9
//!   (`name@1.0.0(peer)`, plus `snapshots`).
//!
//! Lockfiles inside `node_modules` are not read: npm ignores them and the installed packages are
//! already reported from their `package.json`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::{Format, LangError, Parsed, SimpleCataloger, file_name, json_licenses, package};
use crate::cataloger::Cataloger;
use crate::model::PackageKind;

/// Whether `path` is a `package.json` of an installed package (see the module docs).
pub fn is_installed_package_json(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').collect();
    if segs.last() != Some(&"package.json") || segs.len() < 3 {
        return false;
    }
    let dirs = &segs[..segs.len() - 1];
    // Debian's nodejs layout.
    for base in [["usr", "share", "nodejs"], ["usr", "lib", "nodejs"]] {
        if dirs.len() >= 4 && dirs[..3] == base {
            let rest = &dirs[3..];
            if rest.len() == 1 && !rest[0].starts_with(['.', '@'])
                || rest.len() == 2 && rest[0].starts_with('@')
            {
                return true;
            }
        }
    }
    let Some(first) = dirs.iter().position(|d| *d == "node_modules") else {
        return false;
    };
    let mut i = first;
    while i < dirs.len() {
        if dirs[i] != "node_modules" {
            return false;
        }
        i += 1;
        let Some(seg) = dirs.get(i) else {
            return false; // node_modules/package.json
        };
        if *seg == ".pnpm" {
            // node_modules/.pnpm/<key>/node_modules/<name>
            i += 2;
            continue;
        }
        if seg.starts_with('.') {
            return false; // .bin, .cache, .yarn-state …
        }
        if seg.starts_with('@') {
            i += 1;
            if i >= dirs.len() {
                return false;
            }
        }
        i += 1;
    }
    i == dirs.len()
}

fn in_node_modules(path: &str) -> bool {
    path.split('/').any(|s| s == "node_modules")
}

fn wants_package_lock(path: &str) -> bool {
    matches!(file_name(path), "package-lock.json" | "npm-shrinkwrap.json") && !in_node_modules(path)
}
fn wants_yarn_lock(path: &str) -> bool {
    file_name(path) == "yarn.lock" && !in_node_modules(path)
}
fn wants_pnpm_lock(path: &str) -> bool {
    file_name(path) == "pnpm-lock.yaml" && !in_node_modules(path)
}

static FORMATS: &[Format] = &[
    Format {
        capture: "javascript-package-json",
        wants: is_installed_package_json,
        parse: parse_package_json,
    },
    Format {
        capture: "javascript-package-lock",
        wants: wants_package_lock,
        parse: parse_package_lock,
    },
    Format {
        capture: "javascript-yarn-lock",
        wants: wants_yarn_lock,
        parse: parse_yarn_lock,
    },
    Format {
        capture: "javascript-pnpm-lock",
        wants: wants_pnpm_lock,
        parse: parse_pnpm_lock,
    },
];

/// JavaScript: installed packages and lockfiles.
pub struct JavaScriptCataloger;

impl Cataloger for JavaScriptCataloger {
    fn name(&self) -> &'static str {
        "javascript"
    }
    fn captures(&self) -> Vec<Box<dyn sekisho_artifact::Capture>> {
        SimpleCataloger {
            name: "javascript",
            formats: FORMATS,
        }
        .captures()
    }
    fn catalog(
        &self,
        inv: &sekisho_artifact::Inventory,
        ctx: &crate::cataloger::Context,
        out: &mut crate::model::Catalog,
    ) {
        SimpleCataloger {
            name: "javascript",
            formats: FORMATS,
        }
        .catalog(inv, ctx, out);
    }
}

fn npm(name: &str, version: &str) -> crate::model::Package {
    package(PackageKind::Npm, name, version)
}

/// An installed package's `package.json`: name, version and declared license(s). The package
/// owns the file itself (so a dpkg-owned copy is reported once).
pub fn parse_package_json(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "package.json";
    let v: Value = super::json(path, F, data)?;
    let Value::Object(m) = &v else {
        return Err(LangError::invalid(path, F, "not a JSON object"));
    };
    let name = m.get("name").and_then(Value::as_str).unwrap_or("").trim();
    let version = m
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if name.is_empty() || version.is_empty() {
        return Err(LangError::invalid(
            path,
            F,
            "installed package without a name and version",
        ));
    }
    let mut p = npm(name, version);
    p.licenses = json_licenses(m.get("license"));
    if p.licenses.is_empty() {
        p.licenses = json_licenses(m.get("licenses"));
    }
    p.files = vec![path.to_string()];
    Ok(Parsed {
        packages: vec![p],
        notes: Vec::new(),
    })
}

/// The package name at an npm v2/v3 `packages` key: the part after the last `node_modules/`.
fn name_from_install_path(key: &str) -> Option<&str> {
    let i = key.rfind("node_modules/")?;
    let n = &key[i + "node_modules/".len()..];
    (!n.is_empty()).then_some(n)
}

/// `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3.
pub fn parse_package_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "package-lock.json";
    let v: Value = super::json(path, F, data)?;
    let Value::Object(m) = &v else {
        return Err(LangError::invalid(path, F, "not a JSON object"));
    };
    let version = m.get("lockfileVersion").and_then(Value::as_i64);
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    let mut push = |out: &mut Parsed, name: &str, version: &str, lic: Option<&Value>| {
        if seen.insert((name.to_string(), version.to_string())) {
            let mut p = npm(name, version);
            p.licenses = json_licenses(lic);
            out.packages.push(p);
        }
    };
    match version {
        Some(2 | 3) => {
            let Some(Value::Object(pkgs)) = m.get("packages") else {
                if m.get("packages").is_none() && version == Some(2) {
                    return parse_v1(path, m, &mut out).map(|()| out);
                }
                return Err(LangError::invalid(path, F, "no packages object"));
            };
            let mut odd = Vec::new();
            for (key, e) in pkgs {
                if key.is_empty() {
                    continue; // the project itself
                }
                let Value::Object(e) = e else {
                    odd.push(key.clone());
                    continue;
                };
                if e.get("link").and_then(Value::as_bool) == Some(true) {
                    continue; // a symlink to a workspace package, listed under its own key
                }
                let name = e
                    .get("name")
                    .and_then(Value::as_str)
                    .or_else(|| name_from_install_path(key));
                let ver = e.get("version").and_then(Value::as_str);
                match (name, ver) {
                    (Some(n), Some(v)) if !v.is_empty() => {
                        if name_from_install_path(key).is_none() {
                            continue; // a workspace member's own entry (e.g. `packages/a`)
                        }
                        push(&mut out, n, v, e.get("license"));
                    }
                    _ => odd.push(key.clone()),
                }
            }
            if !odd.is_empty() {
                let mut odd_names = odd.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
                if odd.len() > 10 {
                    odd_names.push_str(", …");
                }
                out.notes.push(format!(
                    "{} entr(ies) without a name/version, not reported: {odd_names}",
                    odd.len()
                ));
            }
        }
        Some(1) => parse_v1(path, m, &mut out)?,
        None if m.contains_key("dependencies") => parse_v1(path, m, &mut out)?,
        Some(n) => {
            return Err(LangError::unsupported(
                path,
                F,
                format!("lockfileVersion {n}"),
            ));
        }
        None => return Err(LangError::invalid(path, F, "no lockfileVersion")),
    }
    Ok(out)
}

fn parse_v1(
    path: &str,
    m: &serde_json::Map<String, Value>,
    out: &mut Parsed,
) -> Result<(), LangError> {
    const F: &str = "package-lock.json";
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(&serde_json::Map<String, Value>, usize)> = Vec::new();
    match m.get("dependencies") {
        Some(Value::Object(d)) => stack.push((d, 0)),
        None => return Ok(()),
        Some(_) => return Err(LangError::invalid(path, F, "dependencies is not an object")),
    }
    let mut skipped = Vec::new();
    while let Some((deps, depth)) = stack.pop() {
        if depth > 256 {
            return Err(LangError::invalid(
                path,
                F,
                "dependencies nested too deeply",
            ));
        }
        for (name, e) in deps {
            let Value::Object(e) = e else { continue };
            if let Some(Value::Object(sub)) = e.get("dependencies") {
                stack.push((sub, depth + 1));
            }
            let Some(ver) = e.get("version").and_then(Value::as_str) else {
                skipped.push(name.clone());
                continue;
            };
            // Aliases: `"version": "npm:real-name@1.2.3"`.
            let (n, v) = match ver.strip_prefix("npm:") {
                Some(a) => match a.rfind('@') {
                    Some(i) if i > 0 => (&a[..i], &a[i + 1..]),
                    _ => (name.as_str(), ver),
                },
                None => (name.as_str(), ver),
            };
            if v.starts_with("file:") || v.starts_with("link:") {
                continue; // a local directory, not a registry package
            }
            if seen.insert((n.to_string(), v.to_string())) {
                out.packages.push(npm(n, v));
            }
        }
    }
    if !skipped.is_empty() {
        out.notes.push(format!(
            "{} dependenc(ies) without a version, not reported: {}",
            skipped.len(),
            skipped
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// Split `name@range` (the name may start with `@`).
fn split_spec(spec: &str) -> (&str, &str) {
    match spec[1.min(spec.len())..].find('@') {
        Some(i) => (&spec[..i + 1], &spec[i + 2..]),
        None => (spec, ""),
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

const LOCAL_PROTOCOLS: &[&str] = &["file:", "link:", "portal:", "workspace:", "exec:"];

/// `yarn.lock`: v1 (yarn's own format) or berry (YAML with `__metadata`).
pub fn parse_yarn_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "yarn.lock";
    let text = super::text(path, F, data)?;
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        return parse_yarn_berry(path, &text);
    }
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    let mut current: Option<String> = None; // first spec of the block
    let mut found_version = false;
    let mut no_version: Vec<String> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    let finish = |cur: &Option<String>, found: bool, no_version: &mut Vec<String>| {
        if let (Some(c), false) = (cur, found) {
            no_version.push(c.clone());
        }
    };
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        // A block header starts in column 0 (tolerate indentation before the first block).
        if !line.starts_with(' ') || (current.is_none() && line.trim_end().ends_with(':')) {
            let line = line.trim_start();
            finish(&current, found_version, &mut no_version);
            found_version = false;
            let Some(head) = line.strip_suffix(':') else {
                return Err(LangError::invalid(
                    path,
                    F,
                    format!("line {}: expected `spec:` block header", lineno + 1),
                ));
            };
            let first = unquote(head.split(", ").next().unwrap_or(head));
            current = Some(first.to_string());
            continue;
        }
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("version ") {
            let Some(spec) = current.as_deref() else {
                return Err(LangError::invalid(
                    path,
                    F,
                    format!("line {}: version outside a block", lineno + 1),
                ));
            };
            found_version = true;
            let version = unquote(rest);
            let (mut name, range) = split_spec(spec);
            // Aliases: `alias@npm:real@^1`.
            if let Some(real) = range.strip_prefix("npm:") {
                let (n, _) = split_spec(real);
                if !n.is_empty()
                    && n.contains(|c: char| c.is_ascii_alphanumeric())
                    && real.contains('@')
                {
                    name = n;
                }
            }
            if LOCAL_PROTOCOLS.iter().any(|p| range.starts_with(p)) {
                continue;
            }
            if name.is_empty() || version.is_empty() {
                bad.push(spec.to_string());
                continue;
            }
            if seen.insert((name.to_string(), version.to_string())) {
                out.packages.push(npm(name, version));
            }
        }
    }
    finish(&current, found_version, &mut no_version);
    if !no_version.is_empty() || !bad.is_empty() {
        no_version.extend(bad);
        out.notes.push(format!(
            "{} entr(ies) without a usable name/version, not reported: {}",
            no_version.len(),
            no_version
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(out)
}

fn parse_yarn_berry(path: &str, text: &str) -> Result<Parsed, LangError> {
    const F: &str = "yarn.lock (berry)";
    let doc: BTreeMap<String, Value> =
        serde_saphyr::from_str(text).map_err(|e| LangError::invalid(path, F, e))?;
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    let mut odd = Vec::new();
    for (key, e) in &doc {
        if key == "__metadata" {
            if let Some(v) = e.get("version") {
                let n = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
                if n.is_none_or(|n| !(2..=10).contains(&n)) {
                    return Err(LangError::unsupported(
                        path,
                        F,
                        format!("__metadata.version {v}"),
                    ));
                }
            }
            continue;
        }
        let resolution = e.get("resolution").and_then(Value::as_str).unwrap_or("");
        let version = match e.get("version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let spec = if resolution.is_empty() {
            key.split(", ").next().unwrap_or(key)
        } else {
            resolution
        };
        let (name, range) = split_spec(spec);
        if LOCAL_PROTOCOLS.iter().any(|p| range.starts_with(p)) || version == "0.0.0-use.local" {
            continue;
        }
        if name.is_empty() || version.is_empty() {
            odd.push(key.clone());
            continue;
        }
        if seen.insert((name.to_string(), version.clone())) {
            out.packages.push(npm(name, &version));
        }
    }
    if !odd.is_empty() {
        out.notes.push(format!(
            "{} entr(ies) without a usable name/version, not reported: {}",
            odd.len(),
            odd.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct PnpmDoc {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<Value>,
    #[serde(default)]
    packages: Option<BTreeMap<String, Option<PnpmEntry>>>,
}

#[derive(Deserialize, Default)]
struct PnpmEntry {
    name: Option<String>,
    version: Option<Value>,
}

fn looks_like_version(v: &str) -> bool {
    v.bytes().next().is_some_and(|c| c.is_ascii_digit())
}

/// Name and version from a pnpm `packages` key.
fn pnpm_key(key: &str, major: u32) -> Option<(String, String)> {
    let key = key.trim_start_matches('/');
    if major >= 6 {
        // name@version(peer)(peer) or name@version_peer (transitional)
        let base = key.split('(').next().unwrap_or(key);
        let (name, version) = split_spec(base);
        if !name.is_empty() && looks_like_version(version) {
            return Some((name.to_string(), version.to_string()));
        }
        return None;
    }
    // 5.x: [host/]name/version[_peers], name may be @scope/name
    let segs: Vec<&str> = key.split('/').collect();
    if segs.len() < 2 {
        return None;
    }
    let ver = segs[segs.len() - 1];
    let ver = ver.split('_').next().unwrap_or(ver);
    if !looks_like_version(ver) {
        return None;
    }
    let n = segs[segs.len() - 2];
    let name = if segs.len() >= 3 && segs[segs.len() - 3].starts_with('@') {
        format!("{}/{n}", segs[segs.len() - 3])
    } else {
        n.to_string()
    };
    Some((name, ver.to_string()))
}

/// `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x (several YAML documents are merged).
pub fn parse_pnpm_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "pnpm-lock.yaml";
    let text = super::text(path, F, data)?;
    let mut docs: Vec<String> = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else {
            let d = docs.last_mut().expect("one document");
            d.push_str(line);
            d.push('\n');
        }
    }
    let mut out = Parsed::default();
    let mut seen = BTreeSet::new();
    let mut odd = Vec::new();
    let mut any = false;
    for doc in docs.iter().filter(|d| !d.trim().is_empty()) {
        any = true;
        let d: PnpmDoc = serde_saphyr::from_str(doc).map_err(|e| LangError::invalid(path, F, e))?;
        let ver_str = match &d.lockfile_version {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(LangError::invalid(path, F, "no lockfileVersion")),
        };
        let major: u32 = ver_str
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| LangError::invalid(path, F, format!("lockfileVersion {ver_str}")))?;
        if !(5..=9).contains(&major) {
            return Err(LangError::unsupported(
                path,
                F,
                format!("lockfileVersion {ver_str}"),
            ));
        }
        for (key, e) in d.packages.unwrap_or_default() {
            let e = e.unwrap_or_default();
            // Tarball and git entries carry `version` (and sometimes `name`) fields; the name
            // otherwise comes from the key (`debug@https://…/tarball/4.3.5`).
            let field_version = match &e.version {
                Some(Value::String(v)) => Some(v.clone()),
                Some(Value::Number(v)) => Some(v.to_string()),
                _ => None,
            };
            let key_name = split_spec(key.trim_start_matches('/')).0.to_string();
            let from_fields = match (&e.name, field_version) {
                (Some(n), Some(v)) => Some((n.clone(), v)),
                (None, Some(v)) if !key_name.is_empty() && key.contains('@') => Some((key_name, v)),
                _ => None,
            };
            if from_fields.is_none() {
                let (_, spec) = split_spec(key.trim_start_matches('/'));
                if LOCAL_PROTOCOLS.iter().any(|p| spec.starts_with(p)) && !spec.ends_with(".tgz") {
                    continue; // a local directory of the project, not a package
                }
            }
            let Some((name, version)) = from_fields.or_else(|| pnpm_key(&key, major)) else {
                odd.push(key);
                continue;
            };
            if seen.insert((name.clone(), version.clone())) {
                out.packages.push(npm(&name, &version));
            }
        }
    }
    if !any {
        return Err(LangError::invalid(path, F, "empty file"));
    }
    if !odd.is_empty() {
        out.notes.push(format!(
            "{} package key(s) without a registry name/version (git, tarball or local), not reported: {}",
            odd.len(),
            odd.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_layout() {
        for ok in [
            "node_modules/a/package.json",
            "app/node_modules/@s/a/package.json",
            "node_modules/a/node_modules/b/package.json",
            "node_modules/.pnpm/a@1.0.0/node_modules/a/package.json",
            "usr/share/nodejs/a/package.json",
            "usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json",
        ] {
            assert!(is_installed_package_json(ok), "{ok}");
        }
        for no in [
            "package.json",
            "node_modules/package.json",
            "node_modules/a/test/fixtures/package.json",
            "node_modules/a/test/node_modules/b/package.json",
            "node_modules/.bin/package.json",
            "node_modules/@s/package.json",
        ] {
            assert!(!is_installed_package_json(no), "{no}");
        }
    }

    #[test]
    fn pnpm_keys() {
        assert_eq!(
            pnpm_key("/@foo/bar/1.0.0_baz@2.0.0", 5),
            Some(("@foo/bar".into(), "1.0.0".into()))
        );
        assert_eq!(
            pnpm_key("/foo@1.0.0(bar@2.0.0)", 6),
            Some(("foo".into(), "1.0.0".into()))
        );
        assert_eq!(
            pnpm_key("@a/b@1.0.0(c@1)", 9),
            Some(("@a/b".into(), "1.0.0".into()))
        );
        assert_eq!(pnpm_key("github.com/kevva/is-positive", 5), None);
    }

    #[test]
    fn yarn_v1_alias_and_local() {
        let y = b"# yarn lockfile v1\n\n\"a@^1\", a@^1.1:\n  version \"1.2.0\"\n\nb@npm:@s/c@^2:\n  version \"2.0.0\"\n\nd@file:../d:\n  version \"0.0.1\"\n";
        let p = parse_yarn_lock("yarn.lock", y).unwrap();
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, vec![("a", "1.2.0"), ("@s/c", "2.0.0")]);
    }
}
