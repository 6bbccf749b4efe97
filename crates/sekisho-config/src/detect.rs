//! What a file is, decided by its content: Kubernetes by `apiVersion` + `kind`, compose by a
//! `services` mapping, an OCI runtime config by `ociVersion`, an image config by
//! `rootfs.type: layers`; Dockerfiles by name (`Dockerfile`, `Containerfile`, `*.Dockerfile`,
//! `Dockerfile.*`) or by a first instruction of `FROM` (or `ARG` then `FROM`).

use crate::FileType;
use crate::yaml::{self, Node, ParseError, Parsed};

/// The file's type, and what was parsed to decide it.
#[derive(Debug, Default)]
pub struct Detected {
    pub file_type: Option<FileType>,
    /// The YAML/JSON documents (for every type but Dockerfile).
    pub parsed: Option<Parsed>,
    /// Why a file that looked like YAML or JSON could not be read.
    pub error: Option<ParseError>,
}

fn base(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A Dockerfile by its name.
pub fn is_dockerfile_name(path: &str) -> bool {
    let b = base(path);
    let l = b.to_ascii_lowercase();
    l == "dockerfile"
        || l == "containerfile"
        || l.starts_with("dockerfile.")
        || l.starts_with("containerfile.")
        || l.ends_with(".dockerfile")
        || l.ends_with(".containerfile")
}

/// A YAML or JSON file by its extension.
pub fn is_yaml_json_name(path: &str) -> bool {
    let l = base(path).to_ascii_lowercase();
    l.ends_with(".yaml") || l.ends_with(".yml") || l.ends_with(".json")
}

/// Whether a directory walk should look at this file at all.
pub fn is_candidate(path: &str) -> bool {
    is_dockerfile_name(path) || is_yaml_json_name(path)
}

/// The type a name alone suggests (for files that could not be read).
pub fn by_name(path: &str) -> Option<FileType> {
    if is_dockerfile_name(path) {
        return Some(FileType::Dockerfile);
    }
    let l = base(path).to_ascii_lowercase();
    if l.starts_with("docker-compose.") || l.starts_with("compose.") {
        return Some(FileType::Compose);
    }
    None
}

/// A Dockerfile by content: the first instruction (after comments, blank lines and parser
/// directives) is `FROM`, or `ARG`s followed by `FROM`.
pub fn looks_like_dockerfile(text: &str) -> bool {
    for line in text.lines().take(200) {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let word: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        let rest = &t[word.len()..];
        if !rest.starts_with([' ', '\t']) {
            return false;
        }
        match word.as_str() {
            "FROM" => return true,
            "ARG" => continue,
            _ => return false,
        }
    }
    false
}

/// The type of one YAML/JSON document.
pub fn doc_type(doc: &Node) -> Option<FileType> {
    if crate::k8s::is_object(doc) {
        return Some(FileType::Kubernetes);
    }
    if doc.get("ociVersion").and_then(Node::as_str).is_some() {
        return Some(FileType::OciRuntime);
    }
    if doc.path(&["rootfs", "type"]).and_then(Node::as_str) == Some("layers") {
        return Some(FileType::ImageConfig);
    }
    if let Some(s) = doc.get("services")
        && s.as_map().is_some()
        && s.entries()
            .all(|(_, _, v)| v.as_map().is_some() || v.is_null())
    {
        return Some(FileType::Compose);
    }
    None
}

/// Decide a file's type from its path and text.
pub fn detect(path: &str, text: &str) -> Detected {
    if is_dockerfile_name(path) && !is_yaml_json_name(path) {
        return Detected {
            file_type: Some(FileType::Dockerfile),
            ..Detected::default()
        };
    }
    let parsed = yaml::parse(text);
    let file_type = parsed.docs.iter().find_map(doc_type);
    if file_type.is_some() {
        return Detected {
            file_type,
            parsed: Some(parsed),
            error: None,
        };
    }
    if looks_like_dockerfile(text) {
        return Detected {
            file_type: Some(FileType::Dockerfile),
            ..Detected::default()
        };
    }
    Detected {
        file_type: None,
        error: parsed.error.clone().filter(|_| is_yaml_json_name(path)),
        parsed: Some(parsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content() {
        let t = |p: &str, s: &str| detect(p, s).file_type;
        assert_eq!(
            t("x.yaml", "apiVersion: v1\nkind: Service\n"),
            Some(FileType::Kubernetes)
        );
        assert_eq!(
            t("x", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}"),
            Some(FileType::Kubernetes)
        );
        assert_eq!(
            t("config.json", "{\"ociVersion\": \"1.0.2\"}"),
            Some(FileType::OciRuntime)
        );
        assert_eq!(
            t("a.yml", "services:\n  web:\n    image: x\n"),
            Some(FileType::Compose)
        );
        assert_eq!(
            t("build/Dockerfile", "FROM x\n"),
            Some(FileType::Dockerfile)
        );
        assert_eq!(t("app.Dockerfile", "FROM x\n"), Some(FileType::Dockerfile));
        assert_eq!(
            t("notes", "# c\nARG V=1\nFROM debian:$V\n"),
            Some(FileType::Dockerfile)
        );
        assert_eq!(t("values.yaml", "replicas: 3\n"), None);
        assert_eq!(
            t("README", "FROM here on\nwe go"),
            Some(FileType::Dockerfile)
        );
        assert_eq!(t("README", "Hello\nFROM x"), None);
        let d = detect("bad.yaml", "a: [\n");
        assert!(d.file_type.is_none() && d.error.is_some());
    }
}
