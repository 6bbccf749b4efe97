//! The ignore file (`.sekishoignore`): findings a team has decided to accept, each with an
//! optional expiry date, package/purl/path selectors and a reason.
//!
//! One rule per line; `#` starts a comment. The first word is an ID: any ID of the finding
//! (a vulnerability's CVE, GHSA, DSA, ALSA, …; a misconfiguration check ID or its peer alias; a
//! secret rule ID or a secret's fingerprint; a drift or isolation check ID), or `*` for every
//! finding the other options select. Then any of, in any order:
//!
//! | option | meaning |
//! |---|---|
//! | `exp:YYYY-MM-DD`, `expires=YYYY-MM-DD` | the rule stops applying after that day (an expired rule is reported as a warning) |
//! | `package=NAME`, `pkg=NAME` | only this package (binary or source name) |
//! | `purl=PURL` | only packages this purl selects (version and qualifiers optional) |
//! | `path=GLOB` | only findings at a path matching the glob: a vulnerable package's files (e.g. `usr/lib/python3/**`), a misconfigured or secret-holding file (`testdata/**`) |
//! | `reason=TEXT` | why; the rest of the line (quotes optional) |
//!
//! ```text
//! CVE-2023-1234                                  # accepted everywhere
//! CVE-2019-10906 exp:2027-01-01 package=jinja2 reason="sandbox not used"
//! GHSA-j8r2-6x86-q33q purl=pkg:pypi/requests path=opt/app/** reason=internal only
//! run-as-root path=deploy/dev/** reason="dev cluster only"
//! * path=usr/share/doc/** reason="vendor documentation"
//! ```
//! The `exp:DATE` spelling is the one `.trivyignore` uses, so those files work as they are.

use globset::{Glob, GlobMatcher};

use sekisho_catalog::purl::Purl;

/// Upper bound on an ignore file's size (bytes).
pub const MAX_IGNORE_BYTES: usize = 4 << 20;

/// Errors reading an ignore file.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("{file}:{line}: {reason}")]
    Syntax {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
}

pub use sekisho_finding::time::Date;

/// One rule of the ignore file.
#[derive(Debug, Clone)]
pub struct Rule {
    pub line: usize,
    pub id: String,
    pub expires: Option<Date>,
    pub package: Option<String>,
    pub purl: Option<Purl>,
    pub path: Option<(String, GlobMatcher)>,
    pub reason: Option<String>,
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    pub file: String,
    pub rules: Vec<Rule>,
}

/// What a finding looks like to an ignore rule.
pub struct Subject<'a> {
    pub ids: Vec<&'a str>,
    pub names: Vec<&'a str>,
    pub purl: Option<&'a Purl>,
    pub locations: &'a [&'a str],
}

impl Rule {
    /// Whether the rule has expired on `today`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// Whether the rule selects `s` (expiry not considered).
    pub fn selects(&self, s: &Subject<'_>) -> bool {
        (self.id == "*" || s.ids.iter().any(|i| i.eq_ignore_ascii_case(&self.id)))
            && self
                .package
                .as_ref()
                .is_none_or(|p| s.names.iter().any(|n| n == p))
            && self
                .purl
                .as_ref()
                .is_none_or(|sel| s.purl.is_some_and(|p| sel.selects(p)))
            && self.path.as_ref().is_none_or(|(_, g)| {
                s.locations
                    .iter()
                    .any(|l| g.is_match(l.trim_start_matches('/')))
            })
    }
}

