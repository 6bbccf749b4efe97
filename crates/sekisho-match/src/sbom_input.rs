//! SBOMs as scan input (`sekisho scan-sbom FILE`): CycloneDX JSON (1.2–1.6) and SPDX 2.x JSON
//! documents become a [`Catalog`] that is matched like any scanned target.
//!
//! Packages are identified by their purl (CycloneDX `components[].purl`, SPDX
//! `packages[].externalRefs[]` of type `purl`). The purl type and its `distro` qualifier give the
//! ecosystem (`pkg:deb/debian/…?distro=debian-12` → `Debian:12`); the source package comes from
//! the purl's `upstream` qualifier (syft), or from component properties (`sekisho:source_name`,
//! `sekisho:source_version`, trivy's `aquasecurity:trivy:SrcName`/`SrcVersion`/`SrcRelease`/
//! `SrcEpoch`). Components without a purl are listed in notes, never dropped silently.

use serde_json::Value;

use sekisho_artifact::Note;
use sekisho_catalog::{Catalog, OsInfo, Package, PackageKind, SourcePackage};

use sekisho_catalog::purl::Purl;

/// Upper bound on an SBOM's size (bytes).
pub const MAX_SBOM_BYTES: usize = 512 << 20;
/// Upper bound on components/packages.
pub const MAX_COMPONENTS: usize = 2_000_000;

/// Errors reading an SBOM.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("SBOM {file}: not JSON: {source}")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("SBOM {file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// The OSV ecosystem (with release) for a distro id and version, as advisories name it.
pub fn distro_ecosystem(id: &str, version: &str) -> Option<String> {
    let id = id.to_ascii_lowercase();
    let v = version.trim();
    let major = v.split('.').next().unwrap_or(v);
    let major_minor = || {
        let mut it = v.split('.');
        match (it.next(), it.next()) {
            (Some(a), Some(b)) => format!("{a}.{b}"),
            _ => v.to_string(),
        }
    };
    if v.is_empty() {
        return None;
    }
    Some(match id.as_str() {
        "debian" => format!("Debian:{major}"),
        "ubuntu" => {
            let mm = major_minor();
            let lts = mm.ends_with(".04") && major.parse::<u32>().is_ok_and(|m| m % 2 == 0);
            if lts {
                format!("Ubuntu:{mm}:LTS")
            } else {
                format!("Ubuntu:{mm}")
            }
        }
        "alpine" => format!("Alpine:v{}", major_minor()),
        "almalinux" | "alma" => format!("AlmaLinux:{major}"),
        "rocky" | "rockylinux" => format!("Rocky Linux:{major}"),
        "rhel" | "redhat" => format!("Red Hat:{major}"),
        "centos" => format!("CentOS:{major}"),
        "fedora" => format!("Fedora:{major}"),
        "amzn" | "amazon" => format!("Amazon Linux:{major}"),
        "ol" | "oracle" => format!("Oracle Linux:{major}"),
        "opensuse-leap" | "opensuse" => format!("openSUSE:Leap {}", major_minor()),
        "sles" | "suse" => format!("SUSE:{major}"),
        "wolfi" => "Wolfi".to_string(),
        "chainguard" => "Chainguard".to_string(),
        "azurelinux" | "azure" => format!("Azure Linux:{}", major_minor()),
        "mariner" | "cbl-mariner" => format!("Mariner:{}", major_minor()),
        _ => return None,
    })
}

/// Split a purl `distro` qualifier (`debian-12`, `debian-12.5`, `alpine-3.19.1`, `ubuntu-22.04`,
/// `almalinux-9.3`) into (id, version).
fn split_distro(q: &str) -> Option<(&str, &str)> {
    let i = q.find(|c: char| c.is_ascii_digit())?;
    let id = q[..i].trim_end_matches(['-', '_']);
    (!id.is_empty()).then_some((id, &q[i..]))
}

