//! Secrets in the image config: `Env`, `Labels`, and every history step's `created_by`.
//!
//! These travel with the image even when no layer holds them: `docker inspect` shows Env and
//! Labels, `docker history --no-trunc` shows every `created_by`, including the build arguments
//! BuildKit records for a `RUN` that uses them:
//!
//! ```text
//! RUN |2 NPM_TOKEN=npm_... HTTP_PROXY=http://... /bin/sh -c npm ci
//! ```
//!
//! (`|N` is followed by N `KEY=value` words, then the command; the classic builder writes
//! `/bin/sh -c #(nop)  ENV KEY=value` for `ENV`.) Findings carry a logical location:
//! `config:Env[NAME]`, `config:Labels[NAME]`, `config:History[i]` (i counts every history
//! entry, empty layers included, as `docker history` and the config JSON do).

use sekisho_artifact::image::ImageMeta;

use crate::scan::{Rules, SecretMatch, scan_bytes};

/// One secret in the image config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMatch {
    /// `config:Env[NAME]`, `config:Labels[NAME]` or `config:History[i]`.
    pub logical: String,
    /// What holds it, in words (`build argument NPM_TOKEN of RUN`).
    pub what: String,
    /// For history entries that made a layer: that layer's index.
    pub layer: Option<usize>,
    /// The match; `line` is 1 and `column` counts characters in the entry.
    pub found: SecretMatch,
}

/// A `created_by` line taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreatedBy<'a> {
    /// BuildKit's `|N KEY=value ...` build arguments, with the byte offset of each word.
    pub build_args: Vec<(usize, &'a str, &'a str)>,
    /// The command after the build arguments (the whole line when there are none).
    pub command: &'a str,
    /// The Dockerfile instruction, when the line names one (`RUN`, `ENV`, `COPY`, ...).
    pub instruction: Option<&'a str>,
}

/// Most build arguments read from one `|N` prefix.
const MAX_BUILD_ARGS: usize = 1024;

/// Parse a history `created_by` line. Never fails: what is not understood is the command.
pub fn parse_created_by(line: &str) -> CreatedBy<'_> {
    let mut out = CreatedBy {
        command: line,
        ..CreatedBy::default()
    };
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    let (instr, rest, rest_at) = match trimmed.split_once(' ') {
        Some((w, r)) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()) => {
            (Some(w), r, lead + w.len() + 1)
        }
        _ => (None, trimmed, lead),
    };
    out.instruction = instr;
    // Classic builder: `/bin/sh -c #(nop)  ENV A=b`.
    if instr.is_none()
        && let Some(i) = line.find("#(nop)")
    {
        let after = line[i + 6..].trim_start();
        out.instruction = after
            .split(' ')
            .next()
            .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()));
    }
    let Some(count) = rest.strip_prefix('|') else {
        return out;
    };
    let digits = count.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = count[..digits].parse::<usize>() else {
        return out;
    };
    let mut at = rest_at + 1 + digits;
    let mut remaining = &count[digits..];
    for _ in 0..n.min(MAX_BUILD_ARGS) {
        let skipped = remaining.len() - remaining.trim_start().len();
        remaining = &remaining[skipped..];
        at += skipped;
        let end = remaining.find(' ').unwrap_or(remaining.len());
        let word = &remaining[..end];
        let Some((k, v)) = word.split_once('=') else {
            break;
        };
        out.build_args.push((at, k, v));
        remaining = &remaining[end..];
        at += end;
    }
    out.command = remaining.trim_start();
    out
}

fn scan_text(rules: &Rules, text: &str) -> Vec<SecretMatch> {
    scan_bytes(rules, "", text.as_bytes()).matches
}

/// Column (1-based, characters) → byte offset in `s`.
fn byte_at(s: &str, column: u32) -> usize {
    s.char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(s.len(), |(i, _)| i)
}

