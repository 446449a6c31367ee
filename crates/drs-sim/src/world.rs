//! Everything the emulator holds: the scenario, the simulated clock, every account and
//! region, throttling buckets, counters and the record of launch result events.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::clock::SimClock;
use crate::error::DrsError;
use crate::events::{EventRecord, OutgoingEvent};
use crate::identity::Caller;
use crate::region::AccountRegion;
use crate::rng::stable_unit;
use crate::scenario::Scenario;
use crate::throttle::{TokenBucket, retry_after_seconds};
use crate::wire::{self, Render};

/// Launch result events kept for `GET /_sim/events`.
const EVENT_RECORD_LIMIT: usize = 100_000;

/// The emulator's state.
#[derive(Debug)]
pub struct World {
    scenario: Arc<Scenario>,
    clock: SimClock,
    regions: BTreeMap<(String, String), AccountRegion>,
    throttles: HashMap<(String, String), TokenBucket>,
    requests: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
    throttled: u64,
    events_dropped: u64,
    event_records: Vec<EventRecord>,
}

impl World {
    /// A fresh world for `scenario`, its clock starting now.
    pub fn new(scenario: Scenario) -> World {
        let scenario = Arc::new(scenario);
        let mut world = World {
            clock: SimClock::new(&scenario.clock, jiff::Timestamp::now(), Instant::now()),
            scenario,
            regions: BTreeMap::new(),
            throttles: HashMap::new(),
            requests: BTreeMap::new(),
            errors: BTreeMap::new(),
            throttled: 0,
            events_dropped: 0,
            event_records: Vec::new(),
        };
        world.reset();
        world
    }

    /// Back to the scenario's initial state: no jobs, clock at its start, counters zero.
    pub fn reset(&mut self) {
        let scenario = Arc::clone(&self.scenario);
        self.clock = SimClock::new(&scenario.clock, jiff::Timestamp::now(), Instant::now());
        self.regions.clear();
        for account in &scenario.accounts {
            for region in &account.regions {
                let servers = scenario
                    .servers
                    .iter()
                    .filter(|s| s.account == account.id && &s.region == region)
                    .cloned()
                    .collect();
                self.regions.insert(
                    (account.id.clone(), region.clone()),
                    AccountRegion::new(scenario.seed, &account.id, region, servers),
                );
            }
        }
        self.throttles.clear();
        self.requests.clear();
        self.errors.clear();
        self.throttled = 0;
        self.events_dropped = 0;
        self.event_records.clear();
    }

    /// Replaces the scenario and resets.
    pub fn load(&mut self, scenario: Scenario) {
        self.scenario = Arc::new(scenario);
        self.reset();
    }

    /// The current scenario.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// The simulated clock.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// The simulated clock, to advance it.
    pub fn clock_mut(&mut self) -> &mut SimClock {
        &mut self.clock
    }

    /// Applies every side effect due by the current simulated time; returns the events to
    /// deliver (those not dropped by the scenario's drop ratio).
    pub fn settle(&mut self) -> Vec<OutgoingEvent> {
        let now = self.clock.now();
        let mut outcomes: Vec<_> = self
            .regions
            .values_mut()
            .flat_map(|region| region.settle(now))
            .collect();
        if outcomes.is_empty() {
            return Vec::new();
        }
        outcomes.sort_by_key(|o| o.at);
        let events = self.scenario.events.clone();
        let mut outgoing = Vec::new();
        for outcome in outcomes {
            let time = self.clock.timestamp(outcome.at);
            let delivery = match &events {
                None => "disabled",
                Some(config) => {
                    let draw = stable_unit(
                        self.scenario.seed,
                        &["event", &outcome.job_id, &outcome.source_server_id],
                    );
                    if draw < config.drop_ratio {
                        self.events_dropped += 1;
                        "dropped"
                    } else {
                        outgoing.push(OutgoingEvent {
                            endpoint: config.endpoint.clone(),
                            event_bus_name: config.event_bus_name.clone(),
                            account: outcome.account.clone(),
                            region: outcome.region.clone(),
                            source_server_arn: outcome.source_server_arn.clone(),
                            job_id: outcome.job_id.clone(),
                            is_drill: outcome.is_drill,
                            succeeded: outcome.succeeded,
                            time,
                        });
                        "queued"
                    }
                }
            };
            if self.event_records.len() < EVENT_RECORD_LIMIT {
                self.event_records.push(EventRecord {
                    account: outcome.account,
                    region: outcome.region,
                    source_server_id: outcome.source_server_id,
                    job_id: outcome.job_id,
                    state: if outcome.succeeded {
                        "RECOVERY_LAUNCH_SUCCEEDED"
                    } else {
                        "RECOVERY_LAUNCH_FAILED"
                    },
                    is_drill: outcome.is_drill,
                    time: wire::iso_datetime(time),
                    delivery,
                });
            }
        }
        outgoing
    }

