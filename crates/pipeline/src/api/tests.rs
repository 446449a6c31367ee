//! The router against the in-memory fakes: every route, its errors, and what it sends.

use std::sync::Arc;

use engine::{ExecutionRequest, ExecutionStatus, Limits, Mode};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::message::{Message, PlanSource, QueueName};
use crate::ports::{PortError, StoredPlan};
use crate::testing::{FakeClock, FakeExecutionStore, FakePlanStore, FakeQueues, started_as_listed};

const CALLER: &str = "arn:aws:iam::111122223333:user/alice";

const BILLING: &str = "\
name: billing
protection_groups:
  db: { servers: [s-00000000000000001] }
  app: { servers: [s-00000000000000002] }
waves:
  - { name: database, groups: [db] }
  - { name: app, groups: [app], pause_before: true }
";

struct World {
    plans: FakePlanStore,
    executions: FakeExecutionStore,
    queues: FakeQueues,
}

impl World {
    fn new() -> Self {
        Self {
            plans: FakePlanStore::default(),
            executions: FakeExecutionStore::default(),
            queues: FakeQueues::new(Arc::new(FakeClock::at_start())),
        }
    }

    fn deps(&self) -> ApiDeps<'_> {
        ApiDeps {
            plans: &self.plans,
            executions: &self.executions,
            queues: &self.queues,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<&str>) -> ApiResponse {
        self.call_with(request(method, path, body)).await
    }

    async fn call_with(&self, request: ApiRequest) -> ApiResponse {
        handle(&self.deps(), request, now()).await
    }

    /// An execution of the stored plan `billing`, started by the engine: its servers
    /// resolved, its first wave launching.
    async fn execution(&self, id: &str, at: &str) -> engine::Execution {
        let plan = plan::parse(BILLING).unwrap();
        let request = ExecutionRequest {
            execution_id: id.into(),
            plan,
            mode: Mode::Drill,
            limits: Limits::default(),
            requested_by: "someone".into(),
        };
        let state = started_as_listed(request, at.parse().unwrap()).unwrap();
        assert!(self.executions.create(&state).await.unwrap());
        state
    }

    fn sent(&self) -> Vec<(QueueName, Message)> {
        self.queues
            .sent()
            .into_iter()
            .map(|s| (s.queue, s.message))
            .collect()
    }
}

fn now() -> Timestamp {
    "2025-09-30T10:00:00Z".parse().unwrap()
}

fn request(method: &str, path: &str, body: Option<&str>) -> ApiRequest {
    ApiRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: Vec::new(),
        content_type: None,
        body: body.map(str::to_owned),
        caller: CALLER.to_owned(),
        request_id: "JKJaXmPLvHcESHA=".to_owned(),
    }
}

fn body(response: &ApiResponse) -> &Value {
    response.body.as_ref().expect("a body")
}

fn error_code(response: &ApiResponse) -> &str {
    body(response)["error"].as_str().expect("an error code")
}

