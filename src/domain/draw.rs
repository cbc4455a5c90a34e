//! Verifiable winner draws.
//!
//! Anyone can check that a Fanfare draw was fair, with nothing but the
//! published [`DrawRecord`] and the algorithm below:
//!
//! 1. When a contest opens, Fanfare generates a secret 32-byte `seed`
//!    ([`generate_seed`]) and publishes `commitment = hex(SHA-256(seed))`
//!    ([`commitment`]), lowercase hex. The seed cannot be changed afterwards
//!    without the commitment showing it, and nobody can learn it from the
//!    commitment.
//! 2. At the draw, the eligible entries are listed in **ascending entry id**
//!    order, each with a weight (1 by default, more with bonus entries, 0 for an
//!    entry that takes no part). The winners and alternates are computed with
//!    the algorithm below, and the record is published with the seed revealed.
//! 3. A verifier checks `SHA-256(seed) == commitment`, recomputes the draw from
//!    the seed and the listed entries, and compares ([`verify`], or
//!    `fanfare verify-draw <FILE|URL>`).
//!
//! # Algorithm `fanfare-draw-v1`
//!
//! Inputs: `seed` (bytes; 32 in every record Fanfare publishes), the ordered
//! list of entries `(entry_id, weight)` with `weight` an unsigned 32-bit
//! integer, `winners` and `alternates` (non-negative integers).
//!
//! **Random stream.** The n-th random value, for n = 0, 1, 2, …, is
//!
//! ```text
//! u(n) = first 8 bytes, read as a big-endian unsigned 64-bit integer, of
//!        HMAC-SHA256(key = seed, message = ASCII "fanfare-draw:" followed by n
//!                    in decimal ASCII digits, no sign, no leading zeros)
//! ```
//!
//! e.g. the messages are `fanfare-draw:0`, `fanfare-draw:1`, … `fanfare-draw:10`.
//! Values are consumed in order, each exactly once, over the whole draw.
//!
//! **Uniform integer below T (no modulo bias).** To draw an integer in `[0, T)`
//! for `T >= 1`: let `L = 2^64 - (2^64 mod T)` (the largest multiple of `T`
//! that is at most `2^64`). Take the next stream value `u`; if `u >= L`, discard
//! it and take the next one, until `u < L`; the result is `u mod T`. (For
//! realistic totals, `T < 2^40`, a discard happens with probability below
//! `2^-24`, so in practice pick `i` uses `u(i)`.)
//!
//! **Picks.** Drop every entry of weight 0. The *pool* is the remaining entries,
//! in their listed order. Let `k = min(winners + alternates, pool size)`.
//! For pick `i = 0 .. k-1`:
//!
//! 1. `T` = the sum of the weights in the pool (a 64-bit integer).
//! 2. `r` = a uniform integer in `[0, T)` as above.
//! 3. Walk the pool in order, keeping a running sum `c` of weights; select the
//!    first entry for which `r < c` (with `c` including that entry's weight).
//!    So an entry of weight `w` is selected with probability `w / T`.
//! 4. Remove the selected entry from the pool (the others keep their order).
//!
//! The first `min(winners, k)` selected entry ids are the winners, in pick
//! order; the following ones are the alternates, in pick order. With fewer
//! eligible entries than `winners + alternates`, every eligible entry is
//! selected: winners first, then as many alternates as remain.
//!
//! A verifier also requires the listed entry ids to be strictly ascending
//! (which rules out duplicates), so the order of the list cannot have been
//! chosen to favour anyone.
//!
//! **Reference implementation** (Python 3, standard library only):
//!
//! ```text
//! import hmac, hashlib
//! def draw(seed: bytes, entries, winners: int, alternates: int):
//!     pool = [(e, w) for (e, w) in entries if w > 0]
//!     n, picks = 0, []
//!     for _ in range(min(winners + alternates, len(pool))):
//!         total = sum(w for _, w in pool)
//!         limit = 2**64 - (2**64 % total)
//!         while True:
//!             mac = hmac.new(seed, b"fanfare-draw:%d" % n, hashlib.sha256).digest()
//!             n += 1
//!             u = int.from_bytes(mac[:8], "big")
//!             if u < limit:
//!                 break
//!         r, c = u % total, 0
//!         for j, (e, w) in enumerate(pool):
//!             c += w
//!             if r < c:
//!                 picks.append(e)
//!                 del pool[j]
//!                 break
//!     return picks[:winners], picks[winners:]
//! ```
//!
//! The implementation here selects with a Fenwick tree (O(log n) per pick), which
//! gives exactly the same selections as the linear walk; a test checks both.
//!
//! # The record
//!
//! [`DrawRecord`] is the public JSON document, self-contained:
//!
//! ```json
//! {
//!   "algorithm": "fanfare-draw-v1",
//!   "contest_id": 42,
//!   "commitment": "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
//!   "seed": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
//!   "entries": [{"entry_id": 1, "weight": 1}, {"entry_id": 2, "weight": 3}],
//!   "winners_count": 1,
//!   "alternates_count": 1,
//!   "winners": [2],
//!   "alternates": [1]
//! }
//! ```
//!
//! An entry's `weight` may be omitted in the JSON and then counts as 1.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name and version of the algorithm described in the module documentation.
pub const ALGORITHM: &str = "fanfare-draw-v1";

