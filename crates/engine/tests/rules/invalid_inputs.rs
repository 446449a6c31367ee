//! Inputs that can never be valid are errors, and leave the state alone.

use super::*;
use engine::Input;

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
                Event::Advance {
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
                Event::Advance {
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
                Event::RetryStart {
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
                Event::Advance {
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
                Event::ExecutionRequested {
                    mode: Mode::Drill,
                    plan: PlanSource::Inline { plan: other_plan },
                },
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
    assert_eq!(h.before_save(), [], "no check, no retry, no claim");
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
    assert_eq!(h.before_save(), []);
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
