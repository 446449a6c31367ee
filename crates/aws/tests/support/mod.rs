//! Shared test helpers: one moto server per test binary, configurations, plans and
//! executions driven through the real engine.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use aws_adapters::{AwsConfig, AwsSettings, MotoServer, StaticCredentials};
use engine::{Command, Event, Execution, ExecutionRequest, Input, Limits, Mode, ResolvedTarget};
use jiff::Timestamp;

pub const REGION: &str = "us-east-1";

/// The moto server of this test binary (stopped by its watchdog when the binary exits).
pub fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// Everything at moto, DRS at `drs_url` when given.
pub async fn config(drs_url: Option<&str>) -> AwsConfig {
    let settings = AwsSettings {
        region: Some(REGION.to_owned()),
        endpoint_url: Some(moto().endpoint_url()),
        drs_endpoint_url: drs_url.map(str::to_owned),
        credentials: Some(StaticCredentials::local()),
    };
    settings.load().await.unwrap()
}

/// DRS at `drs_url`, nothing else reachable (tests that need no moto).
pub async fn drs_only_config(drs_url: &str) -> AwsConfig {
    let settings = AwsSettings {
        region: Some(REGION.to_owned()),
        endpoint_url: Some("http://127.0.0.1:9".to_owned()),
        drs_endpoint_url: Some(drs_url.to_owned()),
        credentials: Some(StaticCredentials::local()),
    };
    settings.load().await.unwrap()
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A plan of `waves` waves, each selecting servers by a tag.
pub fn plan(name: &str, waves: usize) -> plan::Plan {
    let groups: Vec<String> = (0..waves)
        .map(|i| format!(r#""g{i}": {{ "tags": {{ "Tier": "t{i}" }} }}"#))
        .collect();
    let waves: Vec<String> = (0..waves)
        .map(|i| format!(r#"{{ "name": "wave-{i}", "groups": ["g{i}"] }}"#))
        .collect();
    let text = format!(
        r#"{{ "name": "{name}", "protection_groups": {{ {} }}, "waves": [ {} ] }}"#,
        groups.join(","),
        waves.join(",")
    );
    serde_json::from_str(&text).unwrap()
}

/// A new execution of `plan` (the engine's first state) and its first commands.
pub fn started(id: &str, plan: plan::Plan, now: Timestamp) -> (Execution, Vec<Command>) {
    let request = ExecutionRequest {
        execution_id: id.into(),
        plan,
        mode: Mode::Drill,
        // Room for a whole 1,000-server wave at once.
        limits: Limits {
            servers_in_active_jobs: 1000,
            ..Limits::default()
        },
        requested_by: "tests".into(),
    };
    let decision = engine::start(request, now).unwrap();
    (decision.state, decision.after_save)
}

/// Server IDs `s-` + 17 hex digits, scattered like real ones (they compress as badly).
pub fn server_ids(count: usize, salt: u64) -> Vec<engine::ServerId> {
    let mut ids: Vec<_> = (0..count as u64)
        .map(|i| {
            // splitmix64
            let mut z = (salt << 32 | i).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            engine::ServerId::new(format!("s-{:01x}{z:016x}", i % 16))
        })
        .collect();
    ids.sort();
    ids
}

/// A new `execution` after its servers were resolved — its first wave to `servers`, the
/// others to one server each — and every requested job of the first wave started and
/// observed launched: a realistic wave with per-server detail.
pub fn launched(execution: Execution, servers: Vec<engine::ServerId>, now: Timestamp) -> Execution {
    assert!(execution.is_resolving(), "a new execution is expected");
    let id = execution.id.clone();
    let waves = (0..execution.waves.len())
        .map(|wave| engine::WaveResolution {
            wave,
            outcome: engine::ResolutionOutcome::Resolved {
                targets: vec![ResolvedTarget {
                    target: None,
                    servers: if wave == 0 {
                        servers.clone()
                    } else {
                        server_ids(1, 1_000 + wave as u64)
                    },
                }],
            },
        })
        .collect();
    let resolved = Event::ServersResolved { waves };
    let (wave, attempt) = (0, 1);
    let decision = engine::decide(execution, Input::new(id.clone(), resolved), now).unwrap();
    let mut state = decision.state;
    let mut pending: Vec<engine::StartRecovery> = decision
        .after_save
        .into_iter()
        .filter_map(|c| match c {
            Command::StartRecovery(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut jobs = Vec::new();
    while let Some(start) = pending.pop() {
        let job_id = engine::JobId::new(format!("drsjob-{:017x}", jobs.len() + 1));
        jobs.push((job_id.clone(), start.servers.clone()));
        let event = Event::JobStarted {
            request: start.request.clone(),
            job_id,
        };
        let decision = engine::decide(state, Input::new(id.clone(), event), now).unwrap();
        state = decision.state;
        pending.extend(decision.after_save.into_iter().filter_map(|c| match c {
            Command::StartRecovery(s) if !s.reissue => Some(s),
            _ => None,
        }));
    }
    let snapshots = jobs
        .iter()
        .map(|(job_id, servers)| engine::JobSnapshot {
            job_id: job_id.clone(),
            status: engine::JobStatus::Started,
            ended_at: None,
            servers: servers
                .iter()
                .enumerate()
                .map(|(i, server)| engine::ServerSnapshot {
                    server_id: server.clone(),
                    launch_status: engine::LaunchStatus::Launched,
                    recovery_instance_id: Some(format!("i-{:017x}", i + 7)),
                })
                .collect(),
        })
        .collect();
    let token = state.waves[wave].last_check_token();
    let observed = Event::Check(engine::Observation {
        wave,
        attempt,
        token,
        jobs: snapshots,
    });
    engine::decide(state, Input::new(id, observed), now)
        .unwrap()
        .state
}
