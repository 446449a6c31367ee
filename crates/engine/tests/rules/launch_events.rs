//! Launch events are hints: they time the checks, DescribeJobs stays the truth.

use super::*;

/// What decisions asked for, before and after their saves.
#[derive(Debug, Default, PartialEq)]
struct Effects {
    before_save: Vec<BeforeSave>,
    after_save: Vec<Command>,
}

impl Effects {
    fn extend(&mut self, other: Effects) {
        self.before_save.extend(other.before_save);
        self.after_save.extend(other.after_save);
    }

    fn len(&self) -> usize {
        self.before_save.len() + self.after_save.len()
    }
}

/// Sends a launch event of `server` in `job` at `t(at)`.
fn report(h: &mut Harness, at: i64, job: &str, server: &str) -> Effects {
    h.at(at)
        .send(Event::LaunchResult(launch_event(job, server)));
    Effects {
        before_save: h.before_save().to_vec(),
        after_save: h.commands().to_vec(),
    }
}

/// Whether `effects` only time the checks (what a launch event may do).
fn only_checks(effects: &Effects) -> bool {
    effects.after_save.is_empty()
        && effects
            .before_save
            .iter()
            .all(|e| matches!(e, BeforeSave::Check(_)))
}

#[test]
fn a_launch_event_is_a_hint_and_only_the_last_report_of_a_job_pulls_the_check_in() {
    let servers = sids(1, 2);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    let fallback = h.live_check();

    // The first report asks for nothing: the job still runs other servers.
    assert_eq!(
        report(&mut h, 10, "job-0-0", &servers[0]),
        Effects::default()
    );
    assert_eq!(
        h.wave(0).servers[0].launch_status,
        Pending,
        "an event is not the truth"
    );
    assert!(
        h.wave(0)
            .hints
            .reported
            .contains(&ServerId::new(servers[0].as_str()))
    );
    assert_eq!(h.live_check(), fallback, "the fallback check still stands");

    // The last one pulls the live check in to a second from now.
    let effects = report(&mut h, 20, "job-0-0", &servers[1]);
    let checks = scheduled_checks(&effects.before_save);
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].1, engine::check::REPORTED_CHECK_SECONDS);
    assert_ne!(checks[0].0, fallback);
    assert_eq!(h.live_check(), checks[0].0);

    // A duplicate, or a report arriving while the pulled-in check is due, asks for nothing.
    h.at(20)
        .assert_no_op(Event::LaunchResult(launch_event("job-0-0", &servers[1])));
    h.at(20)
        .assert_no_op(Event::LaunchResult(launch_event("job-0-0", &servers[0])));

    // The superseded fallback arrives: stale. The pulled-in check describes: the wave ends.
    h.at(30).check_with(fallback, vec![]);
    assert_eq!(scheduled_checks(h.before_save()), []);
    assert_eq!(h.wave(0).phase, WavePhase::Launching);
    h.at(21).check(vec![launched("job-0-0", &servers)]);
    assert!(has_advance(h.commands()));
    assert_eq!(h.wave(0).phase, WavePhase::LaunchEnded);
}

/// Delivers the live check if it is due by `t(at)`, seeing `jobs` (the harness plays the
/// checker: a check due is a check delivered).
fn deliver_due_check(h: &mut Harness, at: i64, jobs: Vec<engine::JobSnapshot>) {
    if let Some(due) = h.wave(h.current()).check_due_at()
        && due <= t(at)
    {
        let due = due.as_second() - t(0).as_second();
        h.at(due).check(jobs);
    }
}

#[test]
fn a_hundred_launch_events_of_a_wave_lead_to_one_describe() {
    let servers = sids(1, 100);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    assert_eq!(h.wave(0).jobs.len(), 1);
    // Every server reports, some twice, in no particular order, from 25 s to 124 s; the
    // fallback checks that fall due meanwhile see the job running.
    let mut order: Vec<usize> = (0..100).map(|i| (i * 37) % 100).collect();
    order.extend([3, 50, 99]);
    let mut from_events = Effects::default();
    let mut checks = 0;
    for (n, &i) in order.iter().enumerate() {
        let at = 25 + i64::try_from(n.min(99)).unwrap();
        let live = h.live_check();
        deliver_due_check(&mut h, at, vec![job("job-0-0", Started, &[])]);
        checks += usize::from(h.wave(0).live_check() != Some(live));
        from_events.extend(report(&mut h, at, "job-0-0", &servers[i]));
    }
    assert!(only_checks(&from_events), "{from_events:?}");
    let pulled_in = scheduled_checks(&from_events.before_save);
    assert_eq!(pulled_in.len(), 1, "one check for the burst: {pulled_in:?}");
    assert_eq!(pulled_in[0].1, engine::check::REPORTED_CHECK_SECONDS);
    assert_eq!(
        checks, 2,
        "fallback checks at 30 s and 60 s, then stretched to 120 s"
    );

    // That one check sees the job completed and every server launched.
    h.at(126).check(vec![launched("job-0-0", &servers)]);
    assert!(has_advance(h.commands()));
    assert!(
        h.wave(0)
            .servers
            .iter()
            .all(|s| s.launch_status == Launched)
    );
}

