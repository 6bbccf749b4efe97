//! The join of a catalog with the advisories: which package is matched under which name and
//! version, which advisories apply, the fixed version, the status, and the merge of advisories that
//! describe the same vulnerability.
//!
//! Rules that peers get wrong, and how this module applies them:
//! - Debian/Ubuntu advisories name SOURCE packages with SOURCE versions: a binary package is looked
//!   up by its dpkg `Source:` name and compared with the source version (a binNMU or backport binary
//!   version never reaches the comparator).
//! - Alpine advisories name the origin package.
//! - RPM advisories (AlmaLinux, Rocky, Red Hat) name binary packages; a missing epoch is epoch 0
//!   (the comparator's rule); a modular package is only compared with advisories of its own module
//!   stream, and a non-modular one never with a modular fix.
//! - Withdrawn advisories and non-security errata (`ALBA-`, `ALEA-`, `RLBA-`, `RLEA-`) never match;
//!   RustSec informational notices (unmaintained, unsound) are not vulnerabilities: they are
//!   findings marked `informational`, listed apart and hidden unless asked for.
//! - Advisories that share an ID through `aliases` ∪ `upstream` become one finding.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use sekisho_artifact::Note;
use sekisho_catalog::{Catalog, Package, PackageKind};
use sekisho_version::osv::{Affected, Event, Prepared, Probe};
use sekisho_version::{Ecosystem, EcosystemName};

use crate::model::{
    AdvisorySource, Candidate, Coverage, Rating, RatingMethod, Severity, SourceError, Status,
    Vulnerability, choose_severity,
};

/// The name, version and ecosystem a package is looked up under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchKey {
    /// Normalised OSV ecosystem with release (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    pub kind: Ecosystem,
    pub name: String,
    pub version: String,
}

/// Why a package is not looked up at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatchable {
    /// The OS (and so the ecosystem) is unknown.
    NoEcosystem,
    /// An ecosystem name sekisho does not know.
    UnknownEcosystem(String),
    /// A version that cannot be compared (`(devel)` Go builds, empty).
    NoVersion(String),
}

/// The key a package is matched under (see the module docs for the rules).
///
/// # Errors
/// [`Unmatchable`] when the package cannot be looked up.
pub fn match_key(pkg: &Package) -> Result<MatchKey, Unmatchable> {
    let eco_raw = pkg.ecosystem.as_deref().ok_or(Unmatchable::NoEcosystem)?;
    let eco = EcosystemName::parse(eco_raw)
        .map_err(|_| Unmatchable::UnknownEcosystem(eco_raw.to_string()))?;
    let (name, version) = match pkg.kind {
        PackageKind::Deb | PackageKind::Apk => {
            let src = pkg.source.as_ref();
            let name = src.map_or(pkg.name.as_str(), |s| s.name.as_str());
            let version = src
                .and_then(|s| s.version.as_deref())
                .unwrap_or(&pkg.version);
            (name.to_string(), version.to_string())
        }
        PackageKind::GoStdlib => {
            let v = pkg.version.trim();
            let v = v.strip_prefix("go").unwrap_or(v);
            let v = v.split_whitespace().next().unwrap_or("");
            ("stdlib".to_string(), v.to_string())
        }
        PackageKind::Go => {
            let v = pkg.version.trim();
            if v.is_empty() || v == "(devel)" {
                return Err(Unmatchable::NoVersion(pkg.version.clone()));
            }
            (pkg.name.clone(), v.to_string())
        }
        PackageKind::Python => (
            sekisho_version::name::pep503(&pkg.name),
            pkg.version.clone(),
        ),
        _ => (pkg.name.clone(), pkg.version.clone()),
    };
    if version.trim().is_empty() {
        return Err(Unmatchable::NoVersion(version));
    }
    Ok(MatchKey {
        ecosystem: eco.to_string(),
        kind: eco.ecosystem,
        name,
        version,
    })
}

/// Why a candidate advisory was not considered at all.
pub fn excluded(c: &Candidate) -> Option<&'static str> {
    if c.withdrawn.is_some() {
        return Some("withdrawn");
    }
    let id = c.id.as_str();
    if c.non_security
        || ["ALBA-", "ALEA-", "RLBA-", "RLEA-", "RHBA-", "RHEA-"]
            .iter()
            .any(|p| id.starts_with(p))
    {
        return Some("non-security erratum");
    }
    None
}

