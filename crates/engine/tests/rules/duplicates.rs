//! Duplicates and stale inputs change nothing and ask for nothing.

use super::*;

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
        Event::Check(Observation {
            wave: 1,
            attempt: 1,
            token: Token(1),
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
            Event::Check(Observation {
                wave: 0,
                attempt: 1,
                token: Token(3),
                jobs: vec![],
            }),
        ),
        (
            "the previous wave's advance",
            Event::Advance {
                wave: 0,
                attempt: 1,
            },
        ),
        (
            "an advance before the launch ended",
            Event::Advance {
                wave: 1,
                attempt: 1,
            },
        ),
        (
            "a retry with no round pending",
            Event::RetryStart {
                wave: 1,
                attempt: 1,
                token: Token(1),
            },
        ),
        (
            "a resume of the previous wave",
            Event::Resume {
                wave: 0,
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
        ("a redelivered request of a stored plan", stored_request(&h)),
        (
            "a redelivered request of an inline plan",
            inline_request(&h),
        ),
    ];
    for (name, event) in cases {
        let before = h.state.clone();
        h.at(50).send(event);
        assert_eq!(h.state, before, "{name}: state changed");
        assert_eq!(h.commands(), [], "{name}: commands emitted");
        assert_eq!(h.before_save(), [], "{name}: effects before the save");
    }
}

/// The execution's own request again, naming its stored plan.
fn stored_request(h: &Harness) -> Event {
    Event::ExecutionRequested {
        mode: h.state.mode,
        plan: PlanSource::Stored {
            plan_name: h.state.plan.name.clone(),
        },
    }
}

/// The execution's own request again, with its plan inline.
fn inline_request(h: &Harness) -> Event {
    Event::ExecutionRequested {
        mode: h.state.mode,
        plan: PlanSource::Inline {
            plan: h.state.plan.clone(),
        },
    }
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
        stored_request(&h),
        inline_request(&h),
        Event::Advance {
            wave: 0,
            attempt: 1,
        },
        Event::CancelRequested {
            by: "x".into(),
            reason: "y".into(),
        },
        Event::Check(Observation {
            wave: 0,
            attempt: 1,
            token: Token(2),
            jobs: vec![],
        }),
        Event::RetryStart {
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
        assert_eq!(h.before_save(), [], "{event:?}: effects before the save");
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
