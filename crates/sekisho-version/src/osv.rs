//! OSV `affected` data and range evaluation (OSV schema 1.7: <https://ossf.github.io/osv-schema/>).
//!
//! These types are the plain data the vulnerability DB stores; [`affects`] decides whether a
//! version falls in an `affected` entry, following the schema's "Evaluation" section:
//!
//! - a version is affected when it is listed in `versions` or falls inside any non-`GIT` range;
//! - a range's events are sorted by version (an `introduced` of `"0"` first; on ties
//!   `introduced` before `last_affected` before `fixed`) and walked: `introduced <= v` turns
//!   "affected" on, `fixed <= v` turns it off, `last_affected < v` turns it off (inclusive
//!   ceiling); several introduced/fixed pairs in one range work, in any order;
//! - `limit` events bound the range from above: with limits present, `v` must be below one
//!   (`"*"` = no bound);
//! - `SEMVER` ranges compare with SemVer (Go and npm keep their own dialects of it: Go's
//!   optional `v`, npm's loose syntax); `ECOSYSTEM` ranges with the ecosystem's scheme;
//!   `GIT` ranges name commits and play no part in package matching;
//! - `"0"` as `introduced` means "since the first version" in every scheme, and RustSec's
//!   `0.0.0-0` is simply the smallest SemVer version.
//!
//! A bound that cannot be parsed in the range's scheme is skipped (the event is ignored), so a
//! malformed advisory never turns into an error about the caller's version; [`range_notes`]
//! lists such bounds so callers can warn about them.

use serde::{Deserialize, Serialize};

use std::cmp::Ordering;

use crate::{Ecosystem, Scheme, Version, VersionError};

/// `affected[].package`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeType {
    #[serde(rename = "SEMVER")]
    Semver,
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    #[serde(rename = "GIT")]
    Git,
}

/// One `events[]` entry. Exactly one key per event in OSV.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// `affected[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// The scheme a range's versions are compared with, for a package of `ecosystem`.
pub fn range_scheme(ecosystem: Ecosystem, kind: RangeType) -> Option<Scheme> {
    match kind {
        RangeType::Git => None,
        RangeType::Ecosystem => Some(ecosystem.scheme()),
        RangeType::Semver => Some(match ecosystem.scheme() {
            s @ (Scheme::Go | Scheme::Npm | Scheme::Semver) => s,
            _ => Scheme::Semver,
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Introduced,
    LastAffected,
    Fixed,
}

/// Parsed events of one range: (kind, bound) with `None` = "0"; plus limits (`None` = "*").
struct Parsed {
    events: Vec<(Kind, Option<Version>, String)>,
    limits: Vec<Option<Version>>,
    skipped: Vec<String>,
}

fn parse_range(scheme: Scheme, ecosystem: Ecosystem, range: &Range) -> Parsed {
    let mut p = Parsed {
        events: Vec::new(),
        limits: Vec::new(),
        skipped: Vec::new(),
    };
    for e in &range.events {
        let (kind, raw) = match e {
            Event::Introduced(v) => (Kind::Introduced, v.as_str()),
            Event::Fixed(v) => (Kind::Fixed, v.as_str()),
            Event::LastAffected(v) => (Kind::LastAffected, v.as_str()),
            Event::Limit(v) => {
                if v.trim() == "*" {
                    p.limits.push(None);
                } else {
                    match Version::parse_scheme(scheme, ecosystem, v) {
                        Ok(b) => p.limits.push(Some(b)),
                        Err(err) => p.skipped.push(err.to_string()),
                    }
                }
                continue;
            }
        };
        if kind == Kind::Introduced && raw.trim() == "0" {
            p.events.push((kind, None, raw.to_string()));
            continue;
        }
        match Version::parse_scheme(scheme, ecosystem, raw) {
            Ok(b) => p.events.push((kind, Some(b), raw.to_string())),
            Err(err) => p.skipped.push(err.to_string()),
        }
    }
    p.events.sort_by(|a, b| {
        let by_version = match (&a.1, &b.1) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.try_cmp(y).unwrap_or(Ordering::Equal),
        };
        by_version.then(a.0.cmp(&b.0))
    });
    p
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    a.try_cmp(b).unwrap_or(Ordering::Equal)
}

/// Whether `v` falls in the parsed range; and if so, the `fixed` bound ending its interval.
fn in_range<'a>(v: &Version, p: &'a Parsed) -> (bool, Option<&'a str>) {
    let mut affected = false;
    let mut ends: Option<&'a str> = None;
    for (kind, bound, raw) in &p.events {
        match kind {
            Kind::Introduced => {
                if bound.as_ref().is_none_or(|b| cmp(v, b) != Ordering::Less) {
                    affected = true;
                }
            }
            Kind::Fixed => {
                if let Some(b) = bound {
                    if cmp(v, b) != Ordering::Less {
                        affected = false;
                    } else if affected && ends.is_none() {
                        ends = Some(raw.as_str());
                    }
                }
            }
            Kind::LastAffected => {
                if let Some(b) = bound
                    && cmp(v, b) == Ordering::Greater
                {
                    affected = false;
                }
            }
        }
    }
    let below_limit = p.limits.is_empty()
        || p.limits
            .iter()
            .any(|l| l.as_ref().is_none_or(|l| cmp(v, l) == Ordering::Less));
    let affected = affected && below_limit;
    (affected, if affected { ends } else { None })
}

/// Parse `version` once per scheme the entry's ranges need.
struct VersionCache<'s> {
    ecosystem: Ecosystem,
    version: &'s str,
    parsed: Vec<(Scheme, Result<Version, VersionError>)>,
}

