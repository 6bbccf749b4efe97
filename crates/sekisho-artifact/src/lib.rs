//! The artifact layer: whatever a user hands us (a registry image, a docker or OCI archive, an OCI
//! layout, a root filesystem, or — through `sekisho-disk` — a filesystem inside a VM disk) becomes
//! one safe, streamed, layered filesystem view.
//!
//! The design in one paragraph: a target is a list of [`LayerSource`]s. Each layer is walked once,
//! front to back. Analyzers (from `sekisho-catalog` and later stages) register [`Capture`]s that say
//! which paths they want; only those entries' bytes are read and kept. The result is an
//! [`Inventory`]: every captured version of every wanted file, tagged with the layer that wrote it,
//! plus whiteouts, symlinks and notes about anything that was skipped. Memory is bounded by what
//! the captures keep, never by the size of the image.
//!
//! Flow: target → (this crate) layered view → catalog → match → report. This crate never depends on
//! a later stage.

#![forbid(unsafe_code)]

pub mod cache;
pub mod fs;
pub mod image;
pub mod path;
pub mod rootfs;

pub use fs::{
    Capture, Captured, CollectOptions, EntryKind, EntryMeta, Inventory, LayerInfo, LayerSource,
    Note, WalkError, collect, collect_with,
};
pub use path::{PathError, normalize};
