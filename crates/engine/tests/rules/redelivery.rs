//! Crash recovery: a redelivered message re-issues what is still in flight.

use super::*;

#[test]
fn a_redelivered_wave_start_reissues_the_unanswered_starts_with_the_same_ids() {
    let mut h = three_chunks();
    let first: Vec<StartRecovery> = h.starts();
    h.started(0, "job-a");
    let state = h.state.clone();
    // The answer to the resolution arrives again (a Lambda that died after saving it feeds
    // it once more).
    h.send(resolved(vec![in_default(&sids(1, 3))]));
    assert_eq!(h.state, state, "a duplicate changes nothing");
    let again = h.starts();
    assert_eq!(again.len(), 2, "chunk 0 has its job");
    for (reissued, original) in again.iter().zip(&first[1..]) {
        assert_eq!(reissued.request, original.request);
        assert_eq!(reissued.servers, original.servers);
        assert!(reissued.reissue && !original.reissue);
    }
}

#[test]
fn redeliveries_reissue_what_the_current_wave_waits_on() {
    // (name, how far to drive the execution, the redelivered input, the expected re-issue)
    type Setup = fn(&mut Harness);
    type Expected = fn(&Command) -> bool;
    let cases: Vec<(&str, Setup, Event, Expected)> = vec![
        (
            "request before resolution",
            |h| *h = Harness::unresolved(one_wave(&sids(1, 2))),
            Event::ExecutionRequested {
                mode: Mode::Drill,
                plan: PlanSource::Inline {
                    plan: one_wave(&sids(1, 2)),
                },
            },
            |c| matches!(c, Command::ResolveServers { waves } if waves.len() == 1),
        ),
        (
            "request while a start is unanswered",
            |h| {
                h.resolve(&sids(1, 2));
            },
            Event::ExecutionRequested {
                mode: Mode::Drill,
                plan: PlanSource::Inline {
                    plan: one_wave(&sids(1, 2)),
                },
            },
            |c| matches!(c, Command::StartRecovery(s) if s.reissue && s.request.chunk == 0),
        ),
        (
            "retry message after its round",
            |h| {
                h.resolve(&sids(1, 2));
                h.reject(0, Rejection::QuotaExceeded).retry_due();
            },
            Event::RetryStart {
                wave: 0,
                attempt: 1,
                token: Token(1),
            },
            |c| matches!(c, Command::StartRecovery(s) if s.reissue),
        ),
        (
            "check after it started a queued chunk",
            |h| {
                let limits = Limits {
                    servers_per_job: 1,
                    concurrent_jobs: 1,
                    ..Limits::default()
                };
                *h = Harness::with(one_wave(&sids(1, 2)), Mode::Drill, limits);
                h.resolve(&sids(1, 2)).started(0, "job-a");
                h.check_with(Token(2), vec![launched("job-a", &sids(1, 1))]);
            },
            Event::Check(Observation {
                wave: 0,
                attempt: 1,
                token: Token(2),
                jobs: vec![launched("job-a", &sids(1, 1))],
            }),
            |c| matches!(c, Command::StartRecovery(s) if s.request.chunk == 1 && s.reissue),
        ),
        (
            "check that ended the launch",
            |h| {
                h.resolve(&sids(1, 2)).start_all();
                h.check_with(Token(2), vec![launched("job-0-0", &sids(1, 2))]);
            },
            Event::Check(Observation {
                wave: 0,
                attempt: 1,
                token: Token(2),
                jobs: vec![launched("job-0-0", &sids(1, 2))],
            }),
            |c| {
                matches!(
                    c,
                    Command::Advance {
                        wave: 0,
                        attempt: 1
                    }
                )
            },
        ),
    ];
    for (name, setup, event, expected) in cases {
        let mut h = Harness::new(one_wave(&sids(1, 2)));
        setup(&mut h);
        let state = h.state.clone();
        h.send(event);
        assert_eq!(h.state, state, "{name}: state changed");
        assert_eq!(h.commands().len(), 1, "{name}: {:?}", h.commands());
        assert!(expected(&h.commands()[0]), "{name}: {:?}", h.commands());
        assert_eq!(h.before_save(), [], "{name}: effects before the save");
    }
}

