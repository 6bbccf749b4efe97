//! Fix status of an advisory for a package: fixed, open, or one of the distributions' "no fix"
//! decisions (Debian tracker `unimportant`, `end-of-life`, `<no-dsa>`, `<ignored>`,
//! `<postponed>`, carried in `affected[].ecosystem_specific`).

use sekisho_version::osv::{Affected, Event, RangeType};
use serde::Serialize;
use serde_json::Value;

/// Fix state of a matched advisory for the looked-up version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// A fixed version exists.
    Fixed,
    /// Affected and no fix published (open range).
    #[serde(rename = "affected")]
    AffectedNoFix,
    /// The distribution decided not to fix (Debian `unimportant`, `<ignored>`).
    WillNotFix,
    /// The release is end-of-life for this package (Debian `end-of-life`).
    EndOfLife,
    /// Fix postponed (Debian `<postponed>`, `<no-dsa>`).
    FixDeferred,
    /// Only `last_affected` is known: no fixed version, no statement.
    Unknown,
}

impl FixStatus {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::AffectedNoFix => "affected",
            Self::WillNotFix => "will_not_fix",
            Self::EndOfLife => "end_of_life",
            Self::FixDeferred => "fix_deferred",
            Self::Unknown => "unknown",
        }
    }
}

/// Fix status of an affected entry given the fixed versions that apply.
pub fn fix_status(affected: &Affected, fixed: &[String]) -> FixStatus {
    if !fixed.is_empty() {
        return FixStatus::Fixed;
    }
    let es = affected.ecosystem_specific.as_ref();
    let get = |k: &str| {
        es.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(|s| s.trim().trim_end_matches('*').to_ascii_lowercase())
    };
    let urgency = get("urgency").unwrap_or_default();
    let reason = get("nodsa_reason").unwrap_or_default();
    if urgency == "end-of-life" {
        return FixStatus::EndOfLife;
    }
    if reason.contains("ignored") || urgency == "unimportant" {
        return FixStatus::WillNotFix;
    }
    if reason.contains("postponed") || get("nodsa").is_some() {
        return FixStatus::FixDeferred;
    }
    let only_last_affected = affected
        .ranges
        .iter()
        .filter(|r| r.kind != RangeType::Git)
        .flat_map(|r| r.events.iter())
        .any(|e| matches!(e, Event::LastAffected(_)));
    if only_last_affected {
        return FixStatus::Unknown;
    }
    FixStatus::AffectedNoFix
}
