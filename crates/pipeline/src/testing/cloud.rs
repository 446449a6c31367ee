//! A whole fake cloud around the real handlers: it plays SQS (visible messages delivered in
//! batches, failed records back after a visibility timeout, redrive after too many receives,
//! optional duplicate deliveries), EventBridge (DRS launch results into the check queue) and
//! time (the clock jumps to the next thing due).

use std::sync::Arc;

use engine::{Execution, ExecutionId};
use plan::Plan;

use super::{
    FakeActionRunner, FakeApprovals, FakeClock, FakeDrs, FakeExecutionStore, FakeLedger,
    FakeNotifier, FakePlanStore, FakeQueues,
};
use crate::deps::{Config, Deps};
use crate::launch_event;
use crate::message::{self, Message, QueueName};
use crate::ports::{Clock, Scope};
use crate::role::Role;
use crate::sqs::process_batch;

/// How the fake SQS delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Records per batch (Lambda's `BatchSize`).
    pub batch_size: usize,
    /// Deliver every message a second time (SQS's at-least-once).
    pub duplicate: bool,
    /// Deliveries before a failing message is moved to the dead-letter queue.
    pub max_receives: u32,
    /// Seconds before a failed record is visible again.
    pub visibility_timeout_seconds: i64,
    /// Put DRS launch-result events in the check queue, as the EventBridge rule does.
    pub launch_events: bool,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            batch_size: 10,
            duplicate: false,
            max_receives: 5,
            visibility_timeout_seconds: 30,
            launch_events: true,
        }
    }
}

/// The cloud was still busy after the given number of deliveries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pipeline was still busy after {0} deliveries")]
pub struct Stuck(pub usize);

/// Every fake, wired into [`Deps`], and a player of deliveries.
#[derive(Debug)]
pub struct FakeCloud {
    /// The time.
    pub clock: Arc<FakeClock>,
    /// DRS.
    pub drs: Arc<FakeDrs>,
    /// Executions.
    pub executions: Arc<FakeExecutionStore>,
    /// Stored plans.
    pub plans: Arc<FakePlanStore>,
    /// The job ledger.
    pub ledger: Arc<FakeLedger>,
    /// The queues.
    pub queues: Arc<FakeQueues>,
    /// Notifications.
    pub notifier: Arc<FakeNotifier>,
    /// Actions.
    pub actions: Arc<FakeActionRunner>,
    /// Approvals.
    pub approvals: Arc<FakeApprovals>,
    /// What the handlers get.
    pub deps: Deps,
    /// How messages are delivered.
    pub delivery: Delivery,
}

impl Default for FakeCloud {
    fn default() -> Self {
        Self::new(Config {
            inline_plans: crate::InlinePlans::Accepted,
            ..Config::new(Self::own_scope())
        })
    }
}

impl FakeCloud {
    /// The orchestrator's own account and region in a fake cloud.
    pub fn own_scope() -> Scope {
        Scope {
            account_id: "111122223333".to_owned(),
            region: "us-east-1".to_owned(),
        }
    }

    /// A fake cloud with `config`, at [`FakeClock::START_SECOND`].
    pub fn new(config: Config) -> Self {
        let clock = Arc::new(FakeClock::at_start());
        let drs = Arc::new(FakeDrs::new(clock.clone()));
        let executions = Arc::new(FakeExecutionStore::default());
        let plans = Arc::new(FakePlanStore::default());
        let ledger = Arc::new(FakeLedger::default());
        let queues = Arc::new(FakeQueues::new(clock.clone()));
        let notifier = Arc::new(FakeNotifier::default());
        let actions = Arc::new(FakeActionRunner::default());
        let approvals = Arc::new(FakeApprovals::default());
        let deps = Deps {
            executions: executions.clone(),
            plans: plans.clone(),
            drs: drs.clone(),
            ledger: ledger.clone(),
            queues: queues.clone(),
            notifier: notifier.clone(),
            actions: actions.clone(),
            approvals: approvals.clone(),
            clock: clock.clone(),
            config,
        };
        Self {
            clock,
            drs,
            executions,
            plans,
            ledger,
            queues,
            notifier,
            actions,
            approvals,
            deps,
            delivery: Delivery::default(),
        }
    }

