//! VEX documents: statements that a product is (not) affected by a vulnerability.
//!
//! Two formats are read:
//! - OpenVEX JSON (<https://github.com/openvex/spec>, v0.2.0 and the earlier v0.0.x where
//!   `vulnerability` is a plain string and `products` a list of strings);
//! - CycloneDX VEX (CycloneDX 1.4–1.6 `vulnerabilities[]` with `analysis.state` and
//!   `affects[].ref`, refs resolved through `components[].bom-ref` to purls).
//!
//! `not_affected` (CycloneDX `not_affected`, `false_positive`) and `fixed` (CycloneDX `resolved`,
//! `resolved_with_pedigree`) statements are applied; `affected` and `under_investigation` carry no
//! change and are kept only for counting.

use std::collections::HashMap;

use serde_json::Value;

use sekisho_catalog::purl::Purl;
use sekisho_finding::Status;

/// Upper bound on a VEX document's size (bytes).
pub const MAX_VEX_BYTES: usize = 64 << 20;
/// Upper bound on statements per document.
pub const MAX_STATEMENTS: usize = 1_000_000;

/// Errors reading a VEX document.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error("VEX document {doc}: not JSON: {source}")]
    Json {
        doc: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("VEX document {doc}: {reason}")]
    Invalid { doc: String, reason: String },
}

/// What a statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    NotAffected,
    Fixed,
    Affected,
    UnderInvestigation,
}

impl VexStatus {
    /// The finding status an applied statement gives, when it changes anything.
    pub fn applied(self) -> Option<Status> {
        match self {
            Self::NotAffected => Some(Status::NotAffected),
            Self::Fixed => Some(Status::Fixed),
            _ => None,
        }
    }
}

/// A product a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    /// A package URL (may omit version/qualifiers to select more).
    Purl(Purl),
    /// Anything else (an image reference, a hash, a CPE): it applies to the whole target.
    Other(String),
}

/// One VEX statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The vulnerability ID and its aliases.
    pub vulnerabilities: Vec<String>,
    /// The products; a package is selected when one of these (or a subcomponent) names it.
    pub products: Vec<Product>,
    /// Subcomponents (OpenVEX): when present, the statement is about these packages inside the
    /// products.
    pub subcomponents: Vec<Purl>,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub statement: Option<String>,
}

/// A parsed VEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// Where it came from (the file name), shown in reports.
    pub name: String,
    /// `openvex` or `cyclonedx`.
    pub format: &'static str,
    pub statements: Vec<Statement>,
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn product_of(s: &str) -> Product {
    Purl::parse(s).map_or_else(|| Product::Other(s.to_string()), Product::Purl)
}

/// Parse a VEX document (OpenVEX or CycloneDX), detected by content.
///
/// # Errors
/// When the bytes are not JSON or neither format.
pub fn parse(name: &str, bytes: &[u8]) -> Result<VexDocument, VexError> {
    let invalid = |reason: &str| VexError::Invalid {
        doc: name.to_string(),
        reason: reason.to_string(),
    };
    if bytes.len() > MAX_VEX_BYTES {
        return Err(invalid("larger than 64 MiB"));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|source| VexError::Json {
        doc: name.to_string(),
        source,
    })?;
    let is_openvex = v
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
        || v.get("statements").is_some_and(Value::is_array);
    let is_cdx = v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
        || v.get("vulnerabilities").is_some_and(Value::is_array);
    if is_openvex {
        parse_openvex(name, &v)
    } else if is_cdx {
        parse_cyclonedx(name, &v)
    } else {
        Err(invalid(
            "neither OpenVEX (`@context` openvex, `statements`) nor CycloneDX VEX (`vulnerabilities`)",
        ))
    }
}

