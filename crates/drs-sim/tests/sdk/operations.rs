//! Every operation through the SDK, on the three-tier example and a 1,000-server scenario.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, DescribeRecoveryInstancesRequestFilters,
    DescribeSourceServersRequestFilters, StartRecoveryRequestSourceServer,
};

use crate::support::{self, ACCOUNT, REGION};

const DB_1: &str = "s-1234567890abcdef0";
const DB_2: &str = "s-1234567890abcdef1";

fn server(id: &str) -> StartRecoveryRequestSourceServer {
    StartRecoveryRequestSourceServer::builder()
        .source_server_id(id)
        .build()
        .unwrap()
}

#[tokio::test]
async fn describe_source_servers_reports_tags_replication_and_filters() {
    let sim = support::start_example("three-tier.yaml").await;
    let drs = support::client(&sim).await;

    let all = drs.describe_source_servers().send().await.unwrap();
    let items = all.items();
    assert_eq!(items.len(), 10);
    assert!(all.next_token().is_none());
    let db = items
        .iter()
        .find(|s| s.source_server_id() == Some(DB_1))
        .unwrap();
    assert_eq!(
        db.arn(),
        Some(format!("arn:aws:drs:{REGION}:{ACCOUNT}:source-server/{DB_1}").as_str())
    );
    let tags = db.tags().unwrap();
    assert_eq!(tags.get("Tier").map(String::as_str), Some("db"));
    assert_eq!(tags.get("App").map(String::as_str), Some("billing"));
    let replication = db.data_replication_info().unwrap();
    assert_eq!(replication.lag_duration(), Some("PT2S"));
    assert_eq!(
        replication.data_replication_state().map(|s| s.as_str()),
        Some("CONTINUOUS")
    );
    assert_eq!(
        db.last_launch_result().map(|r| r.as_str()),
        Some("NOT_STARTED")
    );
    let hints = db
        .source_properties()
        .and_then(|p| p.identification_hints())
        .unwrap();
    assert_eq!(hints.hostname(), Some("billing-db-1"));

    let by_id = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(DB_2)
                .source_server_ids("s-fffffffffffffffff")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = by_id
        .items()
        .iter()
        .filter_map(|s| s.source_server_id())
        .collect();
    assert_eq!(ids, vec![DB_2]);

    let mac = db.source_properties().unwrap().network_interfaces()[0]
        .mac_address()
        .unwrap()
        .to_owned();
    let by_hardware = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .hardware_id(mac)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = by_hardware
        .items()
        .iter()
        .filter_map(|s| s.source_server_id())
        .collect();
    assert_eq!(ids, vec![DB_1]);
}

#[tokio::test]
async fn staging_account_filter_selects_extended_servers() {
    let sim = support::start(
        "servers:\n  - { id: s-1234567890abcdef0, staging_account: \"999988887777\" }\n  - { id: s-1234567890abcdef1 }\n",
    )
    .await;
    let drs = support::client(&sim).await;
    let out = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .staging_account_ids("999988887777")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.items().len(), 1);
    let staging = out.items()[0].staging_area().unwrap();
    assert_eq!(staging.staging_account_id(), Some("999988887777"));
    assert_eq!(staging.status().map(|s| s.as_str()), Some("EXTENDED"));
}

#[tokio::test]
async fn describe_source_servers_pages_over_1000_servers() {
    let sim = support::start_example("large.yaml").await;
    let drs = support::client(&sim).await;

    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = drs
            .describe_source_servers()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.items().len() <= 100);
        ids.extend(
            page.items()
                .iter()
                .filter_map(|s| s.source_server_id().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 10);
    assert_eq!(ids.len(), 1000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1000);

    // The SDK's own paginator reaches the same servers.
    let via_paginator: Vec<_> = drs
        .describe_source_servers()
        .max_results(333)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(via_paginator.len(), 1000);

    // Without maxResults one page holds everything (1000 is the page limit).
    let single = drs.describe_source_servers().send().await.unwrap();
    assert_eq!(single.items().len(), 1000);
    assert!(single.next_token().is_none());
}

#[tokio::test]
async fn describe_jobs_filters_orders_newest_first_and_pages() {
    let sim = support::start(
        "clock: { manual: true, start: \"2025-06-01T00:00:00Z\" }\nservers:\n  - { count: 5 }\n",
    )
    .await;
    let drs = support::client(&sim).await;
    let servers: Vec<String> = drs
        .describe_source_servers()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect();
    let mut job_ids = Vec::new();
    for id in &servers {
        let job = drs
            .start_recovery()
            .is_drill(true)
            .source_servers(server(id))
            .send()
            .await
            .unwrap()
            .job
            .unwrap();
        job_ids.push(job.job_id().to_owned());
        support::advance(&sim, 60.0).await;
    }

    let all = drs.describe_jobs().send().await.unwrap();
    let listed: Vec<_> = all.items().iter().map(|j| j.job_id().to_owned()).collect();
    let newest_first: Vec<_> = job_ids.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);

    let filtered = drs
        .describe_jobs()
        .filters(
            DescribeJobsRequestFilters::builder()
                .job_ids(&job_ids[1])
                .job_ids(&job_ids[3])
                .job_ids("drsjob-00000000000000000")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = filtered.items().iter().map(|j| j.job_id()).collect();
    assert_eq!(listed, vec![job_ids[3].as_str(), job_ids[1].as_str()]);

    // Jobs were created at 00:00, 00:01, ... 00:04.
    let window = drs
        .describe_jobs()
        .filters(
            DescribeJobsRequestFilters::builder()
                .from_date("2025-06-01T00:01:00Z")
                .to_date("2025-06-01T00:03:00Z")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = window.items().iter().map(|j| j.job_id()).collect();
    assert_eq!(
        listed,
        vec![
            job_ids[3].as_str(),
            job_ids[2].as_str(),
            job_ids[1].as_str()
        ]
    );

    let paged: Vec<String> = drs
        .describe_jobs()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.job_id().to_owned())
        .collect();
    assert_eq!(paged, newest_first);
}