/// Every secret in `meta`'s Env, Labels and history.
pub fn scan_config(rules: &Rules, meta: &ImageMeta) -> Vec<ConfigMatch> {
    let mut out = Vec::new();
    for e in &meta.env {
        let name = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
        for m in scan_text(rules, e) {
            out.push(ConfigMatch {
                logical: format!("config:Env[{name}]"),
                what: format!("environment variable {name}"),
                layer: None,
                found: m,
            });
        }
    }
    for (k, v) in &meta.labels {
        let text = format!("{k}={v}");
        for m in scan_text(rules, &text) {
            out.push(ConfigMatch {
                logical: format!("config:Labels[{k}]"),
                what: format!("label {k}"),
                layer: None,
                found: m,
            });
        }
    }
    let mut layer = 0usize;
    for (i, h) in meta.history.iter().enumerate() {
        let this_layer = (!h.empty_layer).then_some(layer);
        if !h.empty_layer {
            layer += 1;
        }
        let Some(line) = h.created_by.as_deref() else {
            continue;
        };
        let parsed = parse_created_by(line);
        for m in scan_text(rules, line) {
            let at = byte_at(line, m.column);
            let arg = parsed
                .build_args
                .iter()
                .find(|(start, k, v)| at >= *start && at < start + k.len() + 1 + v.len());
            let instr = parsed.instruction.unwrap_or("step");
            let what = match arg {
                Some((_, k, _)) => format!("build argument {k} of {instr} (history step {i})"),
                None => format!("{instr} instruction (history step {i})"),
            };
            out.push(ConfigMatch {
                logical: format!("config:History[{i}]"),
                what,
                layer: this_layer,
                found: m,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekisho_artifact::image::config::History;

    #[test]
    fn buildkit_and_classic_lines() {
        let l = "RUN |2 NPM_TOKEN=abc HTTP_PROXY=http://p:3128 /bin/sh -c npm ci # buildkit";
        let p = parse_created_by(l);
        assert_eq!(p.instruction, Some("RUN"));
        assert_eq!(
            p.build_args
                .iter()
                .map(|(_, k, v)| (*k, *v))
                .collect::<Vec<_>>(),
            vec![("NPM_TOKEN", "abc"), ("HTTP_PROXY", "http://p:3128")]
        );
        assert_eq!(&l[p.build_args[0].0..p.build_args[0].0 + 9], "NPM_TOKEN");
        assert_eq!(p.command, "/bin/sh -c npm ci # buildkit");
        let c = parse_created_by("/bin/sh -c #(nop)  ENV DB_PASSWORD=x");
        assert_eq!(c.instruction, Some("ENV"));
        assert!(c.build_args.is_empty());
        // Malformed counts and words never panic and keep what parsed.
        assert_eq!(parse_created_by("RUN |x a=b").build_args, vec![]);
        assert_eq!(parse_created_by("RUN |3 a=b c").build_args.len(), 1);
        assert_eq!(
            parse_created_by("RUN |99999999999999999999 a=b").build_args,
            vec![]
        );
        assert_eq!(parse_created_by("").command, "");
        assert_eq!(parse_created_by("RUN |1").command, "");
    }

    #[test]
    fn env_labels_and_history() {
        let rules = Rules::builtin().unwrap();
        let gh = crate::fixture::crc_token("ghp_", &mut crate::fixture::Rng::new(1));
        let npm = crate::fixture::crc_token("npm_", &mut crate::fixture::Rng::new(2));
        let meta = ImageMeta {
            env: vec![
                "PATH=/usr/bin".into(),
                format!("GITHUB_TOKEN={gh}"),
                "DB_PASSWORD=${DB_PASSWORD}".into(),
            ],
            labels: [("ci.token".to_string(), npm.clone())].into(),
            history: vec![
                History {
                    created_by: Some("ADD rootfs.tar /".into()),
                    ..History::default()
                },
                History {
                    created_by: Some("ENV A=b".into()),
                    empty_layer: true,
                    ..History::default()
                },
                History {
                    created_by: Some(format!("RUN |1 NPM_TOKEN={npm} /bin/sh -c npm ci")),
                    ..History::default()
                },
            ],
            ..ImageMeta::default()
        };
        let got = scan_config(rules, &meta);
        let summary: Vec<(&str, &str, Option<usize>)> = got
            .iter()
            .map(|c| (c.logical.as_str(), c.found.rule_id(), c.layer))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("config:Env[GITHUB_TOKEN]", "github-pat", None),
                ("config:Labels[ci.token]", "npm-access-token", None),
                ("config:History[2]", "npm-access-token", Some(1)),
            ]
        );
        assert_eq!(
            got[2].what,
            "build argument NPM_TOKEN of RUN (history step 2)"
        );
        let dbg = format!("{got:?}");
        assert!(!dbg.contains(&gh[4..]) && !dbg.contains(&npm[4..]));
    }
}
