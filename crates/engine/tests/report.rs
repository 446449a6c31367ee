//! The report built from an execution's state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use engine::{
    ExecutionStatus, JobStatus, LaunchStatus, Limits, Mode, ServerOutcome, Totals, WaveStatus,
};

#[test]
fn the_report_tells_per_wave_and_per_server_what_happened_and_whether_the_rto_was_met() {
    let w0 = sids(1, 2);
    let w1 = sids(10, 2);
    let mut plan = plan(&[w0.clone(), w1.clone(), sids(20, 1)]);
    plan.rto_minutes = Some(5);
    plan.waves[0].rto_minutes = Some(1);
    plan.waves[1].rto_minutes = Some(1);
    plan.waves[1].pause_before = true;
    plan.waves[1].optional_servers = vec![w1[1].clone()];
    let mut h = Harness::with(plan, Mode::Drill, Limits::default());

    // Wave 0: launched in 30 s.
    h.at(0).resolve(&w0).started(0, "job-a");
    h.at(30).check(vec![launched("job-a", &w0)]).advance();
    // Wave 1: approved after 970 s, launched in 100 s, its optional server failed.
    h.at(1_000).approve(1).resolve(&w1).started(0, "job-b");

    let running = h.state.report();
    assert_eq!(running.status, ExecutionStatus::Running);
    assert_eq!(running.rto_met, None);
    let statuses: Vec<WaveStatus> = running.waves.iter().map(|w| w.status).collect();
    assert_eq!(
        statuses,
        [
            WaveStatus::Succeeded,
            WaveStatus::Running,
            WaveStatus::Pending
        ]
    );
    assert_eq!(
        running.waves[1].servers[0].outcome,
        ServerOutcome::InProgress
    );
    assert_eq!(running.waves[1].rto_met, None);

    h.at(1_100).check(vec![job(
        "job-b",
        JobStatus::Completed,
        &[
            (&w1[0], LaunchStatus::Launched),
            (&w1[1], LaunchStatus::Failed),
        ],
    )]);
    h.advance();
    // Wave 2's start is requested; the operator cancels before DRS answers.
    h.at(1_150).cancel();

    let report = h.state.report();
    assert_eq!(report.execution_id.as_str(), EXEC);
    assert_eq!(report.plan, "test-plan");
    assert_eq!(report.status, ExecutionStatus::Cancelled);
    assert_eq!(report.duration_seconds, Some(1_150));
    assert_eq!(report.approval_wait_seconds, 970);
    assert_eq!(report.rto_met, Some(false), "cancelled: not recovered");
    assert_eq!(
        report.cancellation.as_ref().map(|c| c.by.as_str()),
        Some("operator")
    );

    let wave0 = &report.waves[0];
    assert_eq!(
        (wave0.status, wave0.duration_seconds, wave0.rto_met),
        (WaveStatus::Succeeded, Some(30), Some(true))
    );
    assert_eq!(wave0.job_ids, ["job-a".into()]);
    assert_eq!(wave0.servers[0].seconds_to_launch, Some(30));
    assert_eq!(
        wave0.servers[0].recovery_instance_id,
        Some(format!("i-{}", w0[0]))
    );
    assert!(!wave0.servers[0].optional);

    let wave1 = &report.waves[1];
    assert_eq!(wave1.approved_by.as_deref(), Some("approver"));
    assert_eq!(
        (wave1.status, wave1.duration_seconds, wave1.rto_met),
        (WaveStatus::Succeeded, Some(100), Some(false))
    );
    assert_eq!(wave1.servers[1].outcome, ServerOutcome::Failed);
    assert!(wave1.servers[1].optional);
    assert_eq!(wave1.servers[1].seconds_to_launch, None);

    assert_eq!(report.waves[2].status, WaveStatus::Cancelled);
    assert_eq!(
        report.waves[2].servers[0].outcome,
        ServerOutcome::NotLaunched
    );
    assert_eq!(
        report.totals,
        Totals {
            waves: 3,
            waves_succeeded: 2,
            servers: 5,
            launched: 3,
            failed_critical: 0,
            failed_optional: 1,
            in_progress: 0,
            not_launched: 1,
            jobs: 2,
        }
    );
}

#[test]
fn the_plan_rto_excludes_approval_waits() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.rto_minutes = Some(2);
    plan.waves[1].pause_before = true;
    let mut h = Harness::new(plan);
    h.at(0).resolve(&sids(1, 1)).start_all();
    h.at(30)
        .check(vec![launched("job-0-0", &sids(1, 1))])
        .advance();
    h.at(3_000).approve(1).resolve(&sids(2, 1)).start_all();
    h.at(3_060)
        .check(vec![launched("job-1-0", &sids(2, 1))])
        .advance();
    let report = h.state.report();
    assert_eq!(report.status, ExecutionStatus::Completed);
    assert_eq!(report.duration_seconds, Some(3_060));
    assert_eq!(report.approval_wait_seconds, 2_970);
    assert_eq!(report.rto_met, Some(true), "90 s of work against 120 s");
}

#[test]
fn servers_never_launched_are_reported_as_such() {
    let servers = sids(1, 3);
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 1,
        ..Limits::default()
    };
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).start_all();
    h.at(45 * 60).check(vec![]);
    let report = h.state.report();
    assert_eq!(report.status, ExecutionStatus::TimedOut);
    assert_eq!(report.waves[0].status, WaveStatus::TimedOut);
    let outcomes: Vec<ServerOutcome> = report.waves[0].servers.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, [ServerOutcome::NotLaunched; 3]);
    assert_eq!(report.totals.not_launched, 3);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["status"], "TIMED_OUT");
    assert_eq!(json["waves"][0]["servers"][0]["outcome"], "NOT_LAUNCHED");
}
