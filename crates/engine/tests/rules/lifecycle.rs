//! The whole life of a drill, command by command.

use super::*;

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
        ]
    );
    assert_eq!(
        h.before_save(),
        // The resolution's heartbeat: the first wave's chain at attempt 0.
        [BeforeSave::Check(Delayed {
            wave: 0,
            attempt: 0,
            token: Token(1),
            delay: delay(900)
        })]
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
        ]
    );
    assert_eq!(
        h.before_save(),
        [BeforeSave::Check(Delayed {
            wave: 0,
            attempt: 1,
            token: Token(3),
            delay: delay(30)
        })]
    );
    assert_eq!(h.request_id(0).to_string(), "exec-1/0/1/0");

    h.at(3).started(0, "drsjob-1");
    assert_eq!(h.commands(), []);
    assert_eq!(h.before_save(), []);

    h.at(32).check(vec![job(
        "drsjob-1",
        Started,
        &[(s1, InProgress), (s2, Pending)],
    )]);
    assert_eq!(h.commands(), []);
    assert_eq!(
        h.before_save(),
        [BeforeSave::Check(Delayed {
            wave: 0,
            attempt: 1,
            token: Token(4),
            delay: delay(30)
        })]
    );

    h.at(62).check(vec![launched("drsjob-1", &servers)]);
    assert_eq!(
        h.commands(),
        [Command::Advance {
            wave: 0,
            attempt: 1
        }]
    );
    // The job completed: its ledger claim is given back before the save.
    assert_eq!(
        h.before_save(),
        [BeforeSave::ReleaseClaim(ClaimRelease {
            target: None,
            request: h.request_id(0),
        })]
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
    assert_eq!(h.before_save(), []);
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
