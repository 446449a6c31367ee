//! Every error type the emulator produces, coming out of the Rust SDK as its typed variant.

use aws_sdk_drs::error::ProvideErrorMetadata;
use aws_sdk_drs::operation::delete_job::DeleteJobError;
use aws_sdk_drs::operation::describe_jobs::DescribeJobsError;
use aws_sdk_drs::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_drs::operation::start_recovery::StartRecoveryError;
use aws_sdk_drs::operation::tag_resource::TagResourceError;
use aws_sdk_drs::operation::terminate_recovery_instances::TerminateRecoveryInstancesError;
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, StartRecoveryRequestSourceServer, ValidationExceptionReason,
};

use crate::support;

fn server(id: &str) -> StartRecoveryRequestSourceServer {
    StartRecoveryRequestSourceServer::builder()
        .source_server_id(id)
        .build()
        .unwrap()
}

const SCENARIO: &str = r#"
clock: { manual: true }
accounts:
  "111122223333": { access_keys: [AKIAALLOWED], regions: [us-east-1] }
  "444455556666": { access_keys: [AKIADENIED], denied_actions: [drs:TagResource, drs:ListTagsForResource] }
quotas: { max_servers_per_job: 3, max_concurrent_jobs: 2, max_servers_in_active_jobs: 4 }
servers:
  - { count: 6, account: "111122223333" }
  - { id: s-4444444444444444a, account: "444455556666" }
"#;

async fn ids(drs: &aws_sdk_drs::Client) -> Vec<String> {
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
async fn validation_exception_carries_reason_and_field_list() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "us-east-1").await;
    let err = drs
        .describe_jobs()
        .filters(
            DescribeJobsRequestFilters::builder()
                .job_ids("drsjob-bad")
                .from_date("yesterday")
                .build(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let DescribeJobsError::ValidationException(validation) = &err else {
        panic!("expected ValidationException, got {err:?}");
    };
    assert_eq!(
        validation.reason(),
        Some(&ValidationExceptionReason::FieldValidationFailed)
    );
    let names: Vec<&str> = validation
        .field_list()
        .iter()
        .filter_map(|f| f.name())
        .collect();
    assert_eq!(names, vec!["filters.jobIDs[0]", "filters.fromDate"]);
    assert_eq!(validation.code(), Some("ValidationException"));

    let too_many = (0..1001).fold(DescribeJobsRequestFilters::builder(), |f, i| {
        f.job_ids(format!("drsjob-{i:017}"))
    });
    let err = drs
        .describe_jobs()
        .filters(too_many.build())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, DescribeJobsError::ValidationException(_)),
        "{err:?}"
    );

    // StartRecovery does not model ValidationException: the SDK reports its code.
    let err = drs
        .start_recovery()
        .source_servers(server("s-ffffffffffffffff0"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err.message().unwrap().contains("does not exist"), "{err:?}");
}

#[tokio::test]
async fn resource_not_found_and_conflict_on_delete_job() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "us-east-1").await;
    let err = drs
        .delete_job()
        .job_id("drsjob-00000000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let DeleteJobError::ResourceNotFoundException(missing) = &err else {
        panic!("expected ResourceNotFoundException, got {err:?}");
    };
    assert_eq!(missing.resource_id(), Some("drsjob-00000000000000000"));
    assert_eq!(missing.resource_type(), Some("JOB"));

    let servers = ids(&drs).await;
    let job = drs
        .start_recovery()
        .is_drill(true)
        .source_servers(server(&servers[0]))
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let err = drs
        .delete_job()
        .job_id(job.job_id())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, DeleteJobError::ConflictException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn conflict_when_a_server_is_already_in_an_active_job() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "us-east-1").await;
    let servers = ids(&drs).await;
    let job = drs
        .start_recovery()
        .is_drill(true)
        .source_servers(server(&servers[0]))
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let err = drs
        .start_recovery()
        .is_drill(true)
        .source_servers(server(&servers[1]))
        .source_servers(server(&servers[0]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let StartRecoveryError::ConflictException(conflict) = &err else {
        panic!("expected ConflictException, got {err:?}");
    };
    assert_eq!(conflict.resource_id(), Some(servers[0].as_str()));
    assert_eq!(conflict.resource_type(), Some("SOURCE_SERVER"));
    assert!(conflict.message().unwrap().contains(job.job_id()));

    // Once the job is COMPLETED the server is free again.
    support::advance(&sim, 3600.0).await;
    drs.start_recovery()
        .is_drill(true)
        .source_servers(server(&servers[0]))
        .send()
        .await
        .unwrap();

    // Terminating an instance of a server in an active job conflicts too.
    let instances = drs.describe_recovery_instances().send().await.unwrap();
    let err = drs
        .terminate_recovery_instances()
        .recovery_instance_ids(instances.items()[0].recovery_instance_id().unwrap())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, TerminateRecoveryInstancesError::ConflictException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn service_quotas_are_enforced_with_402() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "us-east-1").await;
    let servers = ids(&drs).await;
    let start = |ids: &[String]| {
        let mut request = drs.start_recovery().is_drill(true);
        for id in ids {
            request = request.source_servers(server(id));
        }
        request.send()
    };
    let quota_code = |err: StartRecoveryError| match err {
        StartRecoveryError::ServiceQuotaExceededException(e) => {
            assert_eq!(e.service_code(), Some("drs"));
            e.quota_code().unwrap().to_owned()
        }
        other => panic!("expected ServiceQuotaExceededException, got {other:?}"),
    };
    // 4 servers in one job: over the per-job quota of 3.
    let err = start(&servers[0..4])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(quota_code(err), "MaxSourceServersPerJob");
    start(&servers[0..3]).await.unwrap();
    // 3 + 2 > 4 servers across active jobs.
    let err = start(&servers[3..5])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(quota_code(err), "MaxSourceServersInAllActiveJobs");
    start(&servers[3..4]).await.unwrap();
    // 2 active jobs already.
    let err = start(&servers[4..5])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(quota_code(err), "MaxConcurrentJobs");
}

