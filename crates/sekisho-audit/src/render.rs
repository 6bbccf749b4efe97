//! Plain-text tables that read well in 80 columns (no colour, so `NO_COLOR` is always honoured).

use std::fmt::Write;

use crate::hostview::{Container, HostReport};
use crate::model::{Report, WallStatus};

const WIDTH: usize = 80;

/// Greedy word wrap with a hanging indent.
fn wrap(out: &mut String, first: &str, indent: usize, text: &str) {
    let mut line = first.to_string();
    let mut empty = true;
    // Hard-split words that cannot fit on a line of their own (long paths, IDs).
    let room = WIDTH.saturating_sub(indent).max(20);
    let mut words: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        let chars: Vec<char> = w.chars().collect();
        for chunk in chars.chunks(room) {
            words.push(chunk.iter().collect());
        }
    }
    for w in &words {
        let w = w.as_str();
        if !empty && line.chars().count() + 1 + w.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(w);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn status_word(s: WallStatus) -> &'static str {
    match s {
        WallStatus::Present => "present",
        WallStatus::Weakened => "weakened",
        WallStatus::Missing => "MISSING",
    }
}

/// The inside view.
pub fn inside(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Isolation of pid {} ({}), kernel {}",
        r.target.pid,
        r.target.name.as_deref().unwrap_or("?"),
        r.kernel.release.as_deref().unwrap_or("?")
    );
    let rt = &r.runtime;
    let mut where_ = match &rt.name {
        Some(n) => format!("runtime {n} ({} confidence)", rt.confidence),
        None => "no container runtime detected".into(),
    };
    if let Some(id) = &rt.container_id {
        let _ = write!(where_, ", id {}", &id[..id.len().min(12)]);
    }
    if let Some(s) = &rt.sandbox_kernel {
        let _ = write!(where_, "; sandbox kernel {s}");
    }
    if rt.vm.detected {
        let _ = write!(
            where_,
            "; VM {}{}",
            rt.vm.hypervisor.as_deref().unwrap_or("?"),
            rt.vm
                .flavour
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default()
        );
    }
    wrap(&mut o, "", 2, &where_);
    wrap(
        &mut o,
        "",
        2,
        &format!(
            "Grade {}: {}",
            r.grade,
            r.summary
                .trim_start_matches(&format!("grade {}: ", r.grade))
        ),
    );
    o.push('\n');
    let _ = writeln!(o, "{:<15} {:<9} EVIDENCE", "WALL", "STATUS");
    for w in &r.walls {
        let ev = if w.evidence.is_empty() {
            "-".to_string()
        } else {
            w.evidence.join("; ")
        };
        wrap(
            &mut o,
            &format!("{:<15} {:<9} ", w.wall, status_word(w.status)),
            26,
            &ev,
        );
        if !w.caught_by.is_empty() {
            wrap(
                &mut o,
                &" ".repeat(26),
                28,
                &format!("caught by sekisho config: {}", w.caught_by.join(", ")),
            );
        }
    }
    o.push('\n');
    let _ = writeln!(o, "{:<7} {:<12} {:<11} EVIDENCE", "NS", "INODE", "HOST?");
    for n in &r.namespaces {
        let host = match n.shared_with_host {
            Some(true) => "SHARED",
            Some(false) => "private",
            None => "unknown",
        };
        let ino = n.inode.map_or("-".into(), |i| i.to_string());
        wrap(
            &mut o,
            &format!("{:<7} {:<12} {:<11} ", n.kind, ino, host),
            32,
            &n.evidence,
        );
    }
    let u = &r.user_namespace;
    if let Some(false) = u.initial {
        let map: Vec<String> = u
            .uid_map
            .iter()
            .map(|m| format!("{}:{}:{}", m.inside, m.outside, m.count))
            .collect();
        wrap(
            &mut o,
            "",
            2,
            &format!(
                "user namespace: uid_map {} ({}), root {}",
                map.join(","),
                u.uid_coverage,
                u.root_maps_to
                    .map_or("unmapped".into(), |x| format!("-> host uid {x}"))
            ),
        );
    }
    o.push('\n');
    if let Some(ps) = &r.probes {
        let _ = writeln!(o, "{:<18} {:<23} ERRNO", "SYSCALL", "RESULT");
        for p in ps {
            let _ = writeln!(
                o,
                "{:<18} {:<23} {}",
                p.syscall,
                p.result.as_str(),
                p.errno.as_deref().unwrap_or("-")
            );
        }
        o.push('\n');
    }
    if r.findings.is_empty() {
        o.push_str("No findings.\n");
    } else {
        let _ = writeln!(o, "FINDINGS ({})", r.findings.len());
        for f in &r.findings {
            wrap(
                &mut o,
                &format!("{:<8} {:<24} ", f.severity.as_str(), f.id),
                34,
                &f.message,
            );
            wrap(&mut o, &" ".repeat(34), 36, &format!("fix: {}", f.advice));
        }
    }
    for n in &r.notes {
        wrap(&mut o, "note: ", 6, n);
    }
    if let Some(k) = &r.known_escapes {
        o.push('\n');
        o.push_str(&crate::escapes::render(k));
    }
    o
}

