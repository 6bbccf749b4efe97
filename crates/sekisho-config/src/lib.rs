//! Misconfiguration checks: where a Dockerfile, a Kubernetes manifest, a compose file, an OCI
//! runtime `config.json` or an image config weakens a wall, at the exact line and column.
//!
//! [`scan_file`] recognises a file by its content ([`detect`]), parses it with bounded parsers
//! ([`yaml`], [`dockerfile`]), runs the checks of its type (the table is [`checks::RULES`]) and
//! applies the suppressions written in the file (`# sekisho:ignore=<id> <reason>` on the line
//! or the one above, `# sekisho:ignore-file=<id> <reason>`, the `sekisho.dev/ignore`
//! annotation). A file that cannot be parsed is named with the error; nothing is skipped in
//! silence.

pub mod checks;
pub mod compose;
pub mod detect;
pub mod dockerfile;
pub mod docs;
pub mod image;
pub mod k8s;
pub mod oci;
pub mod suppress;
pub mod walk;
pub mod yaml;

use std::fmt;

use sekisho_finding::{Location, Misconfiguration};

pub use crate::k8s::pss::Level;
use crate::yaml::Pos;

/// Files larger than this are not read (named in the summary instead).
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// The kinds of file the checks understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileType {
    Dockerfile,
    Kubernetes,
    Compose,
    OciRuntime,
    ImageConfig,
}

impl FileType {
    pub const ALL: [FileType; 5] = [
        Self::Dockerfile,
        Self::Kubernetes,
        Self::Compose,
        Self::OciRuntime,
        Self::ImageConfig,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dockerfile => "dockerfile",
            Self::Kubernetes => "kubernetes",
            Self::Compose => "compose",
            Self::OciRuntime => "oci-runtime",
            Self::ImageConfig => "image-config",
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `Some(level)`: evaluate exactly the Pod Security Standards at this level and nothing
    /// else (`--policy pss-baseline|pss-restricted`). `None`: every check, with the PSS at the
    /// restricted level.
    pub policy: Option<Level>,
    /// The Kubernetes minor version the PSS are judged by (1.N).
    pub k8s_minor: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: None,
            k8s_minor: k8s::pss::LATEST_MINOR,
        }
    }
}

impl Options {
    /// The PSS level and version to evaluate.
    pub fn pss(&self) -> (Level, u32) {
        (self.policy.unwrap_or(Level::Restricted), self.k8s_minor)
    }
}

/// A check that fired, before it becomes a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub check: &'static str,
    pub pos: Pos,
    pub object: Option<String>,
    pub value: Option<String>,
}

impl Hit {
    pub fn new(check: &'static str, pos: Pos) -> Self {
        Self {
            check,
            pos,
            object: None,
            value: None,
        }
    }

    #[must_use]
    pub fn object(mut self, o: impl Into<String>) -> Self {
        self.object = Some(o.into());
        self
    }

    #[must_use]
    pub fn value(mut self, v: impl Into<String>) -> Self {
        self.value = Some(v.into());
        self
    }
}

/// A finding not shown because the file said so, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub finding: Misconfiguration,
    /// `inline` (a comment on the line or the one above), `file` (`sekisho:ignore-file`) or
    /// `annotation` (`sekisho.dev/ignore`).
    pub how: &'static str,
    /// The line of the comment or annotation.
    pub line: Option<u32>,
    pub reason: Option<String>,
}

/// The result of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileResult {
    /// The path as given.
    pub path: String,
    /// `None`: not understood (not a file type the checks know).
    pub file_type: Option<FileType>,
    pub findings: Vec<Misconfiguration>,
    pub suppressed: Vec<Suppression>,
    /// Why the file (or part of it) could not be read: `line 3 column 1: ...`.
    pub error: Option<String>,
    /// Objects checked (Kubernetes objects, compose services, Dockerfile stages, 1 otherwise).
    pub objects: usize,
}

