//! PHP packages (Composer): `composer.lock` in projects and `vendor/composer/installed.json`
//! in installed trees (Composer 1 writes an array, Composer 2 `{"packages": [...]}`). See
//! <https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control>.
//!
//! Versions are kept as Composer writes them (`v1.2.3` and `1.2.3` both occur; Packagist
//! advisories and matching handle the optional `v`).

use serde_json::Value;

use super::{
    Format, LangError, Parsed, SimpleCataloger, file_name, json_licenses, package, parent,
};
use crate::cataloger::Cataloger;
use crate::model::PackageKind;

static FORMATS: &[Format] = &[
    Format {
        capture: "php-composer-lock",
        wants: |p| file_name(p) == "composer.lock",
        parse: parse_composer_lock,
    },
    Format {
        capture: "php-installed-json",
        wants: |p| file_name(p) == "installed.json" && parent(p).ends_with("vendor/composer"),
        parse: parse_installed_json,
    },
];

/// The PHP cataloger.
pub fn cataloger() -> Box<dyn Cataloger> {
    Box::new(SimpleCataloger {
        name: "php",
        formats: FORMATS,
    })
}

fn from_list(
    path: &str,
    f: &'static str,
    list: &[Value],
    out: &mut Parsed,
) -> Result<(), LangError> {
    for (i, p) in list.iter().enumerate() {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let version = p.get("version").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || version.is_empty() {
            if !p.is_object() {
                return Err(LangError::invalid(
                    path,
                    f,
                    format!("package #{i} is not an object"),
                ));
            }
            out.notes.push(format!(
                "package #{i} ({name:?}) has no name or version; not reported"
            ));
            continue;
        }
        let mut pkg = package(PackageKind::Composer, name, version);
        pkg.licenses = json_licenses(p.get("license"));
        out.packages.push(pkg);
    }
    Ok(())
}

/// `composer.lock`: `packages` and `packages-dev`.
pub fn parse_composer_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "composer.lock";
    let v: Value = super::json(path, F, data)?;
    let Some(pkgs) = v.get("packages").and_then(Value::as_array) else {
        return Err(LangError::invalid(path, F, "no packages array"));
    };
    let mut out = Parsed::default();
    from_list(path, F, pkgs, &mut out)?;
    if let Some(dev) = v.get("packages-dev").and_then(Value::as_array) {
        from_list(path, F, dev, &mut out)?;
    }
    Ok(out)
}

/// `vendor/composer/installed.json` (Composer 1 array or Composer 2 object).
pub fn parse_installed_json(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "composer installed.json";
    let v: Value = super::json(path, F, data)?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(m) => match m.get("packages") {
            Some(Value::Array(a)) => a,
            _ => return Err(LangError::invalid(path, F, "no packages array")),
        },
        _ => {
            return Err(LangError::invalid(
                path,
                F,
                "neither an array nor an object",
            ));
        }
    };
    let mut out = Parsed::default();
    from_list(path, F, list, &mut out)?;
    Ok(out)
}