#[tokio::test]
async fn throttling_returns_429_with_retry_after() {
    let sim = support::start(
        "throttling: { requests_per_second: 0.5, burst: 3 }\nservers:\n  - { count: 1 }\n",
    )
    .await;
    let drs = support::client(&sim).await;
    for _ in 0..3 {
        drs.describe_jobs().send().await.unwrap();
    }
    let err = drs.describe_jobs().send().await.unwrap_err();
    let raw_status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(raw_status, Some(429));
    let err = err.into_service_error();
    let DescribeJobsError::ThrottlingException(throttled) = &err else {
        panic!("expected ThrottlingException, got {err:?}");
    };
    assert_eq!(throttled.retry_after_seconds(), Some("2"));
    assert_eq!(throttled.service_code(), Some("drs"));
    let (_, counters) = support::admin(&sim, "GET", "/_sim/counters", "").await;
    assert_eq!(counters["throttled"], 1);
    assert_eq!(counters["requests"]["DescribeJobs"], 4);
    // Another account/region has its own bucket.
    let other = support::client_as(&sim, "AKIAOTHER", "us-east-1").await;
    assert!(
        other.describe_jobs().send().await.is_err(),
        "same account+region shares the bucket"
    );
}

#[tokio::test]
async fn uninitialized_account_for_a_region_without_drs() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "eu-west-1").await;
    let err = drs
        .describe_jobs()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, DescribeJobsError::UninitializedAccountException(_)),
        "{err:?}"
    );
    let err = drs
        .start_recovery()
        .source_servers(server("s-1234567890abcdef0"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, StartRecoveryError::UninitializedAccountException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn access_denied_for_actions_the_scenario_denies() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIADENIED", "us-east-1").await;
    let arn = "arn:aws:drs:us-east-1:444455556666:source-server/s-4444444444444444a";
    let err = drs
        .tag_resource()
        .resource_arn(arn)
        .tags("k", "v")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let TagResourceError::AccessDeniedException(denied) = &err else {
        panic!("expected AccessDeniedException, got {err:?}");
    };
    assert!(denied.message().unwrap().contains("drs:TagResource"));
    let err = drs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, ListTagsForResourceError::AccessDeniedException(_)),
        "{err:?}"
    );
    // StartRecovery with tags needs drs:TagResource as well.
    let err = drs
        .start_recovery()
        .source_servers(server("s-4444444444444444a"))
        .tags("Plan", "x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    // Without tags it is allowed.
    drs.start_recovery()
        .source_servers(server("s-4444444444444444a"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn resource_not_found_and_validation_on_tagging() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIAALLOWED", "us-east-1").await;
    let err = drs
        .list_tags_for_resource()
        .resource_arn("arn:aws:drs:us-east-1:111122223333:job/drsjob-00000000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, ListTagsForResourceError::ResourceNotFoundException(_)),
        "{err:?}"
    );
    let err = drs
        .tag_resource()
        .resource_arn("not-an-arn-at-all-really")
        .tags("k", "v")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, TagResourceError::ValidationException(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_access_keys_are_unrecognized() {
    let sim = support::start(SCENARIO).await;
    let drs = support::client_as(&sim, "AKIANOBODY", "us-east-1").await;
    let err = drs.describe_jobs().send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(
        err.into_service_error().code(),
        Some("UnrecognizedClientException")
    );
}