#[tokio::test]
async fn start_recovery_tags_the_job_and_tagging_works_on_every_resource() {
    let sim = support::start(
        "clock: { manual: true }\nservers:\n  - { id: s-1234567890abcdef0 }\n  - { id: s-1234567890abcdef1, tags: { App: billing, Tier: db, Role: replica } }\n",
    )
    .await;
    let drs = support::client(&sim).await;
    let job = drs
        .start_recovery()
        .is_drill(true)
        .source_servers(server(DB_1))
        .tags("Plan", "billing")
        .tags("Execution", "e-1")
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let expected: BTreeMap<String, String> = [("Execution", "e-1"), ("Plan", "billing")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let job_tags: BTreeMap<String, String> = job.tags().unwrap().clone().into_iter().collect();
    assert_eq!(job_tags, expected);
    let job_arn = job.arn().unwrap().to_owned();
    assert_eq!(
        job_arn,
        format!("arn:aws:drs:{REGION}:{ACCOUNT}:job/{}", job.job_id())
    );

    let listed = drs
        .list_tags_for_resource()
        .resource_arn(&job_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().unwrap().len(), 2);

    let server_arn = format!("arn:aws:drs:{REGION}:{ACCOUNT}:source-server/{DB_2}");
    drs.tag_resource()
        .resource_arn(&server_arn)
        .tags("Owner", "team-a")
        .tags("Tier", "database")
        .send()
        .await
        .unwrap();
    drs.untag_resource()
        .resource_arn(&server_arn)
        .tag_keys("Role")
        .tag_keys("Owner")
        .send()
        .await
        .unwrap();
    let tags = drs
        .list_tags_for_resource()
        .resource_arn(&server_arn)
        .send()
        .await
        .unwrap()
        .tags()
        .unwrap()
        .clone();
    let mut keys: Vec<_> = tags.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, vec!["App", "Tier"]);
    assert_eq!(tags["Tier"], "database");
    // DescribeSourceServers shows the new tags.
    let described = drs
        .describe_source_servers()
        .filters(
            DescribeSourceServersRequestFilters::builder()
                .source_server_ids(DB_2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(described.items()[0].tags().unwrap()["Tier"], "database");

    // Recovery instances are taggable too.
    support::advance(&sim, 3600.0).await;
    let instances = drs.describe_recovery_instances().send().await.unwrap();
    let instance = &instances.items()[0];
    let instance_arn = instance.arn().unwrap().to_owned();
    drs.tag_resource()
        .resource_arn(&instance_arn)
        .tags("Drill", "yes")
        .send()
        .await
        .unwrap();
    let tags = drs
        .list_tags_for_resource()
        .resource_arn(&instance_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().unwrap()["Drill"], "yes");
}

#[tokio::test]
async fn delete_job_removes_a_completed_job() {
    let sim =
        support::start("clock: { manual: true }\nservers:\n  - { id: s-1234567890abcdef0 }\n")
            .await;
    let drs = support::client(&sim).await;
    let job_id = drs
        .start_recovery()
        .is_drill(true)
        .source_servers(server(DB_1))
        .send()
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id()
        .to_owned();
    support::advance(&sim, 3600.0).await;
    drs.delete_job().job_id(&job_id).send().await.unwrap();
    let jobs = drs.describe_jobs().send().await.unwrap();
    assert!(jobs.items().is_empty());
    let log = drs
        .describe_job_log_items()
        .job_id(&job_id)
        .send()
        .await
        .unwrap();
    assert!(log.items().is_empty());
    // The admin API still remembers it.
    let (_, overview) = support::admin(&sim, "GET", "/_sim/jobs", "").await;
    assert_eq!(overview["jobs"][0]["jobID"], job_id);
    assert_eq!(overview["jobs"][0]["deleted"], true);
}

#[tokio::test]
async fn describe_recovery_instances_filters_and_pages() {
    let sim = support::start("clock: { manual: true }\nservers:\n  - { count: 4 }\n").await;
    let drs = support::client(&sim).await;
    let servers: Vec<String> = drs
        .describe_source_servers()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect();
    let mut request = drs.start_recovery().is_drill(true);
    for id in &servers {
        request = request.source_servers(server(id));
    }
    request.send().await.unwrap();
    support::advance(&sim, 3600.0).await;

    let all: Vec<_> = drs
        .describe_recovery_instances()
        .max_results(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    for instance in &all {
        assert!(instance.is_drill().unwrap());
        assert_eq!(
            instance.ec2_instance_state().map(|s| s.as_str()),
            Some("RUNNING")
        );
        assert_eq!(instance.recovery_instance_id(), instance.ec2_instance_id());
        assert!(instance.job_id().unwrap().starts_with("drsjob-"));
    }
    let one = drs
        .describe_recovery_instances()
        .filters(
            DescribeRecoveryInstancesRequestFilters::builder()
                .source_server_ids(&servers[2])
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(one.items().len(), 1);
    assert_eq!(one.items()[0].source_server_id(), Some(servers[2].as_str()));
    let by_id = drs
        .describe_recovery_instances()
        .filters(
            DescribeRecoveryInstancesRequestFilters::builder()
                .recovery_instance_ids(one.items()[0].recovery_instance_id().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.items().len(), 1);
}
