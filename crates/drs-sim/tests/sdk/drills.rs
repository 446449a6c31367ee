//! Job progression through the SDK: a three-tier drill under the scaled and the manual
//! clock, failures, drill instance replacement, TerminateRecoveryInstances.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_drs::Client;
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, DescribeRecoveryInstancesRequestFilters,
    DescribeSourceServersRequestFilters, Job, JobLog, StartRecoveryRequestSourceServer,
};

use crate::support;

fn server(id: &str) -> StartRecoveryRequestSourceServer {
    StartRecoveryRequestSourceServer::builder()
        .source_server_id(id)
        .build()
        .unwrap()
}

/// Source servers carrying every one of `tags`, as the orchestrator selects them.
async fn servers_tagged(drs: &Client, tags: &[(&str, &str)]) -> Vec<String> {
    let all = drs.describe_source_servers().send().await.unwrap();
    all.items()
        .iter()
        .filter(|s| {
            let own = s.tags().cloned().unwrap_or_default();
            tags.iter()
                .all(|(k, v)| own.get(*k).map(String::as_str) == Some(*v))
        })
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect()
}

async fn start_drill(drs: &Client, ids: &[String]) -> Job {
    let mut request = drs.start_recovery().is_drill(true);
    for id in ids {
        request = request.source_servers(server(id));
    }
    request.send().await.unwrap().job.unwrap()
}

async fn describe(drs: &Client, job_ids: &[String]) -> Vec<Job> {
    let mut filters = DescribeJobsRequestFilters::builder();
    for id in job_ids {
        filters = filters.job_ids(id);
    }
    drs.describe_jobs()
        .filters(filters.build())
        .send()
        .await
        .unwrap()
        .items()
        .to_vec()
}

async fn log_items(drs: &Client, job_id: &str) -> Vec<JobLog> {
    drs.describe_job_log_items()
        .job_id(job_id)
        .max_results(4)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
}

fn launch_statuses(job: &Job) -> Vec<String> {
    job.participating_servers()
        .iter()
        .map(|s| s.launch_status().unwrap().as_str().to_owned())
        .collect()
}

/// Checks the real order of one server's log events in a successful launch.
fn assert_server_log_order(items: &[JobLog], server_id: &str) {
    let events: Vec<&str> = items
        .iter()
        .filter(|i| {
            i.event_data()
                .and_then(|d| d.source_server_id())
                .is_some_and(|id| id == server_id)
        })
        .map(|i| i.event().unwrap().as_str())
        .collect();
    assert_eq!(
        events,
        vec![
            "SNAPSHOT_START",
            "SNAPSHOT_END",
            "CONVERSION_START",
            "CONVERSION_END",
            "LAUNCH_START"
        ],
        "log of {server_id}"
    );
}

