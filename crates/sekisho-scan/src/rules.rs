//! One registry of every rule and check ID sekisho can report, across every kind of finding, so
//! an ID names one thing everywhere (ignore files, `--fail-on`, SARIF rules). Help texts are
//! generated from it.

use sekisho_finding::{Registry, RegistryError, Rule};

/// The rule tables of every built-in check.
pub fn tables() -> Vec<&'static [Rule]> {
    vec![
        sekisho_audit::checks::RULES,
        crate::analyzers::kernel::RULES,
        sekisho_secret::rules(),
        sekisho_drift::findings::RULES,
    ]
}

/// The registry of every built-in rule.
///
/// # Errors
/// When two tables define one ID (a bug: the uniqueness test catches it).
pub fn registry() -> Result<Registry, RegistryError> {
    Registry::new(&tables())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_id_is_unique_and_kebab_case() {
        let r = super::registry().expect("rule IDs are unique");
        assert!(r.rules().count() > 40);
    }
}
