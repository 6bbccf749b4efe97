//! Drift: a running container held to the image it came from, by content.
//!
//! The image's expected tree ([`tree::Tree`]: path, type, mode, owner, size, link target, file
//! capabilities and the SHA-256 of every regular file) comes from the layered walk of
//! `sekisho-artifact` with a digest index ([`expected`]), whiteouts applied and cached with the
//! layer cache. The container's tree is walked through a directory descriptor of its root
//! ([`live`]): `/proc/PID/root` or a root filesystem directory, never following a symlink, never
//! opening a FIFO or a device, never crossing into a mount. The two are compared by content and
//! each change is classified ([`compare`]); the package databases of both sides are catalogued
//! and their delta computed by name and version ([`packages`]). Mounts ([`mountinfo`]) are listed
//! as not covered, and the volatile list ([`volatile`]) is reported on its own.
//!
//! Flow: image layers → expected tree ┐
//!       live root → live tree ───────┴→ changes (+ package delta) → findings ([`findings`]).

#![forbid(unsafe_code)]

pub mod compare;
pub mod expected;
pub mod findings;
pub mod live;
pub mod mountinfo;
pub mod overlay;
pub mod packages;
pub mod runtime_state;
pub mod tree;
pub mod volatile;

pub use compare::{Change, Class, FileChange, compare};
pub use live::{LiveRoot, LiveTree, WalkOptions};
pub use mountinfo::Mount;
pub use packages::{PackageDelta, PackageVersion};
pub use tree::{Node, NodeKind, Tree};
pub use volatile::Volatile;
