//! Policy: what the user asked to see, applied the same way to every kind of finding.
//!
//! - [`ignore`]: the ignore file (`.sekishoignore`, `.trivyignore` spellings): rules by any ID of a
//!   finding (advisory, check, rule, secret fingerprint, or `*`), optionally narrowed by package,
//!   purl or path glob, with expiry dates and reasons.
//! - [`vex`]: OpenVEX and CycloneDX VEX statements (vulnerabilities only).
//! - [`policy`]: [`Policy::apply`] runs VEX, ignore rules, status and severity filters over the
//!   findings of one target; nothing is dropped silently ([`Suppressed`] keeps every finding that
//!   is not shown, with the reason); [`Gate`] decides the exit code.
//!
//! Flow: findings (from any analyzer) → (this crate) shown + suppressed → report.

#![forbid(unsafe_code)]

pub mod ignore;
pub mod policy;
pub mod vex;

pub use policy::{Applied, Gate, Policy, SuppressReason, Suppressed};
