//! Failures, unknown routes and unreachable ids.

use super::*;

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
    let start = world.call("POST", "/plans/billing/drills", None).await;
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
async fn ids_a_url_cannot_reach_and_signed_wave_indexes_are_refused() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    for id in [".", "..", "-x", "_x"] {
        let text = format!(r#"{{"execution_id": "{id}"}}"#);
        let response = world
            .call("POST", "/plans/billing/drills", Some(&text))
            .await;
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
    world.paused(&mut state).await;
    for index in ["+1", "%2B1", " 1"] {
        let path = format!("/plans/billing/executions/exec-1/waves/{index}/approve");
        let response = world.call("POST", &path, None).await;
        assert_eq!(
            (response.status, error_code(&response)),
            (400, "invalid_request"),
            "{index}"
        );
    }
    assert!(world.sent().is_empty());
    let approved = world
        .call(
            "POST",
            "/plans/billing/executions/exec-1/waves/1/approve",
            None,
        )
        .await;
    assert_eq!(approved.status, 202, "{:?}", approved.body);
}