fn ns_letters(c: &Container) -> String {
    // m p n i u U c t: letter = private, '.' = shared with the host, '?' = unknown.
    const ORDER: [(&str, char); 8] = [
        ("mnt", 'm'),
        ("pid", 'p'),
        ("net", 'n'),
        ("ipc", 'i'),
        ("uts", 'u'),
        ("user", 'U'),
        ("cgroup", 'c'),
        ("time", 't'),
    ];
    ORDER
        .iter()
        .map(|(k, l)| {
            match c
                .namespaces
                .iter()
                .find(|n| n.kind == *k)
                .and_then(|n| n.shared_with_host)
            {
                Some(false) => *l,
                Some(true) => '.',
                None => '?',
            }
        })
        .collect()
}

fn caps_cell(c: &Container) -> String {
    let k = &c.capabilities;
    let base = if k.privileged {
        "ALL".to_string()
    } else {
        k.effective.names.len().to_string()
    };
    let d = k.dangerous.len();
    let mut s = if d > 0 && !k.privileged {
        format!("{base} !{d}")
    } else {
        base
    };
    if k.scope == "user-namespace" {
        s.push_str(" u");
    }
    s
}

/// The host view: one row per container.
pub fn host(r: &HostReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} containers among {} processes (kernel {})",
        r.containers.len(),
        r.processes_scanned,
        r.kernel.release.as_deref().unwrap_or("?")
    );
    o.push('\n');
    let _ = writeln!(
        o,
        "{:<12} {:<10} {:>4} {:<8} {:<8} {:<7} {:<4} {:<6} {:<5} CMD",
        "CONTAINER", "RUNTIME", "PIDS", "NS", "SECCOMP", "CAPS", "LSM", "LIMITS", "GRADE"
    );
    for c in &r.containers {
        let shown =
            c.id.trim_start_matches("pidns:")
                .trim_start_matches("mntns:");
        let id: String = shown.chars().take(12).collect();
        let sec = match c.seccomp.mode {
            Some(2) => format!(
                "filter{}",
                c.seccomp.filters.map_or(String::new(), |f| f.to_string())
            ),
            Some(1) => "strict".into(),
            Some(0) => "off".into(),
            _ => "?".into(),
        };
        let lsm = match (&c.lsm.apparmor, &c.lsm.selinux) {
            (_, Some(_)) if c.lsm.confined => "se",
            (Some(_), _) if c.lsm.confined => "aa",
            _ => "-",
        };
        let l = &c.cgroups.limits;
        let limits = format!(
            "{}{}{}",
            if l.memory_max_bytes.is_some() {
                'm'
            } else {
                '-'
            },
            if l.pids_max.is_some() { 'p' } else { '-' },
            if l.cpu_quota_us.is_some() { 'c' } else { '-' }
        );
        let cmd: String = c
            .command
            .clone()
            .unwrap_or_default()
            .chars()
            .take(8)
            .collect();
        let row = format!(
            "{:<12} {:<10} {:>4} {:<8} {:<8} {:<7} {:<4} {:<6} {:<5} {}",
            id,
            c.runtime.as_deref().unwrap_or(c.grouped_by),
            c.pids.len(),
            ns_letters(c),
            sec.chars().take(8).collect::<String>(),
            caps_cell(c),
            lsm,
            limits,
            c.grade,
            cmd
        );
        let _ = writeln!(
            o,
            "{}",
            row.chars().take(WIDTH).collect::<String>().trim_end()
        );
    }
    o.push('\n');
    wrap(
        &mut o,
        "",
        0,
        "NS: m p n i u U c t = private mnt pid net ipc uts user cgroup time namespace, '.' = shared with the host. CAPS: effective count, !N dangerous, ALL privileged, u = inside a user namespace. LIMITS: m memory, p pids, c cpu.",
    );
    for n in &r.notes {
        wrap(&mut o, "note: ", 6, n);
    }
    if let Some(k) = &r.known_escapes {
        o.push('\n');
        o.push_str(&crate::escapes::render(k));
    }
    o
}
