//! What IAM cannot say alone, the router enforces: the plan in the path is the plan acted
//! on, the requester does not approve their own execution, and every identity recorded is
//! the caller's.

use crate::testing::FakeCloud;

use super::*;

const PAYROLL: &str = "\
name: payroll
protection_groups:
  db: { servers: [s-00000000000000003] }
waves:
  - { name: database, groups: [db] }
";

/// `request` as `caller`.
fn as_caller(caller: &str, method: &str, path: &str, body: Option<&str>) -> ApiRequest {
    ApiRequest {
        caller: caller.to_owned(),
        ..request(method, path, body)
    }
}

#[tokio::test]
async fn an_execution_under_another_plans_path_is_not_found_and_left_alone() {
    let world = World::new();
    world.plans.put(plan::parse(BILLING).unwrap());
    world.plans.put(plan::parse(PAYROLL).unwrap());
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    world.paused(&mut state).await;
    // A policy on `/plans/payroll/*` must not reach billing's execution by its ID.
    for (method, suffix) in [
        ("GET", ""),
        ("POST", "/cancel"),
        ("POST", "/waves/1/approve"),
        ("POST", "/waves/1/reject"),
    ] {
        let elsewhere = world
            .call(
                method,
                &format!("/plans/payroll/executions/exec-1{suffix}"),
                None,
            )
            .await;
        let nowhere = world
            .call(
                method,
                &format!("/plans/payroll/executions/exec-9{suffix}"),
                None,
            )
            .await;
        assert_eq!(
            (elsewhere.status, error_code(&elsewhere)),
            (404, "not_found"),
            "{method} {suffix}"
        );
        // The same answer as for an ID that does not exist: nothing says billing has one.
        let said = body(&elsewhere)["message"].as_str().unwrap();
        assert_eq!(said.replace("exec-1", "exec-9"), body(&nowhere)["message"]);
        assert!(!said.contains("billing"), "{said}");
        let home = world
            .call(
                method,
                &format!("/plans/billing/executions/exec-1{suffix}"),
                None,
            )
            .await;
        assert_ne!(home.status, 404, "{method} {suffix}: {:?}", home.body);
    }
    // Only the three calls under billing's own path sent anything.
    let sent = world.sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(
        sent.iter().all(|(_, m)| matches!(
            m,
            Message::Cancel { execution_id, .. } | Message::Approve { execution_id, .. }
                if execution_id.as_str() == "exec-1"
        )),
        "{sent:?}"
    );
}

