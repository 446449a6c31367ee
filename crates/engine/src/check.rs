//! When the checker looks at a wave next.
//!
//! Each started wave attempt has one check chain ([`crate::timer::Timer`]). While the wave has
//! no jobs to watch (pre-actions, resolution) the chain only guards the deadline; while it
//! launches, it polls at the plan's interval; a DRS launch event pulls the next check in to a
//! short follow-up. No check is ever scheduled past the wave's deadline, so a timeout is
//! noticed even if nothing else happens.

use jiff::Timestamp;

use crate::delay::DelaySeconds;

/// Delay of the check that follows a DRS launch event: the event says a server is done, the
/// job usually reports `COMPLETED` a few seconds later.
pub const LAUNCH_EVENT_FOLLOW_UP_SECONDS: u32 = 5;

/// Delay of the next check while the wave's jobs run: the plan's interval, but never past the
/// deadline.
pub fn launch_delay(
    check_interval_seconds: u32,
    now: Timestamp,
    deadline: Timestamp,
) -> DelaySeconds {
    let interval = DelaySeconds::clamped(u64::from(check_interval_seconds));
    interval.min(DelaySeconds::until(now, deadline))
}

/// Delay of the next check while nothing is launching: only the deadline needs watching.
pub fn deadline_delay(now: Timestamp, deadline: Timestamp) -> DelaySeconds {
    DelaySeconds::until(now, deadline)
}

/// Delay of the check that follows a launch event, or `None` when the live check is due
/// sooner anyway.
pub fn follow_up_delay(
    now: Timestamp,
    deadline: Timestamp,
    live_check_due_at: Option<Timestamp>,
) -> Option<DelaySeconds> {
    let follow_up = DelaySeconds::clamped(u64::from(LAUNCH_EVENT_FOLLOW_UP_SECONDS))
        .min(DelaySeconds::until(now, deadline));
    match live_check_due_at {
        Some(due_at) if due_at <= follow_up.after(now) => None,
        _ => Some(follow_up),
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
    fn launch_checks_follow_the_interval_but_stop_at_the_deadline() {
        let cases = [
            // (interval, now, deadline, expected)
            (30, 0, 3_600, 30),
            (900, 0, 3_600, 900),
            (30, 3_590, 3_600, 10),
            (30, 3_599, 3_600, 1),
            (0, 0, 3_600, 1),
            (5_000, 0, 3_600, 900),
        ];
        for (interval, now, deadline, expected) in cases {
            assert_eq!(
                launch_delay(interval, t(now), t(deadline)).get(),
                expected,
                "interval {interval} at {now} with deadline {deadline}"
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

    #[test]
    fn a_follow_up_is_only_needed_when_the_live_check_is_later() {
        let cases = [
            (None, Some(5)),
            (Some(t(1_030)), Some(5)),
            (Some(t(1_006)), Some(5)),
            (Some(t(1_005)), None),
            (Some(t(1_001)), None),
        ];
        for (live, expected) in cases {
            assert_eq!(
                follow_up_delay(t(1_000), t(3_600), live).map(DelaySeconds::get),
                expected,
                "{live:?}"
            );
        }
        assert_eq!(
            follow_up_delay(t(1_000), t(1_002), None).map(DelaySeconds::get),
            Some(2),
            "never past the deadline"
        );
    }
}
