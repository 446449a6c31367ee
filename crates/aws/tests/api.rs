//! The HTTP API (`pipeline::api::handle`) on the AWS adapters, against moto: the stores built
//! the way drsctl builds them ([`ApiStores::of_stack`]), each route's effect on the tables and
//! queues.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use aws_adapters::{ApiStores, QueueRef, ReceiveOptions, Resources, create_all};
use pipeline::api::{ApiRequest, ApiResponse, handle};
use pipeline::message::{Message, PlanSource, QueueName, decode};
use pipeline::ports::{Created, ExecutionStore};
use serde_json::json;
use support::{at, config, plan, started, unique};

const CALLER: &str = "arn:aws:sts::111122223333:assumed-role/dr/alice";

fn request(method: &str, path: &str, body: Option<String>) -> ApiRequest {
    ApiRequest {
        method: method.into(),
        path: path.into(),
        query: Vec::new(),
        content_type: None,
        body,
        caller: CALLER.into(),
        request_id: "req-0001".into(),
    }
}

async fn call(stores: &ApiStores, method: &str, path: &str, body: Option<String>) -> ApiResponse {
    handle(
        &stores.deps(),
        request(method, path, body),
        at("2025-09-30T10:00:00Z"),
    )
    .await
}

fn quick() -> ReceiveOptions {
    ReceiveOptions {
        max_messages: 10,
        wait_seconds: 1,
        visibility_timeout_seconds: None,
    }
}

async fn received(stores: &ApiStores, queue: QueueName) -> Vec<Message> {
    stores
        .queues
        .receive(QueueRef::Main(queue), quick())
        .await
        .unwrap()
        .iter()
        .map(|m| decode(&m.body).unwrap())
        .collect()
}

#[tokio::test]
async fn the_api_on_dynamodb_and_sqs() {
    let config = config(None).await;
    let resources = Resources::with_prefix(&unique("api"));
    create_all(&config, &resources).await.unwrap();
    let stores = ApiStores::of_stack(&config, &resources).await.unwrap();

    // Plans: stored (JSON body here), read back, listed, refused when invalid.
    let billing = plan("billing", 2);
    let text = serde_json::to_string(&billing).unwrap();
    let put = call(&stores, "PUT", "/plans/billing", Some(text.clone())).await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    assert_eq!(
        call(&stores, "PUT", "/plans/billing", Some(text))
            .await
            .status,
        200
    );
    let got = call(&stores, "GET", "/plans/billing", None).await;
    assert_eq!(got.status, 200);
    let body = got.body.unwrap();
    assert_eq!(body["updated_by"], CALLER);
    assert_eq!(
        serde_json::from_value::<plan::Plan>(body["plan"].clone()).unwrap(),
        billing
    );
    let listed = call(&stores, "GET", "/plans", None).await.body.unwrap();
    assert_eq!(
        listed["plans"],
        json!([{"name": "billing", "description": null, "waves": 2,
                "updated_at": "2025-09-30T10:00:00Z", "updated_by": CALLER}])
    );

    // A start request reaches the start queue, requested by the caller.
    let start = call(&stores, "POST", "/plans/billing/drills", None).await;
    assert_eq!(start.status, 202, "{:?}", start.body);
    assert_eq!(
        received(&stores, QueueName::Start).await,
        [Message::StartExecution {
            execution_id: Some("exec-api-req-0001".into()),
            plan: PlanSource::Stored {
                plan_name: "billing".into()
            },
            mode: engine::Mode::Drill,
            confirm: None,
            requested_by: CALLER.into(),
        }]
    );

    // Executions stored by the starter are shown, listed (the by_plan index) and cancelled.
    for (id, when) in [
        ("exec-a", "2025-09-29T09:00:00Z"),
        ("exec-b", "2025-09-30T09:00:00Z"),
    ] {
        // Two live executions of one plan: the plan must allow it.
        let mut concurrent = billing.clone();
        concurrent.allow_concurrent_executions = true;
        let (execution, _) = started(id, concurrent, at(when));
        assert_eq!(
            stores.executions.create(&execution).await.unwrap(),
            Created::New
        );
    }
    let detail = call(&stores, "GET", "/plans/billing/executions/exec-b", None).await;
    assert_eq!(detail.status, 200);
    let detail = detail.body.unwrap();
    assert_eq!(detail["waves"].as_array().unwrap().len(), 2);
    assert_eq!(detail["started_at"], "2025-09-30T09:00:00Z");
    let listed = call(&stores, "GET", "/plans/billing/executions", None)
        .await
        .body
        .unwrap();
    let ids: Vec<&str> = listed["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["exec-b", "exec-a"]);
    // An execution is reached under its own plan only.
    let elsewhere = call(&stores, "GET", "/plans/payroll/executions/exec-b", None).await;
    assert_eq!(elsewhere.status, 404, "{:?}", elsewhere.body);
    let cancel = call(
        &stores,
        "POST",
        "/plans/billing/executions/exec-a/cancel",
        Some(r#"{"reason":"drill window closed"}"#.into()),
    )
    .await;
    assert_eq!(cancel.status, 202);
    assert_eq!(
        received(&stores, QueueName::Advance).await,
        [Message::Cancel {
            execution_id: "exec-a".into(),
            by: CALLER.into(),
            reason: "drill window closed".into(),
        }]
    );

    // Deleting the plan keeps its executions.
    assert_eq!(
        call(&stores, "DELETE", "/plans/billing", None).await.status,
        204
    );
    assert_eq!(
        call(&stores, "GET", "/plans/billing", None).await.status,
        404
    );
    let kept = call(&stores, "GET", "/plans/billing/executions", None).await;
    assert_eq!(
        kept.body.unwrap()["executions"].as_array().unwrap().len(),
        2
    );
}