/// Turn one purl (plus the SBOM's OS and per-component properties) into a package.
fn package_from_purl(
    p: &Purl,
    os: Option<&OsInfo>,
    props: &[(String, String)],
    location: &str,
) -> Option<Package> {
    let prop = |k: &str| {
        props
            .iter()
            .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let version = p.version.clone().unwrap_or_default();
    let ns = p.namespace.clone().unwrap_or_default();
    let os_eco = |ns: &str| -> Option<String> {
        if let Some((id, v)) = p.qualifiers.get("distro").and_then(|d| split_distro(d)) {
            return distro_ecosystem(id, v);
        }
        match os {
            Some(o) if o.id.eq_ignore_ascii_case(ns) || ns.is_empty() => o
                .osv_ecosystem
                .clone()
                .or_else(|| distro_ecosystem(&o.id, o.version_id.as_deref()?)),
            _ => None,
        }
    };
    let (kind, name, ecosystem, version) = match p.ty.as_str() {
        "deb" => (PackageKind::Deb, p.name.clone(), os_eco(&ns), version),
        "apk" => (PackageKind::Apk, p.name.clone(), os_eco(&ns), version),
        "rpm" => {
            let v = match p.qualifiers.get("epoch") {
                Some(e) if e != "0" && !version.contains(':') => format!("{e}:{version}"),
                _ => version,
            };
            (PackageKind::Rpm, p.name.clone(), os_eco(&ns), v)
        }
        "pypi" => (
            PackageKind::Python,
            p.name.clone(),
            Some("PyPI".into()),
            version,
        ),
        "npm" => {
            let n = if ns.is_empty() {
                p.name.clone()
            } else {
                format!("{ns}/{}", p.name)
            };
            (PackageKind::Npm, n, Some("npm".into()), version)
        }
        "cargo" => (
            PackageKind::Cargo,
            p.name.clone(),
            Some("crates.io".into()),
            version,
        ),
        "golang" => {
            let full = if ns.is_empty() {
                p.name.clone()
            } else {
                format!("{ns}/{}", p.name)
            };
            if full == "stdlib" || full == "golang.org/toolchain" {
                (
                    PackageKind::GoStdlib,
                    "stdlib".into(),
                    Some("Go".into()),
                    version,
                )
            } else {
                (PackageKind::Go, full, Some("Go".into()), version)
            }
        }
        "maven" => (
            PackageKind::Java,
            format!("{ns}:{}", p.name),
            Some("Maven".into()),
            version,
        ),
        "gem" => (
            PackageKind::Gem,
            p.name.clone(),
            Some("RubyGems".into()),
            version,
        ),
        "composer" => (
            PackageKind::Composer,
            format!("{ns}/{}", p.name),
            Some("Packagist".into()),
            version,
        ),
        "nuget" => (
            PackageKind::Nuget,
            p.name.clone(),
            Some("NuGet".into()),
            version,
        ),
        _ => return None,
    };
    // Source package: properties first (they carry the version), then purl `upstream`.
    let mut source = None;
    let src_name = prop("sekisho:source_name").or_else(|| prop("aquasecurity:trivy:SrcName"));
    if let Some(n) = src_name {
        let mut v =
            prop("sekisho:source_version").or_else(|| prop("aquasecurity:trivy:SrcVersion"));
        if let (Some(ver), Some(rel)) = (&v, prop("aquasecurity:trivy:SrcRelease")) {
            v = Some(format!("{ver}-{rel}"));
        }
        if let (Some(ver), Some(ep)) = (&v, prop("aquasecurity:trivy:SrcEpoch"))
            && ep != "0"
        {
            v = Some(format!("{ep}:{ver}"));
        }
        source = Some(SourcePackage {
            name: n,
            version: v,
        });
    } else if let Some(up) = p.qualifiers.get("upstream") {
        let (n, v) = match up.split_once('@') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (up.clone(), None),
        };
        // `upstream=glibc` on a deb purl: the source version is the binary's unless given.
        source = Some(SourcePackage {
            name: n,
            version: v,
        });
    }
    if kind == PackageKind::Apk && source.is_none() {
        if let Some(o) = prop("sekisho:origin") {
            source = Some(SourcePackage {
                name: o,
                version: None,
            });
        }
    }
    let mut purl_text = format!("pkg:{}/", p.ty);
    if let Some(ns) = &p.namespace {
        purl_text.push_str(ns);
        purl_text.push('/');
    }
    purl_text.push_str(&p.name);
    if let Some(v) = &p.version {
        purl_text.push('@');
        purl_text.push_str(v);
    }
    if !p.qualifiers.is_empty() {
        purl_text.push('?');
        let q: Vec<String> = p
            .qualifiers
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        purl_text.push_str(&q.join("&"));
    }
    let locations = prop("sekisho:locations")
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_else(|| vec![location.to_string()]);
    Some(Package {
        id: String::new(),
        name,
        version,
        kind,
        ecosystem,
        purl: purl_text,
        source,
        licenses: Vec::new(),
        arch: p.qualifiers.get("arch").cloned(),
        modularity_label: prop("sekisho:modularity_label"),
        locations,
        layer: prop("sekisho:layer").and_then(|l| l.parse().ok()),
        files: Vec::new(),
    })
}

/// Parse a CycloneDX or SPDX JSON SBOM into a catalog.
///
/// # Errors
/// When the bytes are not JSON or not a CycloneDX/SPDX document.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Catalog, SbomError> {
    let invalid = |reason: String| SbomError::Invalid {
        file: file.to_string(),
        reason,
    };
    if bytes.len() > MAX_SBOM_BYTES {
        return Err(invalid("larger than 512 MiB".into()));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|source| SbomError::Json {
        file: file.to_string(),
        source,
    })?;
    let mut cat = if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        parse_cyclonedx(file, &v)?
    } else if v.get("spdxVersion").and_then(Value::as_str).is_some() {
        parse_spdx(file, &v)?
    } else {
        return Err(invalid(
            "neither CycloneDX (`bomFormat`) nor SPDX JSON (`spdxVersion`)".into(),
        ));
    };
    sekisho_catalog::assign_ids(&mut cat.packages);
    Ok(cat)
}

