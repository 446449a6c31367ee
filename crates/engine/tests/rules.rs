//! One group of table-driven tests per engine rule, through the `Harness` DSL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use engine::{
    ActionPhase, ActionResult, CleanupTarget, Command, DelaySeconds, DrillCleanup, EngineError,
    Event, ExecutionStatus, JobStatus, LaunchStatus, Limits, Mode, Notification, Observation,
    Rejection, ResolutionOutcome, ResolvedTarget, ServerId, StartRecovery, TargetSelection, Token,
    Wake, WaveOutcome, WavePhase, WaveResolution, WaveSelection,
};
use jiff::SignedDuration;

use JobStatus::{Completed, Started};
use LaunchStatus::{Failed, InProgress, Launched, Pending, Terminated};

fn delay(seconds: u32) -> DelaySeconds {
    DelaySeconds::try_from(seconds).unwrap()
}

fn ids(servers: &[String]) -> Vec<ServerId> {
    servers.iter().map(|s| ServerId::new(s.as_str())).collect()
}

fn notifications(commands: &[Command]) -> Vec<Notification> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Notify(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn has_advance(commands: &[Command]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::Advance { .. }))
}

fn scheduled_checks(commands: &[Command]) -> Vec<(Token, u32)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::ScheduleCheck { token, delay, .. } => Some((*token, delay.get())),
            _ => None,
        })
        .collect()
}