#[tokio::test]
async fn a_plan_is_created_replaced_read_listed_and_deleted() {
    let world = World::new();
    let created = world.call("PUT", "/plans/billing", Some(BILLING)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        body(&created),
        &json!({"name": "billing", "waves": 2, "updated_at": "2025-09-30T10:00:00Z", "updated_by": CALLER})
    );
    let stored = world.plans.stored("billing").unwrap();
    assert_eq!(stored.updated_by, CALLER);
    assert_eq!(stored.plan, plan::parse(BILLING).unwrap());

    // JSON works too, and a second put replaces.
    let json_plan = serde_json::to_string(&stored.plan).unwrap();
    let mut replace = request("PUT", "/plans/billing", Some(&json_plan));
    replace.content_type = Some("application/json; charset=utf-8".to_owned());
    assert_eq!(world.call_with(replace).await.status, 200);
    let shop = BILLING.replace("name: billing", "name: shop");
    let mut yaml = request("PUT", "/plans/shop", Some(&shop));
    yaml.content_type = Some("text/yaml".to_owned());
    assert_eq!(world.call_with(yaml).await.status, 201);

    let got = world.call("GET", "/plans/billing", None).await;
    assert_eq!(got.status, 200);
    assert_eq!(body(&got)["name"], "billing");
    assert_eq!(body(&got)["plan"]["waves"][1]["name"], "app");
    assert_eq!(body(&got)["updated_by"], CALLER);

    let listed = world.call("GET", "/plans", None).await;
    assert_eq!(listed.status, 200);
    let names: Vec<&str> = body(&listed)["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["billing", "shop"]);
    assert_eq!(body(&listed)["plans"][0]["waves"], 2);

    let deleted = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!((deleted.status, deleted.body), (204, None));
    let again = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!((again.status, error_code(&again)), (404, "not_found"));
    let gone = world.call("GET", "/plans/billing", None).await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn an_invalid_plan_is_refused_with_every_problem_and_its_position() {
    let world = World::new();
    let broken = BILLING.replace("groups: [app]", "groups: [ap]");
    let response = world.call("PUT", "/plans/billing", Some(&broken)).await;
    assert_eq!(
        (response.status, error_code(&response)),
        (400, "invalid_plan")
    );
    let diagnostics = plan::parse(&broken).unwrap_err();
    let errors = body(&response)["errors"].as_array().unwrap();
    assert_eq!(errors.len(), diagnostics.len());
    let first = &diagnostics[0];
    let position = first.position.unwrap();
    assert_eq!(errors[0]["path"], first.path.as_str());
    assert_eq!(errors[0]["line"], position.line);
    assert_eq!(errors[0]["column"], position.column);
    assert_eq!(errors[0]["message"], first.message.as_str());
    assert_eq!(errors[0]["path"], "waves[1].groups[0]");
    let message = body(&response)["message"].as_str().unwrap();
    assert!(message.contains(&first.to_string()), "{message}");
    assert!(world.plans.stored("billing").is_none());

    let syntax = world.call("PUT", "/plans/billing", Some("name: [")).await;
    assert_eq!(error_code(&syntax), "invalid_plan");
    assert!(
        body(&syntax)["errors"][0]["line"].is_number(),
        "{:?}",
        syntax.body
    );
}

#[tokio::test]
async fn a_put_must_name_the_plan_it_carries_in_a_media_type_the_api_reads() {
    let world = World::new();
    let other = world.call("PUT", "/plans/shop", Some(BILLING)).await;
    assert_eq!((other.status, error_code(&other)), (400, "invalid_request"));
    assert!(
        body(&other)["message"]
            .as_str()
            .unwrap()
            .contains("`billing`")
    );

    let mut xml = request("PUT", "/plans/billing", Some(BILLING));
    xml.content_type = Some("application/xml".to_owned());
    let refused = world.call_with(xml).await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (415, "unsupported_media_type")
    );

    let mut not_json = request("PUT", "/plans/billing", Some(BILLING));
    not_json.content_type = Some("application/json".to_owned());
    assert_eq!(
        error_code(&world.call_with(not_json).await),
        "invalid_request"
    );

    let empty = world.call("PUT", "/plans/billing", Some("  ")).await;
    assert_eq!(error_code(&empty), "invalid_request");
    assert!(world.plans.stored("billing").is_none());
}

#[tokio::test]
async fn starting_an_execution_sends_its_request_to_the_start_queue() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    let response = world
        .call(
            "POST",
            "/executions",
            Some(r#"{"plan": "billing", "mode": "drill"}"#),
        )
        .await;
    assert_eq!(response.status, 202, "{:?}", response.body);
    let id = "exec-api-JKJaXmPLvHcESHA_3d";
    assert_eq!(
        body(&response),
        &json!({"execution_id": id, "plan": "billing", "mode": "drill", "status": "REQUESTED"})
    );
    assert_eq!(
        world.sent(),
        [(
            QueueName::Start,
            Message::StartExecution {
                execution_id: Some(id.into()),
                plan: PlanSource::Stored {
                    plan_name: "billing".into()
                },
                mode: Mode::Drill,
                confirm: None,
                requested_by: CALLER.into(),
            }
        )]
    );

    // Another request ID, another execution.
    let mut second = request(
        "POST",
        "/executions",
        Some(r#"{"plan":"billing","mode":"drill"}"#),
    );
    second.request_id = "JKJaXmPLvHcESHB=".to_owned();
    let second = world.call_with(second).await;
    assert_ne!(body(&second)["execution_id"], id);
}

#[tokio::test]
async fn a_recovery_needs_its_confirmation_and_nothing_is_sent_without_it() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for body_text in [
        r#"{"plan": "billing", "mode": "recovery"}"#,
        r#"{"plan": "billing", "mode": "recovery", "confirm": "recovery"}"#,
    ] {
        let response = world.call("POST", "/executions", Some(body_text)).await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "confirmation_required"),
            "{body_text}"
        );
    }
    assert!(world.sent().is_empty());
    let confirmed = world
        .call(
            "POST",
            "/executions",
            Some(r#"{"plan": "billing", "mode": "recovery", "confirm": "RECOVERY"}"#),
        )
        .await;
    assert_eq!(confirmed.status, 202);
    assert!(matches!(
        &world.sent()[..],
        [(QueueName::Start, Message::StartExecution { mode: Mode::Recovery, confirm: Some(c), .. })]
            if c == "RECOVERY"
    ));
}

