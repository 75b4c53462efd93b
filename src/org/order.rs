//! The order a run's jobs take its repositories in.
//!
//! With several jobs, each job walks a repository's history and then passes over its
//! packs (see `repo`). A walk reads trees through libgit2's windows on the packs, which
//! are capped for the whole process: git/git's walk reads from all over its 474 MB pack,
//! and two such walks at once pushed each other's windows out as fast as they were
//! mapped. So a big repository (`BIG_PACKS` of packs or more) is walked only while no
//! other big one is: the big ones are taken largest first, each as soon as no big walk is
//! going, and the small ones, in the order given, fill the time in between.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Location, RepoSpec};

/// Bytes of packs from which a repository is walked alone among big ones (of the
/// 26-repository fleet: git/git, redis, curl, libgit2 and nginx, 83 to 500 MB).
const BIG_PACKS: u64 = 64 << 20;

/// The repositories not yet taken, by position in the run's list.
pub(crate) struct Queue {
    /// Big ones, largest first; the others, in the order given.
    left: Mutex<(VecDeque<usize>, VecDeque<usize>)>,
    /// A big repository was taken and has not finished its walk.
    big_walking: AtomicBool,
}

/// Held from when a big repository is taken until its walk ends (or its scan, if it
/// ends sooner): while it is held, the small repositories go first.
pub(crate) struct Gate<'a>(&'a AtomicBool);

impl Drop for Gate<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Queue {
    /// `repos` in the order given, or, with `by_size` (several jobs walking first), big
    /// ones apart.
    /// Only a repository's pack files are looked at (a folder listing): an unchanged
    /// repository still costs no object read. A remote one is sized by its clone in
    /// `cache`, if it has one yet.
    pub fn new(repos: &[&RepoSpec], cache: &Path, by_size: bool) -> Queue {
        let mut big = Vec::new();
        let mut small = VecDeque::new();
        for (i, spec) in repos.iter().enumerate() {
            let size = if by_size { pack_bytes(spec, cache) } else { 0 };
            if size >= BIG_PACKS {
                big.push((size, i));
            } else {
                small.push_back(i);
            }
        }
        big.sort_by_key(|&(size, _)| std::cmp::Reverse(size));
        Queue {
            left: Mutex::new((big.into_iter().map(|(_, i)| i).collect(), small)),
            big_walking: AtomicBool::new(false),
        }
    }

    /// The next repository to scan, with the gate to drop once its walk is done if it
    /// is a big one; `None` once every repository was taken.
    pub fn next(&self) -> Option<(usize, Option<Gate<'_>>)> {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        let (big, small) = &mut *left;
        if (!self.big_walking.load(Ordering::Relaxed) || small.is_empty())
            && let Some(i) = big.pop_front()
        {
            self.big_walking.store(true, Ordering::Relaxed);
            return Some((i, Some(Gate(&self.big_walking))));
        }
        small.pop_front().map(|i| (i, None))
    }
}

/// The bytes of `spec`'s pack files (0 where there are none, or none can be listed).
fn pack_bytes(spec: &RepoSpec, cache: &Path) -> u64 {
    let dir: PathBuf = match &spec.location {
        Location::Local(p) if p.join("objects").is_dir() => p.join("objects"),
        Location::Local(p) => p.join(".git").join("objects"),
        Location::Remote(url) => super::cache::clone_dir(cache, url).join("objects"),
    };
    std::fs::read_dir(dir.join("pack")).map_or(0, |d| {
        d.flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &Path, name: &str, pack_mb: u64) -> RepoSpec {
        let path = dir.join(name);
        let pack = path.join("objects").join("pack");
        std::fs::create_dir_all(&pack).unwrap();
        let f = std::fs::File::create(pack.join("pack-x.pack")).unwrap();
        f.set_len(pack_mb << 20).unwrap();
        RepoSpec {
            name: name.into(),
            location: Location::Local(path),
            auth: None,
        }
    }

    #[test]
    fn big_repositories_go_largest_first_and_never_two_walks_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let specs = [
            local(dir.path(), "a", 1),
            local(dir.path(), "big", 100),
            local(dir.path(), "b", 0),
            local(dir.path(), "bigger", 200),
        ];
        let repos: Vec<&RepoSpec> = specs.iter().collect();
        let q = Queue::new(&repos, dir.path(), true);
        // The largest first; while its walk goes on, the small ones.
        let (first, gate) = q.next().unwrap();
        assert_eq!(first, 3);
        assert!(gate.is_some());
        assert_eq!(q.next().map(|n| n.0), Some(0));
        assert_eq!(q.next().map(|n| n.0), Some(2));
        // Nothing small is left: the next big one waits no longer.
        let (second, gate2) = q.next().unwrap();
        assert_eq!(second, 1);
        drop((gate, gate2));
        assert!(q.next().is_none());

        // Once the big walk is done, the next big one goes before the small ones.
        let q = Queue::new(&repos, dir.path(), true);
        drop(q.next());
        assert_eq!(q.next().map(|n| n.0), Some(1));

        // One job: the order given.
        let q = Queue::new(&repos, dir.path(), false);
        let order: Vec<usize> = std::iter::from_fn(|| q.next().map(|n| n.0)).collect();
        assert_eq!(order, vec![0, 1, 2, 3]);
    }
}
