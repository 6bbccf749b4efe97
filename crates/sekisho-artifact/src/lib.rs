//! The artifact layer: whatever a user hands us (a registry image, a docker or OCI archive, an OCI
//! layout, a root filesystem, or — through `sekisho-disk` — a filesystem inside a VM disk) becomes
//! one safe, streamed, layered filesystem view.
//!
//! The design in one paragraph: a target is a list of [`LayerSource`]s. Each layer is walked once,
//! front to back ([`walk`]). Analyzers register [`Capture`]s that say which entries they want and
//! how they read them (pull a reader, or take chunks through a [`CaptureSink`]); one read of a
//! file feeds every consumer that wants it. The result is an [`Inventory`] ([`inventory`]): every
//! captured version of every wanted file, tagged with the layer that wrote it and with its fate
//! (visible, or deleted or replaced by which layer), plus symlinks, notes about anything that was
//! skipped and, when asked for, the final per-entry tree with content digests. Memory is bounded
//! by what the captures keep, never by the size of the image. [`collect`] walks the layers within
//! one thread budget, with cancellation and progress, and caches each analyzer's part of each
//! layer on its own ([`cache`]).
//!
//! Flow: target → (this crate) layered view → catalog → match → report. This crate never depends on
//! a later stage.

#![forbid(unsafe_code)]

pub mod cache;
pub mod collect;
pub mod image;
pub mod inventory;
pub mod layer;
pub mod path;
pub mod rootfs;
pub mod walk;

pub use collect::{CollectOptions, CollectProgress, collect, collect_with, default_threads};
pub use inventory::{Fate, Inventory, ResolveError, TreeEntry};
pub use layer::{
    EntryKind, EntryMeta, EntryRead, LayerInfo, LayerSource, Note, ReadAt, Visitor, WalkError,
};
pub use path::{PathError, normalize};
pub use walk::{
    Capture, CaptureNote, CaptureSink, Captured, DEFAULT_CAPTURE_LIMIT, IndexEntry, IndexMode,
    LayerResult, WalkOptions, walk_layer, walk_layer_with,
};