fn props_of(c: &Value) -> Vec<(String, String)> {
    c.get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_string(),
                p.get("value")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn licenses_cdx(c: &Value) -> Vec<String> {
    c.get("licenses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            l.get("expression")
                .and_then(Value::as_str)
                .or_else(|| {
                    let lic = l.get("license")?;
                    lic.get("id").or_else(|| lic.get("name"))?.as_str()
                })
                .map(str::to_string)
        })
        .collect()
}

fn parse_cyclonedx(file: &str, v: &Value) -> Result<Catalog, SbomError> {
    let mut cat = Catalog::default();
    let mut stack: Vec<&Value> = v
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .rev()
        .collect();
    // The OS: a component of type `operating-system` (name = id, version = VERSION_ID).
    let mut all = Vec::new();
    while let Some(c) = stack.pop() {
        if all.len() >= MAX_COMPONENTS {
            return Err(SbomError::Invalid {
                file: file.to_string(),
                reason: "too many components".into(),
            });
        }
        all.push(c);
        let nested: Vec<&Value> = c
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .rev()
            .collect();
        stack.extend(nested);
    }
    for c in &all {
        if c.get("type").and_then(Value::as_str) == Some("operating-system") {
            let id = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ver = c.get("version").and_then(Value::as_str).map(str::to_string);
            let eco = ver.as_deref().and_then(|vv| distro_ecosystem(&id, vv));
            cat.os = Some(OsInfo {
                known: eco.is_some(),
                osv_ecosystem: eco,
                id,
                version_id: ver,
                source: file.to_string(),
                ..OsInfo::default()
            });
        }
    }
    for c in all {
        let ty = c.get("type").and_then(Value::as_str).unwrap_or("");
        if ty == "operating-system" {
            continue;
        }
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(purl) = c.get("purl").and_then(Value::as_str) else {
            if matches!(ty, "library" | "application" | "framework" | "") {
                cat.notes.push(Note::new(
                    None,
                    name.to_string(),
                    format!("{file}: component without a purl; not matched"),
                ));
            }
            continue;
        };
        let Some(p) = Purl::parse(purl) else {
            cat.notes.push(Note::new(
                None,
                name.to_string(),
                format!("{file}: purl {purl:?} could not be parsed; not matched"),
            ));
            continue;
        };
        match package_from_purl(&p, cat.os.as_ref(), &props_of(c), file) {
            Some(mut pkg) => {
                pkg.licenses = licenses_cdx(c);
                cat.packages.push(pkg);
            }
            None => cat.notes.push(Note::new(
                None,
                purl.to_string(),
                format!("{file}: purl type {:?} is not matched by sekisho", p.ty),
            )),
        }
    }
    Ok(cat)
}

