//! Request throttling: a token bucket per account and region, in real time.

use std::time::{Duration, Instant};

use crate::scenario::Throttling;

/// A token bucket: `burst` tokens, refilled at `requests_per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(config: &Throttling, now: Instant) -> TokenBucket {
        let capacity = f64::from(config.burst.max(1));
        TokenBucket {
            rate: config.requests_per_second,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is available.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

/// The `Retry-After` value for a wait: whole seconds, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(
            &Throttling {
                requests_per_second: 2.0,
                burst: 3,
            },
            start,
        );
        for _ in 0..3 {
            assert!(bucket.try_take(start).is_ok());
        }
        let wait = bucket.try_take(start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        assert_eq!(retry_after_seconds(wait), 1);
        let later = start + Duration::from_millis(500);
        assert!(bucket.try_take(later).is_ok());
        assert!(bucket.try_take(later).is_err());
        // Refill never exceeds the burst.
        let much_later = start + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.try_take(much_later).is_ok());
        }
        assert!(bucket.try_take(much_later).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(2100)), 3);
    }
}
