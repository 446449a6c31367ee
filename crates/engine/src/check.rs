//! When the checker looks at a wave next.
//!
//! Each started wave attempt has one check chain (a `timer::Timer`); the first wave's
//! chain, at attempt 0, is also the heartbeat of the execution's resolution
//! ([`crate::selection`]). While the wave has no jobs to watch (pre-actions) the chain only
//! guards the deadline; while it
//! launches, it polls at the plan's interval, stretched while DRS launch events arrive; the
//! launch events pull it in when a job's servers have all reported (see [`crate::hint`]). No
//! check is ever scheduled past the wave's deadline, so a timeout is noticed even if nothing
//! else happens.

use jiff::Timestamp;

use crate::delay::DelaySeconds;
use crate::execution::Execution;
use crate::id::{Attempt, JobId, Token, WaveIndex};
use crate::input::{JobSnapshot, Observation};

/// What an arriving check message is, for the state it is decided against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// The live check of the wave in progress: describe these jobs (one `DescribeJobs` per
    /// target), then decide the [`crate::Event::Check`] of [`Observation::described`].
    Live {
        /// The jobs to describe.
        jobs: Vec<JobId>,
    },
    /// A stale copy (superseded, already consumed, or of a wave attempt that is over):
    /// decided with no news, and costs no DRS call.
    Stale,
    /// Its token was handed out by a decision whose save is not visible yet (delayed
    /// messages are sent before the save; or the save failed and will be retried).
    /// Acknowledged as stale, it could leave the chain with no message: it must be
    /// delivered again later.
    AheadOfSave,
}

impl Execution {
    /// What a check message of `wave`, `attempt` carrying `token` is for this state.
    pub fn check_arrival(&self, wave: WaveIndex, attempt: Attempt, token: Token) -> Arrival {
        if self.is_terminal() {
            return Arrival::Stale;
        }
        let Some(state) = self.waves.get(wave) else {
            return Arrival::Stale;
        };
        if wave < self.current_wave {
            // No save can make a past wave's check live again.
            return Arrival::Stale;
        }
        // The decision that issued the token may also have begun the attempt the message
        // names (a wave starting and launching at once), hence the next attempt too.
        let attempt_known = attempt == state.attempt || attempt == state.attempt.saturating_add(1);
        if attempt_known && token.0 > state.check.issued {
            return Arrival::AheadOfSave;
        }
        let live = self.current_wave == wave
            && state.attempt == attempt
            && state.check.pending.is_some_and(|p| p.token == token);
        if live {
            Arrival::Live {
                jobs: state.jobs_to_observe(),
            }
        } else {
            Arrival::Stale
        }
    }
}

impl Observation {
    /// The observation a check message makes: what `DescribeJobs` answered for a live check
    /// (`Some`), or no news (`None`: a stale check, which describes nothing).
    ///
    /// A failed `DescribeJobs` is no news too: the live check must survive it. Failing the
    /// message would have SQS redeliver it a few times and then dead-letter it, and nothing
    /// would watch the wave any more; decided with no news, it schedules the next check at
    /// the plan's interval, and the wave's deadline bounds how long this can go on.
    pub fn described<E>(
        wave: WaveIndex,
        attempt: Attempt,
        token: Token,
        described: Option<Result<Vec<JobSnapshot>, E>>,
    ) -> Self {
        Self {
            wave,
            attempt,
            token,
            jobs: described.and_then(Result::ok).unwrap_or_default(),
        }
    }
}

/// Delay of the check that launch events pull in once every server of a running job has
/// reported: short, so the wave's end is seen at once, and not zero, so a burst of events
/// coalesces into one check.
pub const REPORTED_CHECK_SECONDS: u32 = 1;

/// Delay of the first follow-up check when a check finds a job whose servers all reported
/// still running: DRS marks the job `COMPLETED` a little after its last launch. Each further
/// follow-up waits twice as long.
pub const LAUNCH_EVENT_FOLLOW_UP_SECONDS: u32 = 5;

/// Delay of the next check while the wave's jobs run: the plan's interval doubled `stretch`
/// times, but at most 900 s and never past the deadline.
pub fn launch_delay(
    check_interval_seconds: u32,
    stretch: u32,
    now: Timestamp,
    deadline: Timestamp,
) -> DelaySeconds {
    let stretched = u64::from(check_interval_seconds)
        .checked_shl(stretch)
        .unwrap_or(u64::MAX);
    DelaySeconds::clamped(stretched).min(DelaySeconds::until(now, deadline))
}