/// The kind of informational notice a candidate is (RustSec `database_specific.informational`:
/// `unmaintained`, `unsound`, `notice`), when it is one.
pub fn informational(c: &Candidate) -> Option<String> {
    let v = c
        .affected
        .database_specific
        .as_ref()
        .and_then(|d| d.get("informational"))
        .filter(|v| !v.is_null())?;
    Some(
        v.as_str()
            .map_or_else(|| "notice".to_string(), str::to_string),
    )
}

/// `(module name, stream)` of an rpm `MODULARITYLABEL` (`name:stream:version:context`).
fn module_of_label(label: &str) -> Option<(&str, &str)> {
    let mut it = label.split(':');
    Some((it.next()?, it.next()?))
}

/// Whether an rpm version string was built in a module (`.module_el8…`, `.module+el8…`).
fn is_module_build(v: &str) -> bool {
    v.contains(".module_") || v.contains(".module+")
}

/// The module streams an advisory names in its summary (`container-tools:4.0`), as (name, stream).
fn streams_in_summary(summary: &str) -> Vec<(&str, &str)> {
    summary
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter_map(|tok| {
            let (n, s) = tok.split_once(':')?;
            let ok = !n.is_empty()
                && !s.is_empty()
                && !s.contains(':')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c))
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
            ok.then_some((n, s))
        })
        .collect()
}

