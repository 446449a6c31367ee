//! Several accounts and regions: each has its own servers, jobs and quotas; the account comes
//! from the access key (static map, or STS GetCallerIdentity), the region from SigV4.

use aws_sdk_drs::types::StartRecoveryRequestSourceServer;

use crate::support::{self, Receiver};

const SCENARIO: &str = r#"
clock: { manual: true }
accounts:
  "111122223333": { access_keys: [AKIAPRIMARY], regions: [us-east-1, us-west-2] }
  "444455556666": { access_keys: [AKIASECONDARY], regions: [us-east-1] }
quotas: { max_concurrent_jobs: 1 }
servers:
  - { id: s-1111111111111111a, account: "111122223333" }
  - { id: s-1111111111111111b, account: "111122223333", region: us-west-2 }
  - { id: s-4444444444444444a, account: "444455556666" }
"#;

fn server(id: &str) -> StartRecoveryRequestSourceServer {
    StartRecoveryRequestSourceServer::builder()
        .source_server_id(id)
        .build()
        .unwrap()
}

async fn server_ids(drs: &aws_sdk_drs::Client) -> Vec<String> {
    drs.describe_source_servers()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn accounts_and_regions_are_separate() {
    let sim = support::start(SCENARIO).await;
    let primary_east = support::client_as(&sim, "AKIAPRIMARY", "us-east-1").await;
    let primary_west = support::client_as(&sim, "AKIAPRIMARY", "us-west-2").await;
    let secondary = support::client_as(&sim, "AKIASECONDARY", "us-east-1").await;

    assert_eq!(server_ids(&primary_east).await, vec!["s-1111111111111111a"]);
    assert_eq!(server_ids(&primary_west).await, vec!["s-1111111111111111b"]);
    assert_eq!(server_ids(&secondary).await, vec!["s-4444444444444444a"]);

    // A server of another account is unknown here.
    let err = secondary
        .start_recovery()
        .source_servers(server("s-1111111111111111a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_drs::error::ProvideErrorMetadata::code(&err),
        Some("ValidationException")
    );

    // Quotas are per account and region: one active job each is allowed.
    let job = primary_east
        .start_recovery()
        .is_drill(true)
        .source_servers(server("s-1111111111111111a"))
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert!(job.arn().unwrap().contains(":111122223333:"));
    let west = primary_west
        .start_recovery()
        .is_drill(true)
        .source_servers(server("s-1111111111111111b"))
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert!(
        west.arn()
            .unwrap()
            .starts_with("arn:aws:drs:us-west-2:111122223333:job/")
    );
    secondary
        .start_recovery()
        .is_drill(true)
        .source_servers(server("s-4444444444444444a"))
        .send()
        .await
        .unwrap();

    // Jobs are visible only in their own account and region.
    let listed: Vec<_> = primary_east
        .describe_jobs()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|j| j.job_id().to_owned())
        .collect();
    assert_eq!(listed, vec![job.job_id().to_owned()]);
    assert_eq!(
        secondary
            .describe_jobs()
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        1
    );
    let (_, overview) = support::admin(&sim, "GET", "/_sim/jobs", "").await;
    let accounts: Vec<(&str, &str)> = overview["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["account"].as_str().unwrap(),
                j["region"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        vec![
            ("111122223333", "us-east-1"),
            ("111122223333", "us-west-2"),
            ("444455556666", "us-east-1")
        ]
    );

    // Tagging by ARN does not reach into another account.
    let err = secondary
        .list_tags_for_resource()
        .resource_arn(job.arn().unwrap())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_drs::error::ProvideErrorMetadata::code(&err),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn unknown_keys_are_resolved_with_sts_and_cached() {
    let sts = Receiver::start(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::444455556666:assumed-role/drs-orchestrator-target/s1</Arn><UserId>AROAEXAMPLE:s1</UserId><Account>444455556666</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
    )
    .await;
    let scenario = format!("sts_endpoint: {}\n{SCENARIO}", sts.url);
    let sim = support::start(&scenario).await;

    // Assumed-role credentials: a key no account lists, with a session token.
    let shared = aws_config::defaults(aws_sdk_drs::config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_drs::config::Credentials::new(
            "ASIAASSUMEDROLEKEY",
            "secret",
            Some("session-token-1".to_owned()),
            None,
            "assumed",
        ))
        .region(aws_sdk_drs::config::Region::new("us-east-1"))
        .endpoint_url(sim.endpoint_url())
        .retry_config(aws_sdk_drs::config::retry::RetryConfig::disabled())
        .load()
        .await;
    let assumed = aws_sdk_drs::Client::new(&shared);
    assert_eq!(server_ids(&assumed).await, vec!["s-4444444444444444a"]);
    assert_eq!(server_ids(&assumed).await, vec!["s-4444444444444444a"]);

    let calls = sts.recorded();
    assert_eq!(calls.len(), 1, "the account of a key is cached");
    let call = &calls[0];
    assert_eq!(
        std::str::from_utf8(&call.body).unwrap(),
        "Action=GetCallerIdentity&Version=2011-06-15"
    );
    let authorization = call.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("Credential=ASIAASSUMEDROLEKEY/"),
        "{authorization}"
    );
    assert_eq!(call.headers["x-amz-security-token"], "session-token-1");

    // Keys the scenario lists do not go to STS.
    let primary = support::client_as(&sim, "AKIAPRIMARY", "us-east-1").await;
    assert_eq!(server_ids(&primary).await, vec!["s-1111111111111111a"]);
    assert_eq!(sts.recorded().len(), 1);
}
