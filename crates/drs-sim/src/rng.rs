//! Seeded randomness and the resource identifiers drawn from it.
//!
//! Every random value of the emulator comes from ChaCha8 seeded with the scenario seed, on a
//! separate stream per purpose (server generation, each account and region), so that what
//! happens in one region never shifts the draws of another.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::scenario::SecondsRange;

/// Stream used to generate bulk source servers and their hardware identifiers.
pub const SERVER_GENERATION_STREAM: u64 = 1;

/// A deterministic random source.
#[derive(Debug, Clone)]
pub struct SeededRng(ChaCha8Rng);

impl SeededRng {
    /// The generator for `seed` on `stream`.
    pub fn new(seed: u64, stream: u64) -> SeededRng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        SeededRng(rng)
    }

    /// The generator of one account and region: job IDs, durations and outcomes there.
    pub fn for_region(seed: u64, account: &str, region: &str) -> SeededRng {
        SeededRng::new(seed, stable_hash(&[account, region]))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n` (`n > 0`), by multiply-shift (bias below 2^-64 * n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform float in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`. Always draws, so the stream advances the same either way.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A duration in milliseconds drawn uniformly from `range`.
    pub fn millis_in(&mut self, range: SecondsRange) -> u64 {
        let min = seconds_to_millis(range.min);
        let max = seconds_to_millis(range.max).max(min);
        min + self.below(max - min + 1)
    }

    /// `len` lowercase hexadecimal digits.
    pub fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(DIGITS[self.below(16) as usize]))
            .collect()
    }

    /// A source server ID: `s-` and 17 hex digits.
    pub fn source_server_id(&mut self) -> String {
        format!("s-{}", self.hex(17))
    }

    /// A job ID: `drsjob-` and 17 hex digits.
    pub fn job_id(&mut self) -> String {
        format!("drsjob-{}", self.hex(17))
    }

    /// An EC2 instance ID: `i-` and 17 hex digits.
    pub fn instance_id(&mut self) -> String {
        format!("i-{}", self.hex(17))
    }

    /// An EBS volume ID: `vol-` and 8 hex digits. (Real IDs have 17 digits, but the DRS model
    /// caps `EbsVolumeID` at 19 characters, so only the 8-digit form is valid there.)
    pub fn volume_id(&mut self) -> String {
        format!("vol-{}", self.hex(8))
    }

    /// A locally administered unicast MAC address.
    pub fn mac_address(&mut self) -> String {
        let tail = self.hex(10);
        let bytes: Vec<&str> = (0..5).map(|i| &tail[i * 2..i * 2 + 2]).collect();
        format!("02:{}", bytes.join(":"))
    }
}

fn seconds_to_millis(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as u64
    } else {
        0
    }
}

/// FNV-1a over the parts (separated), stable across runs and platforms.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A value in `[0, 1)` fixed by the seed and the parts: used for decisions that must not
/// depend on the order in which things are observed (dropping an event).
pub fn stable_unit(seed: u64, parts: &[&str]) -> f64 {
    let mut rng = SeededRng::new(seed, stable_hash(parts));
    rng.unit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_stream_give_the_same_ids() {
        let mut a = SeededRng::new(42, 7);
        let mut b = SeededRng::new(42, 7);
        assert_eq!(a.job_id(), b.job_id());
        let mut c = SeededRng::new(43, 7);
        assert_ne!(a.source_server_id(), c.source_server_id());
    }

    #[test]
    fn identifiers_have_the_model_shapes() {
        let mut rng = SeededRng::new(1, 1);
        let job = rng.job_id();
        assert_eq!(job.len(), 24);
        assert!(job.starts_with("drsjob-"));
        let server = rng.source_server_id();
        assert_eq!(server.len(), 19);
        let instance = rng.instance_id();
        assert_eq!(instance.len(), 19);
        assert!(instance[2..].chars().all(|c| c.is_ascii_hexdigit()));
        let mac = rng.mac_address();
        assert_eq!(mac.len(), 17);
        assert_eq!(mac.matches(':').count(), 5);
    }

    #[test]
    fn millis_stay_in_range() {
        let mut rng = SeededRng::new(5, 5);
        for _ in 0..1000 {
            let ms = rng.millis_in(SecondsRange::between(1.5, 2.0));
            assert!((1500..=2000).contains(&ms), "{ms}");
        }
        assert_eq!(rng.millis_in(SecondsRange::fixed(3.0)), 3000);
    }

    #[test]
    fn regions_draw_from_independent_streams() {
        let mut a = SeededRng::for_region(1, "111122223333", "us-east-1");
        let mut b = SeededRng::for_region(1, "111122223333", "us-west-2");
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
