//! The order the keyword automaton is given its keywords in: a matter of speed only.
//!
//! Leftmost-longest matching does not depend on the order of distinct keywords, but
//! aho-corasick's SIMD prefilter (Slim Teddy, 8 buckets) does: it puts pattern `id` in
//! bucket `7 - id % 8` (or with an earlier pattern that has the same low nibbles in its
//! first four bytes), and a bucket whose patterns differ in their first bytes accepts every
//! mix of their nibbles as a candidate to verify. Dealt out in file order, the five GitHub
//! prefixes, `npm_`, `glpat-` and the AWS labels landed one per bucket beside unrelated
//! patterns, and the scan of a large clean tree cost 20% more CPU with the same 32
//! patterns. Sorted by their first bytes (case-folded) and dealt so that neighbours share a
//! bucket, each bucket holds patterns that look alike.

//!
//! For the built-in rules that heuristic is beaten by [`TUNED`], an order found by a
//! search: a model of Teddy's buckets (which patterns share one, and so which 4-byte
//! windows of text make it verify how many patterns) costed on samples of C source, the
//! Rust docs' HTML and a git history's objects, improved swap by swap (the ignored test
//! `tune` below does it again), then checked by timing the prefilter alone: -13% to
//! -17% against the heuristic on each sample. A rule set whose strings are exactly those
//! gets that order; any other (user signatures, `--rule`) gets the heuristic.
//!
//! At 57 strings (the 44 and 13 rare providers' prefixes, added cheapest first and the
//! whole improved again, with a fourth sample, Rust source, weighed twice: the first
//! order found without it cost 1.54x on Rust source) the prefilter alone costs 1.02x to
//! 1.44x the 44's on the four samples (two runs). A second Slim Teddy for the 13 alone
//! cost 1.68x to 1.97x (a Teddy pass costs mostly its reading of the bytes), so the
//! scanner keeps one (`benches/results/2026-12-02-prefilter-second.md`).

/// The built-in rules' prefilter strings in the order found for them (see above). A
/// change to the built-in keywords fails `the_tuned_order_is_the_builtin_set` until this is
/// found again. Each is written with a NUL after it: string literals sit back to back in
/// the binary, and `glpat-` ran on into the next ones (`glpat-ESSION_TOKENECRETPrivateKey`),
/// a GitLab token to a scan of keysweep's own binary.
const TUNED_NUL: [&str; 57] = [
    "AccountKey=\0",
    "sk-ant-\0",
    "ghp_\0",
    "hvb.\0",
    "glft-\0",
    "xoxe\0",
    "k_live_\0",
    "dapi\0",
    "PrivateKey\0",
    "AKIA\0",
    "doo_v1_\0",
    "-----BEGIN\0",
    "glpat-\0",
    "ECRET\0",
    "ESSION_TOKEN\0",
    "shppa_\0",
    "LS0tLS1CRUdJTi\0",
    "xoxa-\0",
    "T3BlbkFJ\0",
    "ecret\0",
    "_pat_\0",
    "ecurity\0",
    "BEGIN SSH2 ENCRYPTED PRIVATE KEY\0",
    "xapp-\0",
    "ATATT3\0",
    "hooks.slack.com\0",
    "dop_v1_\0",
    "glrt\0",
    "glsoat-\0",
    "xoxr-\0",
    "neinfile\0",
    "pypi-AgE\0",
    "ASIA\0",
    ".atlasv1.\0",
    "lin_api_\0",
    "gldt-\0",
    "npm_\0",
    "xoxp-\0",
    "ECURITY\0",
    "shpat_\0",
    "ACCA\0",
    "gloas-\0",
    "dor_v1_\0",
    "hvs.\0",
    "glptt-\0",
    "ghu_\0",
    "ession\0",
    "shpca_\0",
    "ABIA\0",
    "AIza\0",
    "gho_\0",
    "xoxb-\0",
    "ghs_\0",
    "ghr_\0",
    "shpss_\0",
    "PMAK-\0",
    "PuTTY-User-Key-File-\0",
];

