//! Deadlines: a wave past its deadline is TIMED_OUT, whatever input notices it.

use super::*;

#[test]
fn any_input_after_the_deadline_times_the_wave_out() {
    let servers = sids(1, 2);
    let check = |token| {
        Event::Check(Observation {
            wave: 0,
            attempt: 1,
            token,
            jobs: vec![],
        })
    };
    type LateInput = Box<dyn Fn(&Harness) -> Event>;
    #[rustfmt::skip]
    let late_inputs: [(&str, LateInput); 7] = [
        ("live check",               Box::new(move |h| check(h.live_check()))),
        ("stale check",              Box::new(move |_| check(Token(1)))),
        ("resume",                   Box::new(|_| Event::Resume { wave: 0, attempt: 1 })),
        ("launch event",             Box::new(|_| Event::LaunchResult(launch_event("job-0-0", &sid(1))))),
        ("job started",              Box::new(|h| Event::JobStarted { request: h.request_id(1), job_id: "late".into() })),
        ("approval of another wave", Box::new(|_| Event::ApprovalGiven { wave: 1, by: "x".into() })),
        ("cancel",                   Box::new(|_| Event::CancelRequested { by: "x".into(), reason: "y".into() })),
    ];
    for (name, input) in late_inputs {
        let limits = Limits {
            servers_per_job: 1,
            ..Limits::default()
        };
        let mut h = Harness::with(timed_plan(&servers, 1), Mode::Drill, limits);
        h.at(5).resolve(&servers).started(0, "job-0-0");
        let event = input(&h);
        h.at(60).send(event);
        assert_eq!(h.status(), ExecutionStatus::TimedOut, "{name}");
        let timed_out = WavePhase::Ended {
            outcome: WaveOutcome::TimedOut,
        };
        assert_eq!(h.wave(0).phase, timed_out, "{name}");
        assert!(finishes(h.commands(), ExecutionStatus::TimedOut), "{name}");
        assert!(h.starts().is_empty(), "{name}");
        assert_eq!(h.wave(1).phase, WavePhase::Pending, "{name}: no later wave");
    }
}

#[test]
fn a_late_observation_still_goes_into_the_report_of_a_timed_out_wave() {
    let servers = sids(1, 1);
    let mut h = Harness::new(timed_plan(&servers, 1));
    h.resolve(&servers).start_all();
    h.at(61).check(vec![launched("job-0-0", &servers)]);
    assert_eq!(h.status(), ExecutionStatus::TimedOut);
    assert_eq!(h.wave(0).servers[0].launch_status, Launched);
    assert!(!has_advance(h.commands()));
}

#[test]
fn no_check_is_scheduled_past_the_deadline() {
    // Timeout (min), check interval (s), when the launch begins (s), and the delays of the
    // first check (at the start) and of the first launch check.
    #[rustfmt::skip]
    let cases = [
        (1,  900, 10,  (60, 50)),
        (45, 900, 10,  (900, 900)),
        (45, 30,  10,  (900, 30)),
        (2,  30,  100, (120, 20)),
    ];
    for (timeout_minutes, interval, launch_at, expected) in cases {
        let servers = sids(1, 1);
        let mut plan = timed_plan(&servers, timeout_minutes);
        plan.defaults.check_interval_seconds = interval;
        // A pre-action holds the launch back until `launch_at`.
        plan.waves[0].pre_actions = vec![lambda("prepare")];
        let mut h = Harness::new(plan);
        let first = scheduled_checks(h.before_save());
        h.at(launch_at).action(PRE, 0, OK);
        let launch = scheduled_checks(h.before_save());
        let got = (first[0].1, launch[0].1);
        assert_eq!(
            got, expected,
            "timeout {timeout_minutes} min, interval {interval} s"
        );
    }
}

#[test]
fn a_launch_drs_says_ended_before_the_deadline_is_not_timed_out() {
    // (when DRS says the job ended, expected status after the check at the deadline)
    let cases = [
        (Some(59), ExecutionStatus::Running),
        (Some(60), ExecutionStatus::Running),
        (Some(61), ExecutionStatus::TimedOut),
        (None, ExecutionStatus::TimedOut),
    ];
    for (ended, expected) in cases {
        let servers = sids(1, 1);
        let mut h = Harness::new(timed_plan(&servers, 1));
        h.resolve(&servers).start_all();
        let mut snapshot = launched("job-0-0", &servers);
        snapshot.ended_at = ended.map(t);
        h.at(60).check(vec![snapshot]);
        assert_eq!(h.status(), expected, "job ended at {ended:?}");
        assert_eq!(
            has_advance(h.commands()),
            expected == ExecutionStatus::Running
        );
    }
}

#[test]
fn pre_actions_and_resolution_are_under_the_deadline_too() {
    let servers = sids(1, 1);
    let mut plan = timed_plan(&servers, 1);
    plan.waves[0].pre_actions = vec![lambda("slow")];
    let mut h = Harness::new(plan);
    assert_eq!(h.wave(0).phase, WavePhase::PreAction { index: 0 });
    h.at(60).check(vec![]);
    assert_eq!(h.status(), ExecutionStatus::TimedOut);
}

#[test]
fn an_input_just_before_the_deadline_changes_nothing() {
    let servers = sids(1, 1);
    let mut h = Harness::new(timed_plan(&servers, 1));
    h.resolve(&servers).start_all();
    // A stale check a second before the deadline: no timeout yet, nothing to do.
    h.at(59).assert_no_op(Event::Check(Observation {
        wave: 0,
        attempt: 1,
        token: Token(1),
        jobs: vec![],
    }));
}

#[test]
fn the_deadline_no_longer_applies_once_the_launch_ended() {
    let servers = sids(1, 1);
    let mut plan = timed_plan(&servers, 1);
    plan.waves[0].post_actions = vec![lambda("smoke")];
    let mut h = Harness::new(plan);
    h.resolve(&servers).start_all();
    h.at(30)
        .check(vec![launched("job-0-0", &servers)])
        .advance();
    h.at(600).action(POST, 0, OK);
    assert_eq!(
        h.wave(0).phase,
        WavePhase::Ended {
            outcome: WaveOutcome::Succeeded
        }
    );
    assert_eq!(h.current(), 1);
}
