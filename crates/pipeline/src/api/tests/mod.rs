//! The router against the in-memory fakes: every route, its errors, and what it sends.

use std::sync::Arc;

use engine::{ExecutionRequest, ExecutionStatus, Limits, Mode};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::message::{Message, PlanSource, QueueName};
use crate::ports::{PortError, StoredPlan};
use crate::testing::{FakeClock, FakeExecutionStore, FakePlanStore, FakeQueues, started_as_listed};

mod authorization_routes;
mod execution_routes;
mod failure_routes;
mod hostile_plans;
mod plan_routes;
mod start_routes;

const CALLER: &str = "arn:aws:iam::111122223333:user/alice";
/// Who requested the executions of [`World::execution`]: not [`CALLER`].
const REQUESTER: &str = "arn:aws:sts::111122223333:assumed-role/DrOperator/bob";

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
    /// resolved, its first wave launching; requested by [`REQUESTER`].
    async fn execution(&self, id: &str, at: &str) -> engine::Execution {
        self.execution_of(BILLING, id, at).await
    }

    /// [`Self::execution`] of the plan `plan_text`.
    async fn execution_of(&self, plan_text: &str, id: &str, at: &str) -> engine::Execution {
        let mut plan = plan::parse(plan_text).unwrap();
        // The fixtures keep several live executions of `billing` side by side.
        plan.allow_concurrent_executions = true;
        let request = ExecutionRequest {
            execution_id: id.into(),
            plan,
            mode: Mode::Drill,
            limits: Limits::default(),
            requested_by: REQUESTER.into(),
        };
        let state = started_as_listed(request, at.parse().unwrap()).unwrap();
        assert_eq!(
            self.executions.create(&state).await.unwrap(),
            crate::ports::Created::New
        );
        state
    }

    /// Moves `state` on to its wave 1 awaiting approval (wave 0 succeeded), and stores it.
    async fn paused(&self, state: &mut engine::Execution) {
        state.waves[0].phase = engine::WavePhase::Ended {
            outcome: engine::WaveOutcome::Succeeded,
        };
        state.current_wave = 1;
        state.waves[1].phase = engine::WavePhase::AwaitingApproval;
        state.status = ExecutionStatus::AwaitingApproval;
        self.executions.remove(&state.id);
        self.executions.create(state).await.unwrap();
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
