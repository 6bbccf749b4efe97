//! Walking every layer of a target, within a thread budget, with the per-layer cache.
//!
//! Each layer is walked at most once per scan, for every consumer at once. With a cache, each
//! consumer's part of a layer's result (its captured versions and notes, or the index) is stored
//! on its own, beside the layer's structural part (whiteouts, symlinks, counts); a scan walks a
//! layer only for the consumers whose part is missing, so enabling a new analyzer walks the
//! layers for that analyzer alone, and never serves a result that lacks it.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::cache::{LayerCache, Part};
use crate::inventory::Inventory;
use crate::layer::{LayerInfo, LayerSource, WalkError};
use crate::walk::{Capture, IndexMode, LayerResult, WalkOptions, walk_layer_with};

/// Progress of a collection, reported as layers are read (for progress bars and server job
/// status). Called from the walking threads.
pub trait CollectProgress: Send + Sync {
    /// A layer's walk begins.
    fn layer_started(&self, _info: &LayerInfo) {}
    /// A layer is done: walked (`cached == false`) or served from the cache.
    fn layer_done(&self, _info: &LayerInfo, _entries: u64, _bytes: u64, _cached: bool) {}
}

/// How [`collect_with`] runs.
#[derive(Clone)]
pub struct CollectOptions<'a> {
    /// Most threads the walks may run at once, all layers together (a tar layer runs three:
    /// read and hash, inflate, walk). At least one layer is always walked.
    pub threads: usize,
    /// Per-layer result cache directory (keyed by diff_id, see [`crate::cache`]); `None`
    /// disables caching.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Size bound of the cache directory; least recently used entries are evicted past it.
    pub cache_max_bytes: u64,
    /// Keep a per-entry index (and content digests) of every layer.
    pub index: IndexMode,
    /// Set to stop the collection at the next entry ([`WalkError::Cancelled`]).
    pub cancel: Option<&'a AtomicBool>,
    /// Told about each layer as it is read.
    pub progress: Option<&'a dyn CollectProgress>,
}

impl std::fmt::Debug for CollectOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectOptions")
            .field("threads", &self.threads)
            .field("cache_dir", &self.cache_dir)
            .field("cache_max_bytes", &self.cache_max_bytes)
            .field("index", &self.index)
            .field("cancel", &self.cancel.is_some())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// The default thread budget: three per core (the depth of a tar layer's read pipeline).
pub fn default_threads() -> usize {
    3 * std::thread::available_parallelism().map_or(1, usize::from)
}

impl Default for CollectOptions<'_> {
    fn default() -> Self {
        Self {
            threads: default_threads(),
            cache_dir: None,
            cache_max_bytes: crate::cache::DEFAULT_MAX_BYTES,
            index: IndexMode::Off,
            cancel: None,
            progress: None,
        }
    }
}

/// Walk every layer (within `threads` threads) and merge.
///
/// # Errors
/// When a layer cannot be walked at all.
pub fn collect(
    layers: Vec<Box<dyn LayerSource>>,
    captures: &[&dyn Capture],
    threads: usize,
) -> Result<Inventory, WalkError> {
    collect_with(
        layers,
        captures,
        &CollectOptions {
            threads,
            ..CollectOptions::default()
        },
    )
}

/// One layer's work: what is already known from the cache and what must still be walked.
struct Job {
    index: usize,
    src: Box<dyn LayerSource>,
    /// Cache key base of the layer, when it is cacheable.
    key: Option<String>,
    /// The parts served from the cache.
    cached: Vec<Part>,
    /// Positions (in the capture list) of the captures that must be walked.
    walk_captures: Vec<usize>,
    /// Whether the index must be walked.
    walk_index: bool,
}

