//! Counting the handlers' calls to DynamoDB and SQS: the execution store, the job ledger, the
//! plan store and the queues of [`pipeline::Deps`] wrapped in counters.
//!
//! What one port call costs in AWS requests (the adapters of `aws-adapters`):
//! `ExecutionStore::create`/`save` and `JobLedger::claim`/`record_job`/`release` are one
//! `TransactWriteItems` each (the ledger retries a transaction that collides with another,
//! which a single-poller run never sees), `ExecutionStore::record_cleanup` one `PutItem`.
//! Not counted here: the `UpdateItem` that sets the TTL of the wave items a final save did
//! not rewrite (at most one per wave, once per execution), and the `GetItem` a save makes
//! when it has no cached digest of the stored waves.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use engine::{DrillCleanup, Execution, ExecutionId, JobId, Limits, StartRequestId};
use pipeline::Deps;
use pipeline::message::{Message, QueueName};
use pipeline::ports::{
    Claim, Created, ExecutionStore, JobLedger, JobOwner, PlanStore, PortResult, Queues, Scope,
    Version,
};
use plan::Plan;

/// A counted call: which service and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    /// A DynamoDB write request (`create`, `save`, `record_cleanup`, `claim`, `record_job`,
    /// `release`).
    DynamoWrite(&'static str),
    /// A DynamoDB read request (`load`, `owner`, plan `get`).
    DynamoRead(&'static str),
    /// An SQS message sent by a handler: queue and message kind (`dead_letter` for a
    /// rejected body), and whether it was delayed.
    SqsSend {
        /// The queue.
        queue: QueueName,
        /// The message's `kind`.
        kind: &'static str,
        /// Sent with a delay.
        delayed: bool,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::DynamoWrite(what) => write!(f, "dynamodb write {what}"),
            Call::DynamoRead(what) => write!(f, "dynamodb read {what}"),
            Call::SqsSend {
                queue,
                kind,
                delayed,
            } => write!(
                f,
                "sqs send {}:{kind}{}",
                queue.as_str(),
                if *delayed { " (delayed)" } else { "" }
            ),
        }
    }
}

/// Shared call counters (cloning shares them).
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<Call, u64>>>,
}

