//! Where a finding is: a file (with an exact line and column where the finding has one), a
//! logical place (`config:Env`, `config:History[3]`, `wall:seccomp`), and the image layer the
//! file came from.

use serde::{Deserialize, Serialize};

/// One layer of a target, as findings name it: its index (0 = bottom), digest, and the history
/// step that made it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    pub index: usize,
    /// The layer's digest (the blob's, else the diff_id), when the target has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The history `created_by` line of the step that made the layer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// Where a finding is. At least one of `path` and `logical` is set.
///
/// Lines and columns are 1-based; a column counts Unicode scalar values from the start of the
/// line (SARIF's `columnKind` is stated by the SARIF renderer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file, relative to the target's root (or as the user named it for `sekisho config`),
    /// without a leading `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// A place that is not a file, or a place inside one (`Deployment/web`, `config:Env`,
    /// `config:History[3]`, `wall:seccomp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical: Option<String>,
    /// The layer the file came from (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

impl Location {
    /// A file, without a position.
    pub fn file(path: impl Into<String>) -> Self {
        Self {
            path: Some(trim_root(path.into())),
            ..Self::default()
        }
    }

    /// A position in a file.
    pub fn at(path: impl Into<String>, line: u32, column: u32) -> Self {
        Self {
            path: Some(trim_root(path.into())),
            line: Some(line),
            column: Some(column),
            ..Self::default()
        }
    }

    /// A logical place.
    pub fn logical(name: impl Into<String>) -> Self {
        Self {
            logical: Some(name.into()),
            ..Self::default()
        }
    }

    /// The same location in `layer`.
    #[must_use]
    pub fn in_layer(mut self, layer: Option<LayerRef>) -> Self {
        self.layer = layer;
        self
    }

    /// `path:line:column`, `path:line`, `path`, or the logical name; the logical name follows a
    /// path in parentheses.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(p) = &self.path {
            s.push_str(p);
            if let Some(l) = self.line {
                s.push_str(&format!(":{l}"));
                if let Some(c) = self.column {
                    s.push_str(&format!(":{c}"));
                }
            }
        }
        if let Some(l) = &self.logical {
            if s.is_empty() {
                s.push_str(l);
            } else {
                s.push_str(&format!(" ({l})"));
            }
        }
        s
    }
}

fn trim_root(p: String) -> String {
    match p.strip_prefix('/') {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        assert_eq!(
            Location::at("/etc/x.yaml", 3, 5).display(),
            "etc/x.yaml:3:5"
        );
        assert_eq!(Location::file("Dockerfile").display(), "Dockerfile");
        assert_eq!(Location::logical("config:Env").display(), "config:Env");
        let mut l = Location::at("k8s.yaml", 7, 9);
        l.logical = Some("Deployment/web".into());
        assert_eq!(l.display(), "k8s.yaml:7:9 (Deployment/web)");
        assert_eq!(Location::file("/").path.as_deref(), Some("/"));
    }
}
