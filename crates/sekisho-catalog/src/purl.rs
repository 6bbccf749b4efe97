//! Package URLs (<https://github.com/package-url/purl-spec>, `PURL-SPECIFICATION.rst` and
//! `PURL-TYPES.rst`): building them for the packages we catalog, and reading them back from SBOMs,
//! VEX documents and ignore files. One module, so the encoding we write is the one we read.
//!
//! `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>#<subpath>`: each segment is
//! percent-encoded; types define how a name is normalised (pypi lowercases and turns `_` into `-`;
//! npm scopes are the namespace and `@` is encoded as `%40`; maven's namespace is the groupId;
//! golang's namespace is the module path up to the last `/`).

use std::collections::BTreeMap;

use crate::model::PackageKind;

pub use sekisho_version::name::pep503;

/// Percent-encode one purl segment: everything outside `A-Za-z0-9.-_~` is encoded, as the spec
/// requires for names, namespaces, versions and qualifier values (`:` is allowed unencoded in
/// versions but encoding it is equivalent and simpler).
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

/// Build a purl: `pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&…` (qualifiers sorted by key as the spec
/// requires; empty values dropped).
pub fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, Option<&str>)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        s.push_str(&encode(ns));
        s.push('/');
    }
    s.push_str(&encode(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&encode(version));
    }
    let mut q: Vec<(&str, &str)> = qualifiers
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    q.sort_unstable();
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&encode(v));
    }
    s
}

fn encode_path(s: &str) -> String {
    s.split('/')
        .filter(|x| !x.is_empty())
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
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

/// A parsed purl: `pkg:type/namespace/name@version?qualifiers#subpath`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

fn decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Purl {
    /// Parse a purl. `None` when `s` is not one.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(decode(sp.trim_matches('/')))),
            None => (rest, None),
        };
        let (rest, quals) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (ty, path) = rest.split_once('/')?;
        let ty = ty.to_ascii_lowercase();
        let path = path.trim_end_matches('/');
        // The version starts at the last '@' after the last '/'.
        let (path, version) = match path.rfind('@') {
            Some(at) if at > 0 && path.rfind('/').is_none_or(|slash| at > slash) => {
                (&path[..at], Some(decode(&path[at + 1..])))
            }
            _ => (path, None),
        };
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (Some(decode(ns)), decode(n)),
            None => (None, decode(path)),
        };
        if name.is_empty() || ty.is_empty() {
            return None;
        }
        let mut qualifiers = BTreeMap::new();
        if let Some(q) = quals {
            for kv in q.split('&') {
                if let Some((k, v)) = kv.split_once('=') {
                    qualifiers.insert(k.to_ascii_lowercase(), decode(v));
                }
            }
        }
        Some(Self {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
            subpath,
        })
    }

    /// Whether `self` (a selector, possibly without version or qualifiers) names `other`:
    /// type, namespace and name equal (case-insensitively for types whose names are), the version
    /// equal when the selector has one, and every selector qualifier present in `other`.
    pub fn selects(&self, other: &Purl) -> bool {
        let ci = matches!(
            self.ty.as_str(),
            "pypi" | "deb" | "apk" | "golang" | "npm" | "rpm"
        );
        let eq = |a: &str, b: &str| {
            if ci {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let norm_name = |p: &Purl| {
            if p.ty == "pypi" {
                sekisho_version::name::pep503(&p.name)
            } else {
                p.name.clone()
            }
        };
        self.ty == other.ty
            && eq(
                self.namespace.as_deref().unwrap_or(""),
                other.namespace.as_deref().unwrap_or(""),
            )
            && eq(&norm_name(self), &norm_name(other))
            && self
                .version
                .as_ref()
                .is_none_or(|v| other.version.as_deref() == Some(v.as_str()))
            && self
                .qualifiers
                .iter()
                .all(|(k, v)| other.qualifiers.get(k) == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_encode_and_sort() {
        assert_eq!(
            build(
                "deb",
                Some("debian"),
                "libc6",
                "2.36-9+deb12u4",
                &[("distro", Some("debian-12")), ("arch", Some("amd64"))]
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            build("rpm", None, "a", "1:2", &[("epoch", None)]),
            "pkg:rpm/a@1%3A2"
        );
    }

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

    #[test]
    fn parses_common_purls() {
        let p = Purl::parse(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        )
        .unwrap();
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace.as_deref(), Some("debian"));
        assert_eq!(p.name, "libc6");
        assert_eq!(p.version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(p.qualifiers["upstream"], "glibc");
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.name, "core");
        let p = Purl::parse("pkg:golang/github.com/gin-gonic/gin@v1.9.0").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("github.com/gin-gonic"));
        assert_eq!(p.version.as_deref(), Some("v1.9.0"));
        let p = Purl::parse("pkg:pypi/requests").unwrap();
        assert_eq!(p.version, None);
        assert!(Purl::parse("not a purl").is_none());
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:x%").is_none());
    }

    #[test]
    fn selectors() {
        let sel = Purl::parse("pkg:pypi/Requests").unwrap();
        let p = Purl::parse("pkg:pypi/requests@2.19.0").unwrap();
        assert!(sel.selects(&p));
        let sel = Purl::parse("pkg:pypi/requests@2.20.0").unwrap();
        assert!(!sel.selects(&p));
        let sel = Purl::parse("pkg:deb/debian/curl?arch=amd64").unwrap();
        assert!(
            sel.selects(&Purl::parse("pkg:deb/debian/curl@1?arch=amd64&distro=debian-12").unwrap())
        );
        assert!(!sel.selects(&Purl::parse("pkg:deb/debian/curl@1?arch=arm64").unwrap()));
    }
}
