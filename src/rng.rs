//! Randomness for jitter and boundaries (backoff waits, reconnect waits, multipart boundaries): a
//! SplitMix64 generator, per thread or seeded, with uniform draws. Not for secrets. Written here rather
//! than taken from `rand`, whose default generator brought five crates (and `zerocopy`) into every build
//! for a few draws per retry.

use std::cell::Cell;
use std::hash::BuildHasher;

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state, full period, passes BigCrush; ample for
/// spreading retries. Reproducible for a given seed.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// A uniform draw from `[0, bound)` (`bound` > 0), without modulo bias: draws that fall into the
    /// incomplete last copy of the range are rejected (fewer than one in 2^34 for any `Duration` in
    /// nanoseconds).
    pub(crate) fn below(&mut self, bound: u128) -> u128 {
        debug_assert!(bound > 0);
        loop {
            let x = self.next_u128();
            let r = x % bound;
            // `x - r` is the start of x's copy of the range; accept if that copy is complete.
            if x - r <= u128::MAX - (bound - 1) {
                return r;
            }
        }
    }
}

thread_local! {
    /// This thread's generator, seeded from the standard library's per-process random keys (the ones
    /// `HashMap` uses, from the OS) mixed with the thread's identity.
    static THREAD: Cell<Option<SplitMix64>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's generator.
pub(crate) fn with_thread<T>(f: impl FnOnce(&mut SplitMix64) -> T) -> T {
    THREAD.with(|cell| {
        let mut rng = cell.take().unwrap_or_else(|| {
            let seed = std::collections::hash_map::RandomState::new().hash_one(std::thread::current().id());
            SplitMix64::new(seed)
        });
        let out = f(&mut rng);
        cell.set(Some(rng));
        out
    })
}

/// A uniform `u128` from this thread's generator.
pub(crate) fn u128() -> u128 {
    with_thread(SplitMix64::next_u128)
}

/// A uniform `f64` in `[0, 1)` from this thread's generator (53 random bits).
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn unit_f64() -> f64 {
    (with_thread(SplitMix64::next_u64) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference outputs of SplitMix64 for seed 0 (from the algorithm's published C code).
    #[test]
    fn matches_the_reference_sequence() {
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn draws_cover_the_range_evenly() {
        let mut rng = SplitMix64::new(42);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[rng.below(10) as usize] += 1;
        }
        // Each bucket expects 10 000; 5 standard deviations is about ±475.
        assert!(counts.iter().all(|&c| (9_500..=10_500).contains(&c)), "{counts:?}");
        let f: Vec<f64> = (0..10_000).map(|_| unit_f64()).collect();
        assert!(f.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = f.iter().sum::<f64>() / f.len() as f64;
        assert!((0.48..0.52).contains(&mean), "{mean}");
    }

    #[test]
    fn threads_draw_different_sequences() {
        let here = u128();
        let there = std::thread::spawn(u128).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(u128(), u128());
    }

    proptest! {
        #[test]
        fn below_stays_below_any_bound(seed in any::<u64>(), bound in 1u128..=u128::MAX) {
            let mut rng = SplitMix64::new(seed);
            for _ in 0..8 {
                prop_assert!(rng.below(bound) < bound);
            }
        }
    }
}