/// Length of the seeds Fanfare generates and verifiers require, in bytes.
pub const SEED_LEN: usize = 32;

/// Prefix of the HMAC message for each random value.
const STREAM_LABEL: &[u8] = b"fanfare-draw:";

/// A fresh secret seed from the operating system's CSPRNG.
pub fn generate_seed() -> [u8; SEED_LEN] {
    use rand::RngCore;
    let mut seed = [0u8; SEED_LEN];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

/// `hex(SHA-256(seed))`, lowercase: the value published when a contest opens.
pub fn commitment(seed: &[u8]) -> String {
    hex::encode(Sha256::digest(seed))
}

/// One eligible entry and its weight (number of chances).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawEntry {
    pub entry_id: i64,
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// Selected entry ids, in pick order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    pub winners: Vec<i64>,
    pub alternates: Vec<i64>,
}

/// The `fanfare-draw-v1` random stream: HMAC-SHA256(seed, "fanfare-draw:" || n).
struct Stream {
    mac: Hmac<Sha256>,
    n: u64,
}

impl Stream {
    fn new(seed: &[u8]) -> Self {
        Stream {
            mac: Hmac::<Sha256>::new_from_slice(seed).expect("HMAC accepts keys of any length"),
            n: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut mac = self.mac.clone();
        mac.update(STREAM_LABEL);
        mac.update(self.n.to_string().as_bytes());
        self.n += 1;
        let out = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&out[..8]);
        u64::from_be_bytes(first)
    }
}

/// `u mod bound` when `u` falls below the largest multiple of `bound` that
/// fits in 2^64, else `None` (the value must be discarded).
fn reduce(u: u64, bound: u64) -> Option<u64> {
    debug_assert!(bound > 0);
    // 2^64 mod bound, computed without 128-bit arithmetic.
    let rem = (u64::MAX % bound + 1) % bound;
    // Accept u < 2^64 - rem, i.e. u <= u64::MAX - rem.
    (u <= u64::MAX - rem).then_some(u % bound)
}

/// A uniform integer in `[0, bound)` from the stream, by rejection sampling.
fn uniform_below(next: &mut impl FnMut() -> u64, bound: u64) -> u64 {
    loop {
        if let Some(r) = reduce(next(), bound) {
            return r;
        }
    }
}

/// Fenwick (binary indexed) tree over the pool's weights.
struct Fenwick {
    tree: Vec<u64>,
}

