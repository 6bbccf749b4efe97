//! Converters from native distribution feeds into OSV-shaped [`crate::model::Advisory`] records,
//! following the rules osv.dev's own converters use (see `../shared/data/OSV-NOTES.md` §2).

pub mod alpine;
pub mod debian;
