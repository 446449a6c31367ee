//! Launch Result events delivered with EventBridge PutEvents to a recording endpoint.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_drs::types::StartRecoveryRequestSourceServer;
use serde_json::Value;

use crate::support::{self, Receiver};

const PUT_EVENTS_OK: &str = r#"{"FailedEntryCount":0,"Entries":[{"EventId":"1"}]}"#;

fn scenario(endpoint: &str, drop_ratio: f64, count: usize) -> String {
    format!(
        r#"
seed: 11
clock: {{ manual: true }}
quotas: {{ max_servers_per_job: 200 }}
events: {{ endpoint: "{endpoint}", drop_ratio: {drop_ratio} }}
launch_defaults: {{ pending_seconds: 1, snapshot_seconds: 1, conversion_seconds: 1, launch_seconds: [1, 5] }}
servers:
  - {{ id: s-1234567890abcdef0, launch: {{ outcome: failed }} }}
  - {{ count: {count} }}
"#
    )
}

/// Every PutEvents entry received: (headers of the call, entry).
fn entries(receiver: &Receiver) -> Vec<(axum::http::HeaderMap, Value)> {
    receiver
        .recorded()
        .into_iter()
        .flat_map(|call| {
            let body: Value = serde_json::from_slice(&call.body).unwrap();
            body["Entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (call.headers.clone(), e.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn drill_everything(sim: &drs_sim::RunningSim) -> (String, Vec<String>) {
    let drs = support::client(sim).await;
    let ids: Vec<String> = drs
        .describe_source_servers()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter_map(|s| s.source_server_id().map(str::to_owned))
        .collect();
    let mut request = drs.start_recovery().is_drill(true);
    for id in &ids {
        request = request.source_servers(
            StartRecoveryRequestSourceServer::builder()
                .source_server_id(id)
                .build()
                .unwrap(),
        );
    }
    let job = request.send().await.unwrap().job.unwrap();
    (job.job_id().to_owned(), ids)
}

#[tokio::test]
async fn launch_results_are_put_to_eventbridge() {
    let receiver = Receiver::start(PUT_EVENTS_OK).await;
    let sim = support::start(&scenario(&receiver.url, 0.0, 11)).await;
    let (job_id, ids) = drill_everything(&sim).await;
    assert!(entries(&receiver).is_empty());

    // The clock moves past every launch: the background task emits without any DRS call.
    support::advance(&sim, 60.0).await;
    let received = support::eventually(Duration::from_secs(5), || {
        let got = entries(&receiver);
        async move { (got.len() == 12).then_some(got) }
    })
    .await;
    let calls = receiver.recorded();
    assert!(calls.len() >= 2, "at most 10 entries per PutEvents call");
    for call in &calls {
        assert_eq!(call.headers["x-amz-target"], "AWSEvents.PutEvents");
        assert_eq!(call.headers["content-type"], "application/x-amz-json-1.1");
        assert_eq!(call.headers["x-moto-account-id"], "111122223333");
        let authorization = call.headers["authorization"].to_str().unwrap();
        assert!(
            authorization.contains("/us-east-1/events/aws4_request"),
            "{authorization}"
        );
    }
    let mut resources = HashSet::new();
    for (_, entry) in &received {
        assert_eq!(entry["Source"], "aws.drs");
        assert_eq!(entry["DetailType"], "DRS Source Server Launch Result");
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["job-id"], job_id);
        assert_eq!(detail["is-drill"], "TRUE");
        let arn = entry["Resources"][0].as_str().unwrap().to_owned();
        assert!(arn.starts_with("arn:aws:drs:us-east-1:111122223333:source-server/s-"));
        let expected_state = if arn.ends_with("s-1234567890abcdef0") {
            "RECOVERY_LAUNCH_FAILED"
        } else {
            "RECOVERY_LAUNCH_SUCCEEDED"
        };
        assert_eq!(detail["state"], expected_state, "{arn}");
        assert!(entry["Time"].as_f64().unwrap() > 1.0e9);
        resources.insert(arn);
    }
    assert_eq!(resources.len(), ids.len());
    // Events are in simulated-time order.
    let times: Vec<f64> = received
        .iter()
        .map(|(_, e)| e["Time"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let (_, counters) = support::admin(&sim, "GET", "/_sim/counters", "").await;
    assert_eq!(counters["events_sent"], 12);
    assert_eq!(counters["events_dropped"], 0);
}

#[tokio::test]
async fn drop_ratio_drops_a_share_of_events() {
    let receiver = Receiver::start(PUT_EVENTS_OK).await;
    let sim = support::start(&scenario(&receiver.url, 0.5, 199)).await;
    drill_everything(&sim).await;
    support::advance(&sim, 60.0).await;
    let (_, records) = support::admin(&sim, "GET", "/_sim/events", "").await;
    let records = records["events"].as_array().unwrap().clone();
    assert_eq!(records.len(), 200);
    let dropped = records
        .iter()
        .filter(|r| r["delivery"] == "dropped")
        .count();
    assert!((60..=140).contains(&dropped), "dropped {dropped} of 200");
    let delivered = support::eventually(Duration::from_secs(5), || {
        let got = entries(&receiver).len();
        async move { (got == 200 - dropped).then_some(got) }
    })
    .await;
    let (_, counters) = support::admin(&sim, "GET", "/_sim/counters", "").await;
    assert_eq!(counters["events_dropped"], dropped);
    assert_eq!(counters["events_sent"], delivered);
    // Exactly the records marked queued were delivered.
    let delivered_arns: HashSet<String> = entries(&receiver)
        .iter()
        .map(|(_, e)| e["Resources"][0].as_str().unwrap().to_owned())
        .collect();
    for record in &records {
        let arn_suffix = record["sourceServerID"].as_str().unwrap();
        let was_delivered = delivered_arns.iter().any(|a| a.ends_with(arn_suffix));
        assert_eq!(was_delivered, record["delivery"] == "queued", "{record}");
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_counts_failures() {
    // Bind and close a port so nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let sim = support::start(&scenario(&url, 0.0, 1)).await;
    drill_everything(&sim).await;
    support::advance(&sim, 60.0).await;
    let failed = support::eventually(Duration::from_secs(10), || {
        let sim = &sim;
        async move {
            let (_, counters) = support::admin(sim, "GET", "/_sim/counters", "").await;
            (counters["events_failed"] == 2).then_some(counters)
        }
    })
    .await;
    assert_eq!(failed["events_sent"], 0);
}
