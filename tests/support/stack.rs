//! Starting a case's [`LocalStack`] on the shared moto and running a drill to its end.

use std::time::Duration;

use engine::{Execution, ExecutionId};
use local_stack::{LocalOptions, LocalStack, WatchOptions};
use plan::Plan;

use crate::limits::finished;
use crate::moto::shared_moto_endpoint;

/// Starts a stack with `options` on the shared moto (its own resource prefix, drs-sim,
/// pollers).
pub async fn start_stack(what: &str, options: LocalOptions) -> LocalStack {
    let endpoint = shared_moto_endpoint().await;
    LocalStack::start(options.with_moto_endpoint(endpoint))
        .await
        .unwrap_or_else(|e| panic!("{what}: the local stack did not start: {e}"))
}

/// Starts a drill of `plan`; its execution ID.
pub async fn start_drill(what: &str, stack: &LocalStack, plan: &Plan) -> ExecutionId {
    stack
        .start_drill(plan)
        .await
        .unwrap_or_else(|e| panic!("{what}: cannot start a drill of {}: {e}", plan.name))
}

/// Watches execution `id` until it ends; panics when it has not after `limit` of real time.
pub async fn wait_for_end(
    what: &str,
    stack: &LocalStack,
    id: &ExecutionId,
    limit: Duration,
) -> Execution {
    let options = WatchOptions {
        limit,
        poll_interval: Duration::from_millis(100),
    };
    let ending = stack
        .watch(id, options, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{what}: watching {id} failed: {e}"));
    finished(what, ending)
}

/// Starts a drill of `plan` and waits for its end.
pub async fn run_drill(what: &str, stack: &LocalStack, plan: &Plan, limit: Duration) -> Execution {
    let id = start_drill(what, stack, plan).await;
    wait_for_end(what, stack, &id, limit).await
}