#[tokio::test]
async fn the_requester_of_an_execution_cannot_approve_it() {
    let world = World::new();
    let mut state = world.execution("exec-1", "2025-09-30T09:00:00Z").await;
    world.paused(&mut state).await;
    let path = "/plans/billing/executions/exec-1/waves/1/approve";

    let own = world
        .call_with(as_caller(REQUESTER, "POST", path, None))
        .await;
    assert_eq!((own.status, error_code(&own)), (403, "forbidden"));
    let message = body(&own)["message"].as_str().unwrap();
    assert!(
        message.contains(REQUESTER) && message.contains("allow_self_approval"),
        "{message}"
    );
    assert!(world.sent().is_empty(), "a refused approval sends nothing");
    // Nor can a body speak for someone else: an approval reads none.
    let disguised = world
        .call_with(as_caller(
            REQUESTER,
            "POST",
            path,
            Some(r#"{"by": "arn:aws:iam::111122223333:user/carol"}"#),
        ))
        .await;
    assert_eq!(
        (disguised.status, error_code(&disguised)),
        (400, "invalid_request"),
        "{:?}",
        disguised.body
    );
    assert!(world.sent().is_empty());

    // Rejecting is a cancel, which the requester may do.
    let rejected = world
        .call_with(as_caller(
            REQUESTER,
            "POST",
            "/plans/billing/executions/exec-1/waves/1/reject",
            None,
        ))
        .await;
    assert_eq!(rejected.status, 202, "{:?}", rejected.body);

    // Someone else approves.
    let second = world.call("POST", path, None).await;
    assert_eq!(second.status, 202, "{:?}", second.body);
    assert!(matches!(
        world.sent().last(),
        Some((QueueName::Advance, Message::Approve { by, .. })) if by == CALLER
    ));
}

#[tokio::test]
async fn a_plan_may_let_the_requester_approve() {
    let world = World::new();
    let text = format!("allow_self_approval: true\n{BILLING}");
    let mut state = world
        .execution_of(&text, "exec-1", "2025-09-30T09:00:00Z")
        .await;
    world.paused(&mut state).await;
    let own = world
        .call_with(as_caller(
            REQUESTER,
            "POST",
            "/plans/billing/executions/exec-1/waves/1/approve",
            None,
        ))
        .await;
    assert_eq!(own.status, 202, "{:?}", own.body);
}

/// Runs the pipeline until execution `id` is `status`.
async fn run_until_status(cloud: &FakeCloud, id: &str, status: ExecutionStatus) {
    cloud
        .run_until(500, |c| c.execution(id).is_some_and(|e| e.status == status))
        .await
        .unwrap();
    let execution = cloud.execution(id).unwrap();
    assert_eq!(execution.status, status, "{execution:?}");
}

#[tokio::test]
async fn identities_in_the_stored_execution_are_the_iam_callers() {
    const ALICE: &str = "arn:aws:sts::111122223333:assumed-role/DrOperator/alice";
    const CAROL: &str = "arn:aws:sts::111122223333:assumed-role/DrApprover/carol";
    const DAN: &str = "arn:aws:iam::111122223333:user/dan";
    let plan = plan::parse(
        "\
name: billing
protection_groups:
  db: { servers: [s-00000000000000001] }
  app: { servers: [s-00000000000000002] }
  web: { servers: [s-00000000000000003] }
waves:
  - { name: database, groups: [db] }
  - { name: app, groups: [app], pause_before: true }
  - { name: web, groups: [web], pause_before: true }
",
    )
    .unwrap();
    let cloud = FakeCloud::default();
    cloud.plans.put(plan.clone());
    cloud.add_plan_servers(&plan);
    let deps = ApiDeps {
        plans: &*cloud.plans,
        executions: &*cloud.executions,
        queues: &*cloud.queues,
    };
    let call = |caller: &str, path: &str, body: Option<&str>| {
        let request = as_caller(caller, "POST", path, body);
        handle(&deps, request, now())
    };

    // Alice starts a drill; the starter records her as its requester.
    let started = call(
        ALICE,
        "/plans/billing/drills",
        Some(r#"{"execution_id": "exec-1"}"#),
    )
    .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    run_until_status(&cloud, "exec-1", ExecutionStatus::AwaitingApproval).await;
    assert_eq!(cloud.execution("exec-1").unwrap().requested_by, ALICE);

    // She cannot approve her own drill; Carol does, and the advancer records Carol.
    let approve = "/plans/billing/executions/exec-1/waves/1/approve";
    let own = call(ALICE, approve, None).await;
    assert_eq!(own.status, 403, "{:?}", own.body);
    let approved = call(CAROL, approve, None).await;
    assert_eq!(approved.status, 202, "{:?}", approved.body);
    cloud
        .run_until(500, |c| {
            c.execution("exec-1").is_some_and(|e| {
                e.current_wave == 2 && e.status == ExecutionStatus::AwaitingApproval
            })
        })
        .await
        .unwrap();
    let report = cloud.execution("exec-1").unwrap().report();
    assert_eq!(report.waves[1].approved_by.as_deref(), Some(CAROL));

    // Dan rejects wave 2's approval: the execution is cancelled by Dan, saying so.
    let rejected = call(
        DAN,
        "/plans/billing/executions/exec-1/waves/2/reject",
        Some(r#"{"reason": "web tier not ready"}"#),
    )
    .await;
    assert_eq!(rejected.status, 202, "{:?}", rejected.body);
    run_until_status(&cloud, "exec-1", ExecutionStatus::Cancelled).await;
    let execution = cloud.execution("exec-1").unwrap();
    let cancellation = execution.report().cancellation.unwrap();
    assert_eq!(cancellation.by, DAN);
    assert_eq!(
        cancellation.reason,
        "approval of wave 2 (`web`) rejected: web tier not ready"
    );
    assert_eq!(execution.requested_by, ALICE);
}
