//! A small package-URL reader (<https://github.com/package-url/purl-spec>, "purl specification"):
//! enough to compare purls from VEX and ignore files with ours, and to turn SBOM components back
//! into packages.

use std::collections::BTreeMap;

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
                crate::engine::normalize_pypi(&p.name)
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
