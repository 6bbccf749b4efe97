//! `config`: misconfigurations of an image or filesystem (`sekisho-config`): the image config
//! (User, ExposedPorts, Env and Labels, Healthcheck, build history) and every Dockerfile,
//! Kubernetes manifest and compose file found in the final filesystem, at the line in the file
//! and with the layer that wrote it. `--scanners config`.
//!
//! Inside a target only Dockerfile names and `*.yaml`/`*.yml` files are read (JSON files in
//! images are mostly package manifests), outside package trees (`node_modules`,
//! `site-packages`, `usr/share`, `usr/lib`) and at most 1 MiB each. YAML files that are not
//! configuration the checks know, and files that do not parse, are counted in a note.

use sekisho_artifact::{Capture, EntryMeta, Note};
use sekisho_config::image::{Facts, check_facts};
use sekisho_config::yaml::Pos;
use sekisho_config::{FileType, Options, scan_file, to_finding};
use sekisho_finding::{Finding, Kind, LayerRef, Rule};
use sekisho_policy::{SuppressReason, Suppressed};

use crate::analyzer::{Analyzer, Context, Output};
use crate::error::ScanError;

const CAPTURE: &str = "config-files-v1";
const MAX_BYTES: u64 = 1 << 20;

/// Whether a path in a target may be a configuration file worth reading.
pub fn wanted(path: &str) -> bool {
    let l = path.to_ascii_lowercase();
    let name_ok = sekisho_config::detect::is_dockerfile_name(&l)
        || l.ends_with(".yaml")
        || l.ends_with(".yml");
    name_ok
        && !l.starts_with("proc/")
        && !l.starts_with("sys/")
        && !l.starts_with("usr/share/")
        && !l.starts_with("usr/lib/")
        && !l.contains("node_modules/")
        && !l.contains("site-packages/")
        && !l.contains("dist-packages/")
}

struct ConfigFiles;

impl Capture for ConfigFiles {
    fn id(&self) -> &'static str {
        CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && wanted(&meta.path)
    }
    fn max_size(&self) -> u64 {
        MAX_BYTES
    }
}

/// The `config` analyzer.
pub struct Configs;

impl Analyzer for Configs {
    fn id(&self) -> &'static str {
        "config"
    }
    fn kind(&self) -> Kind {
        Kind::Misconfiguration
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![Box::new(ConfigFiles)]
    }
    fn rules(&self) -> &'static [Rule] {
        sekisho_config::checks::RULES
    }
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), ScanError> {
        let opts = Options::default();
        if let Some(img) = cx.image {
            let facts = Facts {
                user: img.user.clone().map(|u| (u, Pos::default())),
                exposed_ports: img
                    .exposed_ports
                    .iter()
                    .map(|p| (p.clone(), Pos::default()))
                    .collect(),
                env: img
                    .env
                    .iter()
                    .map(|e| (e.clone(), Pos::default()))
                    .collect(),
                labels: img
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone(), Pos::default()))
                    .collect(),
                healthcheck: img
                    .healthcheck
                    .as_ref()
                    .is_some_and(|t| t.first().is_some_and(|x| x != "NONE")),
                history: img
                    .history
                    .iter()
                    .map(|h| (h.created_by.clone().unwrap_or_default(), Pos::default()))
                    .collect(),
                pos: Pos::default(),
            };
            for (hit, logical) in check_facts(&facts) {
                if let Some(rule) = sekisho_config::checks::find(hit.check) {
                    out.findings
                        .push(Finding::Misconfiguration(to_finding(&logical, rule, &hit)));
                }
            }
        }
        let mut other = Vec::new();
        let mut broken = Vec::new();
        for c in cx.inventory.visible(CAPTURE) {
            let path = c.meta.path.clone();
            let res = scan_file(&path, &c.data, &opts);
            let layer = LayerRef {
                index: c.layer,
                digest: cx.image.and_then(|i| i.diff_ids.get(c.layer).cloned()),
                created_by: None,
            };
            match (res.file_type, &res.error) {
                (Some(FileType::Dockerfile | FileType::Kubernetes | FileType::Compose), _) => {}
                (_, Some(e)) => {
                    broken.push(format!("{path} ({e})"));
                    continue;
                }
                _ => {
                    other.push(path);
                    continue;
                }
            }
            if let Some(e) = &res.error {
                out.notes.push(Note::new(
                    Some(c.layer),
                    path.clone(),
                    format!("config: parse error, the rest of the file was not checked: {e}"),
                ));
            }
            for mut f in res.findings {
                f.location.layer = Some(layer.clone());
                out.findings.push(Finding::Misconfiguration(f));
            }
            for s in res.suppressed {
                let mut f = s.finding;
                f.location.layer = Some(layer.clone());
                out.suppressed.push(Suppressed {
                    reason: SuppressReason::Inline {
                        file: path.clone(),
                        line: s.line,
                        reason: s.reason.or_else(|| Some(format!("{} suppression", s.how))),
                    },
                    finding: Finding::Misconfiguration(f),
                });
            }
        }
        if !other.is_empty() {
            out.notes.push(Note::new(
                None,
                "config",
                format!(
                    "{} YAML files are not configuration the checks know (not Kubernetes or compose): {}{}",
                    other.len(),
                    other.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                    if other.len() > 5 { ", ..." } else { "" }
                ),
            ));
        }
        if !broken.is_empty() {
            out.notes.push(Note::new(
                None,
                "config",
                format!(
                    "{} YAML files could not be parsed: {}{}",
                    broken.len(),
                    broken
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                    if broken.len() > 5 { "; ..." } else { "" }
                ),
            ));
        }
        Ok(())
    }
}