/// [`TUNED_NUL`] without its NULs: the order itself.
pub(super) static TUNED: std::sync::LazyLock<[&str; 57]> =
    std::sync::LazyLock::new(|| TUNED_NUL.map(|t| t.trim_end_matches('\0')));

/// Whether `anchors` are the built-in set in [`TUNED`]'s order: the scanner then searches
/// them with Slim Teddy whatever their number.
pub fn is_tuned(anchors: &[&str]) -> bool {
    anchors == *TUNED
}

/// `keywords` (and, in step, `rules`) in the order that gives neighbours one bucket, or
/// [`TUNED`]'s where the set is exactly its.
pub fn for_prefilter<T: Default>(keywords: Vec<&str>, rules: Vec<T>) -> (Vec<&str>, Vec<T>) {
    if keywords.len() == TUNED.len() && TUNED.iter().all(|t| keywords.contains(t)) {
        let mut rules: Vec<Option<T>> = rules.into_iter().map(Some).collect();
        let order: Vec<usize> = TUNED
            .iter()
            .map(|t| keywords.iter().position(|k| k == t).unwrap_or_default())
            .collect();
        return (
            order.iter().map(|&ki| keywords[ki]).collect(),
            order
                .iter()
                .map(|&ki| rules[ki].take().unwrap_or_default())
                .collect(),
        );
    }
    heuristic(keywords, rules)
}