fn parse_openvex(name: &str, v: &Value) -> Result<VexDocument, VexError> {
    let invalid = |reason: String| VexError::Invalid {
        doc: name.to_string(),
        reason,
    };
    let stmts = v
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("OpenVEX without `statements`".into()))?;
    if stmts.len() > MAX_STATEMENTS {
        return Err(invalid("too many statements".into()));
    }
    let mut out = Vec::new();
    for (i, s) in stmts.iter().enumerate() {
        let vuln = s.get("vulnerability");
        let mut vulnerabilities = Vec::new();
        match vuln {
            Some(Value::String(id)) => vulnerabilities.push(id.clone()),
            Some(Value::Object(o)) => {
                for k in ["name", "@id"] {
                    if let Some(id) = o.get(k).and_then(str_of) {
                        vulnerabilities.push(id);
                    }
                }
                if let Some(a) = o.get("aliases").and_then(Value::as_array) {
                    vulnerabilities.extend(a.iter().filter_map(str_of));
                }
            }
            _ => {}
        }
        if vulnerabilities.is_empty() {
            return Err(invalid(format!("statement {i} names no vulnerability")));
        }
        let mut products = Vec::new();
        let mut subcomponents = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match p {
                Value::String(id) => products.push(product_of(id)),
                Value::Object(o) => {
                    if let Some(id) = o.get("@id").and_then(str_of) {
                        products.push(product_of(&id));
                    }
                    if let Some(purl) = o
                        .get("identifiers")
                        .and_then(|i| i.get("purl"))
                        .and_then(str_of)
                    {
                        products.push(product_of(&purl));
                    }
                    for sc in o
                        .get("subcomponents")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let id = sc.as_str().map(str::to_string).or_else(|| {
                            sc.get("@id").and_then(str_of).or_else(|| {
                                sc.get("identifiers")
                                    .and_then(|i| i.get("purl"))
                                    .and_then(str_of)
                            })
                        });
                        if let Some(p) = id.as_deref().and_then(Purl::parse) {
                            subcomponents.push(p);
                        }
                    }
                }
                _ => {}
            }
        }
        // v0.0.x: top-level `subcomponents` list of strings.
        for sc in s
            .get("subcomponents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = sc.as_str().and_then(Purl::parse) {
                subcomponents.push(p);
            }
        }
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("fixed") => VexStatus::Fixed,
            Some("affected") => VexStatus::Affected,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            other => {
                return Err(invalid(format!(
                    "statement {i} has unknown status {other:?}"
                )));
            }
        };
        out.push(Statement {
            vulnerabilities,
            products,
            subcomponents,
            status,
            justification: s.get("justification").and_then(str_of),
            statement: s
                .get("impact_statement")
                .or_else(|| s.get("status_notes"))
                .or_else(|| s.get("action_statement"))
                .and_then(str_of),
        });
    }
    Ok(VexDocument {
        name: name.to_string(),
        format: "openvex",
        statements: out,
    })
}

fn parse_cyclonedx(name: &str, v: &Value) -> Result<VexDocument, VexError> {
    let invalid = |reason: String| VexError::Invalid {
        doc: name.to_string(),
        reason,
    };
    // bom-ref → purl, from components (recursively) and metadata.component.
    let mut refs: HashMap<String, String> = HashMap::new();
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(c) = v.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    stack.extend(
        v.get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    let mut seen = 0usize;
    while let Some(c) = stack.pop() {
        seen += 1;
        if seen > MAX_STATEMENTS {
            return Err(invalid("too many components".into()));
        }
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(Value::as_str),
            c.get("purl").and_then(Value::as_str),
        ) {
            refs.insert(r.to_string(), p.to_string());
        }
        stack.extend(
            c.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    let vulns = v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("CycloneDX document without `vulnerabilities`".into()))?;
    if vulns.len() > MAX_STATEMENTS {
        return Err(invalid("too many vulnerabilities".into()));
    }
    let mut out = Vec::new();
    for (i, vu) in vulns.iter().enumerate() {
        let Some(id) = vu.get("id").and_then(str_of) else {
            return Err(invalid(format!("vulnerability {i} has no id")));
        };
        let mut vulnerabilities = vec![id];
        for r in vu
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = r.get("id").and_then(str_of) {
                vulnerabilities.push(id);
            }
        }
        let Some(analysis) = vu.get("analysis") else {
            continue;
        };
        let status = match analysis.get("state").and_then(Value::as_str) {
            Some("not_affected" | "false_positive") => VexStatus::NotAffected,
            Some("resolved" | "resolved_with_pedigree") => VexStatus::Fixed,
            Some("exploitable") => VexStatus::Affected,
            Some("in_triage") | None => VexStatus::UnderInvestigation,
            Some(other) => {
                return Err(invalid(format!(
                    "vulnerability {i} has unknown analysis.state {other:?}"
                )));
            }
        };
        let mut products = Vec::new();
        for a in vu
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                continue;
            };
            // `urn:cdx:serial/version#bom-ref` points into another BOM; the part after `#` is
            // the bom-ref, which is often a purl itself.
            let local = r.rsplit_once('#').map_or(r, |(_, b)| b);
            let target = refs
                .get(r)
                .or_else(|| refs.get(local))
                .cloned()
                .unwrap_or_else(|| local.to_string());
            products.push(product_of(&target));
        }
        out.push(Statement {
            vulnerabilities,
            products,
            subcomponents: Vec::new(),
            status,
            justification: analysis.get("justification").and_then(str_of),
            statement: analysis
                .get("detail")
                .or_else(|| analysis.get("response").and_then(|r| r.get(0)))
                .and_then(str_of),
        });
    }
    Ok(VexDocument {
        name: name.to_string(),
        format: "cyclonedx",
        statements: out,
    })
}