#[test]
fn reports_of_several_jobs_coalesce_while_a_pulled_in_check_is_due() {
    let servers = sids(1, 4);
    let limits = Limits {
        servers_per_job: 2,
        ..Limits::default()
    };
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).start_all();
    assert_eq!(h.wave(0).jobs.len(), 2);
    let mut effects = report(&mut h, 10, "job-0-0", &servers[0]);
    effects.extend(report(&mut h, 10, "job-0-0", &servers[1]));
    effects.extend(report(&mut h, 10, "job-0-1", &servers[2]));
    effects.extend(report(&mut h, 11, "job-0-1", &servers[3]));
    assert_eq!(
        scheduled_checks(&effects.before_save).len(),
        1,
        "{effects:?}"
    );
    assert!(only_checks(&effects), "{effects:?}");
}

#[test]
fn a_dropped_event_leaves_the_wave_to_the_fallback_check() {
    let servers = sids(1, 3);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    let fallback = h.live_check();
    // The third server's event is lost.
    let mut effects = report(&mut h, 10, "job-0-0", &servers[0]);
    effects.extend(report(&mut h, 12, "job-0-0", &servers[1]));
    assert_eq!(
        effects,
        Effects::default(),
        "no describe and no pulled-in check"
    );
    assert_eq!(h.live_check(), fallback);
    assert_eq!(h.wave(0).check_due_at(), Some(t(30)), "the plan's interval");

    // The fallback check finds the job completed: the wave ends without the last event.
    h.at(30).check(vec![launched("job-0-0", &servers)]);
    assert!(has_advance(h.commands()));
    assert!(
        h.wave(0)
            .servers
            .iter()
            .all(|s| s.launch_status == Launched)
    );
}

#[test]
fn a_dropped_event_still_ends_the_wave_at_the_stretched_fallback_within_900_s() {
    let servers = sids(1, 3);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    // Reports keep arriving between checks, so the fallback stretches; the last one is lost.
    let mut now = 0;
    let mut delays = Vec::new();
    for (i, server) in servers.iter().take(2).enumerate() {
        report(&mut h, now + 1, &format!("job-0-{}", 0), server);
        now = h.wave(0).check_due_at().unwrap().as_second() - t(0).as_second();
        let seen: Vec<(&str, LaunchStatus)> = servers[..=i]
            .iter()
            .map(|s| (s.as_str(), Launched))
            .chain(servers[i + 1..].iter().map(|s| (s.as_str(), InProgress)))
            .collect();
        h.at(now).check(vec![job("job-0-0", Started, &seen)]);
        delays.extend(
            scheduled_checks(h.before_save())
                .into_iter()
                .map(|(_, d)| d),
        );
    }
    assert_eq!(delays, [60, 120], "doubling while reports arrive");
    // Nothing more arrives: the interval holds (no growth without reports) and the check comes.
    now += 120;
    h.at(now).check(vec![job(
        "job-0-0",
        Started,
        &[
            (&servers[0], Launched),
            (&servers[1], Launched),
            (&servers[2], InProgress),
        ],
    )]);
    assert_eq!(scheduled_checks(h.before_save())[0].1, 120);
    now += 120;
    h.at(now).check(vec![launched("job-0-0", &servers)]);
    assert!(
        has_advance(h.commands()),
        "the wave ends without its last event"
    );
}

#[test]
fn events_for_servers_or_jobs_not_in_the_wave_change_nothing() {
    let w0 = sids(1, 2);
    let w1 = sids(10, 2);
    let mut h = Harness::new(plan(&[w0.clone(), w1.clone()]));
    h.launch_wave();
    h.resolve(&w1).start_all();
    h.at(40).check(vec![job(
        "job-1-0",
        Started,
        &[(&w1[0], Launched), (&w1[1], InProgress)],
    )]);
    let cases = [
        (
            "a server of no wave in the wave's job",
            launch_event("job-1-0", &sid(99)),
        ),
        (
            "a server of the previous wave in the wave's job",
            launch_event("job-1-0", &w0[0]),
        ),
        ("the previous wave's job", launch_event("job-0-0", &w0[1])),
        (
            "a job of another execution",
            launch_event("drsjob-other", &w1[1]),
        ),
        (
            "a server already seen launched",
            launch_event("job-1-0", &w1[0]),
        ),
    ];
    for (name, event) in cases {
        let before = h.state.clone();
        h.at(50).send(Event::LaunchResult(event));
        assert_eq!(h.state, before, "{name}: changed the state");
        assert_eq!(h.commands(), [], "{name}: emitted commands");
        assert_eq!(
            h.before_save(),
            [],
            "{name}: emitted effects before the save"
        );
    }
    // Only the wave's own server in its own job counts, and completes the job's reports.
    let effects = report(&mut h, 50, "job-1-0", &w1[1]);
    assert_eq!(
        scheduled_checks(&effects.before_save).len(),
        1,
        "{effects:?}"
    );
}