#[test]
fn a_redelivered_advance_reissues_the_next_waves_first_request() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1), sids(3, 1)]);
    plan.waves[2].pre_actions = vec![lambda("prepare")];
    let mut h = Harness::new(plan);
    h.launch_wave();
    assert_eq!(h.current(), 1);
    let state = h.state.clone();
    h.send(Event::Advance {
        wave: 0,
        attempt: 1,
    });
    assert_eq!(h.state, state);
    assert!(
        matches!(h.commands(), [Command::StartRecovery(s)] if s.reissue && s.request.wave == 1),
        "{:?}",
        h.commands()
    );
    assert_eq!(h.before_save(), []);

    h.launch_wave();
    assert_eq!(h.current(), 2);
    h.send(Event::Advance {
        wave: 1,
        attempt: 1,
    });
    assert!(
        matches!(h.commands(), [Command::RunAction(run)] if run.run_id == "exec-1/2/1/pre/0"),
        "{:?}",
        h.commands()
    );
    assert_eq!(h.before_save(), []);
}

#[test]
fn while_servers_are_resolved_a_heartbeat_asks_again_until_the_first_waves_timeout() {
    let servers = sids(1, 1);
    let mut plan = one_wave(&servers);
    plan.waves[0].timeout_minutes = Some(20);
    let mut h = Harness::unresolved(plan.clone());
    assert_eq!(
        scheduled_checks(h.before_save()),
        [(Token(1), 900)],
        "the heartbeat, at attempt 0"
    );
    // The answer was lost: the heartbeat asks again, and beats on until the deadline.
    h.at(900).check(vec![]);
    assert!(
        h.commands()
            .iter()
            .any(|c| matches!(c, Command::ResolveServers { .. })),
        "{:?}",
        h.commands()
    );
    assert_eq!(scheduled_checks(h.before_save()), [(Token(2), 300)]);
    h.at(1_200).check(vec![]);
    assert_eq!(h.status(), ExecutionStatus::TimedOut);
    let failure = h.state.report().waves[0].failure.clone().unwrap();
    assert!(failure.contains("20 minutes"), "{failure}");
    assert!(h.starts().is_empty());

    // Answered in time: the heartbeat stops, the wave's own deadline begins at its start.
    let mut h = Harness::unresolved(plan);
    h.at(600).resolve(&servers);
    assert_eq!(h.status(), ExecutionStatus::Running);
    assert_eq!(h.attempt(), 1);
    assert_eq!(h.wave(0).deadline, Some(t(600 + 20 * 60)));
    assert_eq!(
        h.wave(0).live_check(),
        Some(Token(3)),
        "the launch's check (the heartbeat, token 1, is over)"
    );
}

#[test]
fn a_start_unanswered_for_a_minute_is_reissued_by_the_next_live_check() {
    let servers = sids(1, 1);
    let mut h = Harness::new(one_wave(&servers));
    h.at(0).resolve(&servers);
    h.at(30).check(vec![]);
    assert!(h.starts().is_empty(), "30 s is not stalled");
    h.at(60).check(vec![]);
    let starts = h.starts();
    assert_eq!(starts.len(), 1);
    assert!(starts[0].reissue);
    assert_eq!(
        starts[0].first_requested_at,
        t(0),
        "a re-issue names the first emission: DRS's job, if any, was created after it"
    );
    h.at(90).check(vec![]);
    assert!(h.starts().is_empty(), "re-issued at most once a minute");
}

#[test]
fn a_stale_check_is_applied_but_schedules_nothing() {
    let servers = sids(1, 2);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    let live = (h.wave(0).live_check(), h.wave(0).check_due_at());
    h.at(10).check_with(
        Token(1),
        vec![job("job-0-0", Started, &[(&servers[0], Launched)])],
    );
    assert_eq!(scheduled_checks(h.before_save()), []);
    assert_eq!(
        (h.wave(0).live_check(), h.wave(0).check_due_at()),
        live,
        "the live chain is untouched"
    );
    assert_eq!(
        h.wave(0).servers[0].launch_status,
        Launched,
        "DescribeJobs is the truth"
    );
}