/// Delay of the next check while nothing is launching: only the deadline needs watching.
pub fn deadline_delay(now: Timestamp, deadline: Timestamp) -> DelaySeconds {
    DelaySeconds::until(now, deadline)
}

/// Delay of a follow-up check (the `follow_ups`-th in a row) while a fully reported job is
/// still running: [`LAUNCH_EVENT_FOLLOW_UP_SECONDS`] doubled each time, never later than the
/// `fallback` check (which the deadline already bounds).
pub fn near_end_delay(follow_ups: u32, fallback: DelaySeconds) -> DelaySeconds {
    let follow_up = u64::from(LAUNCH_EVENT_FOLLOW_UP_SECONDS)
        .checked_shl(follow_ups)
        .unwrap_or(u64::MAX);
    DelaySeconds::clamped(follow_up).min(fallback)
}

/// Delay of the check pulled in by launch events, or `None` when the live check is due by
/// then anyway.
pub fn reported_delay(
    now: Timestamp,
    deadline: Timestamp,
    live_check_due_at: Option<Timestamp>,
) -> Option<DelaySeconds> {
    let soon = DelaySeconds::clamped(u64::from(REPORTED_CHECK_SECONDS))
        .min(DelaySeconds::until(now, deadline));
    pull_in(now, soon, live_check_due_at)
}

