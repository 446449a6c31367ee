//! A wave succeeds only when every job is COMPLETED and every server LAUNCHED, or each failed
//! server is optional.

use super::*;

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
    assert!(
        checks_of(&h.before_save_history)
            .iter()
            .all(|check| check.wave == 0),
        "wave 1 is never checked"
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