    /// Real time until the next side effect is due; `None` if nothing is pending or the
    /// manual clock must move first.
    pub fn next_due_delay(&self) -> Option<Duration> {
        let due = self
            .regions
            .values()
            .filter_map(AccountRegion::next_due)
            .min()?;
        self.clock.real_delay_until(due, Instant::now())
    }

    /// Counts a request to `operation`.
    pub fn count_request(&mut self, operation: &'static str) {
        *self.requests.entry(operation).or_default() += 1;
    }

    /// Counts an error response.
    pub fn count_error(&mut self, error: &DrsError) {
        *self.errors.entry(error.type_name()).or_default() += 1;
    }

    /// Takes a token from the caller's bucket, or refuses with `ThrottlingException`.
    pub fn throttle(&mut self, caller: &Caller) -> Result<(), DrsError> {
        let Some(config) = self.scenario.throttling else {
            return Ok(());
        };
        let now = Instant::now();
        let bucket = self
            .throttles
            .entry((caller.account.clone(), caller.region.clone()))
            .or_insert_with(|| TokenBucket::new(&config, now));
        match bucket.try_take(now) {
            Ok(()) => Ok(()),
            Err(wait) => {
                self.throttled += 1;
                Err(DrsError::Throttling {
                    message: "Rate exceeded".to_owned(),
                    retry_after_seconds: retry_after_seconds(wait),
                })
            }
        }
    }

    /// Refuses IAM actions the scenario denies to the caller's account.
    pub fn authorize(&self, caller: &Caller, actions: &[&str]) -> Result<(), DrsError> {
        let Some(account) = self.scenario.account(&caller.account) else {
            return Ok(());
        };
        match actions
            .iter()
            .find(|action| account.denied_actions.iter().any(|d| d == *action))
        {
            Some(action) => Err(DrsError::AccessDenied {
                message: format!(
                    "User: arn:aws:sts::{}:assumed-role/caller/{} is not authorized to perform: {action} on resource: arn:aws:drs:{}:{}:* because no identity-based policy allows the {action} action",
                    caller.account, caller.access_key, caller.region, caller.account
                ),
            }),
            None => Ok(()),
        }
    }

    /// The caller's account and region, if DRS is initialized there.
    pub fn region_mut(&mut self, caller: &Caller) -> Result<&mut AccountRegion, DrsError> {
        self.regions
            .get_mut(&(caller.account.clone(), caller.region.clone()))
            .ok_or_else(|| DrsError::UninitializedAccount {
                message: format!(
                    "Account {} is not initialized for Elastic Disaster Recovery in region {}",
                    caller.account, caller.region
                ),
            })
    }

    /// `GET /_sim/counters`.
    pub fn counters(&self, sent: u64, failed: u64) -> Value {
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "throttled": self.throttled,
            "events_sent": sent,
            "events_dropped": self.events_dropped,
            "events_failed": failed,
        })
    }

    /// `GET /_sim/events`.
    pub fn event_records(&self) -> &[EventRecord] {
        &self.event_records
    }

    /// `GET /_sim/jobs`: every job of every account and region, deleted ones included.
    pub fn jobs_overview(&self) -> Value {
        let now = self.clock.now();
        let render = Render {
            clock: &self.clock,
            now,
        };
        let jobs: Vec<Value> = self
            .regions
            .values()
            .flat_map(|region| {
                region.jobs().map(move |record| {
                    let mut job =
                        serde_json::to_value(wire::job(record, render)).unwrap_or(Value::Null);
                    if let Some(map) = job.as_object_mut() {
                        map.insert("account".into(), json!(region.account));
                        map.insert("region".into(), json!(region.region));
                        map.insert("deleted".into(), json!(record.deleted));
                        if let crate::job::JobKind::Launch { is_drill } = record.job.kind {
                            map.insert("isDrill".into(), json!(is_drill));
                        }
                    }
                    job
                })
            })
            .collect();
        json!({ "jobs": jobs })
    }
}