/// Check one file's bytes. `path` is how findings name it.
pub fn scan_file(path: &str, bytes: &[u8], opts: &Options) -> FileResult {
    let mut res = FileResult {
        path: path.to_string(),
        ..FileResult::default()
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        res.error = Some(format!(
            "{} bytes, over the {} byte limit; not read",
            bytes.len(),
            MAX_FILE_BYTES
        ));
        res.file_type = detect::by_name(path);
        return res;
    }
    let text = match yaml::decode(bytes) {
        Ok(t) => t,
        Err(e) => {
            res.file_type = detect::by_name(path);
            res.error = Some(e.to_string());
            return res;
        }
    };
    let detected = detect::detect(path, text);
    res.file_type = detected.file_type;
    let mut hits: Vec<(Hit, Vec<(String, u32)>, Option<String>)> = Vec::new();
    match detected.file_type {
        None => {
            res.error = detected.error.map(|e| e.to_string());
            return res;
        }
        Some(FileType::Dockerfile) => {
            let df = dockerfile::parse(text);
            res.objects = df.stages.len();
            let mut h = Vec::new();
            if opts.policy.is_none() {
                dockerfile::check(&df, &mut h);
            }
            hits.extend(h.into_iter().map(|h| (h, Vec::new(), None)));
        }
        Some(ft) => {
            let parsed = detected.parsed.unwrap_or_default();
            if let Some(e) = &parsed.error {
                res.error = Some(e.to_string());
            }
            for doc in &parsed.docs {
                match ft {
                    FileType::Kubernetes => {
                        for obj in k8s::objects(doc) {
                            res.objects += 1;
                            let mut h = Vec::new();
                            k8s::check_object(&obj, opts, &mut h);
                            let ign: Vec<(String, u32)> = obj
                                .ignored()
                                .into_iter()
                                .map(|(id, p)| (id, p.line))
                                .collect();
                            let reason = obj.ignore_reason();
                            hits.extend(h.into_iter().map(|h| (h, ign.clone(), reason.clone())));
                        }
                    }
                    FileType::Compose if opts.policy.is_none() => {
                        res.objects += doc.get("services").map_or(0, |s| s.entries().count());
                        let mut h = Vec::new();
                        compose::check(doc, &mut h);
                        hits.extend(h.into_iter().map(|h| (h, Vec::new(), None)));
                    }
                    FileType::OciRuntime if opts.policy.is_none() => {
                        res.objects += 1;
                        let mut h = Vec::new();
                        oci::check(doc, &mut h);
                        hits.extend(h.into_iter().map(|h| (h, Vec::new(), None)));
                    }
                    FileType::ImageConfig if opts.policy.is_none() => {
                        res.objects += 1;
                        let mut h = Vec::new();
                        image::check_file(doc, &mut h);
                        hits.extend(h.into_iter().map(|h| (h, Vec::new(), None)));
                    }
                    _ => res.objects += 1,
                }
            }
        }
    }
    let directives = suppress::Directives::parse(text);
    for (hit, annotation_ids, annotation_reason) in hits {
        let Some(rule) = checks::find(hit.check) else {
            debug_assert!(false, "check {} is not in the table", hit.check);
            continue;
        };
        let finding = to_finding(path, rule, &hit);
        let ids: Vec<&str> = std::iter::once(rule.id)
            .chain(rule.aliases.iter().copied())
            .collect();
        if let Some((how, line, reason)) = directives.matches(&ids, hit.pos.line) {
            res.suppressed.push(Suppression {
                finding,
                how,
                line: Some(line),
                reason,
            });
        } else if let Some((_, line)) = annotation_ids
            .iter()
            .find(|(id, _)| ids.iter().any(|i| i.eq_ignore_ascii_case(id)))
        {
            res.suppressed.push(Suppression {
                finding,
                how: "annotation",
                line: Some(*line),
                reason: annotation_reason.clone(),
            });
        } else {
            res.findings.push(finding);
        }
    }
    res.findings
        .sort_by_key(|f| (f.location.line, f.location.column, f.id.clone()));
    res.findings.dedup();
    res
}

/// A hit as a finding of the table's check.
pub fn to_finding(path: &str, rule: &sekisho_finding::Rule, hit: &Hit) -> Misconfiguration {
    let location = if path.is_empty() || path.starts_with("config:") {
        Location::logical(path)
    } else {
        Location::at(path, hit.pos.line, hit.pos.column)
    };
    Misconfiguration {
        id: rule.id.to_string(),
        aliases: rule.aliases.iter().map(|a| (*a).to_string()).collect(),
        severity: rule.severity,
        title: rule.title.to_string(),
        why: rule.why.to_string(),
        fix: rule.fix.to_string(),
        location,
        file_type: checks::file_type(rule).as_str().to_string(),
        object: hit.object.clone(),
        value: hit.value.clone(),
    }
}