impl Fenwick {
    fn new(weights: &[u64]) -> Self {
        let n = weights.len();
        let mut tree = vec![0u64; n + 1];
        for (i, w) in weights.iter().enumerate() {
            tree[i + 1] += w;
            let parent = (i + 1) + ((i + 1) & (i + 1).wrapping_neg());
            if parent <= n {
                let v = tree[i + 1];
                tree[parent] += v;
            }
        }
        Fenwick { tree }
    }

    fn sub(&mut self, index: usize, w: u64) {
        let mut i = index + 1;
        while i < self.tree.len() {
            self.tree[i] -= w;
            i += i & i.wrapping_neg();
        }
    }

    /// The first index whose cumulative weight exceeds `r` (`r` < total).
    fn find(&self, r: u64) -> usize {
        let n = self.tree.len() - 1;
        let mut pos = 0usize;
        let mut rem = r;
        let mut step = if n == 0 {
            0
        } else {
            1usize << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= rem {
                pos = next;
                rem -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

/// Run the `fanfare-draw-v1` draw (see the module documentation).
///
/// Deterministic in `seed` and the ordered `entries`; entries of weight 0 take
/// no part. Returns fewer winners or alternates than asked when there are not
/// enough eligible entries.
pub fn draw(seed: &[u8], entries: &[DrawEntry], winners: usize, alternates: usize) -> DrawResult {
    let mut stream = Stream::new(seed);
    let picks = pick(
        &mut || stream.next_u64(),
        entries,
        winners.saturating_add(alternates),
    );
    let split = winners.min(picks.len());
    let mut winners = picks;
    let alternates = winners.split_off(split);
    DrawResult {
        winners,
        alternates,
    }
}

fn pick(next: &mut impl FnMut() -> u64, entries: &[DrawEntry], wanted: usize) -> Vec<i64> {
    let pool: Vec<&DrawEntry> = entries.iter().filter(|e| e.weight > 0).collect();
    let weights: Vec<u64> = pool.iter().map(|e| u64::from(e.weight)).collect();
    let mut total: u64 = weights.iter().sum();
    let mut tree = Fenwick::new(&weights);
    let count = wanted.min(pool.len());
    let mut picks = Vec::with_capacity(count);
    for _ in 0..count {
        let r = uniform_below(next, total);
        let index = tree.find(r);
        picks.push(pool[index].entry_id);
        tree.sub(index, weights[index]);
        total -= weights[index];
    }
    picks
}

/// Everything needed to recompute and check a draw; published as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawRecord {
    /// Always [`ALGORITHM`] for records this version writes.
    pub algorithm: String,
    pub contest_id: i64,
    /// `hex(SHA-256(seed))`, published when the contest opened.
    pub commitment: String,
    /// The revealed seed, hex.
    pub seed: String,
    /// Eligible entries, entry id strictly ascending.
    pub entries: Vec<DrawEntry>,
    pub winners_count: usize,
    pub alternates_count: usize,
    /// Published winners, in pick order.
    pub winners: Vec<i64>,
    /// Published alternates, in pick order.
    pub alternates: Vec<i64>,
}

impl DrawRecord {
    /// Run a draw and build its public record. Entries are put in ascending
    /// entry id order first; a duplicate entry id or a seed that is not
    /// [`SEED_LEN`] bytes long is refused.
    pub fn new(
        contest_id: i64,
        seed: &[u8],
        mut entries: Vec<DrawEntry>,
        winners_count: usize,
        alternates_count: usize,
    ) -> Result<DrawRecord, VerifyError> {
        if seed.len() != SEED_LEN {
            return Err(VerifyError::SeedLength { found: seed.len() });
        }
        entries.sort_by_key(|e| e.entry_id);
        check_canonical(&entries)?;
        let result = draw(seed, &entries, winners_count, alternates_count);
        Ok(DrawRecord {
            algorithm: ALGORITHM.to_owned(),
            contest_id,
            commitment: commitment(seed),
            seed: hex::encode(seed),
            entries,
            winners_count,
            alternates_count,
            winners: result.winners,
            alternates: result.alternates,
        })
    }

    /// Number of entries with a non-zero weight, and the sum of all weights.
    pub fn eligible(&self) -> (usize, u64) {
        let count = self.entries.iter().filter(|e| e.weight > 0).count();
        let total = self.entries.iter().map(|e| u64::from(e.weight)).sum();
        (count, total)
    }
}

/// Why a [`DrawRecord`] does not verify. [`verify`] checks in this order and
/// stops at the first failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("unsupported algorithm {found:?}; this verifier knows {ALGORITHM:?}")]
    UnsupportedAlgorithm { found: String },
    #[error("the seed is not valid hex: {0}")]
    SeedNotHex(String),
    #[error("the seed is {found} bytes long; expected {SEED_LEN}")]
    SeedLength { found: usize },
    #[error("the commitment is not 64 hex digits: {found:?}")]
    CommitmentFormat { found: String },
    #[error("SHA-256(seed) is {computed}, not the published commitment {published}")]
    CommitmentMismatch { published: String, computed: String },
    #[error(
        "entries are not in strictly ascending entry id order: entry {index} has id {found} \
         after id {previous}"
    )]
    EntriesNotCanonical {
        index: usize,
        previous: i64,
        found: i64,
    },
    #[error(
        "the published winners {published:?} differ from the recomputed winners {recomputed:?}"
    )]
    WinnersMismatch {
        published: Vec<i64>,
        recomputed: Vec<i64>,
    },
    #[error(
        "the published alternates {published:?} differ from the recomputed alternates \
         {recomputed:?}"
    )]
    AlternatesMismatch {
        published: Vec<i64>,
        recomputed: Vec<i64>,
    },
}