    /// Adds every server the plan's groups list by ID to DRS, in its group's target.
    pub fn add_plan_servers(&self, plan: &Plan) {
        for group in plan.protection_groups.values() {
            for server in &group.servers {
                self.drs.add_server(group.target.as_deref(), server, &[]);
            }
        }
    }

    /// Puts `message` on its queue (the start queue for a `Resume`), as an outside sender
    /// does; returns its message ID.
    pub fn send(&self, message: &Message) -> String {
        let queue = message.queue().unwrap_or(QueueName::Start);
        self.queues.push(queue, message::encode(message), 0)
    }

    /// The stored execution `id`.
    pub fn execution(&self, id: &str) -> Option<Execution> {
        self.executions.get(&ExecutionId::new(id))
    }

    /// Puts the DRS launch events due by now in the check queue.
    fn publish_launch_events(&self) {
        if !self.delivery.launch_events {
            return;
        }
        let scope = &self.deps.config.own_scope;
        for (event, is_drill) in self.drs.take_launch_events() {
            let body = launch_event::to_json(&event, &scope.account_id, &scope.region, is_drill);
            self.queues.push(QueueName::Check, body, 0);
        }
    }

    /// Delivers every message visible now, once, in batches per queue; returns how many
    /// records were delivered.
    pub async fn deliver_due(&self) -> usize {
        self.publish_launch_events();
        let mut delivered = 0;
        for role in Role::ALL {
            let queue = role.queue();
            loop {
                let records = self.queues.receive(queue, self.delivery.batch_size.max(1));
                if records.is_empty() {
                    break;
                }
                delivered += records.len();
                let failed = process_batch(&self.deps, role, &records).await;
                for record in &records {
                    if failed.contains(&record.message_id) {
                        if record.receive_count >= self.delivery.max_receives {
                            let reason = format!(
                                "received {} times without success (maxReceiveCount)",
                                record.receive_count
                            );
                            self.queues.redrive(queue, record, reason);
                        } else {
                            self.queues.return_later(
                                queue,
                                record,
                                self.delivery.visibility_timeout_seconds,
                            );
                        }
                    } else if self.delivery.duplicate && record.receive_count == 1 {
                        self.queues.return_later(queue, record, 0);
                    }
                }
            }
        }
        delivered
    }

    /// Delivers messages, moving the clock to whatever is due next (a delayed message, a
    /// DRS launch ending), until nothing waits; returns the number of records delivered.
    pub async fn run_until_quiet(&self, max_deliveries: usize) -> Result<usize, Stuck> {
        self.run_until(max_deliveries, |_| false).await
    }

    /// Like [`Self::run_until_quiet`], but also stops as soon as `done` holds after a round
    /// of deliveries.
    pub async fn run_until(
        &self,
        max_deliveries: usize,
        done: impl Fn(&FakeCloud) -> bool,
    ) -> Result<usize, Stuck> {
        let mut delivered = 0;
        loop {
            if done(self) {
                return Ok(delivered);
            }
            let now_delivered = self.deliver_due().await;
            delivered += now_delivered;
            if delivered > max_deliveries {
                return Err(Stuck(delivered));
            }
            if now_delivered > 0 {
                continue;
            }
            // Nothing waits: the pipeline is idle (done, or waiting for a person).
            let Some(next_message) = self.queues.next_visible_at() else {
                return Ok(delivered);
            };
            let next_launch = if self.delivery.launch_events {
                self.drs.next_completion_after(self.clock.now())
            } else {
                None
            };
            let next = match next_launch {
                Some(launch) if launch < next_message => launch,
                _ => next_message,
            };
            self.clock.set(next);
        }
    }
}
