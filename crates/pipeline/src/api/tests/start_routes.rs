//! Starting an execution: drills and recoveries on their own routes, what is sent,
//! confirmations, idempotent retries.

use super::*;

#[tokio::test]
async fn starting_an_execution_sends_its_request_to_the_start_queue() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    // No body: a drill needs none.
    let response = world.call("POST", "/plans/billing/drills", None).await;
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
    let mut second = request("POST", "/plans/billing/drills", Some("{}"));
    second.request_id = "JKJaXmPLvHcESHB=".to_owned();
    let second = world.call_with(second).await;
    assert_ne!(body(&second)["execution_id"], id);
}

#[tokio::test]
async fn a_recovery_needs_its_confirmation_and_nothing_is_sent_without_it() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for body_text in [None, Some("{}"), Some(r#"{"confirm": "recovery"}"#)] {
        let response = world
            .call("POST", "/plans/billing/recoveries", body_text)
            .await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "confirmation_required"),
            "{body_text:?}"
        );
        let message = body(&response)["message"].as_str().unwrap();
        assert!(message.contains(r#"{"confirm": "RECOVERY"}"#), "{message}");
    }
    assert!(world.sent().is_empty());
    let confirmed = world
        .call(
            "POST",
            "/plans/billing/recoveries",
            Some(r#"{"confirm": "RECOVERY"}"#),
        )
        .await;
    assert_eq!(confirmed.status, 202);
    assert_eq!(body(&confirmed)["mode"], "recovery");
    assert!(matches!(
        &world.sent()[..],
        [(QueueName::Start, Message::StartExecution { mode: Mode::Recovery, confirm: Some(c), requested_by, .. })]
            if c == "RECOVERY" && requested_by == CALLER
    ));
}

#[tokio::test]
async fn the_mode_is_the_routes_and_a_body_cannot_change_it() {
    // IAM allows `…/drills` apart from `…/recoveries`: nothing in a drill's body may make it
    // a recovery (or another plan's drill).
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    world
        .plans
        .put(plan::parse(&BILLING.replace("name: billing", "name: payroll")).unwrap());
    for text in [
        r#"{"mode": "recovery", "confirm": "RECOVERY"}"#,
        r#"{"confirm": "RECOVERY"}"#,
        r#"{"plan": "payroll"}"#,
        r#"{"requested_by": "arn:aws:iam::111122223333:user/bob"}"#,
    ] {
        let response = world
            .call("POST", "/plans/billing/drills", Some(text))
            .await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "invalid_request"),
            "{text}"
        );
    }
    let recovery = world
        .call(
            "POST",
            "/plans/billing/recoveries",
            Some(r#"{"confirm": "RECOVERY", "requested_by": "someone else"}"#),
        )
        .await;
    assert_eq!(error_code(&recovery), "invalid_request");
    assert!(world.sent().is_empty());
}