#[tokio::test]
async fn three_tier_drill_runs_to_completion_under_a_scaled_clock() {
    // 2000 simulated seconds per real second: each wave takes well under a real second.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/scenarios/three-tier.yaml"),
    )
    .unwrap()
    .replace("clock: { time_scale: 60 }", "clock: { time_scale: 2000 }");
    assert!(text.contains("time_scale: 2000"));
    let sim = support::start(&text).await;
    let drs = support::client(&sim).await;

    let waves: Vec<Vec<String>> = vec![
        vec![
            "s-1234567890abcdef0".to_owned(),
            "s-1234567890abcdef1".to_owned(),
        ],
        servers_tagged(&drs, &[("App", "billing"), ("Tier", "app")]).await,
        servers_tagged(&drs, &[("App", "billing"), ("Tier", "web")]).await,
    ];
    assert_eq!(waves[1].len(), 3);
    assert!(waves[1].contains(&"s-00000000000000a0a".to_owned()));
    assert_eq!(waves[2].len(), 4);

    for wave in &waves {
        let job = start_drill(&drs, wave).await;
        assert_eq!(job.status().unwrap().as_str(), "PENDING");
        assert_eq!(job.r#type().unwrap().as_str(), "LAUNCH");
        assert_eq!(job.initiated_by().unwrap().as_str(), "START_DRILL");
        assert!(launch_statuses(&job).iter().all(|s| s == "PENDING"));
        assert!(job.end_date_time().is_none());
        let job_id = job.job_id().to_owned();

        let mut seen_statuses = vec!["PENDING".to_owned()];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let done = loop {
            let job = describe(&drs, std::slice::from_ref(&job_id))
                .await
                .remove(0);
            let status = job.status().unwrap().as_str().to_owned();
            if seen_statuses.last() != Some(&status) {
                seen_statuses.push(status.clone());
            }
            if status == "COMPLETED" {
                break job;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job {job_id} did not complete"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert_eq!(seen_statuses.first().map(String::as_str), Some("PENDING"));
        assert_eq!(seen_statuses.last().map(String::as_str), Some("COMPLETED"));
        assert!(launch_statuses(&done).iter().all(|s| s == "LAUNCHED"));
        assert!(done.end_date_time().unwrap() >= done.creation_date_time().unwrap());
        for participant in done.participating_servers() {
            assert!(
                participant
                    .recovery_instance_id()
                    .unwrap()
                    .starts_with("i-")
            );
        }

        let items = log_items(&drs, &job_id).await;
        assert_eq!(
            items.first().unwrap().event().unwrap().as_str(),
            "JOB_START"
        );
        assert_eq!(items.last().unwrap().event().unwrap().as_str(), "JOB_END");
        assert_eq!(items.len(), 2 + 5 * wave.len());
        let times: Vec<&str> = items.iter().map(|i| i.log_date_time().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "log items are in time order");
        for id in wave {
            assert_server_log_order(&items, id);
        }
        let conversion = items
            .iter()
            .find(|i| i.event().unwrap().as_str() == "CONVERSION_START")
            .unwrap();
        assert!(
            conversion
                .event_data()
                .unwrap()
                .conversion_server_id()
                .unwrap()
                .starts_with("i-")
        );
    }

    let instances = drs.describe_recovery_instances().send().await.unwrap();
    assert_eq!(instances.items().len(), 9);
    let servers = drs.describe_source_servers().send().await.unwrap();
    let launched: HashMap<&str, &str> = servers
        .items()
        .iter()
        .map(|s| {
            (
                s.source_server_id().unwrap(),
                s.last_launch_result().unwrap().as_str(),
            )
        })
        .collect();
    assert_eq!(launched["s-1234567890abcdef0"], "SUCCEEDED");
    assert_eq!(launched["s-0000000000000c0c1"], "NOT_STARTED");
    sim.shutdown().await.unwrap();
}

const MANUAL: &str = r#"
seed: 7
clock: { manual: true, start: "2025-01-01T00:00:00Z" }
launch_defaults:
  pending_seconds: 10
  snapshot_seconds: 30
  conversion_seconds: 60
  launch_seconds: 40
  terminate_seconds: 20
servers:
  - { id: s-1234567890abcdef0, hostname: db-1 }
  - { id: s-1234567890abcdef1, hostname: db-2, launch: { outcome: failed, fail_phase: conversion, error: "You are not authorized to perform: ec2:DetachVolume" } }
"#;

#[tokio::test]
async fn manual_clock_moves_a_job_step_by_step() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    let ids = vec![
        "s-1234567890abcdef0".to_owned(),
        "s-1234567890abcdef1".to_owned(),
    ];
    let job = start_drill(&drs, &ids).await;
    let job_id = job.job_id().to_owned();
    assert_eq!(job.creation_date_time(), Some("2025-01-01T00:00:00.000Z"));

    let state = |job: &Job| {
        (
            job.status().unwrap().as_str().to_owned(),
            launch_statuses(job),
        )
    };
    let events = |items: &[JobLog]| -> Vec<String> {
        items
            .iter()
            .map(|i| i.event().unwrap().as_str().to_owned())
            .collect()
    };

    // Time stands still: nothing happens without an advance.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let now = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(
        state(&now),
        ("PENDING".into(), vec!["PENDING".into(), "PENDING".into()])
    );
    assert!(log_items(&drs, &job_id).await.is_empty());

    support::advance(&sim, 10.0).await; // t=10: JOB_START, snapshots start
    let now = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(
        state(&now),
        (
            "STARTED".into(),
            vec!["IN_PROGRESS".into(), "IN_PROGRESS".into()]
        )
    );
    assert_eq!(
        events(&log_items(&drs, &job_id).await),
        vec!["JOB_START", "SNAPSHOT_START", "SNAPSHOT_START"]
    );

    support::advance(&sim, 90.0).await; // t=100: conversion of db-2 failed at t=100
    let items = log_items(&drs, &job_id).await;
    let failure = items
        .iter()
        .find(|i| i.event().unwrap().as_str() == "CONVERSION_FAIL")
        .unwrap();
    let data = failure.event_data().unwrap();
    assert_eq!(data.source_server_id(), Some("s-1234567890abcdef1"));
    assert!(data.raw_error().unwrap().contains("ec2:DetachVolume"));
    assert_eq!(failure.log_date_time(), Some("2025-01-01T00:01:40.000Z"));
    let now = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(
        state(&now),
        (
            "STARTED".into(),
            vec!["IN_PROGRESS".into(), "FAILED".into()]
        )
    );

    support::advance(&sim, 39.0).await; // t=139: db-1 still launching
    let now = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(
        now.participating_servers()[0]
            .launch_status()
            .unwrap()
            .as_str(),
        "IN_PROGRESS"
    );

    support::advance(&sim, 1.0).await; // t=140: db-1 launched, job completed
    let now = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(
        state(&now),
        ("COMPLETED".into(), vec!["LAUNCHED".into(), "FAILED".into()])
    );
    assert_eq!(now.end_date_time(), Some("2025-01-01T00:02:20.000Z"));
    assert_eq!(
        events(&log_items(&drs, &job_id).await),
        vec![
            "JOB_START",
            "SNAPSHOT_START",
            "SNAPSHOT_START",
            "SNAPSHOT_END",
            "CONVERSION_START",
            "SNAPSHOT_END",
            "CONVERSION_START",
            "CONVERSION_END",
            "LAUNCH_START",
            "CONVERSION_FAIL",
            "JOB_END"
        ]
    );

    let servers = drs.describe_source_servers().send().await.unwrap();
    let results: Vec<(&str, &str, Option<&str>)> = servers
        .items()
        .iter()
        .map(|s| {
            let last = s.life_cycle().unwrap().last_launch().unwrap();
            (
                s.last_launch_result().unwrap().as_str(),
                last.status().unwrap().as_str(),
                last.initiated().unwrap().job_id(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            ("SUCCEEDED", "LAUNCHED", Some(job_id.as_str())),
            ("FAILED", "FAILED", Some(job_id.as_str()))
        ]
    );
    let instance_id = now.participating_servers()[0]
        .recovery_instance_id()
        .unwrap();
    assert_eq!(servers.items()[0].recovery_instance_id(), Some(instance_id));
    assert_eq!(servers.items()[1].recovery_instance_id(), None);
}

#[tokio::test]
async fn a_new_drill_replaces_the_previous_drill_instance() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    let ids = vec!["s-1234567890abcdef0".to_owned()];
    let first = start_drill(&drs, &ids).await;
    support::advance(&sim, 600.0).await;
    let first = describe(&drs, &[first.job_id().to_owned()]).await.remove(0);
    let first_instance = first.participating_servers()[0]
        .recovery_instance_id()
        .unwrap()
        .to_owned();

    let second = start_drill(&drs, &ids).await;
    // Until the new drill launches, the old instance is still there.
    let during = drs.describe_recovery_instances().send().await.unwrap();
    assert_eq!(during.items().len(), 1);
    assert_eq!(
        during.items()[0].recovery_instance_id(),
        Some(first_instance.as_str())
    );

    support::advance(&sim, 600.0).await;
    let second = describe(&drs, &[second.job_id().to_owned()])
        .await
        .remove(0);
    let second_instance = second.participating_servers()[0]
        .recovery_instance_id()
        .unwrap();
    assert_ne!(second_instance, first_instance);
    let after = drs.describe_recovery_instances().send().await.unwrap();
    let listed: Vec<_> = after
        .items()
        .iter()
        .filter_map(|i| i.recovery_instance_id())
        .collect();
    assert_eq!(listed, vec![second_instance]);
    assert_eq!(after.items()[0].job_id(), Some(second.job_id()));

    // A recovery (not a drill) also replaces the drill instance; the recovery instance
    // itself is not replaced by a later drill.
    let recovery = drs
        .start_recovery()
        .is_drill(false)
        .source_servers(server(&ids[0]))
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert_eq!(recovery.initiated_by().unwrap().as_str(), "START_RECOVERY");
    support::advance(&sim, 600.0).await;
    start_drill(&drs, &ids).await;
    support::advance(&sim, 600.0).await;
    let now = drs.describe_recovery_instances().send().await.unwrap();
    let mut kinds: Vec<bool> = now.items().iter().map(|i| i.is_drill().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, vec![false, true]);
}

#[tokio::test]
async fn terminate_recovery_instances_runs_a_terminate_job_and_removes_them() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    let ids = vec!["s-1234567890abcdef0".to_owned()];
    start_drill(&drs, &ids).await;
    support::advance(&sim, 600.0).await;
    let instances = drs.describe_recovery_instances().send().await.unwrap();
    let instance_id = instances.items()[0]
        .recovery_instance_id()
        .unwrap()
        .to_owned();

    let out = drs
        .terminate_recovery_instances()
        .recovery_instance_ids(&instance_id)
        .send()
        .await
        .unwrap();
    let job = out.job().unwrap();
    assert_eq!(job.r#type().unwrap().as_str(), "TERMINATE");
    assert_eq!(
        job.initiated_by().unwrap().as_str(),
        "TERMINATE_RECOVERY_INSTANCES"
    );
    assert_eq!(job.status().unwrap().as_str(), "PENDING");
    assert_eq!(
        job.participating_servers()[0].recovery_instance_id(),
        Some(instance_id.as_str())
    );
    let job_id = job.job_id().to_owned();

    support::advance(&sim, 10.0).await; // started: the instance is shutting down
    let during = drs
        .describe_recovery_instances()
        .filters(
            DescribeRecoveryInstancesRequestFilters::builder()
                .recovery_instance_ids(&instance_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        during.items()[0].ec2_instance_state().unwrap().as_str(),
        "SHUTTING-DOWN"
    );

    support::advance(&sim, 20.0).await; // terminated
    let done = describe(&drs, std::slice::from_ref(&job_id))
        .await
        .remove(0);
    assert_eq!(done.status().unwrap().as_str(), "COMPLETED");
    assert_eq!(launch_statuses(&done), vec!["TERMINATED"]);
    let after = drs.describe_recovery_instances().send().await.unwrap();
    assert!(after.items().is_empty());
    let server = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(&ids[0])
                .build(),
        )
        .send()
        .await
        .unwrap();
    let server = &server.items()[0];
    assert_eq!(server.recovery_instance_id(), None);
    assert_eq!(
        server
            .life_cycle()
            .unwrap()
            .last_launch()
            .unwrap()
            .status()
            .unwrap()
            .as_str(),
        "TERMINATED"
    );
    let log: Vec<_> = log_items(&drs, &job_id)
        .await
        .iter()
        .map(|i| i.event().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(log, vec!["JOB_START", "JOB_END"]);
}