/// The checks of [`verify`], in order; [`VerifyError::step`] names the one that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyStep {
    Algorithm,
    Commitment,
    EntryOrder,
    Winners,
    Alternates,
}

impl VerifyStep {
    pub const ALL: [VerifyStep; 5] = [
        VerifyStep::Algorithm,
        VerifyStep::Commitment,
        VerifyStep::EntryOrder,
        VerifyStep::Winners,
        VerifyStep::Alternates,
    ];
}

impl VerifyError {
    pub fn step(&self) -> VerifyStep {
        match self {
            VerifyError::UnsupportedAlgorithm { .. } => VerifyStep::Algorithm,
            VerifyError::SeedNotHex(_)
            | VerifyError::SeedLength { .. }
            | VerifyError::CommitmentFormat { .. }
            | VerifyError::CommitmentMismatch { .. } => VerifyStep::Commitment,
            VerifyError::EntriesNotCanonical { .. } => VerifyStep::EntryOrder,
            VerifyError::WinnersMismatch { .. } => VerifyStep::Winners,
            VerifyError::AlternatesMismatch { .. } => VerifyStep::Alternates,
        }
    }
}

fn check_canonical(entries: &[DrawEntry]) -> Result<(), VerifyError> {
    for (index, pair) in entries.windows(2).enumerate() {
        if pair[1].entry_id <= pair[0].entry_id {
            return Err(VerifyError::EntriesNotCanonical {
                index: index + 1,
                previous: pair[0].entry_id,
                found: pair[1].entry_id,
            });
        }
    }
    Ok(())
}

