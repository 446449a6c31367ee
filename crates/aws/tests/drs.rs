//! The DRS adapter against drs-sim (in process), and STS assume-role against moto.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_adapters::drs::{EXECUTION_TAG, REQUEST_TAG};
use aws_adapters::{DrsAdapter, TargetCredentials};
use drs_sim::{RunningSim, Scenario, SimConfig};
use engine::{JobId, JobStatus, LaunchStatus, Rejection, ServerId, StartRecovery, TargetSelection};
use pipeline::ports::{Drs, PortError, Resolution, StartAnswer, TargetRef};
use support::{config, drs_only_config};

const OWN: TargetRef<'static> = TargetRef {
    execution: None,
    name: None,
    target: None,
};

const SERVERS: &str = r#"
servers:
  - { id: s-00000000000000001, tags: { App: billing, Tier: db } }
  - { id: s-00000000000000002, tags: { App: billing, Tier: db } }
  - { id: s-00000000000000003, tags: { App: billing, Tier: app } }
  - { id: s-00000000000000004, tags: { App: shop, Tier: app } }
"#;

async fn sim(yaml: &str) -> RunningSim {
    let scenario = Scenario::from_yaml_str(yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
    drs_sim::serve(SimConfig::local(scenario)).await.unwrap()
}

/// A manual-clock emulator with the four servers plus `extra` YAML.
async fn basic_sim(extra: &str) -> RunningSim {
    sim(&format!(
        "seed: 7\nclock: {{ manual: true }}\nlaunch_defaults: {{ pending_seconds: 5, \
         snapshot_seconds: 10, conversion_seconds: 10, launch_seconds: 10 }}\n{extra}\n{SERVERS}"
    ))
    .await
}

async fn adapter(sim: &RunningSim) -> DrsAdapter {
    let config = drs_only_config(&sim.endpoint_url()).await;
    DrsAdapter::new(&config, Arc::new(TargetCredentials::new(&config)))
}

/// Resolves one selection alone.
async fn resolve_one(
    drs: &DrsAdapter,
    target: TargetRef<'_>,
    selection: &TargetSelection,
) -> Resolution {
    let mut answers = drs
        .resolve(target, std::slice::from_ref(selection))
        .await
        .unwrap();
    assert_eq!(answers.len(), 1);
    answers.remove(0)
}

fn ids(ids: &[&str]) -> Vec<ServerId> {
    ids.iter().map(|id| ServerId::new(*id)).collect()
}

/// A request first emitted now (drs-sim's clock starts at the real time its scenario was
/// loaded; the adapter's clock-skew margin covers the difference).
fn start(execution: &str, chunk: usize, servers: &[&str], reissue: bool) -> StartRecovery {
    StartRecovery {
        first_requested_at: jiff::Timestamp::now(),
        request: engine::StartRequestId {
            execution: execution.into(),
            wave: 0,
            attempt: 1,
            chunk,
        },
        target: None,
        servers: ids(servers),
        is_drill: true,
        reissue,
    }
}

fn requests(sim: &RunningSim, operation: &str) -> u64 {
    sim.control().counters()["requests"][operation]
        .as_u64()
        .unwrap_or(0)
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn started(answer: StartAnswer) -> JobId {
    match answer {
        StartAnswer::Started(job) => job,
        other => panic!("expected a job, got {other:?}"),
    }
}

#[tokio::test]
async fn resolution_reads_every_page_of_source_servers() {
    let sim = sim(&format!(
        "seed: 3\nclock: {{ manual: true }}\n{SERVERS}\n  - {{ count: 1250, hostname_prefix: web-, tags: {{ App: shop, Tier: web }} }}\n"
    ))
    .await;
    let drs = adapter(&sim).await;
    let selection = TargetSelection {
        target: None,
        server_ids: Vec::new(),
        tag_sets: vec![tags(&[("App", "shop"), ("Tier", "web")])],
    };
    let Resolution::Servers(servers) = resolve_one(&drs, OWN, &selection).await else {
        panic!("resolution failed");
    };
    assert_eq!(servers.len(), 1250);
    assert!(servers.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    assert!(
        requests(&sim, "DescribeSourceServers") >= 2,
        "a single page was read"
    );
}

#[tokio::test]
async fn one_listing_answers_every_selection_in_order() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    let by_tier = |tier: &str| TargetSelection {
        target: None,
        server_ids: Vec::new(),
        tag_sets: vec![tags(&[("Tier", tier)])],
    };
    let unknown = TargetSelection {
        target: None,
        server_ids: ids(&["s-0000000000000ffff"]),
        tag_sets: Vec::new(),
    };
    let before = requests(&sim, "DescribeSourceServers");
    let answers = drs
        .resolve(
            OWN,
            &[by_tier("db"), unknown, by_tier("nothing"), by_tier("app")],
        )
        .await
        .unwrap();
    assert_eq!(requests(&sim, "DescribeSourceServers") - before, 1);
    assert_eq!(answers.len(), 4);
    assert_eq!(
        answers[0],
        Resolution::Servers(ids(&["s-00000000000000001", "s-00000000000000002"]))
    );
    assert!(
        matches!(&answers[1], Resolution::Failed(m) if m.contains("s-0000000000000ffff")),
        "{:?}",
        answers[1]
    );
    assert_eq!(answers[2], Resolution::Servers(Vec::new()));
    assert_eq!(
        answers[3],
        Resolution::Servers(ids(&["s-00000000000000003", "s-00000000000000004"]))
    );
}

#[tokio::test]
async fn resolution_unites_ids_and_tag_sets_and_names_missing_ids() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    let selection = TargetSelection {
        target: None,
        server_ids: ids(&["s-00000000000000001"]),
        tag_sets: vec![
            tags(&[("Tier", "app")]),
            tags(&[("App", "billing"), ("Tier", "db")]),
            // An empty set selects nothing (it would select the whole account).
            BTreeMap::new(),
        ],
    };
    assert_eq!(
        resolve_one(&drs, OWN, &selection).await,
        Resolution::Servers(ids(&[
            "s-00000000000000001",
            "s-00000000000000002",
            "s-00000000000000003",
            "s-00000000000000004"
        ]))
    );

    let missing = TargetSelection {
        target: None,
        server_ids: ids(&[
            "s-00000000000000001",
            "s-0000000000000dead",
            "s-0000000000000beef",
        ]),
        tag_sets: Vec::new(),
    };
    match resolve_one(&drs, OWN, &missing).await {
        Resolution::Failed(message) => {
            assert!(message.contains("s-0000000000000dead"), "{message}");
            assert!(message.contains("s-0000000000000beef"), "{message}");
            assert!(!message.contains("s-00000000000000001"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_started_job_is_tagged_described_and_logged() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    let request = start(
        "exec-a",
        0,
        &["s-00000000000000001", "s-00000000000000002"],
        false,
    );
    let job = started(drs.start_recovery(OWN, &request).await.unwrap());

    let jobs = sim.control().jobs();
    let stored = &jobs["jobs"][0];
    assert_eq!(stored["jobID"], job.as_str());
    assert_eq!(stored["tags"][REQUEST_TAG], "exec-a/0/1/0");
    assert_eq!(stored["tags"][EXECUTION_TAG], "exec-a");
    assert_eq!(stored["isDrill"], true);

    let snapshot = drs
        .describe_jobs(OWN, std::slice::from_ref(&job))
        .await
        .unwrap();
    assert_eq!(snapshot.len(), 1);
    assert_eq!(snapshot[0].status, JobStatus::Pending);
    assert_eq!(snapshot[0].servers.len(), 2);
    assert!(snapshot[0].ended_at.is_none());

    sim.control().advance_clock(120.0).unwrap();
    let snapshot = drs
        .describe_jobs(OWN, std::slice::from_ref(&job))
        .await
        .unwrap();
    assert_eq!(snapshot[0].status, JobStatus::Completed);
    assert!(snapshot[0].ended_at.is_some());
    for server in &snapshot[0].servers {
        assert_eq!(server.launch_status, LaunchStatus::Launched);
        assert!(
            server
                .recovery_instance_id
                .as_deref()
                .is_some_and(|i| i.starts_with("i-"))
        );
    }

    let log = drs.describe_job_log_items(OWN, &job).await.unwrap();
    let events: Vec<&str> = log.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events.first(), Some(&"JOB_START"));
    assert_eq!(events.last(), Some(&"JOB_END"));
    let launches: Vec<_> = log.iter().filter(|e| e.event == "LAUNCH_START").collect();
    assert_eq!(launches.len(), 2);
    assert!(
        launches
            .iter()
            .all(|e| e.target_instance_id.is_some() && e.at.is_some())
    );

    // No job IDs: no call (an empty filter would list every job).
    let before = requests(&sim, "DescribeJobs");
    assert!(drs.describe_jobs(OWN, &[]).await.unwrap().is_empty());
    assert_eq!(requests(&sim, "DescribeJobs"), before);

    // Drill instances can be terminated.
    let instances: Vec<String> = snapshot[0]
        .servers
        .iter()
        .filter_map(|s| s.recovery_instance_id.clone())
        .collect();
    let terminate = drs
        .terminate_recovery_instances(OWN, &instances)
        .await
        .unwrap();
    sim.control().advance_clock(600.0).unwrap();
    let ended = drs
        .describe_jobs(OWN, std::slice::from_ref(&terminate))
        .await
        .unwrap();
    assert_eq!(ended[0].status, JobStatus::Completed);
    assert!(
        ended[0]
            .servers
            .iter()
            .all(|s| s.launch_status == LaunchStatus::Terminated)
    );
}

#[tokio::test]
async fn a_reissued_request_finds_its_tagged_job() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    // Other jobs around it, newer and older.
    started(
        drs.start_recovery(OWN, &start("exec-x", 0, &["s-00000000000000003"], false))
            .await
            .unwrap(),
    );
    let first = started(
        drs.start_recovery(OWN, &start("exec-r", 0, &["s-00000000000000001"], false))
            .await
            .unwrap(),
    );
    started(
        drs.start_recovery(OWN, &start("exec-x", 1, &["s-00000000000000004"], false))
            .await
            .unwrap(),
    );
    assert_eq!(requests(&sim, "StartRecovery"), 3);

    let again = drs
        .start_recovery(OWN, &start("exec-r", 0, &["s-00000000000000001"], true))
        .await
        .unwrap();
    assert_eq!(again, StartAnswer::Started(first));
    assert_eq!(
        requests(&sim, "StartRecovery"),
        3,
        "StartRecovery called again"
    );

    // A re-issued request that never reached DRS is started now.
    let fresh = drs
        .start_recovery(OWN, &start("exec-r", 1, &["s-00000000000000002"], true))
        .await
        .unwrap();
    assert!(matches!(fresh, StartAnswer::Started(_)));
    assert_eq!(requests(&sim, "StartRecovery"), 4);
}

#[tokio::test]
async fn a_reissued_request_finds_its_job_among_those_created_since_whatever_the_order() {
    let sim = basic_sim("").await;
    // The diagnostic window of jobs DRS lists first holds 2: the request's job is the 4th
    // newest, but it was created after the request's first emission.
    let drs = adapter(&sim).await.with_job_search_window(2);
    let request = start("exec-r", 0, &["s-00000000000000001"], false);
    let first = started(drs.start_recovery(OWN, &request).await.unwrap());
    for (chunk, server) in [
        "s-00000000000000002",
        "s-00000000000000003",
        "s-00000000000000004",
    ]
    .into_iter()
    .enumerate()
    {
        sim.control().advance_clock(60.0).unwrap();
        started(
            drs.start_recovery(OWN, &start("exec-x", chunk, &[server], false))
                .await
                .unwrap(),
        );
    }
    let again = drs
        .start_recovery(
            OWN,
            &StartRecovery {
                reissue: true,
                ..request
            },
        )
        .await
        .unwrap();
    assert_eq!(again, StartAnswer::Started(first));
    assert_eq!(
        requests(&sim, "StartRecovery"),
        4,
        "StartRecovery called again"
    );
}

#[tokio::test]
async fn a_conflict_adopts_only_the_job_tagged_with_this_request() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    let request = start(
        "exec-a",
        0,
        &["s-00000000000000001", "s-00000000000000002"],
        false,
    );
    let ours = started(drs.start_recovery(OWN, &request).await.unwrap());
    // A newer job of another execution holding another server is never taken for ours.
    started(
        drs.start_recovery(OWN, &start("exec-c", 0, &["s-00000000000000003"], false))
            .await
            .unwrap(),
    );
    // The same request again (its first answer was lost with a crashed Lambda): DRS answers
    // with a conflict, and the job carrying the request's tag is ours.
    let answer = drs.start_recovery(OWN, &request).await.unwrap();
    assert_eq!(
        answer,
        StartAnswer::Rejected(Rejection::Conflict {
            running_job: Some(ours)
        })
    );
    assert_eq!(requests(&sim, "StartRecovery"), 3);
}

#[tokio::test]
async fn a_conflict_with_someone_elses_job_is_never_adopted() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    // A one-server console drill (another execution, here) on one server of the chunk.
    started(
        drs.start_recovery(OWN, &start("exec-x", 0, &["s-00000000000000001"], false))
            .await
            .unwrap(),
    );
    let chunk = start(
        "exec-b",
        0,
        &[
            "s-00000000000000001",
            "s-00000000000000002",
            "s-00000000000000003",
        ],
        false,
    );
    for reissue in [false, true] {
        let answer = drs
            .start_recovery(
                OWN,
                &StartRecovery {
                    reissue,
                    ..chunk.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            answer,
            StartAnswer::Rejected(Rejection::Conflict { running_job: None }),
            "reissue {reissue}: a foreign job was adopted"
        );
    }
    let jobs = sim.control().jobs();
    assert_eq!(
        jobs["jobs"].as_array().unwrap().len(),
        1,
        "no job started for the chunk: {jobs}"
    );

    // A real recovery while a drill of the same request runs (the tag matches, the kind does
    // not): not adopted either.
    let drill = start("exec-k", 0, &["s-00000000000000004"], false);
    started(drs.start_recovery(OWN, &drill).await.unwrap());
    let recovery = StartRecovery {
        is_drill: false,
        ..drill
    };
    assert_eq!(
        drs.start_recovery(OWN, &recovery).await.unwrap(),
        StartAnswer::Rejected(Rejection::Conflict { running_job: None })
    );
}

#[tokio::test]
async fn quota_and_validation_errors_become_rejections() {
    let sim = basic_sim("quotas: { max_concurrent_jobs: 1 }").await;
    let drs = adapter(&sim).await;
    let unknown = drs
        .start_recovery(OWN, &start("exec-v", 0, &["s-0000000000000dead"], false))
        .await
        .unwrap();
    match unknown {
        StartAnswer::Rejected(Rejection::Validation { message }) => {
            assert!(message.contains("ValidationException"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    started(
        drs.start_recovery(OWN, &start("exec-q", 0, &["s-00000000000000001"], false))
            .await
            .unwrap(),
    );
    let over = drs
        .start_recovery(OWN, &start("exec-q", 1, &["s-00000000000000003"], false))
        .await
        .unwrap();
    assert_eq!(over, StartAnswer::Rejected(Rejection::QuotaExceeded));
}

#[tokio::test]
async fn access_denied_fails_the_wave_with_the_reason() {
    let sim = basic_sim(
        "accounts:\n  \"111122223333\": { access_keys: [\"*\"], denied_actions: [drs:TagResource] }",
    )
    .await;
    let drs = adapter(&sim).await;
    match drs
        .start_recovery(OWN, &start("exec-d", 0, &["s-00000000000000001"], false))
        .await
        .unwrap()
    {
        StartAnswer::Rejected(Rejection::Validation { message }) => {
            assert!(message.contains("AccessDenied"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn throttling_reaches_the_engine_with_retry_after() {
    let sim = basic_sim("throttling: { requests_per_second: 0.2, burst: 1 }").await;
    let drs = adapter(&sim).await;
    started(
        drs.start_recovery(OWN, &start("exec-t", 0, &["s-00000000000000001"], false))
            .await
            .unwrap(),
    );
    let throttled = drs
        .start_recovery(OWN, &start("exec-t", 1, &["s-00000000000000003"], false))
        .await
        .unwrap();
    match throttled {
        StartAnswer::Rejected(Rejection::Throttled {
            retry_after_seconds: Some(seconds),
        }) => assert!(seconds >= 1, "{seconds}"),
        other => panic!("expected a throttling rejection, got {other:?}"),
    }
    // Exactly one throttled attempt: the SDK did not retry StartRecovery on its own.
    assert_eq!(sim.control().counters()["throttled"].as_u64(), Some(1));
    // A re-issue that cannot even look for its job while throttled is throttled too.
    let reissued = drs
        .start_recovery(OWN, &start("exec-t", 1, &["s-00000000000000003"], true))
        .await;
    assert!(
        matches!(
            reissued,
            Ok(StartAnswer::Rejected(Rejection::Throttled { .. }))
        ),
        "{reissued:?}"
    );
}

#[tokio::test]
async fn a_target_without_definition_is_a_permanent_error() {
    let sim = basic_sim("").await;
    let drs = adapter(&sim).await;
    let target = TargetRef {
        execution: None,
        name: Some("dr-east"),
        target: None,
    };
    match drs.describe_jobs(target, &[JobId::new("drsjob-1")]).await {
        Err(PortError::Permanent(message)) => assert!(message.contains("dr-east"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn targets_in_other_accounts_are_reached_by_assuming_their_role() {
    let moto = support::moto();
    let sim = sim(&format!(
        r#"
seed: 11
clock: {{ manual: true }}
sts_endpoint: {moto}
accounts:
  "111122223333": {{ access_keys: [AKIAORCHESTRATOR] }}
  "444455556666": {{ access_keys: [AKIANOBODYUSESTHIS] }}
servers:
  - {{ id: s-11111111111111111, account: "111122223333", tags: {{ App: billing }} }}
  - {{ id: s-44444444444444444, account: "444455556666", tags: {{ App: billing }} }}
  - {{ id: s-44444444444444445, account: "444455556666", tags: {{ App: billing }} }}
"#,
        moto = moto.endpoint_url()
    ))
    .await;
    let config = config(Some(&sim.endpoint_url())).await;
    let credentials = Arc::new(TargetCredentials::new(&config));
    let drs = DrsAdapter::new(&config, Arc::clone(&credentials));
    let target = plan::Target {
        account_id: "444455556666".into(),
        region: "us-east-1".into(),
        role_arn: Some("arn:aws:iam::444455556666:role/drs-orchestrator-target".into()),
        external_id: Some("billing-dr".into()),
    };
    let dr = TargetRef {
        execution: None,
        name: Some("dr"),
        target: Some(&target),
    };
    let billing = TargetSelection {
        target: Some("dr".into()),
        server_ids: Vec::new(),
        tag_sets: vec![tags(&[("App", "billing")])],
    };

    assert_eq!(
        resolve_one(&drs, dr, &billing).await,
        Resolution::Servers(ids(&["s-44444444444444444", "s-44444444444444445"]))
    );
    assert_eq!(
        resolve_one(&drs, OWN, &billing).await,
        Resolution::Servers(ids(&["s-11111111111111111"]))
    );
    let mut request = start("exec-m", 0, &["s-44444444444444444"], false);
    request.target = Some("dr".into());
    let job = started(drs.start_recovery(dr, &request).await.unwrap());
    assert_eq!(
        drs.describe_jobs(dr, std::slice::from_ref(&job))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        drs.describe_jobs(OWN, std::slice::from_ref(&job))
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = sim.control().jobs();
    assert_eq!(jobs["jobs"][0]["account"], "444455556666");
    assert_eq!(
        credentials.assume_role_calls(),
        1,
        "credentials were not cached"
    );

    let scope = credentials.scope(Some(&target)).await.unwrap();
    assert_eq!(
        (scope.account_id.as_str(), scope.region.as_str()),
        ("444455556666", "us-east-1")
    );
    let own = credentials.scope(None).await.unwrap();
    assert_eq!(own.account_id.len(), 12, "{own:?}");
    assert!(own.account_id.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(own.region, "us-east-1");
    let fixed = TargetCredentials::new(&config).with_own_account_id("111122223333");
    assert_eq!(fixed.own_account_id().await.unwrap(), "111122223333");
}

#[tokio::test]
async fn each_execution_assumes_a_target_role_in_a_session_named_after_it() {
    let config = config(None).await;
    let credentials = TargetCredentials::new(&config)
        .with_session_policy(aws_adapters::wiring::DESCRIBE_ONLY_SESSION_POLICY);
    let target = plan::Target {
        account_id: "444455556666".into(),
        region: "us-east-1".into(),
        role_arn: Some("arn:aws:iam::444455556666:role/drs-orchestrator-target".into()),
        external_id: Some("billing-dr".into()),
    };
    let caller_arn = |execution: Option<&'static str>| {
        let provider = credentials.provider(Some(&target), execution).unwrap();
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(config.sdk())
                .credentials_provider(provider)
                .build(),
        );
        async move {
            let identity = sts.get_caller_identity().send().await.unwrap();
            identity.arn.unwrap()
        }
    };
    let a = caller_arn(Some("exec-a")).await;
    assert!(
        a.ends_with("assumed-role/drs-orchestrator-target/exec-a"),
        "CloudTrail names the execution: {a}"
    );
    let b = caller_arn(Some("exec-b")).await;
    assert!(b.ends_with("/exec-b"), "{b}");
    assert_eq!(
        credentials.assume_role_calls(),
        2,
        "one session per execution"
    );
    caller_arn(Some("exec-a")).await;
    assert_eq!(credentials.assume_role_calls(), 2, "a session is cached");
    let tool = caller_arn(None).await;
    assert!(tool.ends_with("/drs-orchestrator"), "{tool}");
    assert_eq!(
        credentials.session_policy(),
        Some(aws_adapters::wiring::DESCRIBE_ONLY_SESSION_POLICY)
    );
}
