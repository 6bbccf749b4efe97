//! Kubernetes manifests: workloads and their pod templates, the Pod Security Standards, and
//! the checks beyond them. Non-workload kinds (Service, ConfigMap, ServiceAccount, ...) never
//! get workload findings; `List` kinds are opened.

pub mod extra;
pub mod pss;

use crate::yaml::{Node, Pos};
use crate::{Hit, Options};

/// The kinds whose objects carry a pod template, and where it is.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
];

/// One Kubernetes object of a file.
pub struct Object<'a> {
    pub node: &'a Node,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

impl Object<'_> {
    /// `Deployment prod/web`.
    pub fn label(&self) -> String {
        match self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The IDs of `sekisho.dev/ignore: id,id` on the object or its pod template.
    pub fn ignored(&self) -> Vec<(String, Pos)> {
        let mut out = Vec::new();
        let metas = [
            self.node.get("metadata"),
            pod_template(self.node, self.kind).and_then(|(m, _)| m),
        ];
        for m in metas.into_iter().flatten() {
            if let Some(a) = m.get("annotations")
                && let Some((k, v)) = a.entry("sekisho.dev/ignore")
            {
                for id in v.as_str().unwrap_or("").split(',') {
                    let id = id.trim();
                    if !id.is_empty() {
                        out.push((id.to_string(), k.pos));
                    }
                }
            }
        }
        out
    }

    /// `sekisho.dev/ignore-reason` on the object, when given.
    pub fn ignore_reason(&self) -> Option<String> {
        self.node
            .path(&["metadata", "annotations", "sekisho.dev/ignore-reason"])
            .and_then(Node::as_str)
            .map(str::to_string)
    }
}

/// Whether a document looks like a Kubernetes object: `apiVersion` and `kind` strings.
pub fn is_object(doc: &Node) -> bool {
    doc.get("apiVersion").and_then(Node::as_str).is_some()
        && doc.get("kind").and_then(Node::as_str).is_some()
}

/// The objects of a document: itself, or the items of a `List` (nested lists too, bounded by
/// the parser's depth limit).
pub fn objects(doc: &Node) -> Vec<Object<'_>> {
    let mut out = Vec::new();
    collect(doc, &mut out);
    out
}

fn collect<'a>(doc: &'a Node, out: &mut Vec<Object<'a>>) {
    let Some(kind) = doc.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind == "List" || (kind.ends_with("List") && doc.get("items").is_some()) {
        for item in doc.get("items").into_iter().flat_map(Node::items) {
            collect(item, out);
        }
        return;
    }
    let meta = doc.get("metadata");
    out.push(Object {
        node: doc,
        kind,
        name: meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or(""),
        namespace: meta.and_then(|m| m.get("namespace")).and_then(Node::as_str),
    });
}

/// The pod template of a workload: its metadata (annotations) and its spec.
pub fn pod_template<'a>(obj: &'a Node, kind: &str) -> Option<(Option<&'a Node>, &'a Node)> {
    let t = match kind {
        "Pod" => return obj.get("spec").map(|s| (obj.get("metadata"), s)),
        "PodTemplate" => obj.get("template")?,
        "CronJob" => obj.path(&["spec", "jobTemplate", "spec", "template"])?,
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => obj.path(&["spec", "template"])?,
        _ => return None,
    };
    t.get("spec").map(|s| (t.get("metadata"), s))
}

/// The findings of one object.
pub fn check_object(obj: &Object<'_>, opts: &Options, hits: &mut Vec<Hit>) {
    if let Some((meta, spec)) = pod_template(obj.node, obj.kind) {
        let (level, minor) = opts.pss();
        for v in pss::evaluate(level, minor, meta, spec) {
            hits.push(Hit {
                check: v.check,
                pos: v.pos,
                object: Some(match &v.container {
                    Some(c) => format!("{} container {c}", obj.label()),
                    None => obj.label(),
                }),
                value: Some(v.detail),
            });
        }
        if opts.policy.is_none() {
            extra::check_pod(obj, spec, hits);
        }
    }
    if opts.policy.is_none() {
        extra::check_other(obj, hits);
    }
}
