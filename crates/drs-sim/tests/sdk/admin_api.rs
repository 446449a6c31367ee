//! The `/_sim/` admin API and its in-process twin, `RunningSim::control`.

use aws_sdk_drs::types::StartRecoveryRequestSourceServer;

use crate::support;

const MANUAL: &str = "clock: { manual: true, start: \"2025-01-01T00:00:00Z\" }\nservers:\n  - { id: s-1234567890abcdef0 }\n";

async fn drill(drs: &aws_sdk_drs::Client) -> String {
    drs.start_recovery()
        .is_drill(true)
        .source_servers(
            StartRecoveryRequestSourceServer::builder()
                .source_server_id("s-1234567890abcdef0")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id()
        .to_owned()
}

#[tokio::test]
async fn clock_reads_and_advances_only_when_manual() {
    let sim = support::start(MANUAL).await;
    let (status, clock) = support::admin(&sim, "GET", "/_sim/clock", "").await;
    assert_eq!(status, 200);
    assert_eq!(clock["mode"], "manual");
    assert_eq!(clock["now"], "2025-01-01T00:00:00.000Z");
    let (status, clock) =
        support::admin(&sim, "POST", "/_sim/clock/advance", r#"{"seconds": 90.5}"#).await;
    assert_eq!(status, 200);
    assert_eq!(clock["now"], "2025-01-01T00:01:30.500Z");
    assert_eq!(clock["elapsed_seconds"], 90.5);
    let (status, _) = support::admin(&sim, "POST", "/_sim/clock/advance", r#"{"secs": 1}"#).await;
    assert_eq!(status, 400);
    let (status, _) =
        support::admin(&sim, "POST", "/_sim/clock/advance", r#"{"seconds": -1}"#).await;
    assert_eq!(status, 400);
    // In-process control does the same.
    let now = sim.control().advance_clock(29.5).unwrap();
    assert_eq!(now.to_string(), "2025-01-01T00:02:00Z");

    let scaled = support::start("clock: { time_scale: 10 }\n").await;
    let (status, clock) = support::admin(&scaled, "GET", "/_sim/clock", "").await;
    assert_eq!((status, clock["mode"].as_str()), (200, Some("scaled")));
    assert_eq!(clock["time_scale"], 10.0);
    let (status, body) =
        support::admin(&scaled, "POST", "/_sim/clock/advance", r#"{"seconds": 1}"#).await;
    assert_eq!(status, 409, "{body}");
    assert!(scaled.control().advance_clock(1.0).is_err());
}

#[tokio::test]
async fn counters_count_requests_and_errors() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    drs.describe_source_servers().send().await.unwrap();
    drs.describe_source_servers().send().await.unwrap();
    drill(&drs).await;
    drs.delete_job()
        .job_id("drsjob-00000000000000000")
        .send()
        .await
        .unwrap_err();
    let (status, counters) = support::admin(&sim, "GET", "/_sim/counters", "").await;
    assert_eq!(status, 200);
    assert_eq!(counters["requests"]["DescribeSourceServers"], 2);
    assert_eq!(counters["requests"]["StartRecovery"], 1);
    assert_eq!(counters["requests"]["DeleteJob"], 1);
    assert_eq!(counters["errors"]["ResourceNotFoundException"], 1);
    assert_eq!(counters["throttled"], 0);
    assert_eq!(sim.control().counters(), counters);
}

#[tokio::test]
async fn reset_forgets_jobs_and_restarts_the_clock() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    let job_id = drill(&drs).await;
    support::advance(&sim, 600.0).await;
    let (_, jobs) = support::admin(&sim, "GET", "/_sim/jobs", "").await;
    assert_eq!(jobs["jobs"][0]["jobID"], job_id);
    assert_eq!(jobs["jobs"][0]["status"], "COMPLETED");
    assert_eq!(
        jobs["jobs"][0]["participatingServers"][0]["sourceServerID"],
        "s-1234567890abcdef0"
    );
    assert_eq!(jobs["jobs"][0]["isDrill"], true);
    assert_eq!(
        drs.describe_recovery_instances()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        1
    );

    let (status, _) = support::admin(&sim, "POST", "/_sim/reset", "").await;
    assert_eq!(status, 200);
    assert!(drs.describe_jobs().send().await.unwrap().items().is_empty());
    assert!(
        drs.describe_recovery_instances()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    let (_, clock) = support::admin(&sim, "GET", "/_sim/clock", "").await;
    assert_eq!(clock["now"], "2025-01-01T00:00:00.000Z");
    let (_, counters) = support::admin(&sim, "GET", "/_sim/counters", "").await;
    assert_eq!(
        counters["requests"]["StartRecovery"],
        serde_json::Value::Null
    );
    // Same seed, same first job ID.
    assert_eq!(drill(&drs).await, job_id);
}

#[tokio::test]
async fn scenario_upload_replaces_the_world_or_reports_every_error() {
    let sim = support::start(MANUAL).await;
    let drs = support::client(&sim).await;
    let (status, body) = support::admin(
        &sim,
        "POST",
        "/_sim/scenario",
        "servers:\n  - { count: 7 }\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["servers"], 7);
    assert_eq!(
        drs.describe_source_servers()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        7
    );

    let (status, body) = support::admin(
        &sim,
        "POST",
        "/_sim/scenario",
        "seed: -1\nservers:\n  - { id: s-1, colour: red }\n",
    )
    .await;
    assert_eq!(status, 400);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body}");
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(1), Some(7))
    );
    assert_eq!(errors[0]["path"], "seed");
    assert_eq!(errors[1]["path"], "servers[0].id");
    assert_eq!(errors[2]["path"], "servers[0].colour");
    assert_eq!(
        body["lines"][2],
        "scenario:3:16: servers[0].colour: unknown key `colour` (expected one of: id, count, hostname, hostname_prefix, fqdn, os, instance_type, account, region, tags, replication, staging_account, aws_instance_id, vmware_uuid, mac_address, ip_address, launch)"
    );
    // The old world is untouched.
    assert_eq!(
        drs.describe_source_servers()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        7
    );
}

#[tokio::test]
async fn unknown_paths_are_unknown_operations() {
    let sim = support::start(MANUAL).await;
    let (status, body) = support::admin(&sim, "POST", "/DescribeRecoverySnapshots", "{}").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "UnknownOperationException");
    let (status, body) = support::admin(&sim, "POST", "/DescribeJobs", "{}").await;
    assert_eq!(status, 403, "no Authorization header");
    assert_eq!(body["code"], "MissingAuthenticationTokenException");
}
