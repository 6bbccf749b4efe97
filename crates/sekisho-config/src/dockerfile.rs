//! Dockerfiles (and Containerfiles): a parser that keeps the line and column of every
//! instruction and of every word in it, with line continuations, the `escape` parser
//! directive, comments inside continuations, heredocs (`RUN <<EOF`, `<<-EOF`, quoted
//! terminators, several per instruction) and flags (`--mount=type=secret`, `--checksum`), then
//! stage-aware checks: the user and the healthcheck only matter in the final stage (following
//! `FROM <stage>` to the stage it builds on), tool checks are per stage.
//!
//! The parser is ours: the Rust Dockerfile parsers on crates.io that were looked at either drop
//! positions or do not parse heredocs. Bounded: at most [`MAX_INSTRUCTIONS`] instructions and
//! [`MAX_HEREDOC_LINES`] heredoc lines; an unterminated heredoc ends at the end of the file.

use crate::Hit;
use crate::k8s::extra::{image_parts, literal_secret_value, secret_name};
use crate::yaml::Pos;

pub const MAX_INSTRUCTIONS: usize = 100_000;
pub const MAX_HEREDOC_LINES: usize = 1_000_000;

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`).
    pub keyword: String,
    /// Where the keyword is.
    pub pos: Pos,
    /// `--name=value` flags before the arguments (`--mount=type=secret,id=npm`).
    pub flags: Vec<String>,
    /// The arguments, continuation lines joined with a space.
    pub args: String,
    /// For each byte offset in `args` where a physical line starts, that line's position.
    spans: Vec<(usize, Pos)>,
    /// Heredoc bodies (`RUN <<EOF ... EOF`), each with the line its body starts on.
    pub heredocs: Vec<(String, u32)>,
}

impl Instruction {
    /// The position of byte `off` of `args`.
    pub fn pos_of(&self, off: usize) -> Pos {
        let mut best = self.pos;
        let mut base = 0;
        for (o, p) in &self.spans {
            if *o <= off {
                best = *p;
                base = *o;
            } else {
                break;
            }
        }
        let col = self.args[base..off.min(self.args.len())].chars().count();
        Pos {
            line: best.line,
            column: best.column + u32::try_from(col).unwrap_or(0),
        }
    }

    /// Whether a flag `--name` (with any value, or `--name=value` prefix) is present.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case(name) => Some(v),
                None if f.eq_ignore_ascii_case(name) => Some(""),
                _ => None,
            }
        })
    }

    /// The shell text of a RUN: its arguments and heredoc bodies, each with where it starts.
    pub fn shell_parts(&self) -> Vec<(&str, ShellAt<'_>)> {
        let mut v = vec![(self.args.as_str(), ShellAt::Args(self))];
        for (h, line) in &self.heredocs {
            v.push((h.as_str(), ShellAt::Heredoc(*line)));
        }
        v
    }
}

/// Where a piece of shell text is, to position a match in it.
#[derive(Clone, Copy)]
pub enum ShellAt<'a> {
    Args(&'a Instruction),
    Heredoc(u32),
}

impl ShellAt<'_> {
    pub fn pos(&self, text: &str, off: usize) -> Pos {
        match self {
            Self::Args(i) => i.pos_of(off),
            Self::Heredoc(line) => {
                let before = &text[..off.min(text.len())];
                let l = before.matches('\n').count();
                let col = before.rsplit('\n').next().map_or(0, |x| x.chars().count());
                Pos {
                    line: line + u32::try_from(l).unwrap_or(0),
                    column: u32::try_from(col + 1).unwrap_or(1),
                }
            }
        }
    }
}

/// One build stage: from its `FROM` to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The base image (or stage name) as written.
    pub base: String,
    /// `AS name`.
    pub name: Option<String>,
    /// Index of the FROM in [`Dockerfile::instructions`].
    pub from: usize,
    /// Instructions of the stage, FROM included (indexes).
    pub instructions: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// Instructions before the first FROM (ARG, parser directives aside).
    pub preamble: Vec<usize>,
}

fn heredoc_terminators(args: &str) -> Vec<(String, bool)> {
    // `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`; not `<<<` and not inside `$((1<<2))`.
    let mut out = Vec::new();
    let b = args.as_bytes();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'<' && b[i + 1] == b'<' && (i == 0 || b[i - 1] != b'<') && b[i + 2] != b'<' {
            let mut j = i + 2;
            let dash = b.get(j) == Some(&b'-');
            if dash {
                j += 1;
            }
            let quote = match b.get(j) {
                Some(q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(*q)
                }
                _ => None,
            };
            let start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start && b[start].is_ascii_alphabetic() {
                out.push((args[start..j].to_string(), dash));
                if quote.is_some() && b.get(j) == quote.as_ref() {
                    j += 1;
                }
            }
            i = j.max(i + 2);
        } else {
            i += 1;
        }
    }
    out
}

/// Parse a Dockerfile. Never fails: what is not an instruction is skipped.
pub fn parse(text: &str) -> Dockerfile {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    // Parser directives: only at the very top, before any other line.
    for l in &lines {
        let t = l.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim();
        match d.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("escape") => {
                if let Some(c) = v.trim().chars().next() {
                    escape = c;
                }
            }
            Some((k, _))
                if k.trim().eq_ignore_ascii_case("syntax")
                    || k.trim().eq_ignore_ascii_case("check") => {}
            _ => break,
        }
    }
    let mut df = Dockerfile::default();
    let mut i = 0;
    while i < lines.len() && df.instructions.len() < MAX_INSTRUCTIONS {
        let raw = lines[i];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let lead = raw.len() - trimmed.len();
        let kw_len = trimmed
            .find(|c: char| c.is_whitespace())
            .unwrap_or(trimmed.len());
        let keyword = trimmed[..kw_len].to_ascii_uppercase();
        let pos = Pos {
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            column: u32::try_from(raw[..lead].chars().count() + 1).unwrap_or(1),
        };
        // Join continuation lines.
        let mut args = String::new();
        let mut spans = Vec::new();
        let mut cur = trimmed[kw_len..].to_string();
        let mut cur_pos = Pos {
            line: pos.line,
            column: pos.column + u32::try_from(kw_len).unwrap_or(0),
        };
        loop {
            let t = cur.trim_end();
            let cont = t.ends_with(escape);
            let piece = if cont {
                &t[..t.len() - escape.len_utf8()]
            } else {
                t
            };
            // Leading whitespace of the piece shifts the column.
            let ws = piece.len() - piece.trim_start().len();
            if !args.is_empty() && !piece.trim().is_empty() {
                args.push(' ');
            }
            if !piece.trim().is_empty() {
                spans.push((
                    args.len(),
                    Pos {
                        line: cur_pos.line,
                        column: cur_pos.column
                            + u32::try_from(piece[..ws].chars().count()).unwrap_or(0),
                    },
                ));
                args.push_str(piece.trim());
            }
            i += 1;
            if !cont {
                break;
            }
            // Skip comment and blank lines inside a continuation.
            while i < lines.len() && {
                let x = lines[i].trim_start();
                x.starts_with('#') || x.is_empty()
            } {
                i += 1;
            }
            if i >= lines.len() {
                break;
            }
            cur = lines[i].to_string();
            cur_pos = Pos {
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                column: 1,
            };
        }
        // Flags.
        let mut flags = Vec::new();
        let mut rest_off = 0;
        {
            let mut s = args.as_str();
            loop {
                let st = s.trim_start();
                let skipped = s.len() - st.len();
                if !st.starts_with("--") {
                    rest_off += skipped;
                    break;
                }
                let end = st.find(char::is_whitespace).unwrap_or(st.len());
                flags.push(st[..end].to_string());
                rest_off += skipped + end;
                s = &st[end..];
            }
        }
        let rest = args[rest_off..].to_string();
        let spans = spans
            .into_iter()
            .map(|(o, p): (usize, Pos)| (o.saturating_sub(rest_off), p))
            .collect();
        // Heredocs: bodies follow the instruction's last line.
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (term, dash) in heredoc_terminators(&rest) {
                let start = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let mut body = String::new();
                let mut n = 0;
                while i < lines.len() && n < MAX_HEREDOC_LINES {
                    let l = if dash {
                        lines[i].trim_start_matches('\t')
                    } else {
                        lines[i]
                    };
                    i += 1;
                    n += 1;
                    if l.trim_end() == term {
                        break;
                    }
                    body.push_str(l);
                    body.push('\n');
                }
                heredocs.push((body, start));
            }
        }
        let idx = df.instructions.len();
        df.instructions.push(Instruction {
            keyword: keyword.clone(),
            pos,
            flags,
            args: rest,
            spans,
            heredocs,
        });
        if keyword == "FROM" {
            let ins = &df.instructions[idx];
            let words: Vec<&str> = ins.args.split_whitespace().collect();
            let base = words.first().copied().unwrap_or("").to_string();
            let name = match (words.get(1), words.get(2)) {
                (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                _ => None,
            };
            df.stages.push(Stage {
                base,
                name,
                from: idx,
                instructions: vec![idx],
            });
        } else if let Some(s) = df.stages.last_mut() {
            s.instructions.push(idx);
        } else {
            df.preamble.push(idx);
        }
    }
    df
}

impl Dockerfile {
    fn stage_by_name(&self, name: &str, before: usize) -> Option<usize> {
        let n = name.to_ascii_lowercase();
        (0..before)
            .rev()
            .find(|&i| self.stages[i].name.as_deref() == Some(n.as_str()))
    }

    /// The last instruction with `keyword` in stage `s` or the stages it builds on.
    fn effective(&self, s: usize, keyword: &str) -> Option<&Instruction> {
        let mut cur = Some(s);
        let mut hops = 0;
        while let Some(si) = cur {
            let st = &self.stages[si];
            if let Some(i) = st
                .instructions
                .iter()
                .rev()
                .map(|&i| &self.instructions[i])
                .find(|i| i.keyword == keyword)
            {
                return Some(i);
            }
            hops += 1;
            if hops > self.stages.len() {
                return None;
            }
            cur = self.stage_by_name(&st.base, si);
        }
        None
    }

    /// Whether stage `s` builds (eventually) on an image rather than only on other stages
    /// with the given base image name.
    fn root_base(&self, s: usize) -> &str {
        let mut cur = s;
        for _ in 0..=self.stages.len() {
            match self.stage_by_name(&self.stages[cur].base, cur) {
                Some(p) => cur = p,
                None => return &self.stages[cur].base,
            }
        }
        &self.stages[cur].base
    }
}

fn is_root_user(u: &str) -> bool {
    let user = u.split(':').next().unwrap_or("").trim();
    user == "root" || user == "0"
}

/// Base images that set a non-root user themselves (distroless and Chainguard `nonroot`).
fn base_sets_nonroot(base: &str) -> bool {
    let (_, tag, _) = image_parts(base);
    tag.is_some_and(|t| t == "nonroot" || t.ends_with("-nonroot"))
}

/// Find `needle` (a regex-free word pattern) in shell text: returns byte offsets of matches
/// of any of `pats`, where each pattern is a sequence of whitespace-separated words that must
/// appear in order within one command (no `;`, `&&`, `|` in between).
fn commands(text: &str) -> Vec<(usize, &str)> {
    // Split into simple commands, keeping offsets.
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let sep = match b[i] {
            b';' | b'\n' => 1,
            b'&' if b.get(i + 1) == Some(&b'&') => 2,
            b'|' if b.get(i + 1) == Some(&b'|') => 2,
            b'|' => 1,
            _ => 0,
        };
        if sep > 0 {
            out.push((start, &text[start..i]));
            i += sep;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push((start, &text[start..]));
    out
}

fn words(cmd: &str) -> Vec<(usize, &str)> {
    let mut v = Vec::new();
    let mut off = 0;
    for w in cmd.split_whitespace() {
        let at = cmd[off..].find(w).map_or(off, |x| off + x);
        v.push((at, w.trim_matches(|c| c == '"' || c == '\'')));
        off = at + w.len();
    }
    v
}

/// Words of a simple command after `sudo`, `env X=Y` and such prefixes: (tool, rest).
fn tool_of<'a>(ws: &'a [(usize, &'a str)]) -> Option<(usize, &'a str, &'a [(usize, &'a str)])> {
    let mut k = 0;
    while k < ws.len() {
        let w = ws[k].1;
        if w == "sudo"
            || w == "env"
            || w == "exec"
            || w == "command"
            || (w.contains('=') && !w.starts_with('-'))
        {
            k += 1;
            continue;
        }
        let name = w.rsplit('/').next().unwrap_or(w);
        return Some((ws[k].0, name, &ws[k + 1..]));
    }
    None
}

/// TLS and integrity bypasses in one simple command: the word that does it.
fn tls_bypass(tool: &str, rest: &[(usize, &str)]) -> Option<usize> {
    let has = |f: &dyn Fn(&str) -> bool| rest.iter().find(|(_, w)| f(w)).map(|(o, _)| *o);
    match tool {
        "curl" => has(&|w| {
            w == "--insecure" || (w.starts_with('-') && !w.starts_with("--") && w.contains('k'))
        }),
        "wget" => has(&|w| w == "--no-check-certificate"),
        "pip" | "pip3" | "pipx" => {
            has(&|w| w == "--trusted-host" || w.starts_with("--trusted-host="))
        }
        "python" | "python3" => {
            if rest.iter().any(|(_, w)| *w == "pip") {
                has(&|w| w == "--trusted-host" || w.starts_with("--trusted-host="))
            } else {
                None
            }
        }
        "npm" | "yarn" | "pnpm" => {
            let ws: Vec<&str> = rest.iter().map(|(_, w)| *w).collect();
            let joined = ws.join(" ");
            if joined.contains("strict-ssl false") || joined.contains("strict-ssl=false") {
                has(&|w| w.starts_with("strict-ssl"))
            } else {
                None
            }
        }
        "apt-get" | "apt" | "aptitude" => has(&|w| {
            w == "--allow-unauthenticated"
                || w == "--allow-insecure-repositories"
                || w.contains("AllowUnauthenticated=true")
                || w.contains("AllowUnauthenticated=1")
        }),
        "yum" | "dnf" | "microdnf" => has(&|w| w == "--nogpgcheck"),
        "apk" => has(&|w| w == "--allow-untrusted"),
        "git" => {
            let i = rest.iter().position(|(_, w)| {
                let l = w.to_ascii_lowercase();
                l.starts_with("http.sslverify=false") || l.starts_with("http.sslverify=0")
            })?;
            Some(rest[i].0)
        }
        _ => None,
    }
}

/// The checks of one Dockerfile.
pub fn check(df: &Dockerfile, hits: &mut Vec<Hit>) {
    for (si, st) in df.stages.iter().enumerate() {
        let stage_label = match &st.name {
            Some(n) => format!("stage {n}"),
            None => format!("stage {si}"),
        };
        // Unpinned base image (not `scratch`, not another stage, not a variable).
        let from = &df.instructions[st.from];
        if df.stage_by_name(&st.base, si).is_none()
            && !st.base.eq_ignore_ascii_case("scratch")
            && !st.base.contains('$')
            && !st.base.is_empty()
        {
            let (_, tag, digest) = image_parts(&st.base);
            if digest.is_none() && matches!(tag, None | Some("latest")) {
                let off = from.args.find(&st.base).unwrap_or(0);
                hits.push(
                    Hit::new("dockerfile-unpinned-base", from.pos_of(off))
                        .object(&stage_label)
                        .value(&st.base),
                );
            }
        }
        let mut curl_at: Option<Pos> = None;
        let mut wget_at: Option<Pos> = None;
        let mut both_reported = false;
        for &ii in &st.instructions {
            let ins = &df.instructions[ii];
            match ins.keyword.as_str() {
                "RUN" => check_run(
                    ins,
                    &stage_label,
                    hits,
                    &mut curl_at,
                    &mut wget_at,
                    &mut both_reported,
                ),
                "ADD" => {
                    let srcs: Vec<(usize, &str)> = words(&ins.args);
                    let has_checksum = ins.flag("checksum").is_some_and(|v| !v.is_empty());
                    if !has_checksum {
                        for (o, w) in srcs.iter().take(srcs.len().saturating_sub(1)) {
                            if w.starts_with("http://") || w.starts_with("https://") {
                                hits.push(
                                    Hit::new("dockerfile-add-url-no-checksum", ins.pos_of(*o))
                                        .object(&stage_label)
                                        .value(*w),
                                );
                            }
                        }
                    }
                }
                "ENV" | "ARG" => check_env_arg(ins, &stage_label, hits),
                "EXPOSE" => {
                    for (o, w) in words(&ins.args) {
                        let port = w.split('/').next().unwrap_or("");
                        if port == "22" || port.split('-').next() == Some("22") {
                            hits.push(
                                Hit::new("dockerfile-expose-ssh", ins.pos_of(o))
                                    .object(&stage_label)
                                    .value(w),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for &ii in &df.preamble {
        let ins = &df.instructions[ii];
        if ins.keyword == "ARG" {
            check_env_arg(ins, "before the first FROM", hits);
        }
    }
    // The final stage: the user it runs as and its healthcheck.
    if let Some(last) = df.stages.len().checked_sub(1) {
        let st = &df.stages[last];
        let from = &df.instructions[st.from];
        let label = match &st.name {
            Some(n) => format!("final stage {n}"),
            None => "final stage".to_string(),
        };
        match df.effective(last, "USER") {
            Some(u) if is_root_user(u.args.trim()) => hits.push(
                Hit::new("dockerfile-root-user", u.pos)
                    .object(&label)
                    .value(u.args.trim()),
            ),
            Some(_) => {}
            None => {
                let base = df.root_base(last);
                if !base.eq_ignore_ascii_case("scratch") && !base_sets_nonroot(base) {
                    hits.push(Hit::new("dockerfile-no-user", from.pos).object(&label));
                }
            }
        }
        if df.effective(last, "HEALTHCHECK").is_none()
            && !df.root_base(last).eq_ignore_ascii_case("scratch")
        {
            hits.push(Hit::new("dockerfile-no-healthcheck", from.pos).object(&label));
        }
    }
}

fn check_env_arg(ins: &Instruction, label: &str, hits: &mut Vec<Hit>) {
    // `ENV A=1 B=2`, `ENV A 1` (legacy), `ARG NAME[=default]`.
    let ws = words(&ins.args);
    let pairs: Vec<(usize, &str, Option<&str>)> =
        if ins.keyword == "ENV" && ws.len() >= 2 && !ws[0].1.contains('=') {
            vec![(ws[0].0, ws[0].1, Some(ins.args[ws[1].0..].trim()))]
        } else {
            ws.iter()
                .map(|(o, w)| match w.split_once('=') {
                    Some((k, v)) => (*o, k, Some(v)),
                    None => (*o, *w, None),
                })
                .collect()
        };
    for (o, k, v) in pairs {
        if !secret_name(k) {
            continue;
        }
        let flagged = match (ins.keyword.as_str(), v) {
            ("ENV", Some(v)) => literal_secret_value(v),
            ("ARG", _) => true,
            _ => false,
        };
        if flagged {
            hits.push(
                Hit::new("dockerfile-secret-in-env-arg", ins.pos_of(o))
                    .object(label)
                    .value(format!(
                        "{} {k}{}",
                        ins.keyword,
                        if v.is_some() { "=****" } else { "" }
                    )),
            );
        }
    }
}

fn check_run(
    ins: &Instruction,
    label: &str,
    hits: &mut Vec<Hit>,
    curl_at: &mut Option<Pos>,
    wget_at: &mut Option<Pos>,
    both_reported: &mut bool,
) {
    for (text, at) in ins.shell_parts() {
        let cmds = commands(text);
        for (ci, (coff, cmd)) in cmds.iter().enumerate() {
            let ws = words(cmd);
            let Some((toff, tool, rest)) = tool_of(&ws) else {
                continue;
            };
            let pos = |o: usize| at.pos(text, coff + o);
            if ws.iter().any(|(_, w)| *w == "sudo") {
                let o = ws.iter().find(|(_, w)| *w == "sudo").map_or(0, |x| x.0);
                hits.push(Hit::new("dockerfile-sudo", pos(o)).object(label));
            }
            if let Some(o) = tls_bypass(tool, rest) {
                let word = rest.iter().find(|(x, _)| *x == o).map_or("", |x| x.1);
                hits.push(
                    Hit::new("dockerfile-tls-bypass", pos(o))
                        .object(label)
                        .value(format!("{tool} {word}")),
                );
            }
            if tool == "chmod"
                && rest.iter().any(|(_, w)| {
                    matches!(*w, "777" | "0777" | "a+rwx" | "ugo+rwx" | "o+w" | "a+w")
                })
            {
                hits.push(Hit::new("dockerfile-chmod-777", pos(toff)).object(label));
            }
            if tool == "curl" || tool == "wget" {
                let p = pos(toff);
                if tool == "curl" {
                    curl_at.get_or_insert(p);
                } else {
                    wget_at.get_or_insert(p);
                }
                if curl_at.is_some() && wget_at.is_some() && !*both_reported {
                    *both_reported = true;
                    hits.push(Hit::new("dockerfile-curl-and-wget", p).object(label));
                }
                // `curl ... | sh`: the next command, after a single pipe, is a shell.
                let end = coff + cmd.len();
                let piped = text[end..].starts_with('|') && !text[end..].starts_with("||");
                if piped && let Some((_, next)) = cmds.get(ci + 1) {
                    let nws = words(next);
                    if let Some((_, ntool, _)) = tool_of(&nws)
                        && matches!(
                            ntool,
                            "sh" | "bash"
                                | "zsh"
                                | "dash"
                                | "ash"
                                | "ksh"
                                | "python"
                                | "python3"
                                | "perl"
                        )
                    {
                        hits.push(
                            Hit::new("dockerfile-curl-pipe-shell", p)
                                .object(label)
                                .value(format!("{tool} | {ntool}")),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(t: &str) -> Vec<(&'static str, u32, u32)> {
        let mut h = Vec::new();
        check(&parse(t), &mut h);
        h.iter()
            .map(|h| (h.check, h.pos.line, h.pos.column))
            .collect()
    }

    #[test]
    fn multi_stage_root_only_matters_at_the_end() {
        let t = "FROM golang:1.22 AS build\nUSER root\nRUN go build\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /x /x\n";
        let v = ids(t);
        assert!(
            !v.iter()
                .any(|x| x.0 == "dockerfile-root-user" || x.0 == "dockerfile-no-user"),
            "{v:?}"
        );
        let t = "FROM debian:12 AS base\nUSER app\nFROM base\nRUN true\n";
        assert!(!ids(t).iter().any(|x| x.0 == "dockerfile-no-user"));
        let t = "FROM debian:12\nUSER app\nFROM debian:12\nUSER 0:0\n";
        assert!(ids(t).contains(&("dockerfile-root-user", 4, 1)));
        let t = "FROM debian:12\nRUN true\n";
        assert!(ids(t).contains(&("dockerfile-no-user", 1, 1)));
    }

    #[test]
    fn curl_and_wget_per_stage() {
        let t = "FROM a:1 AS x\nRUN curl -fsSL https://x -o y\nFROM b:1\nRUN wget https://y\nUSER app\nHEALTHCHECK CMD true\n";
        assert!(!ids(t).iter().any(|x| x.0 == "dockerfile-curl-and-wget"));
        let t = "FROM a:1\nRUN curl -fsSL https://x -o y && wget https://y\n";
        assert!(ids(t).iter().any(|x| x.0 == "dockerfile-curl-and-wget"));
    }

    #[test]
    fn heredocs_and_continuations_keep_lines() {
        let t = "FROM a:1\nRUN <<EOF\nset -e\ncurl -k https://x | sh\nEOF\nRUN apt-get update && \\\n    apt-get install -y --allow-unauthenticated x\nUSER app\nHEALTHCHECK CMD true\n";
        let v = ids(t);
        assert!(v.contains(&("dockerfile-tls-bypass", 4, 6)), "{v:?}");
        assert!(v.contains(&("dockerfile-curl-pipe-shell", 4, 1)), "{v:?}");
        assert!(v.contains(&("dockerfile-tls-bypass", 7, 24)), "{v:?}");
    }

    #[test]
    fn secret_mounts_are_never_flagged() {
        let t = "FROM a:1\nRUN --mount=type=secret,id=npm,target=/root/.npmrc npm ci\nUSER app\nHEALTHCHECK CMD true\n";
        assert!(ids(t).is_empty(), "{:?}", ids(t));
        let df = parse(t);
        assert_eq!(
            df.instructions[1].flag("mount"),
            Some("type=secret,id=npm,target=/root/.npmrc")
        );
        assert_eq!(df.instructions[1].args, "npm ci");
    }

    #[test]
    fn the_rest() {
        let t = "ARG GITHUB_TOKEN\nFROM ubuntu\nENV DB_PASSWORD=hunter22 PATH=/x\nADD https://x/y.tgz /y\nADD --checksum=sha256:00 https://x/z.tgz /z\nRUN sudo chmod 777 /srv && pip install --trusted-host pypi.org x\nRUN git -c http.sslVerify=false clone https://x\nEXPOSE 80 22/tcp\nRUN npm config set strict-ssl false\n";
        let v = ids(t);
        for want in [
            ("dockerfile-secret-in-env-arg", 1, 5),
            ("dockerfile-unpinned-base", 2, 6),
            ("dockerfile-secret-in-env-arg", 3, 5),
            ("dockerfile-add-url-no-checksum", 4, 5),
            ("dockerfile-sudo", 6, 5),
            ("dockerfile-chmod-777", 6, 10),
            ("dockerfile-tls-bypass", 6, 40),
            ("dockerfile-tls-bypass", 7, 12),
            ("dockerfile-expose-ssh", 8, 11),
            ("dockerfile-tls-bypass", 9, 20),
            ("dockerfile-no-user", 2, 1),
            ("dockerfile-no-healthcheck", 2, 1),
        ] {
            assert!(v.contains(&want), "{want:?} not in {v:?}");
        }
        assert_eq!(
            v.iter()
                .filter(|x| x.0 == "dockerfile-add-url-no-checksum")
                .count(),
            1
        );
    }

    #[test]
    fn escape_directive_and_junk() {
        let t = "# escape=`\nFROM mcr.microsoft.com/windows:1 AS w\nRUN echo a `\n  b\n";
        let df = parse(t);
        assert_eq!(df.instructions[1].args, "echo a b");
        let _ = parse("\\\n\\\nRUN <<\n<<EOF\n");
        let _ = parse("FROM\nFROM a AS\nUSER\nRUN <<-'X'\n\tX\n");
    }
}