fn parse_spdx(file: &str, v: &Value) -> Result<Catalog, SbomError> {
    let mut cat = Catalog::default();
    let pkgs = v
        .get("packages")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if pkgs.len() > MAX_COMPONENTS {
        return Err(SbomError::Invalid {
            file: file.to_string(),
            reason: "too many packages".into(),
        });
    }
    // SPDX has no OS element: trivy/syft describe it as a package with
    // `primaryPackagePurpose: OPERATING-SYSTEM`.
    for p in pkgs {
        if p.get("primaryPackagePurpose")
            .and_then(Value::as_str)
            .is_some_and(|s| s.replace('-', "_") == "OPERATING_SYSTEM")
        {
            let id = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ver = p
                .get("versionInfo")
                .and_then(Value::as_str)
                .map(str::to_string);
            let eco = ver.as_deref().and_then(|vv| distro_ecosystem(&id, vv));
            cat.os = Some(OsInfo {
                known: eco.is_some(),
                osv_ecosystem: eco,
                id,
                version_id: ver,
                source: file.to_string(),
                ..OsInfo::default()
            });
        }
    }
    for p in pkgs {
        if p.get("primaryPackagePurpose")
            .and_then(Value::as_str)
            .is_some_and(|s| s.replace('-', "_") == "OPERATING_SYSTEM")
        {
            continue;
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some(purl) = purl else {
            // The described image/directory itself usually has no purl; only note packages
            // that look like software.
            if p.get("versionInfo").is_some() {
                cat.notes.push(Note::new(
                    None,
                    name.to_string(),
                    format!("{file}: package without a purl; not matched"),
                ));
            }
            continue;
        };
        let Some(pu) = Purl::parse(purl) else {
            cat.notes.push(Note::new(
                None,
                name.to_string(),
                format!("{file}: purl {purl:?} could not be parsed; not matched"),
            ));
            continue;
        };
        // sekisho's own SPDX carries the source package in `sourceInfo`-free annotations; the
        // purl `upstream` qualifier is the portable way.
        // sekisho's own SPDX writes `sourceInfo: "built from source package NAME VERSION"`.
        let mut props = Vec::new();
        if let Some((n, v)) = p
            .get("sourceInfo")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("built from source package "))
            .and_then(|s| s.split_once(' '))
        {
            props.push(("sekisho:source_name".to_string(), n.to_string()));
            props.push(("sekisho:source_version".to_string(), v.to_string()));
        }
        match package_from_purl(&pu, cat.os.as_ref(), &props, file) {
            Some(mut pkg) => {
                if let Some(l) = p
                    .get("licenseDeclared")
                    .and_then(Value::as_str)
                    .filter(|l| !matches!(*l, "NOASSERTION" | "NONE"))
                {
                    pkg.licenses.push(l.to_string());
                }
                cat.packages.push(pkg);
            }
            None => cat.notes.push(Note::new(
                None,
                purl.to_string(),
                format!("{file}: purl type {:?} is not matched by sekisho", pu.ty),
            )),
        }
    }
    Ok(cat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems() {
        assert_eq!(
            distro_ecosystem("debian", "12.5").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            distro_ecosystem("ubuntu", "22.04").as_deref(),
            Some("Ubuntu:22.04:LTS")
        );
        assert_eq!(
            distro_ecosystem("ubuntu", "23.10").as_deref(),
            Some("Ubuntu:23.10")
        );
        assert_eq!(
            distro_ecosystem("alpine", "3.19.1").as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(
            distro_ecosystem("almalinux", "9.3").as_deref(),
            Some("AlmaLinux:9")
        );
        assert_eq!(split_distro("debian-12"), Some(("debian", "12")));
    }

    #[test]
    fn cyclonedx_input() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
          "components":[
            {"type":"operating-system","name":"debian","version":"12.5"},
            {"type":"library","name":"libc6","version":"2.36-9+deb12u4","purl":"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5",
             "properties":[{"name":"aquasecurity:trivy:SrcName","value":"glibc"},{"name":"aquasecurity:trivy:SrcVersion","value":"2.36"},{"name":"aquasecurity:trivy:SrcRelease","value":"9+deb12u4"}]},
            {"type":"library","name":"requests","version":"2.19.0","purl":"pkg:pypi/requests@2.19.0","licenses":[{"license":{"id":"Apache-2.0"}}]},
            {"type":"library","name":"nopurl","version":"1"},
            {"type":"library","name":"x","purl":"pkg:swift/x@1"}
          ]}"#;
        let c = parse("in.cdx.json", doc).unwrap();
        assert_eq!(c.packages.len(), 2);
        let libc = &c.packages[0];
        assert_eq!(libc.ecosystem.as_deref(), Some("Debian:12"));
        assert_eq!(libc.source.as_ref().unwrap().name, "glibc");
        assert_eq!(
            libc.source.as_ref().unwrap().version.as_deref(),
            Some("2.36-9+deb12u4")
        );
        assert_eq!(c.packages[1].ecosystem.as_deref(), Some("PyPI"));
        assert_eq!(c.packages[1].licenses, vec!["Apache-2.0"]);
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
    }

    #[test]
    fn spdx_input() {
        let doc = br#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0",
          "documentNamespace":"https://example.invalid/x","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: t"]},
          "packages":[
            {"SPDXID":"SPDXRef-os","name":"alpine","versionInfo":"3.19.1","primaryPackagePurpose":"OPERATING_SYSTEM","downloadLocation":"NONE"},
            {"SPDXID":"SPDXRef-p1","name":"busybox","versionInfo":"1.36.1-r15","downloadLocation":"NONE",
             "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&upstream=busybox"}]},
            {"SPDXID":"SPDXRef-p2","name":"kernel","versionInfo":"4.18.0-1","downloadLocation":"NONE",
             "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:rpm/almalinux/kernel@4.18.0-1.el8?epoch=1&distro=almalinux-8.9"}]}
          ]}"#;
        let c = parse("in.spdx.json", doc).unwrap();
        assert_eq!(c.packages.len(), 2);
        assert_eq!(c.packages[0].ecosystem.as_deref(), Some("Alpine:v3.19"));
        assert_eq!(c.packages[0].source.as_ref().unwrap().name, "busybox");
        assert_eq!(c.packages[1].ecosystem.as_deref(), Some("AlmaLinux:8"));
        assert_eq!(c.packages[1].version, "1:4.18.0-1.el8");
        assert!(parse("bad", b"[]").is_err());
    }
}
