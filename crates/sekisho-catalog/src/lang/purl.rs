//! Package URLs for language packages, per the purl specification
//! (<https://github.com/package-url/purl-spec>, `PURL-SPECIFICATION.rst` and `PURL-TYPES.rst`).
//!
//! `pkg:<type>/<namespace>/<name>@<version>`: each segment is percent-encoded; types define how a
//! name is normalised (pypi lowercases and turns `_` into `-`; npm scopes are the namespace and
//! `@` is encoded as `%40`; maven's namespace is the groupId; golang's namespace is the module
//! path up to the last `/`).

use crate::model::PackageKind;

/// Percent-encode one purl segment: everything outside `A-Za-z0-9.-_~` is encoded, as the spec
/// requires for names, namespaces and versions (`:` is allowed unencoded in versions but
/// encoding it is equivalent and simpler).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn encode_path(s: &str) -> String {
    s.split('/')
        .filter(|x| !x.is_empty())
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// PEP 503 normalised name: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// The purl of a language package.
pub fn for_package(kind: PackageKind, name: &str, version: &str) -> String {
    let v = if version.is_empty() {
        String::new()
    } else {
        format!("@{}", encode(version))
    };
    match kind {
        PackageKind::Python => format!("pkg:pypi/{}{v}", encode(&pep503(name))),
        PackageKind::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => format!("pkg:npm/%40{}/{}{v}", encode(scope), encode(n)),
            None => format!("pkg:npm/{}{v}", encode(name)),
        },
        PackageKind::Cargo => format!("pkg:cargo/{}{v}", encode(name)),
        PackageKind::Go | PackageKind::GoStdlib => format!("pkg:golang/{}{v}", encode_path(name)),
        PackageKind::Java => match name.split_once(':') {
            Some((g, a)) => format!("pkg:maven/{}/{}{v}", encode(g), encode(a)),
            None => format!("pkg:maven/{}{v}", encode(name)),
        },
        PackageKind::Gem => format!("pkg:gem/{}{v}", encode(name)),
        PackageKind::Composer => format!("pkg:composer/{}{v}", encode_path(&name.to_lowercase())),
        PackageKind::Nuget => format!("pkg:nuget/{}{v}", encode(name)),
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => {
            format!("pkg:generic/{}{v}", encode(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_type_rules() {
        assert_eq!(pep503("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(
            for_package(PackageKind::Python, "Django_Rest", "1.0"),
            "pkg:pypi/django-rest@1.0"
        );
        assert_eq!(
            for_package(PackageKind::Npm, "@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            for_package(PackageKind::Go, "github.com/a/b/v2", "v2.1.0"),
            "pkg:golang/github.com/a/b/v2@v2.1.0"
        );
        assert_eq!(
            for_package(PackageKind::Java, "org.apache:commons-io", "2.6"),
            "pkg:maven/org.apache/commons-io@2.6"
        );
        assert_eq!(
            for_package(PackageKind::Cargo, "serde", "1.0.0+build"),
            "pkg:cargo/serde@1.0.0%2Bbuild"
        );
        assert_eq!(
            for_package(PackageKind::Composer, "Guzzle/PSR7", "1.8.3"),
            "pkg:composer/guzzle/psr7@1.8.3"
        );
    }
}
