//! Growing delays between retries of rejected `StartRecovery` requests.

use serde::{Deserialize, Serialize};

use crate::delay::DelaySeconds;

/// The first retry delay when DRS gave no `Retry-After`.
pub const FIRST_RETRY_SECONDS: u32 = 5;

/// Retry rounds of one wave attempt: each round waits twice as long as the previous one (at
/// least what DRS asked for), capped at 900 s; a start DRS accepts begins the delays anew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    /// Retry rounds scheduled so far in this wave attempt.
    pub rounds: u32,
    /// The delay of the last round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delay: Option<DelaySeconds>,
}

impl Backoff {
    /// The delay of the next retry round, honouring DRS's `Retry-After` when it gave one.
    pub fn next_delay(&mut self, retry_after_seconds: Option<u32>) -> DelaySeconds {
        let grown = match self.last_delay {
            None => u64::from(FIRST_RETRY_SECONDS),
            Some(last) => u64::from(last.get()) * 2,
        };
        let asked = retry_after_seconds.map_or(0, u64::from);
        let delay = match self.last_delay {
            // The first round waits what DRS asked for, if it asked.
            None if asked > 0 => DelaySeconds::clamped(asked),
            _ => DelaySeconds::clamped(grown.max(asked)),
        };
        self.rounds += 1;
        self.last_delay = Some(delay);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delays(retry_afters: &[Option<u32>]) -> Vec<u32> {
        let mut backoff = Backoff::default();
        retry_afters
            .iter()
            .map(|r| backoff.next_delay(*r).get())
            .collect()
    }

    #[test]
    fn delays_grow_from_five_seconds_and_cap_at_900() {
        assert_eq!(
            delays(&[None; 10]),
            [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]
        );
    }

    #[test]
    fn retry_after_sets_the_start_and_a_floor() {
        let cases: [(&[Option<u32>], &[u32]); 5] = [
            (&[Some(2), None, None], &[2, 4, 8]),
            (&[Some(60), None], &[60, 120]),
            (&[None, Some(100), None], &[5, 100, 200]),
            (&[Some(0), None], &[5, 10]),
            (&[Some(5_000)], &[900]),
        ];
        for (input, expected) in cases {
            assert_eq!(delays(input), expected, "{input:?}");
        }
    }
}
