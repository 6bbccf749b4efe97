//! The parallel walk of a directory tree: the same entries, notes and order as
//! [`DirLayer`]'s one-thread walk, with the listing, `lstat` and the captures' reads spread over
//! threads.
//!
//! Work is cut into tasks: listing a directory (and visiting its first [`RUN_ENTRIES`] entries),
//! and visiting each further run of [`RUN_ENTRIES`] of its entries, so that one big directory
//! (`/usr/bin`, whose executables the captures read) is spread over the threads too. Every task
//! has a [`Key`] that sorts in the one-thread walk's order; workers always take the queued task
//! that comes first in that order, and the calling thread hands each finished run to the walker
//! as soon as nothing before it is still queued or running. A task only ever queues tasks that
//! sort after itself, so a finished run below the smallest unfinished key can never be preceded
//! by anything still to come. Only directory listings are queued: file contents are read by
//! the captures during the visit and only what they keep is held, as on one thread.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{DirLayer, Listed};
use crate::layer::WalkError;
use crate::walk::{EndRun, EntryRun, StartRun};

/// Most entries one task visits.
const RUN_ENTRIES: usize = 32;

/// A task's place in walk order. A directory's task has key `K`; the further runs of its
/// entries `K ++ [0, j]` (j ≥ 1); the subdirectory at position `p` of its listing `K ++ [1, p]`.
/// Sorted as sequences (a prefix first), that is: a directory's entries, in name order, then each
/// subdirectory's whole tree, in name order — the one-thread walk's order.
type Key = Vec<usize>;

enum Task {
    /// List a directory, queue its further runs, visit its first run.
    Dir { rel: String, depth: usize },
    /// Visit a further run of a listed directory's entries (with their listing positions).
    Run {
        dir: std::sync::Arc<str>,
        depth: usize,
        names: Vec<(usize, Listed)>,
    },
}

/// A finished task: its run, and the error that stopped it (which stops the walk there).
struct Finished<'r> {
    run: Box<dyn EntryRun + 'r>,
    err: Option<WalkError>,
}

struct Shared<'r> {
    queue: BTreeMap<Key, Task>,
    running: BTreeSet<Key>,
    done: BTreeMap<Key, Finished<'r>>,
    /// Set when the walk stops early (an error handed on, or a walking thread panicked).
    stop: bool,
    panicked: bool,
}

impl Shared<'_> {
    /// The smallest key not finished yet: every task still to come sorts after it.
    fn floor(&self) -> Option<&Key> {
        match (self.queue.keys().next(), self.running.first()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The state every thread of one walk shares, and the signal that it changed.
struct Board<'r> {
    shared: Mutex<Shared<'r>>,
    changed: Condvar,
}

impl<'r> Board<'r> {
    fn lock(&self) -> MutexGuard<'_, Shared<'r>> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stops the walk if its worker unwinds, so the calling thread does not wait for its task.
struct PanicGuard<'a, 'r>(&'a Board<'r>);

impl Drop for PanicGuard<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut g = self.0.lock();
            g.stop = true;
            g.panicked = true;
            self.0.changed.notify_all();
        }
    }
}

/// Walk `layer` with `threads` workers (see the module docs).
pub(super) fn walk<'r>(
    layer: &DirLayer,
    threads: usize,
    start: &StartRun<'r>,
    end: &mut EndRun<'r>,
) -> Result<(), WalkError> {
    let root_dev = layer.root_dev();
    let mut queue = BTreeMap::new();
    queue.insert(
        Key::new(),
        Task::Dir {
            rel: String::new(),
            depth: 0,
        },
    );
    let sync = Board {
        shared: Mutex::new(Shared {
            queue,
            running: BTreeSet::new(),
            done: BTreeMap::new(),
            stop: false,
            panicked: false,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| worker(layer, root_dev, start, &sync));
        }
        let r = hand_on(&sync, end);
        if r.is_err() {
            sync.lock().stop = true;
            sync.changed.notify_all();
        }
        r
    })
}

