//! One group of table-driven tests per engine rule, through the `Harness` DSL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod approval;
mod budget;
mod cancel;
mod claims;
mod cleanup;
mod deadlines;
mod duplicates;
mod handover;
mod invalid_inputs;
mod launch_events;
mod lifecycle;
mod outcome;
mod overlaps;
mod redelivery;
mod retries;
mod round_trip;

use common::*;
use engine::{
    ActionPhase, ActionResult, ApprovalRefused, BeforeSave, ClaimRelease, CleanupTarget, Command,
    DelaySeconds, Delayed, DrillCleanup, EngineError, Event, ExecutionStatus, JobStatus,
    LaunchStatus, Limits, Mode, Notification, Observation, PlanSource, Rejection,
    ResolutionOutcome, ResolvedTarget, ServerId, StartRecovery, TargetSelection, Token,
    WaveOutcome, WavePhase, WaveResolution, WaveSelection,
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

/// The checks scheduled among `effects` (before the save): (token, delay).
fn scheduled_checks(effects: &[BeforeSave]) -> Vec<(Token, u32)> {
    checks_of(effects)
        .into_iter()
        .map(|check| (check.token, check.delay.get()))
        .collect()
}

fn chunk_kinds(h: &Harness) -> Vec<&'static str> {
    h.wave(h.current())
        .chunks()
        .iter()
        .map(|c| c.state.name())
        .collect()
}

fn timed_plan(servers: &[String], timeout_minutes: u32) -> plan::Plan {
    let mut plan = plan(&[servers.to_vec(), sids(50, 1)]);
    plan.waves[0].timeout_minutes = Some(timeout_minutes);
    plan
}

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