impl VersionCache<'_> {
    fn get(&mut self, scheme: Scheme) -> Result<&Version, VersionError> {
        if !self.parsed.iter().any(|(s, _)| *s == scheme) {
            let r = Version::parse_scheme(scheme, self.ecosystem, self.version);
            self.parsed.push((scheme, r));
        }
        let (_, r) = self
            .parsed
            .iter()
            .find(|(s, _)| *s == scheme)
            .expect("just inserted");
        r.as_ref().map_err(Clone::clone)
    }
}

/// What [`evaluate`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The version is affected.
    pub affected: bool,
    /// The `fixed` versions that end the affected intervals containing the version (one per
    /// matching range that has one), in range order, deduplicated.
    pub fixed: Vec<String>,
    /// Bounds that could not be parsed and were skipped (error messages).
    pub notes: Vec<String>,
}

/// Evaluate `affected` for `version` of a package in `ecosystem` (see the module docs).
///
/// # Errors
/// When `version` itself cannot be parsed in a scheme one of the entry's ranges needs. A version
/// listed verbatim in `versions` is affected even if it cannot be parsed.
pub fn evaluate(
    ecosystem: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<Evaluation, VersionError> {
    Prepared::new(ecosystem, affected).evaluate(version)
}

/// An `affected` entry of a package in `ecosystem` with its range bounds (and, once needed, its
/// listed versions) parsed once, to evaluate many versions against: a matcher comparing a
/// package's hundreds of advisories with each of its versions parses every bound once, not once
/// per version. [`evaluate`] is this for one version.
pub struct Prepared {
    ecosystem: Ecosystem,
    /// `versions`: a version listed verbatim is affected even if it cannot be parsed.
    versions: Vec<String>,
    /// The listed versions that parse in the ecosystem's scheme, sorted (looked up by binary
    /// search).
    listed: std::cell::OnceCell<Vec<Version>>,
    /// Each range with a scheme (`GIT` ranges have none), parsed.
    ranges: Vec<(Scheme, Parsed)>,
    /// Per range of `ranges`: its `fixed` events in order, each parsed in the ecosystem's own
    /// scheme (`None` when it does not parse there).
    fixes: Vec<Vec<(String, Option<Version>)>>,
}

impl Prepared {
    pub fn new(ecosystem: Ecosystem, affected: &Affected) -> Self {
        Self {
            ecosystem,
            versions: affected
                .versions
                .iter()
                .map(|v| v.trim().to_string())
                .collect(),
            listed: std::cell::OnceCell::new(),
            ranges: affected
                .ranges
                .iter()
                .filter_map(|r| {
                    let scheme = range_scheme(ecosystem, r.kind)?;
                    Some((scheme, parse_range(scheme, ecosystem, r)))
                })
                .collect(),
            fixes: affected
                .ranges
                .iter()
                .filter(|r| range_scheme(ecosystem, r.kind).is_some())
                .map(|r| {
                    r.events
                        .iter()
                        .filter_map(|e| match e {
                            Event::Fixed(f) => Some((f.clone(), Version::parse(ecosystem, f).ok())),
                            _ => None,
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// The lowest `fixed` event above `version`, compared in the ecosystem's own scheme, among
    /// the ranges (not `GIT`) that contain it; the first such event when several compare equal.
    /// `None` when the version is in no range or none of its ranges names a later fix.
    ///
    /// # Errors
    /// When `version` cannot be parsed in the scheme of a range.
    pub fn fixed_version(&self, version: &str) -> Result<Option<String>, VersionError> {
        self.fixed_version_with(&mut Probe::new(self.ecosystem, version))
    }

    /// [`Prepared::fixed_version`] for a version already in a [`Probe`].
    ///
    /// # Errors
    /// As [`Prepared::fixed_version`].
    pub fn fixed_version_with(&self, probe: &mut Probe) -> Result<Option<String>, VersionError> {
        if probe.0.ecosystem != self.ecosystem {
            return self.fixed_version(probe.0.version);
        }
        let cache = &mut probe.0;
        let mut best: Option<(&str, &Version)> = None;
        for ((scheme, parsed), fixes) in self.ranges.iter().zip(&self.fixes) {
            let v = cache.get(*scheme)?;
            if !in_range(v, parsed).0 {
                continue;
            }
            let Ok(v) = cache.get(self.ecosystem.scheme()) else {
                continue;
            };
            for (raw, f) in fixes {
                let Some(f) = f else { continue };
                if cmp(v, f) != Ordering::Less {
                    continue;
                }
                if best.is_none_or(|(_, b)| cmp(f, b) == Ordering::Less) {
                    best = Some((raw, f));
                }
            }
        }
        Ok(best.map(|(raw, _)| raw.to_string()))
    }

    /// The ecosystem the entry was prepared for.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// [`evaluate`] `version` against the prepared entry.
    ///
    /// # Errors
    /// As [`evaluate`].
    pub fn evaluate(&self, version: &str) -> Result<Evaluation, VersionError> {
        let ecosystem = self.ecosystem;
        let mut out = Evaluation::default();
        let trimmed = version.trim();
        if self.versions.iter().any(|v| v == trimmed) {
            out.affected = true;
        }
        let mut cache = VersionCache {
            ecosystem,
            version: trimmed,
            parsed: Vec::new(),
        };
        if !out.affected && !self.versions.is_empty() {
            let v = cache.get(ecosystem.scheme())?;
            out.affected = self.listed_has(v);
        }
        for (scheme, parsed) in &self.ranges {
            let v = cache.get(*scheme)?;
            out.notes.extend(parsed.skipped.iter().cloned());
            let (hit, fixed) = in_range(v, parsed);
            if hit {
                out.affected = true;
                if let Some(f) = fixed
                    && !out.fixed.iter().any(|x| x == f)
                {
                    out.fixed.push(f.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Whether `version` is affected ([`affects`] against the prepared entry).
    ///
    /// # Errors
    /// As [`affects`].
    pub fn affects(&self, version: &str) -> Result<bool, VersionError> {
        self.affects_with(&mut Probe::new(self.ecosystem, version))
    }

    /// [`Prepared::affects`] for a version already in a [`Probe`]: nothing is allocated but
    /// the version's parse in a scheme the probe has not needed before.
    ///
    /// # Errors
    /// As [`Prepared::affects`].
    pub fn affects_with(&self, probe: &mut Probe) -> Result<bool, VersionError> {
        if probe.0.ecosystem != self.ecosystem {
            return self.affects(probe.0.version);
        }
        let cache = &mut probe.0;
        // The ranges first: when one contains the version, every range parses it and so does
        // the ecosystem's scheme, the answer is yes whatever the listed versions say, so they
        // need no look.
        let mut hit = false;
        let mut parsed_all = true;
        for (scheme, parsed) in &self.ranges {
            match cache.get(*scheme) {
                Ok(v) => hit |= in_range(v, parsed).0,
                Err(_) => {
                    parsed_all = false;
                    break;
                }
            }
        }
        if hit
            && parsed_all
            && (self.versions.is_empty() || cache.get(self.ecosystem.scheme()).is_ok())
        {
            return Ok(true);
        }
        // Otherwise in [`evaluate`]'s order, errors and all: the listed versions, then every
        // range (a version one of them cannot parse is an error even after a hit).
        let mut affected = self.versions.iter().any(|v| v == cache.version);
        if !affected && !self.versions.is_empty() {
            let v = cache.get(self.ecosystem.scheme())?;
            affected = self.listed_has(v);
        }
        for (scheme, parsed) in &self.ranges {
            let v = cache.get(*scheme)?;
            affected |= in_range(v, parsed).0;
        }
        Ok(affected)
    }

    /// Whether a listed version equals `v` (the list parsed and sorted on first use).
    fn listed_has(&self, v: &Version) -> bool {
        let listed = self.listed.get_or_init(|| {
            let mut l: Vec<Version> = self
                .versions
                .iter()
                .filter_map(|l| Version::parse(self.ecosystem, l).ok())
                .collect();
            l.sort_by(cmp);
            l
        });
        listed.binary_search_by(|l| cmp(l, v)).is_ok()
    }
}

/// A package version to compare with many prepared entries of its ecosystem: parsed once per
/// version scheme their ranges need, not once per entry.
pub struct Probe<'s>(VersionCache<'s>);

impl<'s> Probe<'s> {
    pub fn new(ecosystem: Ecosystem, version: &'s str) -> Self {
        Self(VersionCache {
            ecosystem,
            version: version.trim(),
            parsed: Vec::new(),
        })
    }
}

/// Whether `version` of a package in `ecosystem` is affected by `affected`.
///
/// # Errors
/// When `version` itself cannot be parsed. Unparsable range bounds are skipped, not errors of the
/// caller's version; use [`evaluate`] to see them.
pub fn affects(
    ecosystem: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<bool, VersionError> {
    evaluate(ecosystem, version, affected).map(|e| e.affected)
}

/// The `fixed` versions relevant to `version`: for every non-`GIT` range that contains it, the
/// `fixed` event ending the affected interval it falls in. Empty when the version is not
/// affected or no fix is known (an open-ended range, or only `last_affected`).
///
/// # Errors
/// As [`affects`].
pub fn fixed_for(
    ecosystem: Ecosystem,
    version: &str,
    affected: &Affected,
) -> Result<Vec<String>, VersionError> {
    evaluate(ecosystem, version, affected).map(|e| e.fixed)
}

/// Every `fixed` event of the entry's non-`GIT` ranges, in order of appearance, deduplicated.
pub fn fixed_versions(affected: &Affected) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in affected.ranges.iter().filter(|r| r.kind != RangeType::Git) {
        for e in &r.events {
            if let Event::Fixed(f) = e
                && !out.contains(f)
            {
                out.push(f.clone());
            }
        }
    }
    out
}

/// Bounds of the entry's ranges that do not parse in their scheme (messages), so a caller can
/// warn that part of an advisory was not understood.
pub fn range_notes(ecosystem: Ecosystem, affected: &Affected) -> Vec<String> {
    let mut notes = Vec::new();
    for r in &affected.ranges {
        if let Some(scheme) = range_scheme(ecosystem, r.kind) {
            notes.extend(parse_range(scheme, ecosystem, r).skipped);
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeType, events: Vec<Event>) -> Range {
        Range {
            kind,
            repo: None,
            events,
            database_specific: None,
        }
    }

    fn aff(ranges: Vec<Range>, versions: &[&str]) -> Affected {
        Affected {
            package: None,
            ranges,
            versions: versions.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn pairs_unordered_and_last_affected() {
        use Event::*;
        let a = aff(
            vec![range(
                RangeType::Ecosystem,
                vec![
                    Fixed("1.5".into()),
                    Introduced("2.0".into()),
                    Introduced("0".into()),
                    Fixed("2.3".into()),
                ],
            )],
            &[],
        );
        let e = Ecosystem::PyPI;
        assert!(affects(e, "1.0", &a).unwrap());
        assert!(!affects(e, "1.5", &a).unwrap());
        assert!(!affects(e, "1.9", &a).unwrap());
        assert!(affects(e, "2.0", &a).unwrap());
        assert!(!affects(e, "2.3", &a).unwrap());
        assert_eq!(fixed_for(e, "2.1", &a).unwrap(), vec!["2.3".to_string()]);
        assert_eq!(fixed_for(e, "0.1", &a).unwrap(), vec!["1.5".to_string()]);
        assert!(fixed_for(e, "3.0", &a).unwrap().is_empty());
        let b = aff(
            vec![range(
                RangeType::Semver,
                vec![Introduced("0.0.0-0".into()), LastAffected("1.2.3".into())],
            )],
            &[],
        );
        assert!(affects(Ecosystem::CratesIo, "0.0.0", &b).unwrap());
        assert!(affects(Ecosystem::CratesIo, "1.2.3", &b).unwrap());
        assert!(!affects(Ecosystem::CratesIo, "1.2.4-alpha", &b).unwrap());
        assert!(
            fixed_for(Ecosystem::CratesIo, "1.0.0", &b)
                .unwrap()
                .is_empty()
        );
    }

    /// One prepared entry evaluated for many versions in turn says what a fresh [`evaluate`]
    /// says for each (the listed versions are parsed on first need and kept).
    #[test]
    fn prepared_entries_evaluate_as_fresh_ones() {
        use Event::*;
        let entries = [
            aff(
                vec![
                    range(
                        RangeType::Ecosystem,
                        vec![
                            Introduced("0".into()),
                            Fixed("1.5".into()),
                            Introduced("2.0".into()),
                            Fixed("2.3".into()),
                        ],
                    ),
                    range(
                        RangeType::Git,
                        vec![Introduced("0".into()), Fixed("abc".into())],
                    ),
                    range(
                        RangeType::Semver,
                        vec![
                            Introduced("3.0.0".into()),
                            LastAffected("3.1.0".into()),
                            Limit("bad!".into()),
                        ],
                    ),
                ],
                &["0.9", " 1.7 ", "not-a-version", "2.4.0"],
            ),
            aff(vec![], &["1.0.0", "1.1"]),
            aff(
                vec![range(
                    RangeType::Ecosystem,
                    vec![Introduced("0".into()), Limit("2.0".into())],
                )],
                &[],
            ),
        ];
        let versions = [
            "0.1",
            "0.9.0",
            "1.5",
            "1.7",
            " 1.7",
            "not-a-version",
            "2.0",
            "2.2.9",
            "2.4",
            "3.0.0",
            "3.1.0",
            "3.1.1",
            "",
            "x y",
        ];
        for eco in [Ecosystem::PyPI, Ecosystem::CratesIo, Ecosystem::Npm] {
            let prepared: Vec<Prepared> = entries.iter().map(|a| Prepared::new(eco, a)).collect();
            for v in versions {
                // One probe for the version across every entry, as a matcher uses it.
                let mut probe = Probe::new(eco, v);
                for (a, p) in entries.iter().zip(&prepared) {
                    let fresh = evaluate(eco, v, a).map_err(|e| e.to_string());
                    let at = format!("{eco:?} {v:?} {a:?}");
                    assert_eq!(p.evaluate(v).map_err(|e| e.to_string()), fresh, "{at}");
                    let affected = fresh.as_ref().map(|e| e.affected).map_err(Clone::clone);
                    let kept = p.affects_with(&mut probe).map_err(|e| e.to_string());
                    assert_eq!(kept, affected, "{at}");
                    assert_eq!(p.affects(v).map_err(|e| e.to_string()), affected, "{at}");
                }
            }
            // A probe of another ecosystem is not reused, and still answers right.
            let mut other = Probe::new(Ecosystem::Go, "1.7");
            for (a, p) in entries.iter().zip(&prepared) {
                let fresh = evaluate(eco, "1.7", a).map(|e| e.affected).ok();
                assert_eq!(p.affects_with(&mut other).ok(), fresh, "{eco:?} {a:?}");
            }
        }
    }

    #[test]
    fn git_ignored_versions_listed_and_limits() {
        use Event::*;
        let a = aff(
            vec![range(
                RangeType::Git,
                vec![Introduced("0".into()), Fixed("abcdef".into())],
            )],
            &[],
        );
        assert!(!affects(Ecosystem::PyPI, "1.0", &a).unwrap());
        // Not even an error for garbage: GIT ranges need no version.
        assert!(!affects(Ecosystem::PyPI, "", &a).unwrap());
        let b = aff(vec![], &["1.0.0", "1.1"]);
        assert!(affects(Ecosystem::PyPI, "1.1.0", &b).unwrap());
        assert!(affects(Ecosystem::PyPI, "1.0", &b).unwrap());
        assert!(!affects(Ecosystem::PyPI, "1.2", &b).unwrap());
        let c = aff(
            vec![range(
                RangeType::Ecosystem,
                vec![Introduced("0".into()), Limit("2.0".into())],
            )],
            &[],
        );
        assert!(affects(Ecosystem::PyPI, "1.9", &c).unwrap());
        assert!(!affects(Ecosystem::PyPI, "2.0", &c).unwrap());
        let err = affects(Ecosystem::Debian, "not a version", &c).unwrap_err();
        assert!(err.to_string().contains("Debian"), "{err}");
    }
}