#[tokio::test]
async fn bad_start_requests_say_what_is_wrong() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for (text, code, says) in [
        (r#"{"plan": "nope", "mode": "drill"}"#, "not_found", "nope"),
        (r#"{"plan": "billing"}"#, "invalid_request", "`mode`"),
        (r#"{"mode": "drill"}"#, "invalid_request", "`plan`"),
        (
            r#"{"plan": "billing", "mode": "party"}"#,
            "invalid_request",
            "party",
        ),
        (
            r#"{"plan": "billing", "mode": "drill", "modee": 1}"#,
            "invalid_request",
            "modee",
        ),
        (
            r#"{"plan": "billing", "mode": "drill", "execution_id": "a/b"}"#,
            "invalid_request",
            "execution_id",
        ),
        ("not json", "invalid_request", "JSON"),
        ("", "invalid_request", "empty"),
    ] {
        let response = world.call("POST", "/executions", Some(text)).await;
        assert_eq!(error_code(&response), code, "{text}: {:?}", response.body);
        let message = body(&response)["message"].as_str().unwrap();
        assert!(message.contains(says), "{text}: {message}");
    }
    assert!(world.sent().is_empty());
}

#[tokio::test]
async fn a_caller_chosen_execution_id_makes_retries_idempotent() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    let start = r#"{"plan": "billing", "mode": "drill", "execution_id": "exec-nightly-1"}"#;
    let first = world.call("POST", "/executions", Some(start)).await;
    assert_eq!(body(&first)["execution_id"], "exec-nightly-1");
    assert_eq!(world.sent().len(), 1);
    world
        .execution("exec-nightly-1", "2025-09-30T09:00:00Z")
        .await;
    let retry = world.call("POST", "/executions", Some(start)).await;
    assert_eq!(
        (retry.status, &body(&retry)["status"]),
        (202, &json!("RUNNING"))
    );
    assert_eq!(world.sent().len(), 1, "a retry sends nothing more");
    let reused = start.replace("\"drill\"", "\"recovery\", \"confirm\": \"RECOVERY\"");
    let conflict = world.call("POST", "/executions", Some(&reused)).await;
    assert_eq!((conflict.status, error_code(&conflict)), (409, "conflict"));
}

#[tokio::test]
async fn an_execution_is_shown_per_wave_and_per_server() {
    let world = World::new();
    let state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let response = world.call("GET", "/executions/exec-1", None).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let detail = body(&response);
    assert_eq!(detail["execution_id"], "exec-1");
    assert_eq!(detail["plan"], "billing");
    assert_eq!(detail["mode"], "drill");
    assert_eq!(detail["status"], json!(state.status));
    assert_eq!(detail["started_at"], "2025-09-30T09:00:00Z");
    assert_eq!(detail["finished_at"], Value::Null);
    let waves = detail["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 2);
    assert_eq!(waves[0]["name"], "database");
    assert_eq!(waves[0]["status"], "RUNNING");
    assert_eq!(waves[1]["status"], "PENDING");
    assert!(waves[0]["servers"].is_array() && waves[0]["jobs"].is_array());

    let missing = world.call("GET", "/executions/exec-2", None).await;
    assert_eq!((missing.status, error_code(&missing)), (404, "not_found"));
}

#[tokio::test]
async fn a_plans_executions_are_listed_newest_first() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    world.execution("exec-old", "2025-09-29T09:00:00Z").await;
    world.execution("exec-new", "2025-09-30T09:00:00Z").await;
    let response = world.call("GET", "/plans/billing/executions", None).await;
    assert_eq!(response.status, 200);
    let ids: Vec<&str> = body(&response)["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["exec-new", "exec-old"]);
    assert_eq!(
        body(&response)["executions"][0]["started_at"],
        "2025-09-30T09:00:00Z"
    );

    let mut limited = request("GET", "/plans/billing/executions", None);
    limited.query = vec![("limit".into(), "1".into())];
    let limited = world.call_with(limited).await;
    assert_eq!(body(&limited)["executions"].as_array().unwrap().len(), 1);
    assert_eq!(body(&limited)["executions"][0]["execution_id"], "exec-new");
    // The listing says when it left older executions out.
    assert_eq!(body(&limited)["more"], true);
    assert_eq!(body(&response)["more"], false);
    let mut exact = request("GET", "/plans/billing/executions", None);
    exact.query = vec![("limit".into(), "2".into())];
    let exact = world.call_with(exact).await;
    assert_eq!(body(&exact)["executions"].as_array().unwrap().len(), 2);
    assert_eq!(body(&exact)["more"], false);
    let mut bad = request("GET", "/plans/billing/executions", None);
    bad.query = vec![("limit".into(), "0".into())];
    assert_eq!(error_code(&world.call_with(bad).await), "invalid_request");

    // Executions outlive their plan; a name with neither is unknown.
    world.plans.remove("billing");
    let kept = world.call("GET", "/plans/billing/executions", None).await;
    assert_eq!(body(&kept)["executions"].as_array().unwrap().len(), 2);
    let unknown = world.call("GET", "/plans/shop/executions", None).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn cancel_sends_the_cancel_unless_the_execution_is_over() {
    let world = World::new();
    world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let response = world
        .call(
            "POST",
            "/executions/exec-1/cancel",
            Some(r#"{"reason": "wrong plan"}"#),
        )
        .await;
    assert_eq!(response.status, 202, "{:?}", response.body);
    assert_eq!(
        body(&response),
        &json!({"execution_id": "exec-1", "status": "CANCEL_REQUESTED"})
    );
    assert_eq!(
        world.sent(),
        [(
            QueueName::Advance,
            Message::Cancel {
                execution_id: "exec-1".into(),
                by: CALLER.into(),
                reason: "wrong plan".into()
            }
        )]
    );
    // No body: a default reason.
    let bare = world.call("POST", "/executions/exec-1/cancel", None).await;
    assert_eq!(bare.status, 202);
    assert!(
        matches!(&world.sent()[1].1, Message::Cancel { reason, .. } if reason == executions::DEFAULT_CANCEL_REASON)
    );

    let mut finished = world.executions.get(&"exec-1".into()).unwrap();
    finished.status = ExecutionStatus::Completed;
    world.executions.remove(&"exec-1".into());
    world.executions.create(&finished).await.unwrap();
    let late = world.call("POST", "/executions/exec-1/cancel", None).await;
    assert_eq!((late.status, error_code(&late)), (409, "conflict"));
    assert!(
        body(&late)["message"]
            .as_str()
            .unwrap()
            .contains("COMPLETED")
    );
    let unknown = world.call("POST", "/executions/exec-9/cancel", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(world.sent().len(), 2);
}

#[tokio::test]
async fn approve_is_taken_only_for_a_wave_awaiting_approval() {
    let world = World::new();
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let early = world
        .call("POST", "/executions/exec-1/waves/1/approve", None)
        .await;
    assert_eq!((early.status, error_code(&early)), (409, "conflict"));
    assert!(
        body(&early)["message"]
            .as_str()
            .unwrap()
            .contains("PENDING")
    );
    let running = world
        .call("POST", "/executions/exec-1/waves/0/approve", None)
        .await;
    assert!(
        body(&running)["message"]
            .as_str()
            .unwrap()
            .contains("RUNNING")
    );

    // Wave 1 reached and paused.
    state.waves[1].phase = engine::WavePhase::AwaitingApproval;
    state.status = ExecutionStatus::AwaitingApproval;
    world.executions.remove(&"exec-1".into());
    world.executions.create(&state).await.unwrap();
    let approved = world
        .call("POST", "/executions/exec-1/waves/1/approve", None)
        .await;
    assert_eq!(approved.status, 202, "{:?}", approved.body);
    assert_eq!(body(&approved)["wave"], 1);
    assert_eq!(
        world.sent(),
        [(
            QueueName::Advance,
            Message::Approve {
                execution_id: "exec-1".into(),
                wave: 1,
                by: CALLER.into()
            }
        )]
    );
    let beyond = world
        .call("POST", "/executions/exec-1/waves/2/approve", None)
        .await;
    assert_eq!((beyond.status, error_code(&beyond)), (404, "not_found"));
    let bad = world
        .call("POST", "/executions/exec-1/waves/one/approve", None)
        .await;
    assert_eq!((bad.status, error_code(&bad)), (400, "invalid_request"));
}

#[tokio::test]
async fn a_failing_store_or_queue_is_a_500_that_says_what_failed() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    world
        .plans
        .faults
        .fail_next(PortError::Transient("throttled".into()));
    let listed = world.call("GET", "/plans", None).await;
    assert_eq!((listed.status, error_code(&listed)), (500, "internal"));
    let message = body(&listed)["message"].as_str().unwrap();
    assert!(
        message.contains("listing the plans: throttled"),
        "{message}"
    );
    assert!(message.contains("retry"), "{message}");

    world
        .queues
        .faults
        .fail_next(PortError::Permanent("AccessDenied".into()));
    let start = world
        .call(
            "POST",
            "/executions",
            Some(r#"{"plan":"billing","mode":"drill"}"#),
        )
        .await;
    assert_eq!(start.status, 500);
    assert!(
        body(&start)["message"]
            .as_str()
            .unwrap()
            .contains("AccessDenied")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_and_405() {
    let world = World::new();
    let unknown = world.call("GET", "/nothing", None).await;
    assert_eq!((unknown.status, error_code(&unknown)), (404, "not_found"));
    let wrong = world.call("POST", "/plans", None).await;
    assert_eq!(
        (wrong.status, error_code(&wrong)),
        (405, "method_not_allowed")
    );
    assert!(body(&wrong)["message"].as_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn the_put_records_when_and_by_whom_through_the_port() {
    // The fake keeps what the port was given: the router passes the caller and its time.
    let world = World::new();
    let response = world.call("PUT", "/plans/billing", Some(BILLING)).await;
    assert_eq!(response.status, 201);
    let stored: StoredPlan = world.plans.stored("billing").unwrap();
    assert_eq!(
        (stored.updated_at, stored.updated_by.as_str()),
        (now(), CALLER)
    );
}

#[tokio::test]
async fn a_retry_of_a_taken_start_request_is_answered_even_once_its_plan_is_deleted() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    let start = r#"{"plan": "billing", "mode": "drill", "execution_id": "exec-nightly-2"}"#;
    let first = world.call("POST", "/executions", Some(start)).await;
    assert_eq!(first.status, 202, "{:?}", first.body);
    world
        .execution("exec-nightly-2", "2025-09-30T09:00:00Z")
        .await;
    let deleted = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!(deleted.status, 204);
    let retry = world.call("POST", "/executions", Some(start)).await;
    assert_eq!(
        (retry.status, &body(&retry)["status"]),
        (202, &json!("RUNNING")),
        "{:?}",
        retry.body
    );
    assert_eq!(world.sent().len(), 1, "a retry sends nothing more");
    // A new request for the deleted plan is still a 404.
    let fresh = start.replace("exec-nightly-2", "exec-nightly-3");
    let missing = world.call("POST", "/executions", Some(&fresh)).await;
    assert_eq!((missing.status, error_code(&missing)), (404, "not_found"));
}

#[tokio::test]
async fn ids_a_url_cannot_reach_and_signed_wave_indexes_are_refused() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for id in [".", "..", "-x", "_x"] {
        let text = format!(r#"{{"plan": "billing", "mode": "drill", "execution_id": "{id}"}}"#);
        let response = world.call("POST", "/executions", Some(&text)).await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "invalid_request"),
            "{id}"
        );
        assert!(
            body(&response)["message"]
                .as_str()
                .unwrap()
                .contains("starting with a letter or digit"),
            "{:?}",
            response.body
        );
    }
    assert!(world.sent().is_empty());
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    state.waves[1].phase = engine::WavePhase::AwaitingApproval;
    state.status = ExecutionStatus::AwaitingApproval;
    world.executions.remove(&"exec-1".into());
    world.executions.create(&state).await.unwrap();
    for index in ["+1", "%2B1", " 1"] {
        let path = format!("/executions/exec-1/waves/{index}/approve");
        let response = world.call("POST", &path, None).await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "invalid_request"),
            "{index}"
        );
    }
    assert!(world.sent().is_empty());
    let approved = world
        .call("POST", "/executions/exec-1/waves/1/approve", None)
        .await;
    assert_eq!(approved.status, 202, "{:?}", approved.body);
}

#[tokio::test]
async fn a_plan_too_big_for_one_item_is_refused_before_it_is_stored() {
    let world = World::new();
    let servers = |count: usize| {
        (1..=count)
            .map(|i| format!("s-{i:017x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plan = |count: usize| {
        format!(
            "name: huge\nprotection_groups:\n  all: {{ servers: [{}] }}\nwaves:\n  - {{ name: all, groups: [all] }}\n",
            servers(count)
        )
    };
    let big = world.call("PUT", "/plans/huge", Some(&plan(20_000))).await;
    assert_eq!(
        (big.status, error_code(&big)),
        (400, "invalid_request"),
        "{:?}",
        big.body
    );
    let message = body(&big)["message"].as_str().unwrap();
    assert!(
        message.contains("plan `huge` is") && message.contains("400 KB"),
        "{message}"
    );
    assert_eq!(world.call("GET", "/plans/huge", None).await.status, 404);
    // A large plan that fits is stored.
    let fits = world.call("PUT", "/plans/huge", Some(&plan(3_000))).await;
    assert_eq!(fits.status, 201, "{:?}", fits.body);
}