/// The calling thread's part: hand finished runs to `end` in walk order.
fn hand_on<'r>(sync: &Board<'r>, end: &mut EndRun<'r>) -> Result<(), WalkError> {
    loop {
        let mut ready = Vec::new();
        {
            let mut g = sync.lock();
            loop {
                if g.panicked {
                    return Err(WalkError::Stopped("a walking thread panicked".into()));
                }
                while let Some(k) = g.done.keys().next() {
                    if g.floor().is_some_and(|f| f < k) {
                        break;
                    }
                    let (_, f) = g.done.pop_first().expect("a first entry");
                    ready.push(f);
                }
                if !ready.is_empty() {
                    break;
                }
                if g.queue.is_empty() && g.running.is_empty() {
                    return Ok(());
                }
                g = sync
                    .changed
                    .wait(g)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        for f in ready {
            if let Some(e) = f.err {
                return Err(e);
            }
            end(f.run);
        }
    }
}

fn worker<'r>(layer: &DirLayer, root_dev: Option<u64>, start: &StartRun<'r>, sync: &Board<'r>) {
    let _guard = PanicGuard(sync);
    loop {
        let (key, task) = {
            let mut g = sync.lock();
            loop {
                if g.stop {
                    return;
                }
                if let Some((k, t)) = g.queue.pop_first() {
                    g.running.insert(k.clone());
                    break (k, t);
                }
                if g.running.is_empty() {
                    return;
                }
                g = sync
                    .changed
                    .wait(g)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let mut run = start();
        let mut subdirs: Vec<(Key, Task)> = Vec::new();
        let err = match task {
            Task::Dir { rel, depth } => match layer.list(&rel) {
                Err(note) => {
                    run.note(note);
                    None
                }
                Ok(names) => {
                    let dir: std::sync::Arc<str> = rel.into();
                    let mut names = names.into_iter().enumerate();
                    let first: Vec<(usize, Listed)> = names.by_ref().take(RUN_ENTRIES).collect();
                    let mut more = Vec::new();
                    let mut j = 1;
                    loop {
                        let chunk: Vec<(usize, Listed)> =
                            names.by_ref().take(RUN_ENTRIES).collect();
                        if chunk.is_empty() {
                            break;
                        }
                        let mut k = key.clone();
                        k.extend([0, j]);
                        more.push((
                            k,
                            Task::Run {
                                dir: dir.clone(),
                                depth,
                                names: chunk,
                            },
                        ));
                        j += 1;
                    }
                    if !more.is_empty() {
                        sync.lock().queue.extend(more);
                        sync.changed.notify_all();
                    }
                    visit_run(
                        layer,
                        root_dev,
                        &key,
                        &dir,
                        depth,
                        first,
                        &mut run,
                        &mut subdirs,
                    )
                }
            },
            Task::Run { dir, depth, names } => {
                // A run's key is its directory's key and two more.
                let dir_key = &key[..key.len() - 2];
                visit_run(
                    layer,
                    root_dev,
                    dir_key,
                    &dir,
                    depth,
                    names,
                    &mut run,
                    &mut subdirs,
                )
            }
        };
        let mut g = sync.lock();
        g.running.remove(&key);
        // Queued under the same lock as the task leaves `running`: the floor never passes them.
        g.queue.extend(subdirs);
        g.done.insert(key, Finished { run, err });
        drop(g);
        sync.changed.notify_all();
    }
}

/// Visit a run of entries of `dir` (whose task key is `dir_key`); the directories to descend
/// into go to `subdirs`.
#[allow(clippy::too_many_arguments)]
fn visit_run(
    layer: &DirLayer,
    root_dev: Option<u64>,
    dir_key: &[usize],
    dir: &str,
    depth: usize,
    names: Vec<(usize, Listed)>,
    run: &mut Box<dyn EntryRun + '_>,
    subdirs: &mut Vec<(Key, Task)>,
) -> Option<WalkError> {
    for (p, name) in &names {
        match layer.entry(dir, depth, name, root_dev, run) {
            Ok(Some(rel)) => {
                let mut k = dir_key.to_vec();
                k.extend([1, *p]);
                subdirs.push((
                    k,
                    Task::Dir {
                        rel,
                        depth: depth + 1,
                    },
                ));
            }
            Ok(None) => {}
            Err(e) => return Some(e),
        }
    }
    None
}