/// Parse an ignore file's text.
///
/// # Errors
/// A syntax error naming the file and line.
pub fn parse(file: &str, text: &str) -> Result<IgnoreFile, IgnoreError> {
    if text.len() > MAX_IGNORE_BYTES {
        return Err(IgnoreError::File {
            file: file.to_string(),
            reason: "larger than 4 MiB".into(),
        });
    }
    let mut rules = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let err = |reason: String| IgnoreError::Syntax {
            file: file.to_string(),
            line,
            reason,
        };
        // Split off a trailing comment unless it is inside a reason.
        let (body, comment) = match raw.find(" #").or_else(|| raw.find('#').filter(|&i| i == 0)) {
            Some(i) if !raw[..i].contains("reason") => (
                &raw[..i],
                Some(raw[i..].trim_start_matches([' ', '#']).trim()),
            ),
            _ => (raw, None),
        };
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        let mut rest = body;
        let take_word = |r: &mut &str| -> String {
            let r2 = r.trim_start();
            let end = r2.find(char::is_whitespace).unwrap_or(r2.len());
            let w = r2[..end].to_string();
            *r = &r2[end..];
            w
        };
        let id = take_word(&mut rest);
        if id.contains('=') || id.contains(':') && !id.contains('-') {
            return Err(err(format!(
                "expected a finding ID first (advisory, check or rule ID, secret fingerprint, or *), found {id:?}"
            )));
        }
        let mut rule = Rule {
            line,
            id,
            expires: None,
            package: None,
            purl: None,
            path: None,
            reason: None,
        };
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            if let Some(r) = rest
                .strip_prefix("reason=")
                .or_else(|| rest.strip_prefix("reason:"))
            {
                let r = r.trim();
                let r = r
                    .strip_prefix('"')
                    .and_then(|x| x.strip_suffix('"'))
                    .unwrap_or(r);
                rule.reason = Some(r.to_string());
                break;
            }
            let word = take_word(&mut rest);
            let (key, value) = word
                .split_once('=')
                .or_else(|| word.split_once(':'))
                .ok_or_else(|| err(format!("unknown option {word:?} (expected key=value)")))?;
            match key {
                "exp" | "expires" | "expiry" => {
                    rule.expires = Some(Date::parse(value).ok_or_else(|| {
                        err(format!("expiry {value:?} is not a date (YYYY-MM-DD)"))
                    })?);
                }
                "package" | "pkg" => rule.package = Some(value.to_string()),
                "purl" => {
                    rule.purl = Some(
                        Purl::parse(value)
                            .ok_or_else(|| err(format!("{value:?} is not a package URL")))?,
                    );
                }
                "path" => {
                    let g = Glob::new(value.trim_start_matches('/'))
                        .map_err(|e| err(format!("path glob {value:?}: {e}")))?
                        .compile_matcher();
                    rule.path = Some((value.to_string(), g));
                }
                other => return Err(err(format!("unknown option {other:?}"))),
            }
        }
        if rule.reason.is_none() {
            rule.reason = comment.filter(|c| !c.is_empty()).map(str::to_string);
        }
        rules.push(rule);
    }
    Ok(IgnoreFile {
        file: file.to_string(),
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_418).to_string(), "2025-11-26");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert!(Date::parse("2026-13-01").is_none());
        assert_eq!(
            Date::parse("2026-11-26T00:00:00Z").unwrap().to_string(),
            "2026-11-26"
        );
    }

    #[test]
    fn parses_rules() {
        let f = parse(
            ".sekishoignore",
            "# header\n\nCVE-2023-1234   # accepted\nCVE-2019-10906 exp:2027-01-01 package=jinja2 reason=\"sandbox not used\"\nGHSA-j8r2-6x86-q33q purl=pkg:pypi/requests path=opt/app/** reason=internal only # really\n",
        )
        .unwrap();
        assert_eq!(f.rules.len(), 3);
        assert_eq!(f.rules[0].reason.as_deref(), Some("accepted"));
        assert_eq!(f.rules[1].expires.unwrap().to_string(), "2027-01-01");
        assert_eq!(f.rules[1].reason.as_deref(), Some("sandbox not used"));
        assert_eq!(f.rules[2].reason.as_deref(), Some("internal only # really"));
        assert_eq!(f.rules[2].line, 5);
        let p = Purl::parse("pkg:pypi/requests@2.19.0").unwrap();
        let locs = vec!["opt/app/lib/requests-2.19.0.dist-info/METADATA"];
        let s = Subject {
            ids: vec!["CVE-2018-18074", "GHSA-j8r2-6x86-q33q"],
            names: vec!["requests"],
            purl: Some(&p),
            locations: &locs,
        };
        assert!(f.rules[2].selects(&s));
        assert!(!f.rules[1].selects(&s));
        let other = vec!["usr/lib/x"];
        let s2 = Subject {
            locations: &other,
            ..s
        };
        assert!(!f.rules[2].selects(&s2));
        let today = Date::parse("2027-01-02").unwrap();
        assert!(f.rules[1].expired(today));
        assert!(!f.rules[1].expired(Date::parse("2027-01-01").unwrap()));
        // `*` with a path: every finding under the path, whatever its ID.
        let f = parse("i", "* path=usr/share/doc/** reason=vendor docs\n").unwrap();
        let doc = vec!["usr/share/doc/x/README"];
        let s3 = Subject {
            ids: vec!["aws-access-key", "0123abcd"],
            names: vec![],
            purl: None,
            locations: &doc,
        };
        assert!(f.rules[0].selects(&s3));
        assert!(!f.rules[0].selects(&Subject {
            locations: &other,
            ..s3
        }));
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse("ig", "CVE-1\nCVE-2 exp:tomorrow\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ig:2: expiry \"tomorrow\" is not a date (YYYY-MM-DD)"
        );
        assert!(parse("ig", "CVE-1 colour=blue").is_err());
        assert!(parse("ig", "package=x").is_err());
    }
}