/// Module-stream rule for rpm: never compare across streams.
fn same_module_stream(pkg: &Package, c: &Candidate) -> bool {
    if pkg.kind != PackageKind::Rpm {
        return true;
    }
    let fixes: Vec<&str> = c
        .affected
        .ranges
        .iter()
        .flat_map(|r| r.events.iter())
        .filter_map(|e| match e {
            Event::Fixed(v) | Event::LastAffected(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    let advisory_modular = fixes.iter().any(|v| is_module_build(v));
    match pkg.modularity_label.as_deref().and_then(module_of_label) {
        None => !advisory_modular && !is_module_build(&pkg.version),
        Some((module, stream)) => {
            if !advisory_modular && !fixes.is_empty() {
                return false;
            }
            let named = c
                .summary
                .as_deref()
                .map(streams_in_summary)
                .unwrap_or_default();
            let same_module: Vec<&(&str, &str)> =
                named.iter().filter(|(n, _)| *n == module).collect();
            same_module.is_empty() || same_module.iter().any(|(_, s)| *s == stream)
        }
    }
}

/// The status a distro declared in the `affected` entry, when it declared one (Debian tracker
/// urgency `unimportant` / `end-of-life`; Red Hat-style `fix_state`).
pub fn declared_status(a: &Affected) -> Option<Status> {
    let mut words = Vec::new();
    for v in [&a.ecosystem_specific, &a.database_specific]
        .into_iter()
        .flatten()
    {
        for key in ["urgency", "status", "fix_state", "state"] {
            if let Some(s) = v.get(key).and_then(|s| s.as_str()) {
                words.push(s.trim().trim_end_matches('*').to_ascii_lowercase());
            }
        }
    }
    words.iter().find_map(|w| match w.as_str() {
        "unimportant" | "will not fix" | "will_not_fix" | "wontfix" | "ignored" => {
            Some(Status::WillNotFix)
        }
        "end-of-life" | "end_of_life" | "out of support scope" => Some(Status::EndOfLife),
        "fix deferred" | "fix_deferred" | "deferred" | "postponed" => Some(Status::FixDeferred),
        _ => None,
    })
}

/// A distro rating read from the `affected` entry (Debian urgency) when the DB gave none.
fn urgency_rating(c: &Candidate) -> Option<Rating> {
    let word = c
        .affected
        .ecosystem_specific
        .as_ref()?
        .get("urgency")?
        .as_str()?;
    let severity = Severity::from_distro_word(word)?;
    let source = c
        .ecosystem
        .split(':')
        .next()
        .unwrap_or("distro")
        .to_ascii_lowercase();
    Some(Rating {
        source,
        method: RatingMethod::Distro,
        score: None,
        severity,
        vector: Some(word.to_string()),
    })
}

/// The smallest `fixed` event above `version` (compared in the ecosystem's scheme) among the
/// ranges that contain `version` ([`Prepared::fixed_version`] for one entry; a matcher keeps the
/// prepared entry for all the versions it compares).
///
/// # Errors
/// When the version cannot be parsed in the scheme of a range.
pub fn fixed_version(
    eco: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<Option<String>, sekisho_version::VersionError> {
    Prepared::new(eco, affected).fixed_version(version)
}

/// One advisory that applies to one package, before merging.
#[derive(Debug, Clone)]
struct Hit<'c> {
    cand: &'c Candidate,
    /// A rating from the distro's urgency word, when the candidate has no distro rating.
    urgency: Option<Rating>,
    fixed: Option<String>,
    status: Status,
}

/// Everything a match produced for one catalog.
#[derive(Debug, Clone, Default)]
pub struct MatchOutput {
    /// One finding per (package, vulnerability), advisories merged.
    pub findings: Vec<Vulnerability>,
    /// Per ecosystem: packages and whether the DB had data.
    pub coverage: Vec<Coverage>,
    /// What could not be matched, and why.
    pub notes: Vec<Note>,
    /// How many advisories were skipped because they were withdrawn, non-security or
    /// informational (for the report's notes).
    pub excluded: BTreeMap<String, usize>,
}

/// Most package names whose candidates a [`MatchState`] keeps (then it starts over).
const CANDIDATE_CACHE: usize = 4096;

/// What matching looked up in the advisory source, kept for the next call against the same
/// source: alias records' ratings (once per ID) and each package name's candidates with their
/// affected entries prepared (bounds parsed once for every version of the package matched).
/// A caller matching many catalogs against one unchanging source in turn (a server re-matching
/// stored packages chunk by chunk) passes one to [`match_catalog_with`]; never share one across
/// sources.
#[derive(Default)]
pub struct MatchState {
    alias_cache: BTreeMap<String, Vec<Rating>>,
    cand_cache: HashMap<(String, String), Vec<(Candidate, Prepared)>>,
}

/// Match every package of `catalog` against `source`.
///
/// # Errors
/// When the advisory store fails (a version that cannot be parsed becomes a note instead).
pub fn match_catalog(
    catalog: &Catalog,
    source: &dyn AdvisorySource,
) -> Result<MatchOutput, SourceError> {
    match_catalog_with(catalog, source, &mut MatchState::default())
}

/// [`match_catalog`], reusing (and adding to) what `state` kept from earlier calls against the
/// same `source`.
///
/// # Errors
/// As [`match_catalog`].
pub fn match_catalog_with(
    catalog: &Catalog,
    source: &dyn AdvisorySource,
    state: &mut MatchState,
) -> Result<MatchOutput, SourceError> {
    let mut out = MatchOutput::default();
    let mut coverage: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut unknown_os = 0usize;
    let MatchState {
        alias_cache,
        cand_cache,
    } = state;
    for (idx, pkg) in catalog.packages.iter().enumerate() {
        let key = match match_key(pkg) {
            Ok(k) => k,
            Err(Unmatchable::NoEcosystem) => {
                unknown_os += 1;
                continue;
            }
            Err(Unmatchable::UnknownEcosystem(e)) => {
                out.notes.push(Note::new(
                    pkg.layer,
                    format!("{} {}", pkg.name, pkg.version),
                    format!("not matched: ecosystem {e:?} is not one sekisho knows"),
                ));
                continue;
            }
            Err(Unmatchable::NoVersion(v)) => {
                out.notes.push(Note::new(
                    pkg.layer,
                    pkg.name.clone(),
                    format!("not matched: version {v:?} cannot be compared"),
                ));
                continue;
            }
        };
        let has = match coverage.get_mut(&key.ecosystem) {
            Some(e) => {
                e.0 += 1;
                e.1
            }
            None => {
                let has = source.has_data_for(&key.ecosystem)?;
                coverage.insert(key.ecosystem.clone(), (1, has));
                has
            }
        };
        if !has {
            continue;
        }
        let mut hits = Vec::new();
        let ck = (key.ecosystem.clone(), key.name.clone());
        if !cand_cache.contains_key(&ck) {
            if cand_cache.len() >= CANDIDATE_CACHE {
                cand_cache.clear();
            }
            let c = source
                .candidates(&key.ecosystem, &key.name)?
                .into_iter()
                .map(|c| {
                    let p = Prepared::new(key.kind, &c.affected);
                    (c, p)
                })
                .collect();
            cand_cache.insert(ck.clone(), c);
        }
        // Candidates are cloned only when they hit (a package with hundreds of advisories is
        // compared with each, and most do not affect it); the version is parsed once for all.
        let mut probe = Probe::new(key.kind, &key.version);
        for (cand, prepared) in &cand_cache[&ck] {
            if let Some(why) = excluded(cand) {
                *out.excluded.entry(why.to_string()).or_default() += 1;
                continue;
            }
            if !same_module_stream(pkg, cand) {
                continue;
            }
            match prepared.affects_with(&mut probe) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    out.notes.push(Note::new(
                        pkg.layer,
                        format!("{} {}", pkg.name, pkg.version),
                        format!("not compared with {}: {e}", cand.id),
                    ));
                    continue;
                }
            }
            let fixed = prepared.fixed_version_with(&mut probe).unwrap_or(None);
            let declared = cand
                .declared_status
                .or_else(|| declared_status(&cand.affected));
            let status = match (&fixed, declared) {
                (Some(_), _) => Status::Fixed,
                (None, Some(d)) => d,
                (None, None) => Status::Affected,
            };
            let urgency = if cand
                .ratings
                .iter()
                .any(|r| r.method == RatingMethod::Distro)
            {
                None
            } else {
                urgency_rating(cand)
            };
            hits.push(Hit {
                cand,
                urgency,
                fixed,
                status,
            });
        }
        for mut f in merge_hits(idx, &key, hits) {
            f.package_id.clone_from(&pkg.id);
            if f.severity == Severity::Unknown && f.informational.is_none() {
                rate_from_aliases(&mut f, source, alias_cache)?;
            }
            out.findings.push(f);
        }
    }
    if unknown_os > 0 {
        out.notes.push(Note::new(
            None,
            "os",
            format!(
                "{unknown_os} OS package(s) not matched: the operating system or its release is unknown"
            ),
        ));
    }
    let mut cov = Vec::with_capacity(coverage.len());
    for (ecosystem, (packages, has_data)) in coverage {
        let advisories = if has_data {
            source.advisory_count(&ecosystem)?
        } else {
            Some(0)
        };
        cov.push(Coverage {
            ecosystem,
            packages,
            has_data,
            advisories,
        });
    }
    out.coverage = cov;
    Ok(out)
}

/// A finding none of whose advisories is rated takes the ratings of its alias records in the DB
/// (GHSA, NVD…), each named by its record's ID (`ratings[].source`, and
/// [`Vulnerability::severity_source`]).
fn rate_from_aliases(
    f: &mut Vulnerability,
    source: &dyn AdvisorySource,
    cache: &mut BTreeMap<String, Vec<Rating>>,
) -> Result<(), SourceError> {
    let ids: Vec<String> = std::iter::once(&f.id)
        .chain(&f.aliases)
        .filter(|i| !f.advisories.contains(i))
        .cloned()
        .collect();
    for id in ids {
        if !cache.contains_key(&id) {
            let r = source.alias_ratings(&id)?;
            cache.insert(id.clone(), r);
        }
        for r in cache.get(&id).into_iter().flatten() {
            if !f.ratings.contains(r) {
                f.ratings.push(r.clone());
            }
        }
    }
    f.severity = choose_severity(&f.ratings);
    Ok(())
}

/// Merge hits that share an ID (id ∪ aliases ∪ upstream) into findings.
fn merge_hits(pkg: usize, key: &MatchKey, hits: Vec<Hit<'_>>) -> Vec<Vulnerability> {
    // Union-find over hits by shared ID.
    let n = hits.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let ids = std::iter::once(&h.cand.id)
            .chain(&h.cand.aliases)
            .chain(&h.cand.upstream);
        for id in ids {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a] = b;
                    }
                }
                None => {
                    owner.insert(id.as_str(), i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Hit<'_>>> = BTreeMap::new();
    for (i, hit) in hits.iter().enumerate().take(n) {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(hit);
    }
    let mut findings: Vec<Vulnerability> = groups
        .into_values()
        .map(|g| merge_group(pkg, key, &g))
        .collect();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    findings
}

fn merge_group(pkg: usize, key: &MatchKey, group: &[&Hit<'_>]) -> Vulnerability {
    // IDs are borrowed from the candidates until the finding is built.
    let advisories: BTreeSet<&str> = group.iter().map(|h| h.cand.id.as_str()).collect();
    let mut all: BTreeSet<&str> = BTreeSet::new();
    let mut related: BTreeSet<&str> = BTreeSet::new();
    for h in group {
        all.extend(h.cand.aliases.iter().map(String::as_str));
        all.extend(h.cand.upstream.iter().map(String::as_str));
        related.extend(h.cand.related.iter().map(String::as_str));
    }
    let primary: &str = advisories
        .iter()
        .chain(all.iter())
        .filter(|i| i.starts_with("CVE-"))
        .min()
        .or_else(|| advisories.iter().next())
        .copied()
        .unwrap_or_default();
    let aliases: Vec<&str> = all
        .iter()
        .filter(|i| !advisories.contains(*i) && **i != primary)
        .copied()
        .collect();
    for a in advisories.iter().chain(&aliases) {
        related.remove(a);
    }
    related.remove(primary);
    let owned = |ids: &mut dyn Iterator<Item = &str>| ids.map(str::to_string).collect::<Vec<_>>();
    let (primary, advisories, aliases, related) = (
        primary.to_string(),
        owned(&mut advisories.into_iter()),
        owned(&mut aliases.into_iter()),
        owned(&mut related.into_iter()),
    );
    // Fixed version: the highest fix among the merged advisories (the one that fixes them all);
    // status: fixed only when every advisory has a fix.
    let mut fixed: Option<String> = None;
    for h in group {
        if let Some(f) = &h.fixed {
            let higher = match &fixed {
                None => true,
                Some(cur) => matches!(
                    sekisho_version::compare(key.kind, f, cur),
                    Ok(Ordering::Greater)
                ),
            };
            if higher {
                fixed = Some(f.clone());
            }
        }
    }
    let status = if group.iter().all(|h| h.status == Status::Fixed) {
        Status::Fixed
    } else {
        group
            .iter()
            .map(|h| h.status)
            .filter(|s| *s != Status::Fixed)
            .min()
            .unwrap_or(Status::Affected)
    };
    let fixed = if status == Status::Fixed { fixed } else { None };
    let mut ratings: Vec<Rating> = Vec::new();
    for h in group {
        for r in h.cand.ratings.iter().chain(&h.urgency) {
            if !ratings.contains(r) {
                ratings.push(r.clone());
            }
        }
    }
    ratings.sort_by(|a, b| {
        a.method
            .cmp(&b.method)
            .then_with(|| b.severity.cmp(&a.severity))
    });
    let severity = choose_severity(&ratings);
    // A notice that nobody rated is informational, not unknown.
    let severity =
        if severity == Severity::Unknown && group.iter().all(|h| informational(h.cand).is_some()) {
            Severity::Info
        } else {
            severity
        };
    let pick = |f: &dyn Fn(&Candidate) -> Option<String>| group.iter().find_map(|h| f(h.cand));
    let mut references: Vec<String> = Vec::new();
    for h in group {
        for r in &h.cand.references {
            if !references.contains(r) {
                references.push(r.clone());
            }
        }
    }
    Vulnerability {
        id: primary,
        advisories,
        aliases,
        related,
        package: pkg,
        package_id: String::new(),
        matched_name: key.name.clone(),
        matched_version: key.version.clone(),
        ecosystem: key.ecosystem.clone(),
        status,
        fixed_version: fixed,
        severity,
        ratings,
        summary: pick(&|c: &Candidate| c.summary.clone().filter(|s| !s.is_empty())),
        references,
        published: pick(&|c: &Candidate| c.published.clone()),
        modified: group.iter().filter_map(|h| h.cand.modified.clone()).max(),
        vex: None,
        informational: if group.iter().all(|h| informational(h.cand).is_some()) {
            group.iter().find_map(|h| informational(h.cand))
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_normalise() {
        assert_eq!(
            sekisho_version::name::pep503("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(sekisho_version::name::pep503("a--b"), "a-b");
    }

    #[test]
    fn summary_streams() {
        assert_eq!(
            streams_in_summary("Moderate: container-tools:4.0 security and bug fix update"),
            vec![("container-tools", "4.0")]
        );
        assert!(streams_in_summary("Important: kernel security update").is_empty());
    }

    #[test]
    fn declared_statuses() {
        let a = Affected {
            ecosystem_specific: Some(serde_json::json!({"urgency": "unimportant"})),
            ..Affected::default()
        };
        assert_eq!(declared_status(&a), Some(Status::WillNotFix));
        let a = Affected {
            ecosystem_specific: Some(serde_json::json!({"urgency": "end-of-life"})),
            ..Affected::default()
        };
        assert_eq!(declared_status(&a), Some(Status::EndOfLife));
        let a = Affected {
            ecosystem_specific: Some(serde_json::json!({"urgency": "high**"})),
            ..Affected::default()
        };
        assert_eq!(declared_status(&a), None);
    }
}
