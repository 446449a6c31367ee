//! Cancel stops everything, at any point.

use super::*;

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
            Event::RetryStart {
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
            let no_chunk = h.wave(0).chunks().is_empty();
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
            assert_eq!(h.before_save(), [], "{}: {event:?}", name);
        }
    }
}