#[test]
fn a_fully_reported_job_still_running_is_followed_up_shortly_then_less_often() {
    let servers = sids(1, 2);
    let mut plan = one_wave(&servers);
    plan.defaults.check_interval_seconds = 60;
    let mut h = Harness::new(plan);
    h.resolve(&servers).start_all();
    report(&mut h, 10, "job-0-0", &servers[0]);
    report(&mut h, 11, "job-0-0", &servers[1]);
    // Every server launched, the job not COMPLETED yet.
    let running = || {
        vec![job(
            "job-0-0",
            Started,
            &[(&sid(1), Launched), (&sid(2), Launched)],
        )]
    };
    let mut now = 12;
    let mut delays = Vec::new();
    for _ in 0..6 {
        h.at(now).check(running());
        let delay = scheduled_checks(h.before_save())[0].1;
        delays.push(delay);
        now += i64::from(delay);
    }
    // 5, 10, 20, 40, then the fallback: 60 s stretched once by the reports.
    assert_eq!(delays, [5, 10, 20, 40, 80, 120]);
    h.at(now).check(vec![launched("job-0-0", &servers)]);
    assert!(has_advance(h.commands()));
}

#[test]
fn the_stretch_carries_over_to_the_next_wave_and_never_without_events() {
    let w0 = sids(1, 2);
    let w1 = sids(10, 1);
    for events in [true, false] {
        let mut h = Harness::new(plan(&[w0.clone(), w1.clone()]));
        h.resolve(&w0).start_all();
        if events {
            report(&mut h, 20, "job-0-0", &w0[0]);
        }
        h.at(30).check(vec![job(
            "job-0-0",
            Started,
            &[(&w0[0], Launched), (&w0[1], InProgress)],
        )]);
        let second = scheduled_checks(h.before_save())[0].1;
        if events {
            report(&mut h, 40, "job-0-0", &w0[1]);
        }
        let due = h.wave(0).check_due_at().unwrap();
        let at = due.as_second() - t(0).as_second();
        h.at(at).check(vec![launched("job-0-0", &w0)]).advance();
        assert_eq!(h.current(), 1);
        // The advance started wave 1 and its launch at once: one check, the launch's.
        let checks = scheduled_checks(h.before_save());
        assert_eq!(checks.len(), 1, "{checks:?}");
        let first = checks[0].1;
        // With events: stretched once by the first report, once more by the reports that
        // ended the wave.
        let expected = if events { (60, 41, 120) } else { (30, 60, 30) };
        assert_eq!((second, at, first), expected, "events {events}");
    }
}

#[test]
fn a_stretched_fallback_never_passes_the_deadline_and_the_wave_still_times_out() {
    let servers = sids(1, 2);
    let mut plan = timed_plan(&servers, 10);
    plan.defaults.check_interval_seconds = 300;
    let mut h = Harness::new(plan);
    h.resolve(&servers).start_all();
    report(&mut h, 100, "job-0-0", &servers[0]);
    h.at(300).check(vec![job(
        "job-0-0",
        Started,
        &[(&servers[0], Launched), (&servers[1], InProgress)],
    )]);
    // Stretched to 600 s, but the deadline is at 600.
    assert_eq!(scheduled_checks(h.before_save())[0].1, 300);
    assert_eq!(h.wave(0).check_due_at(), Some(t(600)));
    h.at(600).check(vec![]);
    assert_eq!(h.status(), ExecutionStatus::TimedOut);
}

#[test]
fn launch_events_for_unknown_or_finished_jobs_are_ignored() {
    let servers = sids(1, 1);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    h.assert_no_op(Event::LaunchResult(launch_event(
        "drsjob-unknown",
        &servers[0],
    )));
    h.check(vec![launched("job-0-0", &servers)]);
    h.assert_no_op(Event::LaunchResult(launch_event("job-0-0", &servers[0])));
}

#[test]
fn check_delays_stay_within_1_and_900_seconds() {
    for interval in [1, 30, 900] {
        let servers = sids(1, 1);
        let mut plan = one_wave(&servers);
        plan.defaults.check_interval_seconds = interval;
        plan.waves[0].timeout_minutes = Some(600);
        let mut h = Harness::new(plan);
        h.resolve(&servers).start_all();
        let mut now = 0;
        let mut delays = scheduled_checks(&h.before_save_history);
        for _ in 0..5 {
            now += i64::from(interval);
            h.at(now).check(vec![]);
            delays.extend(scheduled_checks(h.before_save()));
        }
        assert!(
            delays.iter().all(|(_, d)| (1..=900).contains(d)),
            "{delays:?}"
        );
        assert_eq!(delays.last().unwrap().1, interval);
    }
}
