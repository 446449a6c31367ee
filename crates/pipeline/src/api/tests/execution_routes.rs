//! Executions: shown, listed, cancelled, approved, rejected.

use super::*;

#[tokio::test]
async fn an_execution_is_shown_per_wave_and_per_server() {
    let world = World::new();
    let state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let response = world
        .call("GET", "/plans/billing/executions/exec-1", None)
        .await;
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

    let missing = world
        .call("GET", "/plans/billing/executions/exec-2", None)
        .await;
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
            "/plans/billing/executions/exec-1/cancel",
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
    let bare = world
        .call("POST", "/plans/billing/executions/exec-1/cancel", None)
        .await;
    assert_eq!(bare.status, 202);
    assert!(
        matches!(&world.sent()[1].1, Message::Cancel { reason, .. } if reason == executions::DEFAULT_CANCEL_REASON)
    );

    let mut finished = world.executions.get(&"exec-1".into()).unwrap();
    finished.status = ExecutionStatus::Completed;
    world.executions.remove(&"exec-1".into());
    world.executions.create(&finished).await.unwrap();
    let late = world
        .call("POST", "/plans/billing/executions/exec-1/cancel", None)
        .await;
    assert_eq!((late.status, error_code(&late)), (409, "conflict"));
    assert!(
        body(&late)["message"]
            .as_str()
            .unwrap()
            .contains("COMPLETED")
    );
    let unknown = world
        .call("POST", "/plans/billing/executions/exec-9/cancel", None)
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(world.sent().len(), 2);
}

#[tokio::test]
async fn approve_is_taken_only_for_a_wave_awaiting_approval() {
    let world = World::new();
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let early = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/approve",
            None,
        )
        .await;
    assert_eq!((early.status, error_code(&early)), (409, "conflict"));
    assert!(
        body(&early)["message"]
            .as_str()
            .unwrap()
            .contains("PENDING")
    );
    let running = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/0/approve",
            None,
        )
        .await;
    assert!(
        body(&running)["message"]
            .as_str()
            .unwrap()
            .contains("RUNNING")
    );

    // Wave 1 reached and paused.
    world.paused(&mut state).await;
    let approved = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/approve",
            None,
        )
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
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/2/approve",
            None,
        )
        .await;
    assert_eq!((beyond.status, error_code(&beyond)), (404, "not_found"));
    let bad = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/one/approve",
            None,
        )
        .await;
    assert_eq!((bad.status, error_code(&bad)), (400, "invalid_request"));
}

#[tokio::test]
async fn reject_cancels_the_execution_as_the_rejection_of_that_waves_approval() {
    let world = World::new();
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    let early = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/reject",
            None,
        )
        .await;
    assert_eq!((early.status, error_code(&early)), (409, "conflict"));
    world.paused(&mut state).await;
    let rejected = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/reject",
            Some(r#"{"reason": "the database looks wrong"}"#),
        )
        .await;
    assert_eq!(rejected.status, 202, "{:?}", rejected.body);
    assert_eq!(
        body(&rejected),
        &json!({"execution_id": "exec-1", "wave": 1, "status": "CANCEL_REQUESTED"})
    );
    let bare = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/reject",
            None,
        )
        .await;
    assert_eq!(bare.status, 202);
    assert_eq!(
        world.sent(),
        [
            (
                QueueName::Advance,
                Message::Cancel {
                    execution_id: "exec-1".into(),
                    by: CALLER.into(),
                    reason: "approval of wave 1 (`app`) rejected: the database looks wrong".into()
                }
            ),
            (
                QueueName::Advance,
                Message::Cancel {
                    execution_id: "exec-1".into(),
                    by: CALLER.into(),
                    reason: "approval of wave 1 (`app`) rejected".into()
                }
            )
        ]
    );
    let beyond = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/7/reject",
            None,
        )
        .await;
    assert_eq!((beyond.status, error_code(&beyond)), (404, "not_found"));
    let unknown_field = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/reject",
            Some(r#"{"by": "someone else"}"#),
        )
        .await;
    assert_eq!(error_code(&unknown_field), "invalid_request");
    assert_eq!(world.sent().len(), 2);
}
