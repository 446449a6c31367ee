//! The baseline: the polling policy of AWS's sample `drs-plan-automation` (Step Functions
//! and one Lambda), modelled on the waves the benchmark actually ran.
//!
//! The model: a wave starts its jobs (one `StartRecovery` per job — the same jobs our
//! starter made), then a Step Functions `Wait` of the poll interval (30 s) and one Lambda
//! invocation that calls `DescribeJobs` once for the wave, repeated until the describe sees
//! the wave's jobs `COMPLETED` (the sample's test of "done"; in drs-sim a job completes when
//! its last server is terminal). A wave whose last server is terminal `D` seconds after its
//! start is therefore seen done by poll `ceil(D / 30)`, so it costs `ceil(D / 30)`
//! describes, and the next wave starts `ceil(D / 30) × 30 − D` seconds after the end (plus
//! processing time, not modelled). Lambda invocations: one per poll plus one per wave start.

use crate::transitions::WaveTimes;

/// What the sample's policy would have called for the waves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BaselineCounts {
    /// `StartRecovery` calls.
    pub start_recovery: u64,
    /// `DescribeJobs` calls.
    pub describe_jobs: u64,
    /// Lambda invocations (polls plus wave starts).
    pub invocations: u64,
}

impl BaselineCounts {
    /// Every DRS API call.
    pub fn drs_calls(&self) -> u64 {
        self.start_recovery + self.describe_jobs
    }
}

/// Polls of a wave that ended `launch_seconds` after its start, at `interval_seconds`.
pub fn polls(launch_seconds: f64, interval_seconds: f64) -> u64 {
    let polls = (launch_seconds.max(0.0) / interval_seconds).ceil().max(1.0);
    // A wave lasts hours at most: thousands of polls, far within u64.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let polls = polls as u64;
    polls
}

/// The baseline's calls for `waves` polled every `interval_seconds`.
pub fn sample_policy(waves: &[WaveTimes], interval_seconds: f64) -> BaselineCounts {
    let mut counts = BaselineCounts::default();
    for wave in waves {
        let polls = polls(wave.launch_seconds(), interval_seconds);
        counts.start_recovery += wave.jobs as u64;
        counts.describe_jobs += polls;
        counts.invocations += polls + 1;
    }
    counts
}

/// The seconds the baseline waits from a wave's last terminal server to the poll that sees
/// it, for each wave (processing time excluded).
pub fn detection_delays(waves: &[WaveTimes], interval_seconds: f64) -> Vec<f64> {
    waves
        .iter()
        .map(|wave| {
            let seen_at = polls(wave.launch_seconds(), interval_seconds) as f64 * interval_seconds;
            seen_at - wave.launch_seconds()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::*;

    fn wave(index: usize, jobs: usize, seconds: i64) -> WaveTimes {
        let started = Timestamp::UNIX_EPOCH;
        WaveTimes {
            index,
            jobs,
            servers: jobs * 100,
            started,
            last_terminal: started + SignedDuration::from_secs(seconds),
        }
    }

    #[test]
    fn a_wave_costs_one_describe_per_started_interval() {
        assert_eq!(polls(0.0, 30.0), 1);
        assert_eq!(polls(30.0, 30.0), 1);
        assert_eq!(polls(30.5, 30.0), 2);
        assert_eq!(polls(361.0, 30.0), 13);
    }

    #[test]
    fn the_counts_add_up_over_waves() {
        let waves = [wave(0, 1, 361), wave(1, 10, 600)];
        let counts = sample_policy(&waves, 30.0);
        assert_eq!(counts.start_recovery, 11);
        assert_eq!(counts.describe_jobs, 13 + 20);
        assert_eq!(counts.drs_calls(), 44);
        assert_eq!(counts.invocations, 14 + 21);
        assert_eq!(detection_delays(&waves, 30.0), [29.0, 0.0]);
    }
}