impl CallCounter {
    /// Counts one `call`.
    pub fn count(&self, call: Call) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry(call).or_insert(0) += 1;
    }

    /// The counts so far.
    pub fn snapshot(&self) -> CallCounts {
        CallCounts(
            self.counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

/// A snapshot of a [`CallCounter`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts(pub BTreeMap<Call, u64>);

impl CallCounts {
    /// DynamoDB write requests.
    pub fn dynamo_writes(&self) -> u64 {
        self.sum(|call| matches!(call, Call::DynamoWrite(_)))
    }

    /// DynamoDB read requests.
    pub fn dynamo_reads(&self) -> u64 {
        self.sum(|call| matches!(call, Call::DynamoRead(_)))
    }

    /// SQS messages the handlers sent.
    pub fn sqs_sends(&self) -> u64 {
        self.sum(|call| matches!(call, Call::SqsSend { .. }))
    }

    /// SQS messages of `kind` the handlers sent (to any queue).
    pub fn sqs_sends_of(&self, kind: &str) -> u64 {
        self.sum(|call| matches!(call, Call::SqsSend { kind: k, .. } if *k == kind))
    }

    fn sum(&self, wanted: impl Fn(&Call) -> bool) -> u64 {
        self.0
            .iter()
            .filter(|(call, _)| wanted(call))
            .map(|(_, n)| n)
            .sum()
    }
}

/// `deps` with its execution store, job ledger, plan store and queues counted in `counter`.
pub fn instrument(deps: Deps, counter: &CallCounter) -> Deps {
    Deps {
        executions: Arc::new(CountedExecutions {
            inner: Arc::clone(&deps.executions),
            counter: counter.clone(),
        }),
        ledger: Arc::new(CountedLedger {
            inner: Arc::clone(&deps.ledger),
            counter: counter.clone(),
        }),
        plans: Arc::new(CountedPlans {
            inner: Arc::clone(&deps.plans),
            counter: counter.clone(),
        }),
        queues: Arc::new(CountedQueues {
            inner: Arc::clone(&deps.queues),
            counter: counter.clone(),
        }),
        ..deps
    }
}

struct CountedExecutions {
    inner: Arc<dyn ExecutionStore>,
    counter: CallCounter,
}

#[async_trait]
impl ExecutionStore for CountedExecutions {
    async fn create(&self, execution: &Execution) -> PortResult<Created> {
        self.counter.count(Call::DynamoWrite("execution create"));
        self.inner.create(execution).await
    }

    async fn release_plan(&self, plan_name: &str, holder: &ExecutionId) -> PortResult<()> {
        self.counter.count(Call::DynamoWrite("plan hold release"));
        self.inner.release_plan(plan_name, holder).await
    }

    async fn plan_holder(&self, plan_name: &str) -> PortResult<Option<ExecutionId>> {
        self.counter.count(Call::DynamoRead("plan hold read"));
        self.inner.plan_holder(plan_name).await
    }

    async fn load(&self, id: &ExecutionId) -> PortResult<Option<(Execution, Version)>> {
        self.counter.count(Call::DynamoRead("execution load"));
        self.inner.load(id).await
    }

    async fn save(&self, execution: &Execution, expected: Version) -> PortResult<Option<Version>> {
        self.counter.count(Call::DynamoWrite("execution save"));
        self.inner.save(execution, expected).await
    }

    async fn record_cleanup(&self, id: &ExecutionId, cleanup: &DrillCleanup) -> PortResult<()> {
        self.counter.count(Call::DynamoWrite("execution cleanup"));
        self.inner.record_cleanup(id, cleanup).await
    }
}

struct CountedLedger {
    inner: Arc<dyn JobLedger>,
    counter: CallCounter,
}

#[async_trait]
impl JobLedger for CountedLedger {
    async fn claim(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        servers: u32,
        limits: &Limits,
    ) -> PortResult<Claim> {
        self.counter.count(Call::DynamoWrite("ledger claim"));
        self.inner.claim(scope, request, servers, limits).await
    }

    async fn record_job(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        job: &JobId,
        owner: &JobOwner,
    ) -> PortResult<()> {
        self.counter.count(Call::DynamoWrite("ledger record job"));
        self.inner.record_job(scope, request, job, owner).await
    }

    async fn release(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        reason: pipeline::ports::ReleaseReason,
    ) -> PortResult<()> {
        self.counter.count(Call::DynamoWrite("ledger release"));
        self.inner.release(scope, request, reason).await
    }

    async fn owner(&self, job: &JobId) -> PortResult<Option<JobOwner>> {
        self.counter.count(Call::DynamoRead("ledger owner"));
        self.inner.owner(job).await
    }
}

struct CountedPlans {
    inner: Arc<dyn PlanStore>,
    counter: CallCounter,
}

#[async_trait]
impl PlanStore for CountedPlans {
    async fn get(&self, name: &str) -> PortResult<Option<Plan>> {
        self.counter.count(Call::DynamoRead("plan get"));
        self.inner.get(name).await
    }
}

struct CountedQueues {
    inner: Arc<dyn Queues>,
    counter: CallCounter,
}

#[async_trait]
impl Queues for CountedQueues {
    async fn send(
        &self,
        queue: QueueName,
        message: &Message,
        delay_seconds: u32,
    ) -> PortResult<()> {
        self.counter.count(Call::SqsSend {
            queue,
            kind: message.kind(),
            delayed: delay_seconds > 0,
        });
        self.inner.send(queue, message, delay_seconds).await
    }

    async fn dead_letter(&self, queue: QueueName, body: &str, reason: &str) -> PortResult<()> {
        self.counter.count(Call::SqsSend {
            queue,
            kind: "dead_letter",
            delayed: false,
        });
        self.inner.dead_letter(queue, body, reason).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_service() {
        let counter = CallCounter::default();
        counter.count(Call::DynamoWrite("execution save"));
        counter.count(Call::DynamoWrite("execution save"));
        counter.count(Call::DynamoWrite("ledger claim"));
        counter.count(Call::DynamoRead("execution load"));
        counter.count(Call::SqsSend {
            queue: QueueName::Check,
            kind: "check",
            delayed: true,
        });
        counter.count(Call::SqsSend {
            queue: QueueName::Advance,
            kind: "advance",
            delayed: false,
        });
        let counts = counter.snapshot();
        assert_eq!(counts.dynamo_writes(), 3);
        assert_eq!(counts.dynamo_reads(), 1);
        assert_eq!(counts.sqs_sends(), 2);
        assert_eq!(counts.sqs_sends_of("check"), 1);
        assert_eq!(counts.0[&Call::DynamoWrite("execution save")], 2);
    }
}