#[tokio::test]
async fn bad_start_requests_say_what_is_wrong() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for (path, text, code, says) in [
        ("/plans/nope/drills", "{}", "not_found", "nope"),
        (
            "/plans/billing/drills",
            r#"{"execution_idd": "x"}"#,
            "invalid_request",
            "execution_idd",
        ),
        (
            "/plans/billing/drills",
            r#"{"execution_id": "a/b"}"#,
            "invalid_request",
            "execution_id",
        ),
        (
            "/plans/billing/drills",
            "not json",
            "invalid_request",
            "JSON",
        ),
        (
            "/plans/billing/recoveries",
            "not json",
            "invalid_request",
            "JSON",
        ),
    ] {
        let response = world.call("POST", path, Some(text)).await;
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
    let start = r#"{"execution_id": "exec-nightly-1"}"#;
    let first = world
        .call("POST", "/plans/billing/drills", Some(start))
        .await;
    assert_eq!(body(&first)["execution_id"], "exec-nightly-1");
    assert_eq!(world.sent().len(), 1);
    world
        .execution("exec-nightly-1", "2025-09-30T09:00:00Z")
        .await;
    let retry = world
        .call("POST", "/plans/billing/drills", Some(start))
        .await;
    assert_eq!(
        (retry.status, &body(&retry)["status"]),
        (202, &json!("RUNNING"))
    );
    assert_eq!(world.sent().len(), 1, "a retry sends nothing more");
    let reused = r#"{"execution_id": "exec-nightly-1", "confirm": "RECOVERY"}"#;
    let conflict = world
        .call("POST", "/plans/billing/recoveries", Some(reused))
        .await;
    assert_eq!((conflict.status, error_code(&conflict)), (409, "conflict"));
    assert!(
        body(&conflict)["message"]
            .as_str()
            .unwrap()
            .contains("a drill of this plan")
    );
    // Under another plan's path, the taken ID is refused without naming its plan.
    world
        .plans
        .put(plan::parse(&BILLING.replace("name: billing", "name: payroll")).unwrap());
    let elsewhere = world
        .call("POST", "/plans/payroll/drills", Some(start))
        .await;
    assert_eq!(
        (elsewhere.status, error_code(&elsewhere)),
        (409, "conflict")
    );
    let message = body(&elsewhere)["message"].as_str().unwrap();
    assert!(
        message.contains("another plan") && !message.contains("billing"),
        "{message}"
    );
    assert_eq!(world.sent().len(), 1);
}

#[tokio::test]
async fn a_retry_of_a_taken_start_request_is_answered_even_once_its_plan_is_deleted() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    let start = r#"{"execution_id": "exec-nightly-2"}"#;
    let first = world
        .call("POST", "/plans/billing/drills", Some(start))
        .await;
    assert_eq!(first.status, 202, "{:?}", first.body);
    world
        .execution("exec-nightly-2", "2025-09-30T09:00:00Z")
        .await;
    let deleted = world.call("DELETE", "/plans/billing", None).await;
    assert_eq!(deleted.status, 204);
    let retry = world
        .call("POST", "/plans/billing/drills", Some(start))
        .await;
    assert_eq!(
        (retry.status, &body(&retry)["status"]),
        (202, &json!("RUNNING")),
        "{:?}",
        retry.body
    );
    assert_eq!(world.sent().len(), 1, "a retry sends nothing more");
    // A new request for the deleted plan is still a 404.
    let fresh = start.replace("exec-nightly-2", "exec-nightly-3");
    let missing = world
        .call("POST", "/plans/billing/drills", Some(&fresh))
        .await;
    assert_eq!((missing.status, error_code(&missing)), (404, "not_found"));
}

#[tokio::test]
async fn a_second_live_execution_of_a_plan_is_refused_with_the_live_one_named() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    let request = ExecutionRequest {
        execution_id: "exec-live".into(),
        plan: plan::parse(BILLING).unwrap(),
        mode: Mode::Drill,
        limits: Limits::default(),
        requested_by: "alice".into(),
    };
    let live = started_as_listed(request, "2025-09-30T09:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(
        world.executions.create(&live).await.unwrap(),
        crate::ports::Created::New
    );
    let refused = world.call("POST", "/plans/billing/drills", None).await;
    assert_eq!((refused.status, error_code(&refused)), (409, "conflict"));
    let message = body(&refused)["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("exec-live") && message.contains("allow_concurrent_executions"),
        "{message}"
    );
    assert!(
        world.sent().is_empty(),
        "nothing is sent for a refused start"
    );

    // Once the live execution is over, its hold no longer blocks (even if its release was
    // lost): the start is sent, and the starter takes the stale hold over.
    let mut finished = live;
    finished.status = engine::ExecutionStatus::Cancelled;
    world.executions.remove(&"exec-live".into());
    world.executions.create(&finished).await.unwrap();
    let accepted = world.call("POST", "/plans/billing/drills", None).await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
}
