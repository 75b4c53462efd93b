//! Maps and sets keyed by object ids, hashed for what ids are: uniformly random already.
//! A history's hottest maps hold one entry per blob (the walk's origins, the pass's sizes:
//! git/git, 165,000 and 262,000), and SipHash over an id's twenty bytes was most of what
//! filling and reading them cost. Eight of the id's bytes, folded with a seed drawn once
//! a process, are all the hashing they need; the seed keeps a repository made to collide
//! (ids ground to share a bucket) from knowing which ids would.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::OnceLock;

use git2::Oid;

/// A map from object ids.
pub type IdMap<V> = HashMap<Oid, V, IdState>;

/// A set of object ids.
pub type IdSet = HashSet<Oid, IdState>;

/// Builds an [`IdHasher`] with the process's seed.
#[derive(Clone, Copy, Debug)]
pub struct IdState(u64);

impl Default for IdState {
    fn default() -> IdState {
        static SEED: OnceLock<u64> = OnceLock::new();
        IdState(*SEED.get_or_init(|| RandomState::new().build_hasher().finish()))
    }
}

impl BuildHasher for IdState {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

/// An id's first eight bytes (an id hashes as its length, then its bytes), folded with
/// the seed by one wide multiplication, so every bit of them reaches every bit of the hash.
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        self.fold(u64::from_le_bytes(head));
    }

    fn write_usize(&mut self, n: usize) {
        self.fold(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl IdHasher {
    fn fold(&mut self, v: u64) {
        // Sixty-four bits by sixty-four: the product fits in 128, overflowing nothing.
        let p = u128::from(self.0 ^ v) * u128::from(0x9e37_79b9_7f4a_7c15_u64);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_share_their_low_bytes_spread_over_the_table() {
        // Ids ground to agree in everything but their first byte: their hashes differ in
        // the low bits a table indexes by. Fixed seeds, not the process's: a random one
        // spreads them less well about once in 15,000 processes.
        let tail = "0".repeat(38);
        for seed in [0, 1, 0x0123_4567_89ab_cdef, u64::MAX, 0x5eed_0000_0000_0000] {
            let state = IdState(seed);
            let low: HashSet<u64> = (0..=255u8)
                .map(|b| state.hash_one(Oid::from_str(&format!("{b:02x}{tail}")).unwrap()))
                .map(|h| h & 0xfff)
                .collect();
            assert!(
                low.len() > 200,
                "seed {seed:#x}: {} buckets of 4096",
                low.len()
            );
        }
        // Equal ids hash equal under the process's seed; the map works as a map.
        let state = IdState::default();
        let a = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let mut m: IdMap<u32> = IdMap::default();
        m.insert(a, 1);
        assert_eq!(m.get(&a), Some(&1));
        assert_eq!(state.hash_one(a), state.hash_one(a));
    }
}