impl Statement {
    /// Whether this statement is about the package with purl `pkg` (and names vulnerability
    /// `ids`).
    pub fn applies(&self, ids: &[&str], pkg: Option<&Purl>) -> bool {
        if !self
            .vulnerabilities
            .iter()
            .any(|v| ids.iter().any(|i| i.eq_ignore_ascii_case(v)))
        {
            return false;
        }
        if !self.subcomponents.is_empty() {
            return pkg.is_some_and(|p| self.subcomponents.iter().any(|s| s.selects(p)));
        }
        if self.products.is_empty() {
            return true;
        }
        self.products.iter().any(|prod| match prod {
            Product::Purl(sel) => {
                // A product purl of an image (`pkg:oci`, `pkg:docker`) is the whole target.
                matches!(sel.ty.as_str(), "oci" | "docker") || pkg.is_some_and(|p| sel.selects(p))
            }
            Product::Other(_) => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openvex_v020() {
        let doc = br#"{
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://example.invalid/vex-1",
          "author": "t", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
          "statements": [
            {"vulnerability": {"name": "CVE-2023-1234", "aliases": ["GHSA-aaaa-bbbb-cccc"]},
             "products": [{"@id": "pkg:pypi/requests@2.19.0"}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2024-1"},
             "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:deb/debian/curl"}]}],
             "status": "fixed"}
          ]}"#;
        let d = parse("a.vex.json", doc).unwrap();
        assert_eq!(d.format, "openvex");
        assert_eq!(d.statements.len(), 2);
        let req = Purl::parse("pkg:pypi/requests@2.19.0").unwrap();
        let curl = Purl::parse("pkg:deb/debian/curl@7.88.1-10?arch=amd64").unwrap();
        assert!(d.statements[0].applies(&["GHSA-aaaa-bbbb-cccc"], Some(&req)));
        assert!(!d.statements[0].applies(&["CVE-2023-1234"], Some(&curl)));
        assert!(d.statements[1].applies(&["CVE-2024-1"], Some(&curl)));
        assert!(!d.statements[1].applies(&["CVE-2024-1"], Some(&req)));
        assert_eq!(d.statements[1].status.applied(), Some(Status::Fixed));
    }

    #[test]
    fn cyclonedx_vex() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
          "components": [{"type": "library", "name": "jinja2", "version": "2.10", "bom-ref": "c1", "purl": "pkg:pypi/jinja2@2.10"}],
          "vulnerabilities": [
            {"id": "CVE-2019-10906", "analysis": {"state": "false_positive", "detail": "sandbox unused"},
             "affects": [{"ref": "c1"}]},
            {"id": "CVE-2020-1", "analysis": {"state": "in_triage"}, "affects": [{"ref": "urn:cdx:x/1#pkg:pypi/jinja2@2.10"}]}
          ]}"#;
        let d = parse("b.cdx.json", doc).unwrap();
        assert_eq!(d.format, "cyclonedx");
        let j = Purl::parse("pkg:pypi/jinja2@2.10").unwrap();
        assert!(d.statements[0].applies(&["CVE-2019-10906"], Some(&j)));
        assert_eq!(d.statements[0].status, VexStatus::NotAffected);
        assert_eq!(d.statements[0].statement.as_deref(), Some("sandbox unused"));
        assert!(d.statements[1].applies(&["CVE-2020-1"], Some(&j)));
        assert_eq!(d.statements[1].status.applied(), None);
    }

    #[test]
    fn garbage_is_an_error_naming_the_file() {
        let e = parse("x.json", b"{}").unwrap_err();
        assert!(e.to_string().contains("x.json"));
        assert!(
            parse("y.json", b"\xff")
                .unwrap_err()
                .to_string()
                .contains("y.json")
        );
        assert!(parse("z", br#"{"statements":[{"status":"not_affected"}]}"#).is_err());
    }
}