/// `delay`, unless the live check is due by then.
fn pull_in(
    now: Timestamp,
    delay: DelaySeconds,
    live_check_due_at: Option<Timestamp>,
) -> Option<DelaySeconds> {
    match live_check_due_at {
        Some(due_at) if due_at <= delay.after(now) => None,
        _ => Some(delay),
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_secs(seconds)
    }

    #[test]
    fn launch_checks_follow_the_stretched_interval_but_stop_at_900_s_and_the_deadline() {
        let cases = [
            // (interval, stretch, now, deadline, expected)
            (30, 0, 0, 3_600, 30),
            (900, 0, 0, 3_600, 900),
            (30, 0, 3_590, 3_600, 10),
            (30, 0, 3_599, 3_600, 1),
            (0, 0, 0, 3_600, 1),
            (5_000, 0, 0, 3_600, 900),
            (30, 1, 0, 3_600, 60),
            (30, 3, 0, 3_600, 240),
            (30, 5, 0, 3_600, 900),
            (30, 16, 0, 3_600, 900),
            (30, 200, 0, 3_600, 900),
            (30, 4, 3_500, 3_600, 100),
            (0, 7, 0, 3_600, 1),
        ];
        for (interval, stretch, now, deadline, expected) in cases {
            assert_eq!(
                launch_delay(interval, stretch, t(now), t(deadline)).get(),
                expected,
                "interval {interval} stretched {stretch} at {now} with deadline {deadline}"
            );
        }
    }

    #[test]
    fn follow_ups_near_the_end_double_but_never_wait_longer_than_the_fallback() {
        let fallback = DelaySeconds::clamped(120);
        let delays: Vec<u32> = (0..6).map(|n| near_end_delay(n, fallback).get()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 120]);
        assert_eq!(near_end_delay(0, DelaySeconds::clamped(2)).get(), 2);
        assert_eq!(near_end_delay(u32::MAX, fallback).get(), 120);
    }

    #[test]
    fn a_pulled_in_check_is_only_needed_when_the_live_check_is_later() {
        let cases = [
            (None, Some(1)),
            (Some(t(1_030)), Some(1)),
            (Some(t(1_002)), Some(1)),
            (Some(t(1_001)), None),
            (Some(t(999)), None),
        ];
        for (live, expected) in cases {
            assert_eq!(
                reported_delay(t(1_000), t(3_600), live).map(DelaySeconds::get),
                expected,
                "{live:?}"
            );
        }
    }

    #[test]
    fn deadline_checks_wait_for_the_deadline_in_steps_of_at_most_900_s() {
        let cases = [(0, 2_700, 900), (2_000, 2_700, 700), (2_699, 2_700, 1)];
        for (now, deadline, expected) in cases {
            assert_eq!(deadline_delay(t(now), t(deadline)).get(), expected);
        }
    }

    /// Wave 0 of two launching one job, its chain at token 3 (1: the resolution's
    /// heartbeat, 2: the wave's deadline check, superseded by 3, its launch check).
    fn launching() -> Execution {
        let now = t(0);
        let state = crate::fixtures::two_waves(false, now).state;
        let waves = ["s-00000000000000001", "s-00000000000000002"]
            .into_iter()
            .enumerate()
            .map(|(wave, server)| crate::WaveResolution {
                wave,
                outcome: crate::ResolutionOutcome::Resolved {
                    targets: vec![crate::ResolvedTarget {
                        target: None,
                        servers: vec![server.into()],
                    }],
                },
            })
            .collect();
        let resolved = crate::Input::new("exec-1", crate::Event::ServersResolved { waves });
        let state = crate::decide(state, resolved, now).unwrap().state;
        let request = crate::StartRequestId {
            execution: "exec-1".into(),
            wave: 0,
            attempt: 1,
            chunk: 0,
        };
        let started = crate::Event::JobStarted {
            request,
            job_id: "drsjob-1".into(),
        };
        crate::decide(state, crate::Input::new("exec-1", started), t(1))
            .unwrap()
            .state
    }

    #[test]
    fn only_the_live_token_of_the_attempt_in_progress_is_live() {
        let state = launching();
        let wave = &state.waves[0];
        assert_eq!(wave.live_check(), Some(Token(3)));
        assert_eq!(wave.last_check_token(), Token(3));
        let live = Arrival::Live {
            jobs: vec!["drsjob-1".into()],
        };
        #[rustfmt::skip]
        let cases = [
            // (wave, attempt, token, arrival)
            (0, 1, 3, live),
            (0, 1, 2, Arrival::Stale),         // superseded
            (0, 0, 1, Arrival::Stale),         // the resolution's heartbeat
            (0, 0, 3, Arrival::Stale),         // the live token, another attempt
            (0, 1, 4, Arrival::AheadOfSave),   // handed out by a save not visible yet
            (0, 2, 4, Arrival::AheadOfSave),   // ... which also began the next attempt
            (0, 3, 4, Arrival::Stale),         // an attempt no save can have begun
            (1, 1, 1, Arrival::AheadOfSave),   // the next wave, begun by that save
            (1, 0, 0, Arrival::Stale),
            (7, 1, 1, Arrival::Stale),         // no such wave
        ];
        for (wave, attempt, token, expected) in cases {
            assert_eq!(
                state.check_arrival(wave, attempt, Token(token)),
                expected,
                "wave {wave}, attempt {attempt}, token {token}"
            );
        }
    }

    #[test]
    fn a_past_waves_check_is_stale_whatever_its_token() {
        let mut state = launching();
        state.current_wave = 1;
        assert_eq!(state.check_arrival(0, 1, Token(9)), Arrival::Stale);
        assert_eq!(state.check_arrival(0, 1, Token(3)), Arrival::Stale);
    }

    #[test]
    fn a_consumed_check_is_stale_and_a_finished_execution_has_no_live_check() {
        let state = launching();
        let check = crate::Event::Check(Observation::described::<()>(0, 1, Token(3), None));
        let next = crate::decide(state.clone(), crate::Input::new("exec-1", check), t(30))
            .unwrap()
            .state;
        assert_eq!(
            next.check_arrival(0, 1, Token(3)),
            Arrival::Stale,
            "consumed"
        );
        assert!(matches!(
            next.check_arrival(0, 1, Token(4)),
            Arrival::Live { .. }
        ));

        let cancel = crate::Event::CancelRequested {
            by: "x".into(),
            reason: "y".into(),
        };
        let ended = crate::decide(state, crate::Input::new("exec-1", cancel), t(40))
            .unwrap()
            .state;
        for (attempt, token) in [(1, 3), (1, 4), (2, 9)] {
            assert_eq!(
                ended.check_arrival(0, attempt, Token(token)),
                Arrival::Stale,
                "attempt {attempt}, token {token}"
            );
        }
    }

    #[test]
    fn a_failed_describe_is_no_news() {
        let failed: Option<Result<Vec<JobSnapshot>, &str>> = Some(Err("throttled"));
        let observation = Observation::described(0, 1, Token(3), failed);
        assert_eq!(
            (observation.wave, observation.attempt, observation.token),
            (0, 1, Token(3))
        );
        assert!(observation.jobs.is_empty());
        let stale = Observation::described::<()>(0, 1, Token(2), None);
        assert!(stale.jobs.is_empty());
    }
}