/// Walk every layer and merge, as configured by `opts`.
///
/// # Errors
/// When a layer cannot be walked at all, or [`WalkError::Cancelled`].
pub fn collect_with(
    layers: Vec<Box<dyn LayerSource>>,
    captures: &[&dyn Capture],
    opts: &CollectOptions<'_>,
) -> Result<Inventory, WalkError> {
    let cache = opts
        .cache_dir
        .as_ref()
        .map(|d| LayerCache::new(d, opts.cache_max_bytes));
    let index_part = opts.index.part_id();
    let mut results: Vec<Option<Result<LayerResult, WalkError>>> = Vec::new();
    results.resize_with(layers.len(), || None);
    let mut queue: Vec<Job> = Vec::new();
    for (i, src) in layers.into_iter().enumerate() {
        let key = cache.as_ref().and_then(|_| LayerCache::key(src.info()));
        let mut job = Job {
            index: i,
            src,
            key,
            cached: Vec::new(),
            walk_captures: (0..captures.len()).collect(),
            walk_index: index_part.is_some(),
        };
        if let (Some(c), Some(k)) = (&cache, &job.key) {
            let base = c.get(k, Part::BASE);
            let mut missing = Vec::new();
            for (pos, cap) in captures.iter().enumerate() {
                match c.get(k, cap.id()) {
                    Some(p) => job.cached.push(p),
                    None => missing.push(pos),
                }
            }
            job.walk_captures = missing;
            if let Some(ip) = index_part {
                match c.get(k, ip) {
                    Some(p) => {
                        job.cached.push(p);
                        job.walk_index = false;
                    }
                    None => job.walk_index = true,
                }
            }
            if let Some(b) = base
                && job.walk_captures.is_empty()
                && !job.walk_index
            {
                job.cached.push(b);
                let r = crate::cache::assemble(job.src.info(), std::mem::take(&mut job.cached));
                if let Some(p) = opts.progress {
                    p.layer_done(job.src.info(), r.entries, r.bytes, true);
                }
                results[i] = Some(Ok(r));
                continue;
            }
        }
        queue.push(job);
    }
    // Bottom layer first.
    queue.reverse();
    let budget = opts.threads.max(1);
    let queue = std::sync::Mutex::new(queue);
    let out = std::sync::Mutex::new(&mut results);
    let in_use = std::sync::Mutex::new(0usize);
    let freed = std::sync::Condvar::new();
    let cancel = opts.cancel;
    let workers = budget.min(queue.lock().map_or(0, |q| q.len())).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").pop();
                    let Some(mut job) = next else { break };
                    // Take this layer's threads from the budget (at least one layer runs).
                    let need = job.src.threads().max(1);
                    {
                        let mut used = in_use.lock().expect("budget lock");
                        while *used > 0 && *used + need > budget {
                            used = freed.wait(used).expect("budget wait");
                        }
                        *used += need;
                    }
                    let r = walk_job(
                        &mut job,
                        captures,
                        opts,
                        need.min(budget),
                        cancel,
                        cache.as_ref(),
                    );
                    {
                        let mut used = in_use.lock().expect("budget lock");
                        *used -= need;
                        freed.notify_all();
                    }
                    out.lock().expect("result lock")[job.index] = Some(r);
                }
            });
        }
    });
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Err(WalkError::Cancelled);
    }
    let mut done = Vec::with_capacity(results.len());
    for r in results {
        done.push(r.expect("every layer walked")?);
    }
    Ok(Inventory::from_layers(done))
}

fn walk_job(
    job: &mut Job,
    captures: &[&dyn Capture],
    opts: &CollectOptions<'_>,
    threads: usize,
    cancel: Option<&AtomicBool>,
    cache: Option<&LayerCache>,
) -> Result<LayerResult, WalkError> {
    if let Some(p) = opts.progress {
        p.layer_started(job.src.info());
    }
    let subset: Vec<&dyn Capture> = job.walk_captures.iter().map(|&i| captures[i]).collect();
    let walked = walk_layer_with(
        job.src.as_mut(),
        &WalkOptions {
            captures: &subset,
            index: if job.walk_index {
                opts.index
            } else {
                IndexMode::Off
            },
            cancel,
            threads,
        },
    )?;
    if let (Some(c), Some(k)) = (cache, &job.key) {
        // A cache that cannot be written only costs time next run.
        for part in crate::cache::split(&walked, &subset, job.walk_index.then_some(opts.index)) {
            let _ = c.put(k, &part);
        }
    }
    let mut parts = std::mem::take(&mut job.cached);
    let r = if parts.is_empty() {
        walked
    } else {
        parts.extend(crate::cache::split(
            &walked,
            &subset,
            job.walk_index.then_some(opts.index),
        ));
        crate::cache::assemble(job.src.info(), parts)
    };
    if let Some(p) = opts.progress {
        p.layer_done(job.src.info(), r.entries, r.bytes, false);
    }
    Ok(r)
}
