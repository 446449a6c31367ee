//! Simulated time: scaled real time, or a manual clock that only the admin API moves.
//!
//! Simulated instants are milliseconds since the clock's origin; the origin maps them to
//! wall-clock timestamps for the wire.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::scenario::{ClockConfig, ClockMode};

/// A point in simulated time: milliseconds since the clock's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimInstant(u64);

impl SimInstant {
    /// The instant `millis` after the origin.
    pub const fn from_millis(millis: u64) -> SimInstant {
        SimInstant(millis)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This instant plus `millis`.
    pub const fn plus_millis(self, millis: u64) -> SimInstant {
        SimInstant(self.0.saturating_add(millis))
    }
}

/// Error of clock operations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClockError {
    /// Only a manual clock can be advanced.
    #[error(
        "the clock is not manual (scenario `clock: {{ manual: true }}`); it cannot be advanced"
    )]
    NotManual,
    /// Advancing by a negative or non-finite amount.
    #[error("seconds must be a non-negative number, found {0}")]
    InvalidAmount(f64),
}

/// The simulated clock.
#[derive(Debug, Clone)]
pub struct SimClock {
    origin: Timestamp,
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Scaled { scale: f64, real_origin: Instant },
    Manual { now: SimInstant },
}

impl SimClock {
    /// A clock at its origin: the configured start, or `wall_now`.
    pub fn new(config: &ClockConfig, wall_now: Timestamp, real_now: Instant) -> SimClock {
        let origin = config.start.unwrap_or(wall_now);
        let mode = match config.mode {
            ClockMode::Scaled { time_scale } => Mode::Scaled {
                scale: time_scale,
                real_origin: real_now,
            },
            ClockMode::Manual => Mode::Manual {
                now: SimInstant::default(),
            },
        };
        SimClock { origin, mode }
    }

    /// The current simulated instant.
    pub fn now(&self) -> SimInstant {
        self.now_at(Instant::now())
    }

    /// The simulated instant at real instant `real`.
    pub fn now_at(&self, real: Instant) -> SimInstant {
        match &self.mode {
            Mode::Scaled { scale, real_origin } => {
                let real_ms = real.saturating_duration_since(*real_origin).as_secs_f64() * 1000.0;
                SimInstant((real_ms * scale) as u64)
            }
            Mode::Manual { now } => *now,
        }
    }

    /// `true` for a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(self.mode, Mode::Manual { .. })
    }

    /// Simulated seconds per real second; `None` for a manual clock.
    pub fn time_scale(&self) -> Option<f64> {
        match self.mode {
            Mode::Scaled { scale, .. } => Some(scale),
            Mode::Manual { .. } => None,
        }
    }

    /// Moves a manual clock forward.
    pub fn advance(&mut self, seconds: f64) -> Result<SimInstant, ClockError> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(ClockError::InvalidAmount(seconds));
        }
        match &mut self.mode {
            Mode::Manual { now } => {
                *now = now.plus_millis((seconds * 1000.0).round() as u64);
                Ok(*now)
            }
            Mode::Scaled { .. } => Err(ClockError::NotManual),
        }
    }

    /// The wall-clock time of a simulated instant.
    pub fn timestamp(&self, at: SimInstant) -> Timestamp {
        let millis = i64::try_from(at.as_millis()).unwrap_or(i64::MAX);
        self.origin
            .checked_add(SignedDuration::from_millis(millis))
            .unwrap_or(Timestamp::MAX)
    }

    /// The origin: the wall-clock time of [`SimInstant::default`].
    pub fn origin(&self) -> Timestamp {
        self.origin
    }

    /// Real time until the simulated instant `at` comes; `None` if a manual clock must be
    /// advanced to reach it.
    pub fn real_delay_until(&self, at: SimInstant, real_now: Instant) -> Option<Duration> {
        let now = self.now_at(real_now);
        match &self.mode {
            Mode::Scaled { scale, .. } => {
                let sim_ms = at.as_millis().saturating_sub(now.as_millis()) as f64;
                Some(Duration::from_secs_f64(sim_ms / 1000.0 / scale))
            }
            Mode::Manual { .. } if at <= now => Some(Duration::ZERO),
            Mode::Manual { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Timestamp {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn scaled_clock_runs_time_scale_times_faster() {
        let real = Instant::now();
        let config = ClockConfig {
            mode: ClockMode::Scaled { time_scale: 60.0 },
            start: Some(start()),
        };
        let clock = SimClock::new(&config, Timestamp::UNIX_EPOCH, real);
        let later = clock.now_at(real + Duration::from_secs(2));
        assert_eq!(later, SimInstant::from_millis(120_000));
        assert_eq!(clock.timestamp(later).to_string(), "2025-01-01T00:02:00Z");
        let delay = clock
            .real_delay_until(
                SimInstant::from_millis(180_000),
                real + Duration::from_secs(2),
            )
            .unwrap();
        assert_eq!(delay, Duration::from_secs(1));
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let real = Instant::now();
        let config = ClockConfig {
            mode: ClockMode::Manual,
            start: None,
        };
        let mut clock = SimClock::new(&config, start(), real);
        assert_eq!(
            clock.now_at(real + Duration::from_secs(100)),
            SimInstant::default()
        );
        assert_eq!(clock.advance(1.5).unwrap(), SimInstant::from_millis(1500));
        assert_eq!(clock.now(), SimInstant::from_millis(1500));
        assert!(clock.advance(-1.0).is_err());
        assert_eq!(
            clock.real_delay_until(SimInstant::from_millis(2000), real),
            None
        );
        assert_eq!(
            clock.timestamp(clock.now()).to_string(),
            "2025-01-01T00:00:01.5Z"
        );
    }

    #[test]
    fn scaled_clock_cannot_be_advanced() {
        let config = ClockConfig::default();
        let mut clock = SimClock::new(&config, start(), Instant::now());
        assert_eq!(clock.advance(1.0), Err(ClockError::NotManual));
    }
}
