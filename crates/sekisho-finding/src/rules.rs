//! The registry of rule and check IDs. Every analyzer publishes its rules as a static table
//! ([`Rule`]); the pipeline joins the tables into one [`Registry`], which refuses a duplicate ID or
//! alias, so an ID names one thing across every kind. Help texts (`--fail-on`, `--list-checks`)
//! and docs pages are generated from it.

use crate::finding::Kind;
use crate::severity::Severity;

/// One rule or check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case ID.
    pub id: &'static str,
    pub kind: Kind,
    /// A grouping inside the kind (the isolation wall, the config file type, the secret family).
    pub group: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    /// Peer IDs that map one-to-one (`KSV017`, `DL3002`).
    pub aliases: &'static [&'static str],
}

/// Why rule tables cannot be joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// Two rules (or a rule and an alias) share an ID.
    Duplicate { id: String },
    /// An ID is not kebab-case (lowercase ASCII letters and digits, single `-` between).
    NotKebab { id: String },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Duplicate { id } => write!(f, "rule ID {id:?} is defined twice"),
            Self::NotKebab { id } => write!(f, "rule ID {id:?} is not kebab-case"),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Whether `id` is kebab-case: `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Every rule of every analyzer, each ID and alias unique.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    rules: Vec<&'static Rule>,
}

impl Registry {
    /// Join rule tables.
    ///
    /// # Errors
    /// When an ID or alias repeats, or an ID is not kebab-case.
    pub fn new(tables: &[&'static [Rule]]) -> Result<Self, RegistryError> {
        let mut seen = std::collections::HashSet::new();
        let mut rules = Vec::new();
        for t in tables {
            for r in *t {
                if !is_kebab(r.id) {
                    return Err(RegistryError::NotKebab { id: r.id.into() });
                }
                for id in std::iter::once(r.id).chain(r.aliases.iter().copied()) {
                    if !seen.insert(id.to_ascii_lowercase()) {
                        return Err(RegistryError::Duplicate { id: id.into() });
                    }
                }
                rules.push(r);
            }
        }
        Ok(Self { rules })
    }

    pub fn rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied()
    }

    /// The rule with this ID or alias (case-insensitive).
    pub fn get(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().copied().find(|r| {
            r.id.eq_ignore_ascii_case(id) || r.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
        })
    }

    /// The rules of one kind, in table order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied().filter(move |r| r.kind == kind)
    }

    /// The IDs of one kind, grouped, as lines `  group  id id id`, wrapped at `width` columns
    /// (the layout of `--help` texts).
    pub fn help_lines(&self, kind: Kind, width: usize) -> String {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in self.of_kind(kind) {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, ids)) => ids.push(r.id),
                None => groups.push((r.group, vec![r.id])),
            }
        }
        let pad = groups.iter().map(|(g, _)| g.len()).max().unwrap_or(0) + 2;
        let mut out = String::new();
        for (g, ids) in groups {
            let mut line = format!("  {g:<pad$}");
            let indent = line.len();
            let mut first = true;
            for id in ids {
                if !first && line.len() + 1 + id.len() > width {
                    out.push_str(line.trim_end());
                    out.push('\n');
                    line = " ".repeat(indent);
                    first = true;
                }
                if !first {
                    line.push(' ');
                }
                line.push_str(id);
                first = false;
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[Rule] = &[
        Rule {
            id: "no-seccomp",
            kind: Kind::Isolation,
            group: "seccomp",
            severity: Severity::High,
            title: "t",
            why: "w",
            fix: "f",
            aliases: &[],
        },
        Rule {
            id: "run-as-root",
            kind: Kind::Misconfiguration,
            group: "kubernetes",
            severity: Severity::Medium,
            title: "t",
            why: "w",
            fix: "f",
            aliases: &["KSV012"],
        },
    ];
    const DUP: &[Rule] = &[Rule {
        id: "ksv012",
        kind: Kind::Misconfiguration,
        group: "x",
        severity: Severity::Low,
        title: "t",
        why: "w",
        fix: "f",
        aliases: &[],
    }];
    const BAD: &[Rule] = &[Rule {
        id: "Not_Kebab",
        kind: Kind::Drift,
        group: "x",
        severity: Severity::Low,
        title: "t",
        why: "w",
        fix: "f",
        aliases: &[],
    }];

    #[test]
    fn ids_are_unique_and_kebab() {
        let r = Registry::new(&[A]).unwrap();
        assert_eq!(r.get("KSV012").unwrap().id, "run-as-root");
        assert_eq!(r.get("NO-SECCOMP").unwrap().id, "no-seccomp");
        assert_eq!(
            Registry::new(&[A, DUP]).unwrap_err(),
            RegistryError::Duplicate {
                id: "ksv012".into()
            }
        );
        assert!(matches!(
            Registry::new(&[BAD]),
            Err(RegistryError::NotKebab { .. })
        ));
        assert!(is_kebab("cap-sys-admin") && is_kebab("dl3002-x"));
        assert!(!is_kebab("a--b") && !is_kebab("-a") && !is_kebab(""));
        assert_eq!(r.help_lines(Kind::Isolation, 80), "  seccomp  no-seccomp\n");
    }
}