fn chunk_kinds(h: &Harness) -> Vec<&'static str> {
    use engine::chunk::ChunkState;
    h.wave(h.current())
        .chunks
        .iter()
        .map(|c| match c.state {
            ChunkState::Queued => "queued",
            ChunkState::Requested { .. } => "requested",
            ChunkState::BackingOff { .. } => "backing off",
            ChunkState::Started { .. } => "started",
            ChunkState::Abandoned => "abandoned",
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The whole life of a drill, command by command.

#[test]
fn a_one_wave_drill_emits_exactly_these_commands() {
    let servers = sids(1, 2);
    let (s1, s2) = (servers[0].as_str(), servers[1].as_str());
    let mut h = Harness::unresolved(one_wave(&servers));
    assert_eq!(
        h.commands(),
        [
            Command::Notify(Notification::ExecutionStarted {
                plan: "test-plan".into(),
                mode: Mode::Drill
            }),
            Command::ResolveServers {
                waves: vec![WaveSelection {
                    wave: 0,
                    targets: vec![TargetSelection {
                        target: None,
                        server_ids: ids(&servers),
                        tag_sets: vec![]
                    }]
                }]
            },
            // The resolution's heartbeat: the first wave's chain at attempt 0.
            Command::ScheduleCheck {
                wave: 0,
                attempt: 0,
                token: Token(1),
                delay: delay(900)
            },
        ]
    );

    h.at(2).resolve(&servers);
    assert_eq!(
        h.commands(),
        [
            Command::Notify(Notification::WaveStarted {
                wave: 0,
                name: "w0".into()
            }),
            Command::StartRecovery(StartRecovery {
                request: h.request_id(0),
                target: None,
                servers: ids(&servers),
                is_drill: true,
                reissue: false,
                first_requested_at: t(2),
            }),
            Command::ScheduleCheck {
                wave: 0,
                attempt: 1,
                token: Token(3),
                delay: delay(30)
            },
        ]
    );
    assert_eq!(h.request_id(0).to_string(), "exec-1/0/1/0");

    h.at(3).started(0, "drsjob-1");
    assert_eq!(h.commands(), []);

    h.at(32).check(vec![job(
        "drsjob-1",
        Started,
        &[(s1, InProgress), (s2, Pending)],
    )]);
    assert_eq!(
        h.commands(),
        [Command::ScheduleCheck {
            wave: 0,
            attempt: 1,
            token: Token(4),
            delay: delay(30)
        }]
    );

    h.at(62).check(vec![launched("drsjob-1", &servers)]);
    assert_eq!(
        h.commands(),
        [Command::Advance {
            wave: 0,
            attempt: 1
        }]
    );
    assert_eq!(h.status(), ExecutionStatus::Running);

    h.at(63).advance();
    assert_eq!(
        h.commands(),
        [
            Command::Notify(Notification::WaveFinished {
                wave: 0,
                name: "w0".into(),
                outcome: WaveOutcome::Succeeded
            }),
            Command::Notify(Notification::ExecutionFinished {
                status: ExecutionStatus::Completed
            }),
            Command::ScheduleDrillCleanup(DrillCleanup {
                at: t(63) + SignedDuration::from_hours(4),
                targets: vec![CleanupTarget {
                    target: None,
                    recovery_instance_ids: vec![format!("i-{s1}"), format!("i-{s2}")],
                    job_ids: vec!["drsjob-1".into()],
                }],
            }),
            Command::Finish {
                status: ExecutionStatus::Completed
            },
        ]
    );
    assert_eq!(h.status(), ExecutionStatus::Completed);
    let server = h.wave(0).server(&s1.into()).unwrap();
    assert_eq!(server.started_at, Some(t(3)));
    assert_eq!(
        server.ended_at,
        Some(t(62)),
        "first observation showing it terminal"
    );
    assert_eq!(
        server.recovery_instance_id.as_deref(),
        Some(format!("i-{s1}").as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// A wave succeeds only when every job is COMPLETED and every server LAUNCHED, or each failed
// server is optional.

#[test]
fn wave_outcome_is_decided_per_server() {
    use ExecutionStatus::{Completed as Done, Failed as Fail};
    let (launched, failed, terminated, running) = (
        Some(Launched),
        Some(Failed),
        Some(Terminated),
        Some(InProgress),
    );
    // Servers 1 and 2: which are optional, the job's status, each server's launch status in
    // the snapshot (`None`: absent from it), the final status (`None`: the launch must still
    // be running) and the `(server, critical)` of every ServerFailed notification.
    type Case<'a> = (
        &'a str,
        &'a [usize],
        JobStatus,
        [Option<LaunchStatus>; 2],
        Option<ExecutionStatus>,
        &'a [(usize, bool)],
    );
    #[rustfmt::skip]
    let cases: [Case; 11] = [
        ("all launched",                         &[],     Completed, [launched, launched],   Some(Done), &[]),
        ("COMPLETED job, critical FAILED",       &[],     Completed, [launched, failed],     Some(Fail), &[(2, true)]),
        ("COMPLETED job, critical TERMINATED",   &[],     Completed, [launched, terminated], Some(Fail), &[(2, true)]),
        ("optional FAILED",                      &[2],    Completed, [launched, failed],     Some(Done), &[(2, false)]),
        ("optional TERMINATED",                  &[2],    Completed, [launched, terminated], Some(Done), &[(2, false)]),
        ("every server optional and failed",     &[1, 2], Completed, [failed, failed],       Some(Done), &[(1, false), (2, false)]),
        ("all launched, job not COMPLETED",      &[],     Started,   [launched, launched],   None,       &[]),
        ("critical failure, job still running",  &[],     Started,   [failed, running],      None,       &[(1, true)]),
        ("critical server missing from the job", &[],     Completed, [launched, None],       Some(Fail), &[(2, true)]),
        ("optional server missing from the job", &[2],    Completed, [launched, None],       Some(Done), &[(2, false)]),
        ("COMPLETED job, server IN_PROGRESS",    &[],     Completed, [launched, running],    Some(Fail), &[(2, true)]),
    ];
    for (name, optional, job_status, statuses, expected, expected_failed) in cases {
        let servers = sids(1, 2);
        let mut plan = one_wave(&servers);
        plan.waves[0].optional_servers = optional.iter().map(|n| sid(*n)).collect();
        let mut h = Harness::new(plan);
        h.resolve(&servers).start_all();
        let seen: Vec<(&str, LaunchStatus)> = servers
            .iter()
            .zip(statuses)
            .filter_map(|(s, status)| status.map(|status| (s.as_str(), status)))
            .collect();
        h.at(40).check(vec![job("job-0-0", job_status, &seen)]);
        let failed: Vec<(usize, bool)> = notifications(h.commands())
            .into_iter()
            .filter_map(|n| match n {
                Notification::ServerFailed {
                    server, critical, ..
                } => {
                    let n = (1..=2).find(|n| server.as_str() == sid(*n)).unwrap();
                    Some((n, critical))
                }
                _ => None,
            })
            .collect();
        assert_eq!(failed, expected_failed, "{name}: notifications");
        assert_eq!(
            has_advance(h.commands()),
            expected.is_some(),
            "{name}: advance"
        );
        if let Some(expected) = expected {
            h.advance();
            assert_eq!(h.status(), expected, "{name}");
            assert!(finishes(h.commands(), expected), "{name}: finish");
        } else {
            assert_eq!(h.wave(0).phase, WavePhase::Launching, "{name}");
        }
    }
}

#[test]
fn a_critical_failure_stops_new_starts_waits_for_running_jobs_and_never_starts_the_next_wave() {
    let wave0 = sids(1, 3);
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let mut h = Harness::with(plan(&[wave0.clone(), sids(10, 2)]), Mode::Drill, limits);
    h.resolve(&wave0);
    assert_eq!(h.starts().len(), 2, "budget of two concurrent jobs");
    h.start_all();

    h.at(40).check(vec![
        job("job-0-0", Completed, &[(&wave0[0], Failed)]),
        job("job-0-1", Started, &[(&wave0[1], InProgress)]),
    ]);
    assert_eq!(
        notifications(h.commands()),
        [Notification::ServerFailed {
            wave: 0,
            server: wave0[0].as_str().into(),
            critical: true,
            status: Failed
        }],
        "notified at once"
    );
    assert!(h.starts().is_empty(), "the third chunk is not started");
    assert!(
        !has_advance(h.commands()),
        "a job still runs: the report is not complete"
    );
    assert_eq!(chunk_kinds(&h), ["started", "started", "abandoned"]);

    h.at(70)
        .check(vec![job("job-0-1", Completed, &[(&wave0[1], Launched)])]);
    assert!(has_advance(h.commands()));
    h.advance();
    assert_eq!(h.status(), ExecutionStatus::Failed);
    assert_eq!(
        h.wave(0).phase,
        WavePhase::Ended {
            outcome: WaveOutcome::Failed
        }
    );
    assert_eq!(h.wave(1).phase, WavePhase::Pending);
    assert!(
        !h.history.iter().any(|c| match c {
            Command::StartRecovery(start) => start.request.wave == 1,
            Command::Notify(Notification::WaveStarted { wave, .. }) => *wave == 1,
            _ => false,
        }),
        "wave 1 never started"
    );
    let server = h.wave(0).server(&wave0[1].as_str().into()).unwrap();
    assert_eq!(server.launch_status, Launched, "the report is complete");
}

#[test]
fn a_timeout_still_applies_after_a_critical_failure() {
    let servers = sids(1, 2);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    h.at(40).check(vec![job(
        "job-0-0",
        Started,
        &[(&servers[0], Failed), (&servers[1], InProgress)],
    )]);
    h.at(45 * 60).check(vec![]);
    assert_eq!(h.status(), ExecutionStatus::TimedOut);
    assert_eq!(
        h.wave(0).phase,
        WavePhase::Ended {
            outcome: WaveOutcome::TimedOut
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Deadlines: a wave past its deadline is TIMED_OUT, whatever input notices it.

fn timed_plan(servers: &[String], timeout_minutes: u32) -> plan::Plan {
    let mut plan = plan(&[servers.to_vec(), sids(50, 1)]);
    plan.waves[0].timeout_minutes = Some(timeout_minutes);
    plan
}

#[test]
fn any_input_after_the_deadline_times_the_wave_out() {
    let servers = sids(1, 2);
    let check = |token| {
        Event::JobsObserved(Observation {
            wave: 0,
            attempt: 1,
            wake: Wake::Check { token },
            jobs: vec![],
        })
    };
    type LateInput = Box<dyn Fn(&Harness) -> Event>;
    #[rustfmt::skip]
    let late_inputs: [(&str, LateInput); 7] = [
        ("live check",               Box::new(move |h| check(h.live_check()))),
        ("stale check",              Box::new(move |_| check(Token(1)))),
        ("deadline passed",          Box::new(|_| Event::DeadlinePassed { wave: 0, attempt: 1 })),
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
        let first = scheduled_checks(h.commands());
        h.at(launch_at).action(PRE, 0, OK);
        let launch = scheduled_checks(h.commands());
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
fn a_deadline_check_before_the_deadline_changes_nothing() {
    let servers = sids(1, 1);
    let mut h = Harness::new(timed_plan(&servers, 1));
    h.resolve(&servers).start_all();
    h.at(59).assert_no_op(Event::DeadlinePassed {
        wave: 0,
        attempt: 1,
    });
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

// ---------------------------------------------------------------------------------------------
// Throttling and quota rejections back off and retry only the rejected chunks.

fn three_chunks() -> Harness {
    let limits = Limits {
        servers_per_job: 1,
        ..Limits::default()
    };
    let servers = sids(1, 3);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers);
    assert_eq!(h.starts().len(), 3);
    h
}

fn retry_delays(commands: &[Command]) -> Vec<u32> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::ScheduleRetry { delay, .. } => Some(delay.get()),
            _ => None,
        })
        .collect()
}

#[test]
fn rejections_back_off_and_retry_only_the_rejected_chunks() {
    let mut h = three_chunks();
    h.started(0, "job-a");
    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    assert_eq!(
        h.commands(),
        [Command::ScheduleRetry {
            wave: 0,
            attempt: 1,
            token: Token(1),
            delay: delay(5)
        }]
    );
    h.reject(2, Rejection::QuotaExceeded);
    assert_eq!(
        h.commands(),
        [],
        "one retry round covers every rejected chunk"
    );

    h.at(5).retry_due();
    let retried: Vec<(usize, bool)> = h
        .starts()
        .iter()
        .map(|s| (s.request.chunk, s.reissue))
        .collect();
    assert_eq!(
        retried,
        [(1, true), (2, true)],
        "chunk 0 has a job: never started again"
    );
    assert_eq!(h.starts()[0].request, h.request_id(1), "same request ID");

    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: Some(30),
        },
    );
    assert_eq!(
        retry_delays(h.commands()),
        [30],
        "DRS's Retry-After is a floor"
    );
    h.started(2, "job-c");
    h.at(40).retry_due();
    let retried: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(retried, [1]);
}

#[test]
fn retry_delays_grow_and_are_capped() {
    let throttled = |seconds| Rejection::Throttled {
        retry_after_seconds: Some(seconds),
    };
    let conflict = Rejection::Conflict { running_job: None };
    #[rustfmt::skip]
    let cases: [(Vec<Rejection>, &[u32]); 3] = [
        (vec![Rejection::QuotaExceeded; 10],                             &[5, 10, 20, 40, 80, 160, 320, 640, 900, 900]),
        (vec![throttled(2), conflict, Rejection::QuotaExceeded],        &[2, 4, 8]),
        (vec![throttled(7_000)],                                         &[900]),
    ];
    for (rejections, expected) in cases {
        let servers = sids(1, 1);
        let mut h = Harness::new(one_wave(&servers));
        h.resolve(&servers);
        let mut delays = Vec::new();
        for rejection in &rejections {
            h.reject(0, rejection.clone());
            delays.extend(retry_delays(h.commands()));
            h.retry_due();
            assert_eq!(h.starts().len(), 1);
        }
        assert_eq!(delays, expected, "{rejections:?}");
    }
}

#[test]
fn an_accepted_start_begins_the_retry_delays_anew() {
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 1,
        ..Limits::default()
    };
    let servers = sids(1, 2);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    let mut delays = Vec::new();
    for _ in 0..4 {
        h.reject(0, Rejection::QuotaExceeded);
        delays.extend(retry_delays(h.commands()));
        h.retry_due();
    }
    assert_eq!(delays, [5, 10, 20, 40]);
    // Chunk 0 is accepted and completes; chunk 1 is then refused: 5 s again, not 80.
    h.started(0, "job-a");
    h.check(vec![launched("job-a", &sids(1, 1))]);
    assert_eq!(h.starts().len(), 1, "{:?}", h.commands());
    h.reject(1, Rejection::QuotaExceeded);
    assert_eq!(retry_delays(h.commands()), [5]);
}

#[test]
fn nothing_new_starts_while_a_retry_round_is_pending() {
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let servers = sids(1, 4);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).started(0, "job-a");
    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    h.at(3).check(vec![launched("job-a", &servers[..1])]);
    assert!(
        h.starts().is_empty(),
        "queued chunks wait for the retry round"
    );
    h.at(5).retry_due();
    let started: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(started, [1, 2], "in order, within the budget");
}

#[test]
fn a_job_reported_for_a_backing_off_chunk_is_recorded_and_not_started_again() {
    let mut h = three_chunks();
    h.reject(
        0,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    // A duplicate handler's call had in fact started it.
    h.started(0, "job-a");
    assert_eq!(chunk_kinds(&h)[0], "started");
    h.started(1, "job-b").started(2, "job-c");
    h.retry_due();
    assert!(h.starts().is_empty());
}

#[test]
fn a_conflict_adopts_the_running_job_or_backs_off() {
    let mut h = three_chunks();
    h.reject(
        0,
        Rejection::Conflict {
            running_job: Some("drsjob-other".into()),
        },
    );
    assert_eq!(h.commands(), []);
    let job = h.wave(0).job(&"drsjob-other".into()).unwrap();
    assert!(job.adopted);
    assert_eq!(job.chunks, [0]);
    let server = h.wave(0).server(&sid(1).into()).unwrap();
    assert_eq!(server.job_id, Some("drsjob-other".into()));

    h.reject(1, Rejection::Conflict { running_job: None });
    assert_eq!(retry_delays(h.commands()), [5]);
    assert_eq!(chunk_kinds(&h)[1], "backing off");
}

#[test]
fn a_validation_rejection_fails_the_wave_with_the_message() {
    let limits = Limits {
        servers_per_job: 1,
        ..Limits::default()
    };
    let servers = sids(1, 2);
    let mut h = Harness::with(plan(&[servers.clone(), sids(9, 1)]), Mode::Drill, limits);
    h.resolve(&servers).started(0, "job-a");
    h.reject(
        1,
        Rejection::Validation {
            message: "server not replicating".into(),
        },
    );
    assert!(!has_advance(h.commands()), "job-a still runs");
    h.check(vec![launched("job-a", &servers[..1])]);
    assert!(has_advance(h.commands()));
    h.advance();
    assert_eq!(h.status(), ExecutionStatus::Failed);
    let failure = h.state.report().waves[0].failure.clone().unwrap();
    assert!(failure.contains("server not replicating"), "{failure}");
}

// ---------------------------------------------------------------------------------------------
// Budget: chunks within the per-job quota, active jobs and servers within the budget.

#[test]
fn chunks_respect_the_per_job_quota_and_the_concurrent_budget() {
    let limits = |servers_per_job, concurrent_jobs, servers_in_active_jobs| Limits {
        servers_per_job,
        concurrent_jobs,
        servers_in_active_jobs,
    };
    // Servers, limits, and the sizes of the StartRecovery commands emitted at once.
    #[rustfmt::skip]
    let cases: [(usize, Limits, &[usize]); 4] = [
        (250, limits(100, 20, 500), &[84, 83, 83]),
        (50,  limits(10, 2, 500),   &[10, 10]),
        (50,  limits(10, 20, 25),   &[10, 10]),
        (3,   limits(200, 20, 500), &[3]),
    ];
    for (count, limits, expected) in cases {
        let servers = sids(1, count);
        let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
        h.resolve(&servers);
        let sizes: Vec<usize> = h.starts().iter().map(|s| s.servers.len()).collect();
        assert_eq!(sizes, expected, "{count} servers with {limits:?}");
    }
}

#[test]
fn queued_chunks_start_as_observed_jobs_complete() {
    let limits = Limits {
        servers_per_job: 10,
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let servers = sids(1, 50);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).start_all();
    h.at(30).check(vec![job("job-0-0", Started, &[])]);
    assert!(h.starts().is_empty());
    h.at(60).check(vec![launched("job-0-0", &servers[..10])]);
    let started: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(started, [2]);
}

#[test]
fn each_target_has_its_own_budget() {
    let mut plan = plan(&[sids(1, 4)]);
    plan.targets.insert(
        "east".into(),
        plan::Target {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            role_arn: None,
            external_id: None,
        },
    );
    plan.protection_groups.insert(
        "g-east".into(),
        plan::ProtectionGroup {
            target: Some("east".into()),
            servers: sids(10, 2),
            tags: Default::default(),
        },
    );
    plan.waves[0].groups.push("g-east".into());
    let limits = Limits {
        servers_per_job: 2,
        concurrent_jobs: 1,
        ..Limits::default()
    };
    let mut h = Harness::unresolved_with(plan, Mode::Drill, limits);
    let resolve = h.commands().iter().find_map(|c| match c {
        Command::ResolveServers { waves } => Some(waves[0].targets.clone()),
        _ => None,
    });
    let targets: Vec<Option<String>> = resolve.unwrap().into_iter().map(|t| t.target).collect();
    assert_eq!(targets, [None, Some("east".to_owned())]);
    h.send(resolved(vec![vec![
        ResolvedTarget {
            target: None,
            servers: ids(&sids(1, 4)),
        },
        ResolvedTarget {
            target: Some("east".into()),
            servers: ids(&sids(10, 2)),
        },
    ]]));
    let started: Vec<(usize, Option<String>)> = h
        .starts()
        .iter()
        .map(|s| (s.request.chunk, s.target.clone()))
        .collect();
    assert_eq!(started, [(0, None), (2, Some("east".into()))]);
}

// ---------------------------------------------------------------------------------------------
// Crash recovery: a redelivered message re-issues what is still in flight.

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
            Event::ExecutionRequested(request(
                one_wave(&sids(1, 2)),
                Mode::Drill,
                Limits::default(),
            )),
            |c| matches!(c, Command::ResolveServers { waves } if waves.len() == 1),
        ),
        (
            "request while a start is unanswered",
            |h| {
                h.resolve(&sids(1, 2));
            },
            Event::ExecutionRequested(request(
                one_wave(&sids(1, 2)),
                Mode::Drill,
                Limits::default(),
            )),
            |c| matches!(c, Command::StartRecovery(s) if s.reissue && s.request.chunk == 0),
        ),
        (
            "retry message after its round",
            |h| {
                h.resolve(&sids(1, 2));
                h.reject(0, Rejection::QuotaExceeded).retry_due();
            },
            Event::RetryDue {
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
            Event::JobsObserved(Observation {
                wave: 0,
                attempt: 1,
                wake: Wake::Check { token: Token(2) },
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
            Event::JobsObserved(Observation {
                wave: 0,
                attempt: 1,
                wake: Wake::Check { token: Token(2) },
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
    h.send(Event::WaveAdvance {
        wave: 0,
        attempt: 1,
    });
    assert_eq!(h.state, state);
    assert!(
        matches!(h.commands(), [Command::StartRecovery(s)] if s.reissue && s.request.wave == 1),
        "{:?}",
        h.commands()
    );

    h.launch_wave();
    assert_eq!(h.current(), 2);
    h.send(Event::WaveAdvance {
        wave: 1,
        attempt: 1,
    });
    assert!(
        matches!(h.commands(), [Command::RunAction(run)] if run.run_id == "exec-1/2/1/pre/0"),
        "{:?}",
        h.commands()
    );
}

#[test]
fn while_servers_are_resolved_a_heartbeat_asks_again_until_the_first_waves_timeout() {
    let servers = sids(1, 1);
    let mut plan = one_wave(&servers);
    plan.waves[0].timeout_minutes = Some(20);
    let mut h = Harness::unresolved(plan.clone());
    assert_eq!(
        scheduled_checks(h.commands()),
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
    assert_eq!(scheduled_checks(h.commands()), [(Token(2), 300)]);
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
        h.wave(0).check.pending.map(|p| p.token),
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
    let live = h.wave(0).check.clone();
    h.at(10).check_with(
        Token(1),
        vec![job("job-0-0", Started, &[(&servers[0], Launched)])],
    );
    assert_eq!(scheduled_checks(h.commands()), []);
    assert_eq!(h.wave(0).check, live, "the live chain is untouched");
    assert_eq!(
        h.wave(0).servers[0].launch_status,
        Launched,
        "DescribeJobs is the truth"
    );
}

// ---------------------------------------------------------------------------------------------
// Launch events are hints: they time the checks, DescribeJobs stays the truth.

/// Sends a launch event of `server` in `job` at `t(at)`.
fn report(h: &mut Harness, at: i64, job: &str, server: &str) -> Vec<Command> {
    h.at(at)
        .send(Event::LaunchResult(launch_event(job, server)));
    h.commands().to_vec()
}

/// Whether `commands` only time the checks (what a launch event may do).
fn only_checks(commands: &[Command]) -> bool {
    commands
        .iter()
        .all(|c| matches!(c, Command::ScheduleCheck { .. }))
}

#[test]
fn a_launch_event_is_a_hint_and_only_the_last_report_of_a_job_pulls_the_check_in() {
    let servers = sids(1, 2);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    let fallback = h.live_check();

    // The first report asks for nothing: the job still runs other servers.
    assert_eq!(report(&mut h, 10, "job-0-0", &servers[0]), []);
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
    let commands = report(&mut h, 20, "job-0-0", &servers[1]);
    let checks = scheduled_checks(&commands);
    assert_eq!(commands.len(), 1, "{commands:?}");
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
    assert_eq!(scheduled_checks(h.commands()), []);
    assert_eq!(h.wave(0).phase, WavePhase::Launching);
    h.at(21).check(vec![launched("job-0-0", &servers)]);
    assert!(has_advance(h.commands()));
    assert_eq!(h.wave(0).phase, WavePhase::LaunchEnded);
}

/// Delivers the live check if it is due by `t(at)`, seeing `jobs` (the harness plays the
/// checker: a check due is a check delivered).
fn deliver_due_check(h: &mut Harness, at: i64, jobs: Vec<engine::JobSnapshot>) {
    if let Some(due) = h.wave(h.current()).check.due_at()
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
    let mut from_events = Vec::new();
    let mut checks = 0;
    for (n, &i) in order.iter().enumerate() {
        let at = 25 + i64::try_from(n.min(99)).unwrap();
        let live = h.live_check();
        deliver_due_check(&mut h, at, vec![job("job-0-0", Started, &[])]);
        checks += usize::from(h.wave(0).check.pending.map(|p| p.token) != Some(live));
        from_events.extend(report(&mut h, at, "job-0-0", &servers[i]));
    }
    assert!(only_checks(&from_events), "{from_events:?}");
    let pulled_in = scheduled_checks(&from_events);
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
    let mut commands = report(&mut h, 10, "job-0-0", &servers[0]);
    commands.extend(report(&mut h, 10, "job-0-0", &servers[1]));
    commands.extend(report(&mut h, 10, "job-0-1", &servers[2]));
    commands.extend(report(&mut h, 11, "job-0-1", &servers[3]));
    assert_eq!(scheduled_checks(&commands).len(), 1, "{commands:?}");
    assert!(only_checks(&commands), "{commands:?}");
}

#[test]
fn a_dropped_event_leaves_the_wave_to_the_fallback_check() {
    let servers = sids(1, 3);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers).start_all();
    let fallback = h.live_check();
    // The third server's event is lost.
    let mut commands = report(&mut h, 10, "job-0-0", &servers[0]);
    commands.extend(report(&mut h, 12, "job-0-0", &servers[1]));
    assert_eq!(commands, [], "no describe and no pulled-in check");
    assert_eq!(h.live_check(), fallback);
    assert_eq!(h.wave(0).check.due_at(), Some(t(30)), "the plan's interval");

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
        now = h.wave(0).check.due_at().unwrap().as_second() - t(0).as_second();
        let seen: Vec<(&str, LaunchStatus)> = servers[..=i]
            .iter()
            .map(|s| (s.as_str(), Launched))
            .chain(servers[i + 1..].iter().map(|s| (s.as_str(), InProgress)))
            .collect();
        h.at(now).check(vec![job("job-0-0", Started, &seen)]);
        delays.extend(scheduled_checks(h.commands()).into_iter().map(|(_, d)| d));
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
    assert_eq!(scheduled_checks(h.commands())[0].1, 120);
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
    }
    // Only the wave's own server in its own job counts, and completes the job's reports.
    let commands = report(&mut h, 50, "job-1-0", &w1[1]);
    assert_eq!(scheduled_checks(&commands).len(), 1, "{commands:?}");
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
        let delay = scheduled_checks(h.commands())[0].1;
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
        let second = scheduled_checks(h.commands())[0].1;
        if events {
            report(&mut h, 40, "job-0-0", &w0[1]);
        }
        let due = h.wave(0).check.due_at().unwrap();
        let at = due.as_second() - t(0).as_second();
        h.at(at).check(vec![launched("job-0-0", &w0)]).advance();
        assert_eq!(h.current(), 1);
        // The advance started wave 1 and its launch at once: one check, the launch's.
        let checks = scheduled_checks(h.commands());
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
    assert_eq!(scheduled_checks(h.commands())[0].1, 300);
    assert_eq!(h.wave(0).check.due_at(), Some(t(600)));
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
        let mut delays = scheduled_checks(&h.history);
        for _ in 0..5 {
            now += i64::from(interval);
            h.at(now).check(vec![]);
            delays.extend(scheduled_checks(h.commands()));
        }
        assert!(
            delays.iter().all(|(_, d)| (1..=900).contains(d)),
            "{delays:?}"
        );
        assert_eq!(delays.last().unwrap().1, interval);
    }
}

// ---------------------------------------------------------------------------------------------
// Approval.

#[test]
fn a_paused_wave_waits_for_its_approval() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[1].pause_before = true;
    let mut h = Harness::new(plan);
    h.launch_wave();
    assert_eq!(
        h.commands()[1..],
        [
            Command::RequestApproval {
                wave: 1,
                name: "w1".into()
            },
            Command::Notify(Notification::ApprovalRequired {
                wave: 1,
                name: "w1".into()
            }),
        ]
    );
    assert_eq!(h.status(), ExecutionStatus::AwaitingApproval);
    assert_eq!(h.wave(1).phase, WavePhase::AwaitingApproval);

    h.at(500).assert_no_op(Event::ApprovalGiven {
        wave: 0,
        by: "x".into(),
    });
    h.approve(1);
    assert_eq!(h.status(), ExecutionStatus::Running);
    assert!(
        h.commands()
            .iter()
            .any(|c| matches!(c, Command::StartRecovery(s) if s.request.wave == 1))
    );
    assert_eq!(
        h.wave(1).approval.as_ref().map(|a| a.by.as_str()),
        Some("approver")
    );
    assert_eq!(
        h.wave(1).started_at,
        Some(t(500)),
        "the wave's clock starts at the approval"
    );

    h.at(501).assert_no_op(Event::ApprovalGiven {
        wave: 1,
        by: "again".into(),
    });
}

#[test]
fn approving_a_wave_not_yet_reached_does_nothing() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[1].pause_before = true;
    let mut h = Harness::new(plan);
    h.assert_no_op(Event::ApprovalGiven {
        wave: 1,
        by: "early".into(),
    });
    h.launch_wave();
    assert_eq!(
        h.status(),
        ExecutionStatus::AwaitingApproval,
        "an early approval does not count"
    );
}

#[test]
fn a_first_wave_can_pause_too() {
    let mut plan = one_wave(&sids(1, 1));
    plan.waves[0].pause_before = true;
    let h = Harness::new(plan);
    assert_eq!(h.status(), ExecutionStatus::AwaitingApproval);
    assert!(
        h.commands()
            .iter()
            .any(|c| matches!(c, Command::RequestApproval { wave: 0, .. }))
    );
    assert!(
        !h.commands()
            .iter()
            .any(|c| matches!(c, Command::ResolveServers { .. }))
    );
}

// ---------------------------------------------------------------------------------------------
// Cancel stops everything, at any point.

#[test]
fn cancel_stops_the_execution_at_any_point() {
    // Where the execution is when cancelled, and whether a job had started (so the drill
    // has something to clean up).
    type Drive = fn(&mut Harness);
    #[rustfmt::skip]
    let cases: [(&str, Drive, bool); 7] = [
        ("awaiting approval", |h| { h.launch_wave(); },                                     true),
        ("pre-action",        |h| { h.launch_wave().approve(1); },                          true),
        ("resolving",         |_| {},                                                      false),
        ("launching",         |h| { h.resolve_plan().start_all(); },                       true),
        ("starts unanswered", |h| { h.resolve_plan(); },                                   false),
        ("backing off",       |h| { h.resolve_plan().reject(0, Rejection::QuotaExceeded); }, false),
        ("launch ended",      |h| {
            h.resolve_plan().start_all().check(vec![launched("job-0-0", &sids(1, 1))]);
        },                                                                                 true),
    ];
    for (name, drive, cleanup) in cases {
        let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
        plan.waves[1].pause_before = true;
        plan.waves[1].pre_actions = vec![lambda("prepare")];
        let mut h = Harness::new(plan);
        drive(&mut h);
        let wave = h.current();
        h.at(100).cancel();
        assert_eq!(h.status(), ExecutionStatus::Cancelled, "{name}");
        assert_eq!(
            h.wave(wave).phase,
            WavePhase::Ended {
                outcome: WaveOutcome::Cancelled
            },
            "{name}"
        );
        assert!(finishes(h.commands(), ExecutionStatus::Cancelled), "{name}");
        assert!(
            notifications(h.commands()).contains(&Notification::ExecutionFinished {
                status: ExecutionStatus::Cancelled
            }),
            "{name}"
        );
        let scheduled = h
            .commands()
            .iter()
            .any(|c| matches!(c, Command::ScheduleDrillCleanup(_)));
        assert_eq!(scheduled, cleanup, "{name}: cleanup of what was launched");

        // Nothing after a cancel starts anything.
        let request = engine::StartRequestId {
            execution: EXEC.into(),
            wave: 0,
            attempt: 1,
            chunk: 0,
        };
        let after = [
            Event::JobStarted {
                request: request.clone(),
                job_id: "late".into(),
            },
            Event::StartRejected {
                request,
                rejection: Rejection::QuotaExceeded,
            },
            Event::RetryDue {
                wave: 0,
                attempt: 1,
                token: Token(1),
            },
            resolved(vec![vec![]; 2]),
            Event::ApprovalGiven {
                wave: 1,
                by: "x".into(),
            },
            Event::CancelRequested {
                by: "x".into(),
                reason: "again".into(),
            },
            Event::LaunchResult(launch_event("job-0-0", &sid(1))),
        ];
        for event in after {
            let no_chunk = h.wave(0).chunks.is_empty();
            if no_chunk
                && matches!(
                    event,
                    Event::JobStarted { .. } | Event::StartRejected { .. }
                )
            {
                continue; // a chunk that never existed is an error, not a no-op
            }
            let before = h.state.clone();
            h.at(200).send(event.clone());
            assert_eq!(h.state, before, "{}: {event:?}", name);
            let only_the_end = h.commands().iter().all(|c| {
                matches!(
                    c,
                    Command::Finish {
                        status: ExecutionStatus::Cancelled
                    } | Command::ScheduleDrillCleanup(_)
                )
            });
            assert!(only_the_end, "{}: {event:?} gave {:?}", name, h.commands());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pre- and post-actions run one at a time, in order; a failure fails the wave.

#[test]
fn actions_run_one_at_a_time_in_order() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[0].pre_actions = vec![lambda("pre-a"), lambda("pre-b")];
    plan.waves[0].post_actions = vec![lambda("post-a")];
    let mut h = Harness::new(plan);
    let runs = |h: &Harness| -> Vec<String> {
        h.commands()
            .iter()
            .filter_map(|c| match c {
                Command::RunAction(run) => Some(run.run_id.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(runs(&h), ["exec-1/0/1/pre/0"]);
    assert!(
        !h.commands()
            .iter()
            .any(|c| matches!(c, Command::ResolveServers { .. }))
    );
    // An answer for an action not running changes nothing; being a message, it re-issues the
    // running action (idempotent by run ID).
    let state = h.state.clone();
    h.action(PRE, 1, OK);
    assert_eq!(h.state, state);
    assert_eq!(runs(&h), ["exec-1/0/1/pre/0"]);
    h.action(PRE, 0, OK);
    assert_eq!(runs(&h), ["exec-1/0/1/pre/1"]);
    h.action(PRE, 1, OK);
    assert!(
        matches!(h.commands(), [Command::StartRecovery(s), Command::ScheduleCheck { .. }] if s.request.wave == 0),
        "{:?}",
        h.commands()
    );
    h.start_all()
        .check(vec![launched("job-0-0", &sids(1, 1))])
        .advance();
    assert_eq!(runs(&h), ["exec-1/0/1/post/0"]);
    assert_eq!(h.current(), 0, "the next wave waits for the post-actions");
    h.action(POST, 0, OK);
    assert_eq!(h.current(), 1);
    assert_eq!(h.wave(0).actions.len(), 3);
}

#[test]
fn a_failed_action_fails_the_wave_and_the_execution() {
    let cases = [(PRE, "before the launch"), (POST, "after the launch")];
    for (phase, name) in cases {
        let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
        plan.waves[0].pre_actions = vec![lambda("pre")];
        plan.waves[0].post_actions = vec![lambda("post")];
        let mut h = Harness::new(plan);
        if phase == ActionPhase::Post {
            h.action(PRE, 0, OK);
            h.resolve_plan()
                .start_all()
                .check(vec![launched("job-0-0", &sids(1, 1))])
                .advance();
        }
        h.action(
            phase,
            0,
            ActionResult::Failed {
                message: "exit 1".into(),
            },
        );
        assert_eq!(h.status(), ExecutionStatus::Failed, "{name}");
        assert!(finishes(h.commands(), ExecutionStatus::Failed), "{name}");
        assert_eq!(h.wave(1).phase, WavePhase::Pending, "{name}");
        let failure = h.state.report().waves[0].failure.clone().unwrap();
        assert!(failure.contains("exit 1"), "{name}: {failure}");
    }
}

// ---------------------------------------------------------------------------------------------
// Drill cleanup: drills with cleanup hours, never recoveries.

#[test]
fn only_drills_with_cleanup_hours_schedule_a_cleanup() {
    type End = fn(&mut Harness);
    let ends: [(&str, End); 4] = [
        ("completed", |h| {
            h.launch_wave();
        }),
        ("failed", |h| {
            h.resolve_plan().start_all();
            h.check(vec![job("job-0-0", Completed, &[(&sid(1), Failed)])])
                .advance();
        }),
        ("cancelled", |h| {
            h.resolve_plan().start_all().cancel();
        }),
        ("timed out", |h| {
            h.resolve_plan().start_all().at(45 * 60).check(vec![]);
        }),
    ];
    for (name, end) in ends {
        for (mode, hours, expected) in [
            (Mode::Drill, 4, true),
            (Mode::Drill, 0, false),
            (Mode::Recovery, 4, false),
        ] {
            let mut plan = one_wave(&sids(1, 1));
            plan.defaults.drill_cleanup_after_hours = hours;
            let mut h = Harness::with(plan, mode, Limits::default());
            end(&mut h);
            assert!(h.status().is_terminal(), "{name}");
            let cleanup = h
                .commands()
                .iter()
                .any(|c| matches!(c, Command::ScheduleDrillCleanup(_)));
            assert_eq!(cleanup, expected, "{name}, {mode:?}, {hours} h");
            let is_drill = h.history.iter().all(|c| match c {
                Command::StartRecovery(s) => s.is_drill == (mode == Mode::Drill),
                _ => true,
            });
            assert!(is_drill, "{name}: isDrill follows the mode");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Duplicates and stale inputs change nothing and ask for nothing.

#[test]
fn duplicate_and_stale_inputs_change_nothing() {
    let w0 = sids(1, 2);
    let w1 = sids(10, 2);
    // Wave 0 done; wave 1 launching with its one job started and seen IN_PROGRESS: nothing is
    // in flight, so even redelivered messages have nothing to re-issue.
    let mut h = Harness::new(plan(&[w0.clone(), w1.clone()]));
    h.launch_wave();
    h.resolve(&w1).start_all();
    h.at(40).check(vec![job(
        "job-1-0",
        Started,
        &[(&w1[0], Launched), (&w1[1], InProgress)],
    )]);
    let request = h.request_id(0);
    let old_request = engine::StartRequestId {
        wave: 0,
        ..request.clone()
    };
    let stale_check = |jobs| {
        Event::JobsObserved(Observation {
            wave: 1,
            attempt: 1,
            wake: Wake::Check { token: Token(1) },
            jobs,
        })
    };
    let cases: Vec<(&str, Event)> = vec![
        (
            "the same job again",
            Event::JobStarted {
                request: request.clone(),
                job_id: "job-1-0".into(),
            },
        ),
        (
            "another job for a started chunk",
            Event::JobStarted {
                request: request.clone(),
                job_id: "job-x".into(),
            },
        ),
        (
            "a rejection for a started chunk",
            Event::StartRejected {
                request: request.clone(),
                rejection: Rejection::QuotaExceeded,
            },
        ),
        (
            "a conflict for a started chunk",
            Event::StartRejected {
                request,
                rejection: Rejection::Conflict {
                    running_job: Some("job-y".into()),
                },
            },
        ),
        (
            "a job of the previous wave",
            Event::JobStarted {
                request: old_request,
                job_id: "job-z".into(),
            },
        ),
        (
            "the same observation with a stale token",
            stale_check(vec![job(
                "job-1-0",
                Started,
                &[(&w1[0], Launched), (&w1[1], InProgress)],
            )]),
        ),
        (
            "a server going backwards",
            stale_check(vec![job(
                "job-1-0",
                Started,
                &[(&w1[0], InProgress), (&w1[1], Pending)],
            )]),
        ),
        (
            "a job going backwards",
            stale_check(vec![job("job-1-0", JobStatus::Pending, &[])]),
        ),
        (
            "a terminal server changing its mind",
            stale_check(vec![job("job-1-0", Started, &[(&w1[0], Failed)])]),
        ),
        (
            "a job not of this wave",
            stale_check(vec![
                launched("job-0-0", &w0),
                launched("drsjob-other", &w1),
            ]),
        ),
        (
            "a server not in the wave",
            stale_check(vec![job("job-1-0", Started, &[(&sid(99), Launched)])]),
        ),
        (
            "a check of the previous wave",
            Event::JobsObserved(Observation {
                wave: 0,
                attempt: 1,
                wake: Wake::Check { token: Token(3) },
                jobs: vec![],
            }),
        ),
        (
            "the previous wave's advance",
            Event::WaveAdvance {
                wave: 0,
                attempt: 1,
            },
        ),
        (
            "an advance before the launch ended",
            Event::WaveAdvance {
                wave: 1,
                attempt: 1,
            },
        ),
        (
            "a retry with no round pending",
            Event::RetryDue {
                wave: 1,
                attempt: 1,
                token: Token(1),
            },
        ),
        (
            "an early deadline check",
            Event::DeadlinePassed {
                wave: 1,
                attempt: 1,
            },
        ),
        (
            "a resolution after the start",
            resolved(vec![vec![]; h.state.waves.len()]),
        ),
        (
            "an approval of a wave not paused",
            Event::ApprovalGiven {
                wave: 1,
                by: "x".into(),
            },
        ),
        (
            "a redelivered request",
            Event::ExecutionRequested(request_for(&h)),
        ),
    ];
    for (name, event) in cases {
        let before = h.state.clone();
        h.at(50).send(event);
        assert_eq!(h.state, before, "{name}: state changed");
        assert_eq!(h.commands(), [], "{name}: commands emitted");
    }
}

fn request_for(h: &Harness) -> engine::ExecutionRequest {
    request(h.state.plan.clone(), h.state.mode, h.state.limits)
}

#[test]
fn a_terminal_execution_changes_no_more_and_only_repeats_its_end() {
    let servers = sids(1, 1);
    let mut h = Harness::new(one_wave(&servers));
    h.launch_wave();
    assert_eq!(h.status(), ExecutionStatus::Completed);
    let end: Vec<Command> = h
        .commands()
        .iter()
        .filter(|c| matches!(c, Command::Finish { .. } | Command::ScheduleDrillCleanup(_)))
        .cloned()
        .collect();
    assert_eq!(end.len(), 2);
    // Messages that may be redeliveries: the end may have been lost with a Lambda.
    let redelivered = [
        Event::ExecutionRequested(request_for(&h)),
        Event::WaveAdvance {
            wave: 0,
            attempt: 1,
        },
        Event::CancelRequested {
            by: "x".into(),
            reason: "y".into(),
        },
        Event::JobsObserved(Observation {
            wave: 0,
            attempt: 1,
            wake: Wake::Check { token: Token(2) },
            jobs: vec![],
        }),
        Event::RetryDue {
            wave: 0,
            attempt: 1,
            token: Token(1),
        },
    ];
    for event in redelivered {
        let before = h.state.clone();
        h.at(10_000).send(event.clone());
        assert_eq!(h.state, before, "{event:?}");
        assert_eq!(
            h.commands(),
            end,
            "{event:?}: the same end, not notified again"
        );
    }
    let others = [
        Event::JobStarted {
            request: h.request_id(0),
            job_id: "late".into(),
        },
        Event::LaunchResult(launch_event("job-0-0", &servers[0])),
        Event::ApprovalGiven {
            wave: 0,
            by: "x".into(),
        },
    ];
    for event in others {
        h.at(10_000).assert_no_op(event);
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs that can never be valid are errors, and leave the state alone.

#[test]
fn impossible_inputs_are_errors() {
    let servers = sids(1, 2);
    let mut h = Harness::new(one_wave(&servers));
    h.resolve(&servers);
    let other_plan = one_wave(&sids(5, 1));
    type Expected = fn(&EngineError) -> bool;
    let cases: Vec<(&str, Input, Expected)> = vec![
        (
            "another execution",
            Input::new(
                "exec-2",
                Event::WaveAdvance {
                    wave: 0,
                    attempt: 1,
                },
            ),
            |e| matches!(e, EngineError::ExecutionMismatch { .. }),
        ),
        (
            "a wave out of range",
            Input::new(
                EXEC,
                Event::WaveAdvance {
                    wave: 3,
                    attempt: 1,
                },
            ),
            |e| {
                matches!(
                    e,
                    EngineError::WaveOutOfRange {
                        wave: 3,
                        waves: 1,
                        ..
                    }
                )
            },
        ),
        (
            "an approval out of range",
            Input::new(
                EXEC,
                Event::ApprovalGiven {
                    wave: 1,
                    by: "x".into(),
                },
            ),
            |e| matches!(e, EngineError::WaveOutOfRange { .. }),
        ),
        (
            "attempt 0",
            Input::new(
                EXEC,
                Event::RetryDue {
                    wave: 0,
                    attempt: 0,
                    token: Token(1),
                },
            ),
            |e| matches!(e, EngineError::UnknownAttempt { .. }),
        ),
        (
            "a future attempt",
            Input::new(
                EXEC,
                Event::DeadlinePassed {
                    wave: 0,
                    attempt: 3,
                },
            ),
            |e| {
                matches!(
                    e,
                    EngineError::UnknownAttempt {
                        attempt: 3,
                        current: 1,
                        ..
                    }
                )
            },
        ),
        (
            "a chunk out of range",
            Input::new(
                EXEC,
                Event::JobStarted {
                    request: engine::StartRequestId {
                        chunk: 9,
                        ..h.request_id(0)
                    },
                    job_id: "j".into(),
                },
            ),
            |e| {
                matches!(
                    e,
                    EngineError::UnknownChunk {
                        chunk: 9,
                        chunks: 1,
                        ..
                    }
                )
            },
        ),
        (
            "a request of another execution",
            Input::new(
                EXEC,
                Event::JobStarted {
                    request: engine::StartRequestId {
                        execution: "exec-2".into(),
                        ..h.request_id(0)
                    },
                    job_id: "j".into(),
                },
            ),
            |e| matches!(e, EngineError::ExecutionMismatch { .. }),
        ),
        (
            "an action that does not exist",
            Input::new(
                EXEC,
                Event::ActionFinished {
                    wave: 0,
                    attempt: 1,
                    phase: POST,
                    index: 0,
                    result: OK,
                },
            ),
            |e| matches!(e, EngineError::UnknownAction { .. }),
        ),
        (
            "a resolution in a target the wave does not use",
            Input::new(
                EXEC,
                resolved(vec![vec![ResolvedTarget {
                    target: Some("west".into()),
                    servers: vec![],
                }]]),
            ),
            |e| matches!(e, EngineError::InvalidResolution { .. }),
        ),
        (
            "a resolution listing a server twice",
            Input::new(EXEC, resolved(vec![in_default(&[sid(1), sid(1)])])),
            |e| matches!(e, EngineError::InvalidResolution { .. }),
        ),
        (
            "a resolution without the wave",
            Input::new(EXEC, resolved(vec![])),
            |e| matches!(e, EngineError::InvalidResolution { wave: 0, .. }),
        ),
        (
            "a resolution of a wave the plan does not have",
            Input::new(EXEC, resolved(vec![vec![], vec![]])),
            |e| matches!(e, EngineError::WaveOutOfRange { wave: 1, .. }),
        ),
        (
            "a resolution answering a wave twice",
            Input::new(
                EXEC,
                Event::ServersResolved {
                    waves: vec![
                        WaveResolution {
                            wave: 0,
                            outcome: ResolutionOutcome::Resolved { targets: vec![] },
                        },
                        WaveResolution {
                            wave: 0,
                            outcome: ResolutionOutcome::Failed {
                                message: "x".into(),
                            },
                        },
                    ],
                },
            ),
            |e| matches!(e, EngineError::InvalidResolution { wave: 0, .. }),
        ),
        (
            "the same ID for another plan",
            Input::new(
                EXEC,
                Event::ExecutionRequested(request(other_plan, Mode::Drill, Limits::default())),
            ),
            |e| matches!(e, EngineError::ConflictingRequest { .. }),
        ),
    ];
    for (name, input, expected) in cases {
        let result = engine::decide(h.state.clone(), input, t(10));
        match result {
            Err(error) => {
                assert!(expected(&error), "{name}: {error:?}");
                assert!(!error.to_string().is_empty());
            }
            Ok(_) => panic!("{name}: accepted"),
        }
    }
}

use engine::Input;

#[test]
fn unusable_requests_are_refused_with_every_problem() {
    let mut plan = plan(&[sids(1, 1)]);
    plan.defaults.check_interval_seconds = 0;
    plan.waves[0].groups.push("nowhere".into());
    plan.waves[0].timeout_minutes = Some(0);
    plan.protection_groups.get_mut("g0").unwrap().target = Some("mars".into());
    let limits = Limits {
        servers_per_job: 300,
        concurrent_jobs: 0,
        servers_in_active_jobs: 500,
    };
    let error = engine::start(request(plan, Mode::Drill, limits), t(0)).unwrap_err();
    let EngineError::InvalidRequest { problems, .. } = &error else {
        panic!("{error:?}");
    };
    let expected = [
        "check_interval_seconds",
        "mars",
        "nowhere",
        "timeout",
        "servers_per_job",
        "concurrent_jobs",
    ];
    for word in expected {
        assert!(
            problems.iter().any(|p| p.contains(word)),
            "{word} missing from {problems:?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:?}");

    let mut empty = one_wave(&sids(1, 1));
    empty.waves.clear();
    assert!(engine::start(request(empty, Mode::Drill, Limits::default()), t(0)).is_err());
}

#[test]
fn a_selection_that_cannot_run_rejects_the_execution_before_anything_starts() {
    // Wave 2's servers are all wave 0's; wave 1 fails to resolve; wave 3 matches nothing.
    let mut plan = plan(&[sids(1, 2), sids(5, 1), sids(7, 1), sids(8, 1), sids(9, 1)]);
    for group in ["g2", "g3"] {
        let tags = [("Tier".to_owned(), group.to_owned())].into();
        let group = plan.protection_groups.get_mut(group).unwrap();
        group.servers.clear();
        group.tags = tags;
    }
    plan.waves[0].pause_before = true;
    plan.waves[1].pre_actions = vec![lambda("prepare")];
    let mut h = Harness::unresolved(plan);
    let outcome = |targets| ResolutionOutcome::Resolved { targets };
    let answer = vec![
        outcome(in_default(&sids(1, 2))),
        ResolutionOutcome::Failed {
            message: "east: access denied".into(),
        },
        outcome(in_default(&sids(1, 1))),
        outcome(vec![]),
        outcome(in_default(&sids(9, 1))),
    ];
    h.at(3).send(Event::ServersResolved {
        waves: answer
            .into_iter()
            .enumerate()
            .map(|(wave, outcome)| WaveResolution { wave, outcome })
            .collect(),
    });
    assert_eq!(h.status(), ExecutionStatus::Failed);
    assert_eq!(h.current(), 1, "the first wave that cannot run");
    let failed = WavePhase::Ended {
        outcome: WaveOutcome::Failed,
    };
    let phases: Vec<WavePhase> = h.state.waves.iter().map(|w| w.phase).collect();
    assert_eq!(
        phases,
        [
            WavePhase::Pending,
            failed,
            failed,
            failed,
            WavePhase::Pending
        ]
    );
    assert_eq!(
        h.commands(),
        [
            Command::Notify(Notification::SelectionRejected {
                waves: vec![
                    engine::RejectedWave {
                        wave: 1,
                        name: "w1".into(),
                        failure: engine::WaveFailure::ResolutionFailed {
                            message: "east: access denied".into()
                        },
                    },
                    engine::RejectedWave {
                        wave: 2,
                        name: "w2".into(),
                        failure: engine::WaveFailure::OnlyEarlierWavesServers {
                            servers: ids(&sids(1, 1))
                        },
                    },
                    engine::RejectedWave {
                        wave: 3,
                        name: "w3".into(),
                        failure: engine::WaveFailure::NoServers,
                    },
                ]
            }),
            Command::Notify(Notification::ExecutionFinished {
                status: ExecutionStatus::Failed
            }),
            Command::Finish {
                status: ExecutionStatus::Failed
            },
        ],
        "no approval, no action, no start, nothing to clean up"
    );
    let report = h.state.report();
    let failures: Vec<Option<String>> = report.waves.iter().map(|w| w.failure.clone()).collect();
    assert!(failures[0].is_none() && failures[4].is_none());
    assert!(failures[1].as_deref().unwrap().contains("access denied"));
    assert!(failures[2].as_deref().unwrap().contains("earlier wave"));
    assert!(failures[3].as_deref().unwrap().contains("no source server"));
    assert_eq!(report.ended_at, Some(t(3)));

    // A late or repeated answer changes nothing; like any redelivery to a finished execution,
    // it only asks for the end again.
    let state = h.state.clone();
    h.send(resolved(vec![in_default(&sids(1, 2)); 5]));
    assert_eq!(h.state, state);
    assert_eq!(
        h.commands(),
        [Command::Finish {
            status: ExecutionStatus::Failed
        }]
    );
}

#[test]
fn servers_resolved_at_the_start_are_launched_by_their_wave_minus_earlier_waves() {
    // Wave 1's tag selection also matched one of wave 0's servers: skipped, not failed.
    let mut h = Harness::unresolved(plan(&[sids(1, 2), sids(3, 1)]));
    h.resolve_waves(&[sids(1, 2), vec![sid(2), sid(3)]]);
    assert_eq!(h.status(), ExecutionStatus::Running);
    assert_eq!(h.starts().len(), 1);
    assert_eq!(h.starts()[0].servers, ids(&sids(1, 2)));
    h.launch_wave();
    assert_eq!(h.current(), 1);
    assert_eq!(h.starts().len(), 1);
    assert_eq!(h.starts()[0].servers, ids(&[sid(3)]), "s-2 is wave 0's");
    assert_eq!(h.wave(1).skipped_servers.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The state is stored between invocations: it round-trips through JSON at every step.

#[test]
fn the_state_round_trips_through_json_at_every_step() {
    let servers = sids(1, 3);
    let limits = Limits {
        servers_per_job: 1,
        ..Limits::default()
    };
    let mut plan = plan(&[servers.clone(), sids(10, 1)]);
    plan.waves[1].pause_before = true;
    plan.waves[1].pre_actions = vec![lambda("pre")];
    let mut h = Harness::with(plan, Mode::Drill, limits);
    let mut states = vec![h.state.clone()];
    h.resolve(&servers);
    states.push(h.state.clone());
    h.started(0, "job-a").reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: Some(3),
        },
    );
    h.reject(
        2,
        Rejection::Conflict {
            running_job: Some("job-c".into()),
        },
    );
    states.push(h.state.clone());
    h.retry_due().started(1, "job-b");
    h.check(vec![
        launched("job-a", &servers[..1]),
        launched("job-b", &servers[1..2]),
        launched("job-c", &servers[2..]),
    ]);
    h.advance();
    states.push(h.state.clone());
    h.approve(1).cancel();
    states.push(h.state.clone());
    for state in states {
        let json = serde_json::to_string(&state).unwrap();
        let back: engine::Execution = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state, "{json}");
    }
}

// ---------------------------------------------------------------------------------------------
// A server an earlier wave has is never started again by a later wave (overlapping selections,
// e.g. a tag set also matching an earlier wave's server): it is left out and announced.

#[test]
fn servers_of_earlier_waves_are_left_out_of_later_waves() {
    let east = || plan::Target {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        role_arn: None,
        external_id: None,
    };
    struct Case {
        name: &'static str,
        /// What the last wave (wave 2) resolves to, per target.
        resolved: Vec<(Option<&'static str>, Vec<String>)>,
        /// The servers its starts ask for, sorted.
        started: Vec<String>,
        /// The servers left out, with the wave that has each.
        skipped: Vec<(String, usize)>,
        /// Its failure, if it fails before any start.
        failure: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "a tag selection also matching wave 0's server",
            resolved: vec![(None, vec![sid(1), sid(20), sid(21)])],
            started: vec![sid(20), sid(21)],
            skipped: vec![(sid(1), 0)],
            failure: None,
        },
        Case {
            name: "servers of both earlier waves",
            resolved: vec![(None, vec![sid(2), sid(10), sid(20)])],
            started: vec![sid(20)],
            skipped: vec![(sid(2), 0), (sid(10), 1)],
            failure: None,
        },
        Case {
            name: "the same ID in another target is another server",
            resolved: vec![(None, vec![sid(20)]), (Some("east"), vec![sid(1)])],
            started: vec![sid(1), sid(20)],
            skipped: vec![],
            failure: None,
        },
        Case {
            name: "nothing of its own: the execution is rejected at its start",
            resolved: vec![(None, vec![sid(1), sid(10)])],
            started: vec![],
            skipped: vec![(sid(1), 0), (sid(10), 1)],
            failure: Some("belongs to an earlier wave"),
        },
    ];
    for case in cases {
        let name = case.name;
        let mut plan = plan(&[sids(1, 2), sids(10, 1), sids(20, 2)]);
        plan.targets.insert("east".into(), east());
        plan.protection_groups.insert(
            "g-east".into(),
            plan::ProtectionGroup {
                target: Some("east".into()),
                servers: Vec::new(),
                tags: [("App".to_owned(), "billing".to_owned())].into(),
            },
        );
        plan.waves[2].groups.push("g-east".into());
        let mut h = Harness::unresolved(plan);
        let last = case
            .resolved
            .iter()
            .map(|(target, servers)| ResolvedTarget {
                target: target.map(str::to_owned),
                servers: ids(servers),
            })
            .collect();
        h.send(resolved(vec![
            in_default(&sids(1, 2)),
            in_default(&sids(10, 1)),
            last,
        ]));
        if let Some(reason) = case.failure {
            // Rejected at the start, before anything launched.
            assert_eq!(h.status(), ExecutionStatus::Failed, "{name}");
            assert!(h.starts().is_empty(), "{name}");
            let failure = h.state.report().waves[2].failure.clone().unwrap();
            assert!(failure.contains(reason), "{name}: {failure}");
            for (server, _) in &case.skipped {
                assert!(failure.contains(server.as_str()), "{name}: {failure}");
            }
            continue;
        }
        h.launch_wave().launch_wave();
        assert_eq!(h.current(), 2, "{name}");

        let mut started: Vec<String> = h
            .starts()
            .iter()
            .flat_map(|s| s.servers.iter().map(ToString::to_string))
            .collect();
        started.sort();
        assert_eq!(started, case.started, "{name}: started");
        let in_wave: Vec<String> = h.wave(2).servers.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(in_wave, case.started, "{name}: the wave's servers");
        let skipped: Vec<(String, usize)> = h
            .wave(2)
            .skipped_servers
            .iter()
            .map(|s| (s.id.to_string(), s.owner_wave))
            .collect();
        assert_eq!(skipped, case.skipped, "{name}: skipped");
        let report = h.state.report();
        assert_eq!(
            report.waves[2].skipped_servers,
            h.wave(2).skipped_servers,
            "{name}: report"
        );
        let announced: Vec<Vec<(String, usize)>> = notifications(h.commands())
            .into_iter()
            .filter_map(|n| match n {
                Notification::ServersSkipped {
                    wave: 2, servers, ..
                } => Some(
                    servers
                        .into_iter()
                        .map(|s| (s.id.to_string(), s.owner_wave))
                        .collect(),
                ),
                _ => None,
            })
            .collect();
        let expected: Vec<Vec<(String, usize)>> = if case.skipped.is_empty() {
            vec![]
        } else {
            vec![case.skipped.clone()]
        };
        assert_eq!(announced, expected, "{name}: notification");

        assert!(h.wave(2).failure.is_none(), "{name}");
        assert!(!has_advance(h.commands()), "{name}: the launch goes on");
    }
}

#[test]
fn a_check_for_an_attempt_whose_save_was_lost_is_a_stale_copy() {
    // The decision that took the resolution began wave 0's attempt 1 and sent its checks
    // (delayed messages go out before the save); then the save was lost.
    let servers = sids(1, 1);
    let mut h = Harness::unresolved(one_wave(&servers));
    let before = h.state.clone();
    h.at(40).send(Event::JobsObserved(Observation {
        wave: 0,
        attempt: 1,
        wake: Wake::Check { token: Token(2) },
        jobs: vec![],
    }));
    assert_eq!(h.state, before, "nothing changes");
    assert!(
        matches!(h.commands(), [Command::ResolveServers { waves }] if waves.len() == 1),
        "the resolution is asked for again: {:?}",
        h.commands()
    );
    // The same decision taken again sends the same tokens: the copy's token becomes live.
    h.resolve(&servers);
    assert_eq!(h.attempt(), 1);
}