/// Sorted by first bytes, neighbours dealt into one bucket (see the module's comment).
fn heuristic<T: Default>(keywords: Vec<&str>, rules: Vec<T>) -> (Vec<&str>, Vec<T>) {
    const BUCKETS: usize = 8;
    let n = keywords.len();
    let mut by_look: Vec<usize> = (0..n).collect();
    by_look.sort_by_key(|&i| {
        let k = keywords[i].as_bytes();
        (k[..k.len().min(4)].to_ascii_lowercase(), i)
    });
    // Ids in the order a bucket's members come: 0, 8, 16, 24, then 1, 9, 17, 25, …
    let per = n.div_ceil(BUCKETS).max(1);
    let mut slots: Vec<usize> = (0..BUCKETS)
        .flat_map(|b| (0..per).map(move |m| m * BUCKETS + b))
        .filter(|&id| id < n)
        .collect();
    slots.truncate(n);
    let mut order = vec![0; n];
    for (pos, &ki) in by_look.iter().enumerate() {
        order[slots[pos]] = ki;
    }
    let mut rules: Vec<Option<T>> = rules.into_iter().map(Some).collect();
    (
        order.iter().map(|&ki| keywords[ki]).collect(),
        order
            .iter()
            .map(|&ki| rules[ki].take().unwrap_or_default())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Teddy's buckets for patterns given in this order (aho-corasick 1.1's slim Teddy:
    /// pattern `id` goes to bucket `7 - id % 8` unless an earlier pattern, longest first,
    /// has its first four bytes' low nibbles) as nibble masks per position and bucket
    /// sizes.
    type Masks = ([[u8; 16]; 4], [[u8; 16]; 4], [u64; 8]);
    fn masks(order: &[&[u8]]) -> Masks {
        let mut ids: Vec<usize> = (0..order.len()).collect();
        ids.sort_by_key(|&i| std::cmp::Reverse(order[i].len()));
        let (mut lo, mut hi, mut sizes) = ([[0u8; 16]; 4], [[0u8; 16]; 4], [0u64; 8]);
        let mut by_nibbles: HashMap<Vec<u8>, usize> = HashMap::new();
        for id in ids {
            let key: Vec<u8> = order[id][..4].iter().map(|b| b & 0xf).collect();
            let b = *by_nibbles.entry(key).or_insert(7 - id % 8);
            sizes[b] += 1;
            for (j, &c) in order[id][..4].iter().enumerate() {
                lo[j][usize::from(c & 0xf)] |= 1 << b;
                hi[j][usize::from(c >> 4)] |= 1 << b;
            }
        }
        (lo, hi, sizes)
    }

    /// What the prefilter would spend on text with these 4-byte windows (and counts): a
    /// candidate position costs a branch, and each pattern of each bucket that fires there
    /// a comparison.
    fn cost(m: &Masks, grams: &[([u8; 4], u64)]) -> u64 {
        let mut total = 0;
        for (w, n) in grams {
            let mut fire = 0xffu8;
            for (j, &c) in w.iter().enumerate() {
                fire &= m.0[j][usize::from(c & 0xf)] & m.1[j][usize::from(c >> 4)];
            }
            if fire != 0 {
                let compares: u64 = (0..8)
                    .filter(|b| fire & (1 << b) != 0)
                    .map(|b| m.2[b])
                    .sum();
                total += n * (4 + compares);
            }
        }
        total
    }

    /// The samples' 4-byte windows and their counts (`KEYSWEEP_TUNE_SAMPLES`, see
    /// [`tune`]), and the modelled cost of an order on them: the second sample (HTML)
    /// weighs three times, a fourth (Rust source) twice.
    struct Model(Vec<Vec<([u8; 4], u64)>>);

    impl Model {
        fn load() -> Model {
            Model(
                std::env::var("KEYSWEEP_TUNE_SAMPLES")
                    .expect("KEYSWEEP_TUNE_SAMPLES")
                    .split(',')
                    .map(|p| {
                        let d = std::fs::read(p).unwrap();
                        let mut m: HashMap<[u8; 4], u64> = HashMap::new();
                        for w in d.windows(4) {
                            *m.entry([w[0], w[1], w[2], w[3]]).or_default() += 1;
                        }
                        m.into_iter().collect()
                    })
                    .collect(),
            )
        }

        fn total(&self, order: &[&str]) -> u64 {
            let m = masks(&order.iter().map(|s| s.as_bytes()).collect::<Vec<_>>());
            self.0
                .iter()
                .enumerate()
                .map(|(i, g)| [1, 3, 1, 2].get(i).unwrap_or(&1) * cost(&m, g))
                .sum()
        }

        /// Swaps two strings at random, `rounds` times, keeping each swap that lowers the
        /// cost; returns the cost reached.
        fn improve(&self, order: &mut [&str], rounds: usize, seed: &mut u64) -> u64 {
            let mut best = self.total(order);
            for _ in 0..rounds {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                let n = order.len();
                let (i, j) = ((*seed % 1024) as usize % n, (*seed >> 32) as usize % n);
                order.swap(i, j);
                let c = self.total(order);
                if c < best {
                    best = c;
                } else {
                    order.swap(i, j);
                }
            }
            best
        }
    }

    /// The built-in rule set's prefilter strings, in the order the scanner gives them.
    fn builtin_strings() -> Vec<String> {
        let set = crate::rules::RuleSet::builtin().unwrap();
        let scanner = crate::scan::Scanner::new(&set, Default::default()).unwrap();
        scanner.prefilter().to_vec()
    }

    fn rounds() -> usize {
        std::env::var("KEYSWEEP_TUNE_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(20_000)
    }

    /// Adds `left` to `order` one at a time, the cheapest first (each tried in every
    /// bucket, then the order improved); prints the modelled cost after each against
    /// [`TUNED`]'s.
    fn add_cheapest<'s>(
        model: &Model,
        order: &mut Vec<&'s str>,
        mut left: Vec<&'s str>,
        seed: &mut u64,
    ) {
        let budget = model.total(&TUNED[..]) as f64;
        while !left.is_empty() {
            let mut best: Option<(u64, usize, usize)> = None;
            for (ci, c) in left.iter().enumerate() {
                let mut o = order.clone();
                o.push(c);
                let n = o.len() - 1;
                for j in 0..=n {
                    o.swap(j, n);
                    let t = model.total(&o);
                    if best.is_none_or(|b| t < b.0) {
                        best = Some((t, ci, j));
                    }
                    o.swap(j, n);
                }
            }
            let Some((_, ci, j)) = best else { break };
            let c = left.remove(ci);
            order.push(c);
            let n = order.len() - 1;
            order.swap(j, n);
            let t = model.improve(order, 3000, seed);
            println!(
                "+ {c}: {:.3} of TUNED's, {} strings",
                t as f64 / budget,
                n + 1
            );
        }
    }

    /// Finds [`TUNED`] again after the built-in keywords change:
    /// `KEYSWEEP_TUNE_SAMPLES=c.bin,docs.bin,history.bin,rust.bin cargo test --release
    /// --lib tune -- --ignored --nocapture` (samples of a few tens of MB: C source, HTML,
    /// `git cat-file --batch-all-objects --batch` output, Rust source; the second is
    /// weighted three times, the fourth twice).
    /// Keeps [`TUNED`]'s order for the strings still there, adds the new ones cheapest
    /// first, improves the whole (`KEYSWEEP_TUNE_ROUNDS` swaps) and prints the order to
    /// paste. A search from scratch (the heuristic's order) ends in worse local optima:
    /// 1.30 of the 32-string order's cost for the 44 strings of the time, where adding them
    /// cheapest first reached 1.04 to 1.24 (the path depends on the seed; the best is
    /// [`TUNED`]).
    #[test]
    #[ignore]
    fn tune() {
        let model = Model::load();
        let builtin = builtin_strings();
        let strings: Vec<&str> = builtin.iter().map(String::as_str).collect();
        let mut order: Vec<&str> = TUNED
            .iter()
            .copied()
            .filter(|t| strings.contains(t))
            .collect();
        let new: Vec<&str> = strings
            .iter()
            .copied()
            .filter(|s| !TUNED.contains(s))
            .collect();
        let mut seed = 0x1234_5678;
        add_cheapest(&model, &mut order, new, &mut seed);
        let best = model.improve(&mut order, rounds(), &mut seed);
        println!(
            "cost {best}, {:.3} of TUNED's ({})",
            best as f64 / model.total(&TUNED[..]) as f64,
            model.total(&TUNED[..])
        );
        println!("{order:#?}");
    }

    /// Which prefilter strings a new rule could add most cheaply: from the built-in
    /// strings, adds the candidates (`KEYSWEEP_TUNE_CANDIDATES=a,b,…`) cheapest first and
    /// prints the modelled cost after each. Costs climb steeply once the eight buckets are
    /// crowded (`benches/results/2026-12-02-prefilter-capacity.md`).
    #[test]
    #[ignore]
    fn cheapest_additions() {
        let model = Model::load();
        let builtin = builtin_strings();
        let mut order: Vec<&str> = builtin.iter().map(String::as_str).collect();
        let cands = std::env::var("KEYSWEEP_TUNE_CANDIDATES").expect("KEYSWEEP_TUNE_CANDIDATES");
        add_cheapest(
            &model,
            &mut order,
            cands.split(',').collect(),
            &mut 0x1234_5678,
        );
    }

    /// The built-in rules' strings are exactly [`TUNED`]'s, so they get its order.
    #[test]
    fn the_tuned_order_is_the_builtin_set() {
        assert_eq!(builtin_strings(), *TUNED, "re-run the ignored test `tune`");
    }

    #[test]
    fn it_is_a_permutation_with_rules_in_step() {
        for n in [1, 5, 8, 9, 31, 32, 40] {
            let words: Vec<String> = (0..n).map(|i| format!("k{:03}x", (i * 7) % n)).collect();
            let keywords: Vec<&str> = words.iter().map(String::as_str).collect();
            let rules: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
            let (k2, r2) = for_prefilter(keywords.clone(), rules);
            assert_eq!(k2.len(), n);
            for (k, r) in k2.iter().zip(&r2) {
                assert_eq!(keywords[r[0]], *k);
            }
            let mut sorted = k2.clone();
            sorted.sort();
            let mut want = keywords.clone();
            want.sort();
            assert_eq!(sorted, want);
        }
    }
}