/// Check a published draw: the algorithm is known, the seed is 32 bytes and
/// hashes to the commitment, the entries are in canonical order, and
/// recomputing the draw gives exactly the published winners and alternates.
pub fn verify(record: &DrawRecord) -> Result<(), VerifyError> {
    if record.algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm {
            found: record.algorithm.clone(),
        });
    }
    let seed = hex::decode(&record.seed).map_err(|e| VerifyError::SeedNotHex(e.to_string()))?;
    if seed.len() != SEED_LEN {
        return Err(VerifyError::SeedLength { found: seed.len() });
    }
    let published = match hex::decode(&record.commitment) {
        Ok(bytes) if bytes.len() == 32 => bytes,
        _ => {
            return Err(VerifyError::CommitmentFormat {
                found: record.commitment.chars().take(80).collect(),
            })
        }
    };
    let computed = Sha256::digest(&seed);
    if computed.as_slice() != published.as_slice() {
        return Err(VerifyError::CommitmentMismatch {
            published: record.commitment.clone(),
            computed: hex::encode(computed),
        });
    }
    check_canonical(&record.entries)?;
    let result = draw(
        &seed,
        &record.entries,
        record.winners_count,
        record.alternates_count,
    );
    if result.winners != record.winners {
        return Err(VerifyError::WinnersMismatch {
            published: record.winners.clone(),
            recomputed: result.winners,
        });
    }
    if result.alternates != record.alternates {
        return Err(VerifyError::AlternatesMismatch {
            published: record.alternates.clone(),
            recomputed: result.alternates,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(n: u8) -> [u8; 32] {
        let mut s = [0u8; 32];
        for (i, b) in s.iter_mut().enumerate() {
            *b = n.wrapping_mul(31).wrapping_add(i as u8);
        }
        s
    }

    fn counting_seed() -> Vec<u8> {
        (0u8..32).collect()
    }

    fn entries(weights: &[u32]) -> Vec<DrawEntry> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| DrawEntry {
                entry_id: i as i64 + 1,
                weight,
            })
            .collect()
    }

    /// The algorithm exactly as the module documentation words it: a linear
    /// walk over a shrinking pool.
    fn reference_picks(
        next: &mut impl FnMut() -> u64,
        entries: &[DrawEntry],
        wanted: usize,
    ) -> Vec<i64> {
        let mut pool: Vec<DrawEntry> = entries.iter().copied().filter(|e| e.weight > 0).collect();
        let mut picks = Vec::new();
        while picks.len() < wanted && !pool.is_empty() {
            let total: u64 = pool.iter().map(|e| u64::from(e.weight)).sum();
            let r = uniform_below(next, total);
            let mut c = 0u64;
            let j = pool
                .iter()
                .position(|e| {
                    c += u64::from(e.weight);
                    r < c
                })
                .unwrap();
            picks.push(pool.remove(j).entry_id);
        }
        picks
    }

    #[test]
    fn commitment_is_sha256_hex() {
        assert_eq!(
            commitment(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            commitment(&counting_seed()),
            "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
        );
        let a = generate_seed();
        assert_ne!(a, generate_seed());
    }

    /// Pins the algorithm: any change to the stream, the reduction or the
    /// selection breaks this. The expected values were cross-checked with the
    /// Python reference implementation in the module documentation.
    #[test]
    fn golden_vector() {
        let mut stream = Stream::new(&counting_seed());
        assert_eq!(stream.next_u64(), GOLDEN_U0);
        let e = entries(&[1, 3, 0, 2, 1, 5, 1, 1, 4, 1]);
        let result = draw(&counting_seed(), &e, 3, 2);
        assert_eq!(result.winners, GOLDEN_WINNERS);
        assert_eq!(result.alternates, GOLDEN_ALTERNATES);

        // The example record in the module documentation.
        let doc = draw(&counting_seed(), &entries(&[1, 3]), 1, 1);
        assert_eq!((doc.winners, doc.alternates), (vec![2], vec![1]));

        // A larger one: 1,000 entries with sparse ids, weights 0..=4.
        let many: Vec<DrawEntry> = (0..1000u32)
            .map(|i| DrawEntry {
                entry_id: 1000 + 3 * i64::from(i),
                weight: (i * 7) % 5,
            })
            .collect();
        let result = draw(&[0xAB; 32], &many, 10, 5);
        assert_eq!(
            result.winners,
            [3193, 3511, 2632, 3703, 2539, 2878, 1624, 1027, 2773, 1129]
        );
        assert_eq!(result.alternates, [3232, 3082, 2167, 1291, 3733]);
    }

    const GOLDEN_U0: u64 = 7235408453816277021;
    const GOLDEN_WINNERS: [i64; 3] = [4, 6, 10];
    const GOLDEN_ALTERNATES: [i64; 2] = [9, 5];

    #[test]
    fn deterministic_and_seed_dependent() {
        let e = entries(&[1; 50]);
        let a = draw(&seed(1), &e, 3, 2);
        assert_eq!(a, draw(&seed(1), &e, 3, 2));
        assert_eq!(a.winners.len(), 3);
        assert_eq!(a.alternates.len(), 2);
        let mut all: Vec<i64> = a.winners.iter().chain(&a.alternates).copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 5, "no entry is picked twice");
        assert_ne!(a, draw(&seed(2), &e, 3, 2));
        // Asking for more alternates does not change the winners.
        assert_eq!(draw(&seed(1), &e, 3, 10).winners, a.winners);
        // The winners are a prefix of the picks.
        assert_eq!(draw(&seed(1), &e, 5, 0).winners[..3], a.winners[..]);
    }

    #[test]
    fn fenwick_matches_the_documented_linear_walk() {
        let weights_sets: [&[u32]; 5] = [
            &[1],
            &[0, 0, 5, 0, 1],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
            &[u32::MAX, 1, u32::MAX, 0, 7],
            &[3; 37],
        ];
        for (k, weights) in weights_sets.iter().enumerate() {
            let e = entries(weights);
            for s in 0..20u8 {
                let mut a = Stream::new(&seed(s.wrapping_add(k as u8 * 20)));
                let mut b = Stream::new(&seed(s.wrapping_add(k as u8 * 20)));
                let fast = pick(&mut || a.next_u64(), &e, e.len() + 3);
                let slow = reference_picks(&mut || b.next_u64(), &e, e.len() + 3);
                assert_eq!(fast, slow, "weights {weights:?} seed {s}");
                assert_eq!(a.n, b.n);
            }
        }
    }

    #[test]
    fn weight_zero_is_never_drawn() {
        let e = entries(&[0, 1, 0, 1, 0]);
        for s in 0..50 {
            let r = draw(&seed(s), &e, 5, 5);
            let mut all: Vec<i64> = r.winners.iter().chain(&r.alternates).copied().collect();
            all.sort();
            assert_eq!(all, vec![2, 4]);
        }
        assert_eq!(
            draw(&seed(0), &entries(&[0, 0]), 1, 1),
            DrawResult::default()
        );
        assert_eq!(draw(&seed(0), &[], 1, 1), DrawResult::default());
    }

    #[test]
    fn fewer_entries_than_requested() {
        let e = entries(&[1, 2, 1]);
        let r = draw(&seed(3), &e, 5, 2);
        assert_eq!(r.winners.len(), 3);
        assert!(r.alternates.is_empty());
        let r = draw(&seed(3), &e, 2, 5);
        assert_eq!(r.winners.len(), 2);
        assert_eq!(r.alternates.len(), 1);
        let r = draw(&seed(3), &e, 0, 0);
        assert_eq!(r, DrawResult::default());
        let r = draw(&seed(3), &e, usize::MAX, usize::MAX);
        assert_eq!(r.winners.len(), 3);
    }

    /// Over 4,000 fixed seeds, each entry wins the single prize about as often
    /// as its weight says. Deterministic (fixed seeds); the bound is 5 standard
    /// deviations, so it only fails if selection is biased.
    #[test]
    fn winners_follow_weights() {
        let weights = [1u32, 2, 3, 4, 0, 10];
        let e = entries(&weights);
        let total: u32 = weights.iter().sum();
        let runs = 4000u32;
        let mut wins = [0u32; 6];
        for s in 0..runs {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&s.to_be_bytes());
            let r = draw(&seed, &e, 1, 0);
            wins[(r.winners[0] - 1) as usize] += 1;
        }
        for (i, w) in weights.iter().enumerate() {
            let p = f64::from(*w) / f64::from(total);
            let expected = p * f64::from(runs);
            let sd = (f64::from(runs) * p * (1.0 - p)).sqrt();
            let got = f64::from(wins[i]);
            assert!(
                (got - expected).abs() <= 5.0 * sd + 1e-9,
                "entry {} (weight {w}): {got} wins, expected {expected:.0} ± {:.0}",
                i + 1,
                5.0 * sd
            );
        }
        assert_eq!(wins[4], 0);
    }

    #[test]
    fn reduction_has_no_modulo_bias() {
        // 2^64 is a multiple of powers of two: nothing is discarded.
        assert_eq!(reduce(u64::MAX, 1 << 20), Some(u64::MAX % (1 << 20)));
        assert_eq!(reduce(u64::MAX, 1), Some(0));
        // T = 3: 2^64 mod 3 = 1, so L = 2^64 - 1 and u64::MAX is discarded.
        assert_eq!(reduce(u64::MAX, 3), None);
        assert_eq!(reduce(u64::MAX - 1, 3), Some((u64::MAX - 1) % 3));
        // T = 2^63 + 1: L = 2^63 + 1, so half the values are discarded.
        let t = (1u64 << 63) + 1;
        assert_eq!(reduce(1 << 63, t), Some(1 << 63));
        assert_eq!(reduce((1 << 63) + 1, t), None);
        // The sampler moves on to the next value after a discard.
        let mut values = [u64::MAX, u64::MAX, 7].into_iter();
        assert_eq!(uniform_below(&mut || values.next().unwrap(), 3), 1);
    }

    fn record() -> DrawRecord {
        DrawRecord::new(42, &seed(9), entries(&[1, 3, 0, 2, 1, 5, 1, 1, 4, 1]), 3, 2).unwrap()
    }

    #[test]
    fn a_genuine_record_verifies_and_round_trips_json() {
        let r = record();
        assert_eq!(r.algorithm, ALGORITHM);
        assert_eq!(r.commitment, commitment(&seed(9)));
        assert_eq!(verify(&r), Ok(()));
        let json = serde_json::to_string(&r).unwrap();
        let back: DrawRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        // Upper-case hex is the same bytes.
        let mut upper = r.clone();
        upper.commitment = upper.commitment.to_uppercase();
        upper.seed = upper.seed.to_uppercase();
        assert_eq!(verify(&upper), Ok(()));
        // Weight defaults to 1.
        let e: DrawEntry = serde_json::from_str(r#"{"entry_id": 5}"#).unwrap();
        assert_eq!(e.weight, 1);
    }

    #[test]
    fn record_new_sorts_and_refuses_bad_input() {
        let mut shuffled = entries(&[1, 3, 2]);
        shuffled.reverse();
        let r = DrawRecord::new(1, &seed(0), shuffled, 1, 1).unwrap();
        assert_eq!(r.entries, entries(&[1, 3, 2]));
        let dup = vec![
            DrawEntry {
                entry_id: 4,
                weight: 1,
            },
            DrawEntry {
                entry_id: 4,
                weight: 2,
            },
        ];
        assert!(matches!(
            DrawRecord::new(1, &seed(0), dup, 1, 0),
            Err(VerifyError::EntriesNotCanonical { found: 4, .. })
        ));
        assert_eq!(
            DrawRecord::new(1, b"short", vec![], 1, 0),
            Err(VerifyError::SeedLength { found: 5 })
        );
    }

    #[test]
    fn verify_detects_a_tampered_seed() {
        let mut r = record();
        r.seed = hex::encode(seed(10));
        let err = verify(&r).unwrap_err();
        assert!(
            matches!(err, VerifyError::CommitmentMismatch { .. }),
            "{err}"
        );
        assert_eq!(err.step(), VerifyStep::Commitment);

        // Even with a matching commitment, another seed gives other winners.
        r.commitment = commitment(&seed(10));
        let err = verify(&r).unwrap_err();
        assert!(matches!(err, VerifyError::WinnersMismatch { .. }), "{err}");

        let mut r = record();
        r.seed = "zz".into();
        assert!(matches!(verify(&r), Err(VerifyError::SeedNotHex(_))));
        r.seed = hex::encode([1u8; 16]);
        assert_eq!(verify(&r), Err(VerifyError::SeedLength { found: 16 }));
        let mut r = record();
        r.commitment = "abc".into();
        assert!(matches!(
            verify(&r),
            Err(VerifyError::CommitmentFormat { .. })
        ));
    }

    #[test]
    fn verify_detects_tampered_winners_and_alternates() {
        let genuine = record();
        let outsider = genuine
            .entries
            .iter()
            .map(|e| e.entry_id)
            .find(|id| !genuine.winners.contains(id) && !genuine.alternates.contains(id))
            .unwrap();

        let mut r = genuine.clone();
        r.winners[0] = outsider;
        let err = verify(&r).unwrap_err();
        assert_eq!(err.step(), VerifyStep::Winners);
        assert!(err.to_string().contains("published winners"), "{err}");

        let mut r = genuine.clone();
        r.winners.swap(0, 1);
        assert!(matches!(
            verify(&r),
            Err(VerifyError::WinnersMismatch { .. })
        ));

        let mut r = genuine.clone();
        r.winners.pop();
        assert!(matches!(
            verify(&r),
            Err(VerifyError::WinnersMismatch { .. })
        ));

        let mut r = genuine.clone();
        r.alternates[1] = outsider;
        let err = verify(&r).unwrap_err();
        assert!(
            matches!(err, VerifyError::AlternatesMismatch { .. }),
            "{err}"
        );
        assert_eq!(err.step(), VerifyStep::Alternates);

        let mut r = genuine;
        r.algorithm = "fanfare-draw-v0".into();
        assert!(matches!(
            verify(&r),
            Err(VerifyError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn verify_detects_a_reordered_entry_list() {
        let genuine = record();
        let mut r = genuine.clone();
        r.entries.swap(1, 5);
        let err = verify(&r).unwrap_err();
        assert_eq!(
            err,
            VerifyError::EntriesNotCanonical {
                index: 2,
                previous: 6,
                found: 3
            }
        );
        // Order matters to the draw itself, not only to the verifier's check.
        assert_ne!(
            draw(&seed(9), &r.entries, 3, 2),
            draw(&seed(9), &genuine.entries, 3, 2)
        );
    }

    #[test]
    fn verify_detects_a_changed_weight() {
        let genuine = record();
        // The first winner drops out: the recomputed winners must differ.
        let mut r = genuine.clone();
        let first = genuine.winners[0];
        r.entries
            .iter_mut()
            .find(|e| e.entry_id == first)
            .unwrap()
            .weight = 0;
        assert!(matches!(
            verify(&r),
            Err(VerifyError::WinnersMismatch { .. })
        ));
        // A bonus weight given to a loser changes this draw too (true for this seed;
        // in general a changed weight changes the draw with high probability).
        let mut r = genuine.clone();
        let loser = r
            .entries
            .iter_mut()
            .find(|e| e.weight > 0 && !genuine.winners.contains(&e.entry_id))
            .unwrap();
        loser.weight += 1;
        assert!(verify(&r).is_err());
        // An entry removed from the list.
        let mut r = genuine;
        r.entries.remove(0);
        assert!(verify(&r).is_err());
    }
}
