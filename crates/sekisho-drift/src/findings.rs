//! Changes in the shared finding model (`kind: drift`), so SARIF, the table and the gate treat
//! them like every other finding. One rule per class.

use sekisho_finding::{Change, Drift, Finding, Kind, Location, Rule, Severity};

use crate::compare::{Class, FileChange};
use crate::packages::PackageDelta;

const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    why: &'static str,
    fix: &'static str,
) -> Rule {
    Rule {
        id,
        kind: Kind::Drift,
        group: "drift",
        severity,
        title,
        why,
        fix,
        aliases: &[],
    }
}

const FIX: &str = "Rebuild the image with the change, or redeploy the container from the image; find out who changed it and how.";

/// Every drift rule.
pub const RULES: &[Rule] = &[
    rule(
        "drift-setuid",
        Severity::High,
        "Setuid, setgid or file capabilities added at runtime",
        "A set-id bit or a file capability lets whoever runs the file act with more privilege; added inside a running container it is a classic way to keep root.",
        FIX,
    ),
    rule(
        "drift-executable",
        Severity::High,
        "Executable added or modified at runtime",
        "The image scan never saw this program: a dropped tool, an implant, or a binary patched in place.",
        FIX,
    ),
    rule(
        "drift-shared-library",
        Severity::High,
        "Shared library added or modified at runtime",
        "A library changed under running programs alters what they execute without touching their binaries.",
        FIX,
    ),
    rule(
        "drift-persistence",
        Severity::High,
        "Persistence path changed at runtime",
        "Cron entries, shell profiles, authorized_keys, systemd units and ld.so.preload make code run again later.",
        FIX,
    ),
    rule(
        "drift-package-db",
        Severity::Medium,
        "Package database changed at runtime",
        "Packages installed or changed in a running container escaped the image scan and its vulnerability check.",
        FIX,
    ),
    rule(
        "drift-package",
        Severity::Medium,
        "Package installed, removed or changed at runtime",
        "A package the image scan never saw (or no longer sees) is in the running container.",
        FIX,
    ),
    rule(
        "drift-etc-config",
        Severity::Medium,
        "Configuration under /etc changed at runtime",
        "Accounts, sudo rules, resolvers and service configuration decide who gets in and what runs.",
        FIX,
    ),
    rule(
        "drift-deleted",
        Severity::Low,
        "File of the image deleted at runtime",
        "Deleted files can hide tampering (logs, checks) or break what the image was verified to do.",
        FIX,
    ),
    rule(
        "drift-other",
        Severity::Low,
        "File changed at runtime",
        "The container no longer matches the image that was scanned.",
        FIX,
    ),
    rule(
        "drift-volatile",
        Severity::Info,
        "Change on the volatile list",
        "Temporary files, caches, logs and runtime state are expected to change; listed for completeness.",
        "None needed if the change is expected; narrow --volatile otherwise.",
    ),
];

fn rule_for(class: Class) -> &'static Rule {
    let id = match class {
        Class::Setuid => "drift-setuid",
        Class::Executable => "drift-executable",
        Class::SharedLibrary => "drift-shared-library",
        Class::Persistence => "drift-persistence",
        Class::PackageDb => "drift-package-db",
        Class::EtcConfig => "drift-etc-config",
        Class::Deleted => "drift-deleted",
        Class::Volatile => "drift-volatile",
        Class::Other => "drift-other",
    };
    RULES
        .iter()
        .find(|r| r.id == id)
        .expect("every class has a rule")
}

fn finding(r: &Rule, path: &str, change: Change, class: &str, detail: String) -> Finding {
    Finding::from(Drift {
        id: r.id.to_string(),
        severity: r.severity,
        title: r.title.to_string(),
        why: r.why.to_string(),
        fix: r.fix.to_string(),
        location: Location::file(path),
        change,
        class: class.to_string(),
        detail,
    })
}

/// One finding per change.
pub fn file_findings(changes: &[FileChange]) -> Vec<Finding> {
    changes
        .iter()
        .map(|c| {
            finding(
                rule_for(c.class),
                &c.path,
                c.change,
                c.class.word(),
                c.detail.clone(),
            )
        })
        .collect()
}

/// One finding per package added, removed or changed (class `package`), at its database.
pub fn package_findings(d: &PackageDelta) -> Vec<Finding> {
    let r = RULES
        .iter()
        .find(|r| r.id == "drift-package")
        .expect("rule");
    let mut out = Vec::new();
    for p in &d.added {
        out.push(finding(
            r,
            &p.location,
            Change::Added,
            "package",
            format!("{} package {} {} installed", p.kind, p.name, p.version),
        ));
    }
    for u in &d.upgraded {
        out.push(finding(
            r,
            &u.to.location,
            Change::Modified,
            "package",
            format!(
                "{} package {} {} -> {}",
                u.to.kind, u.to.name, u.from.version, u.to.version
            ),
        ));
    }
    for p in &d.removed {
        out.push(finding(
            r,
            &p.location,
            Change::Deleted,
            "package",
            format!("{} package {} {} removed", p.kind, p.name, p.version),
        ));
    }
    out
}
