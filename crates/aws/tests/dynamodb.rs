//! The DynamoDB adapters against moto: executions, plans, the job ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_adapters::dynamodb::{executions, item_size};
use aws_adapters::{ExecutionTable, LedgerTable, PlanTable, Resources, create_all};
use aws_sdk_dynamodb::types::AttributeValue;
use engine::{ExecutionStatus, JobId, Limits, StartRequestId};
use pipeline::ports::ReleaseReason::{Rejected, Settled};
use pipeline::ports::{
    Claim, Created, ExecutionStore, JobLedger, JobOwner, PlanStore, PortError, PutOutcome, Scope,
    StoredPlan,
};
use support::{at, config, launched, plan, server_ids, started, unique};

/// Fresh tables with a unique prefix.
async fn tables() -> (Resources, aws_adapters::AwsConfig) {
    let config = config(None).await;
    let resources = Resources::with_prefix(&unique("ddb"));
    create_all(&config, &resources).await.unwrap();
    (resources, config)
}

fn wave_items(items: &[std::collections::HashMap<String, AttributeValue>]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item.get("item") {
            Some(AttributeValue::S(key)) if key.starts_with("WAVE#") => Some(key.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn executions_are_created_once_and_loaded_back_equal() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let (execution, _) = started(
        "exec-create",
        plan("billing", 3),
        at("2024-03-01T09:00:00Z"),
    );

    assert_eq!(table.create(&execution).await.unwrap(), Created::New);
    assert_eq!(
        table.create(&execution).await.unwrap(),
        Created::Exists,
        "a second create must not overwrite"
    );
    let (loaded, version) = table.load(&execution.id).await.unwrap().unwrap();
    assert_eq!(version, 1);
    assert_eq!(loaded, execution);
    assert!(table.load(&"exec-missing".into()).await.unwrap().is_none());

    // A new execution's waves are pending (its servers not resolved yet): implied, no item of
    // their own — but the first, which carries the resolution's heartbeat and deadline.
    let items = table.raw_items(&execution.id).await.unwrap();
    assert_eq!(wave_items(&items), vec!["WAVE#0000".to_owned()]);
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_not_an_overwrite() {
    let (resources, config) = tables().await;
    let first = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    // A second table object: another Lambda, without the first one's memory.
    let second = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let now = at("2024-03-01T09:00:00Z");
    let (execution, _) = started("exec-conflict", plan("billing", 2), now);
    first.create(&execution).await.unwrap();

    let (loaded_a, version_a) = first.load(&execution.id).await.unwrap().unwrap();
    let (loaded_b, version_b) = second.load(&execution.id).await.unwrap().unwrap();
    assert_eq!((version_a, version_b), (1, 1));

    let changed_a = launched(loaded_a, server_ids(3, 1), now);
    assert_eq!(first.save(&changed_a, 1).await.unwrap(), Some(2));
    let changed_b = launched(loaded_b, server_ids(4, 2), now);
    assert_eq!(
        second.save(&changed_b, 1).await.unwrap(),
        None,
        "B saved over A"
    );
    assert_eq!(
        first.save(&changed_a, 1).await.unwrap(),
        None,
        "the same version twice"
    );

    let (current, version) = second.load(&execution.id).await.unwrap().unwrap();
    assert_eq!(version, 2);
    assert_eq!(current, changed_a);
    // After reloading, B's save goes through.
    let mut edited = current;
    edited.requested_by = "someone else".into();
    assert_eq!(second.save(&edited, 2).await.unwrap(), Some(3));
    assert_eq!(
        first.load(&execution.id).await.unwrap().unwrap(),
        (edited, 3)
    );
}

fn item_version(
    items: &[std::collections::HashMap<String, AttributeValue>],
    key: &str,
) -> Option<u64> {
    items
        .iter()
        .find_map(|item| match (item.get("item"), item.get("version")) {
            (Some(AttributeValue::S(k)), Some(AttributeValue::N(v))) if k == key => v.parse().ok(),
            _ => None,
        })
}

#[tokio::test]
async fn a_plan_of_the_most_waves_is_saved_once_every_wave_is_resolved() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let now = at("2024-03-01T09:00:00Z");
    let waves = plan::limits::MAX_WAVES;
    let (execution, _) = started("exec-most-waves", plan("most", waves), now);
    table.create(&execution).await.unwrap();
    // The resolution writes the header and every wave's item in one transaction.
    let resolved = launched(execution.clone(), server_ids(3, 9), now);
    assert_eq!(table.save(&resolved, 1).await.unwrap(), Some(2));
    let items = table.raw_items(&execution.id).await.unwrap();
    assert_eq!(wave_items(&items).len(), waves);
    assert_eq!(
        table.load(&execution.id).await.unwrap().unwrap(),
        (resolved, 2)
    );
}

#[tokio::test]
async fn only_changed_waves_are_rewritten() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let now = at("2024-03-01T09:00:00Z");
    let (execution, _) = started("exec-minimal", plan("billing", 3), now);
    table.create(&execution).await.unwrap();

    let mut changed = launched(execution.clone(), server_ids(5, 6), now);
    changed.waves[1].attempt = 7; // the store does not judge, it stores
    assert_eq!(table.save(&changed, 1).await.unwrap(), Some(2));
    changed.requested_by = "only the header changed".into();
    // A fresh table object (no memory of version 2): it must read the stored digests.
    let fresh = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    assert_eq!(fresh.save(&changed, 2).await.unwrap(), Some(3));

    let items = table.raw_items(&execution.id).await.unwrap();
    assert_eq!(item_version(&items, "STATE"), Some(3));
    assert_eq!(item_version(&items, "WAVE#0000"), Some(2));
    assert_eq!(item_version(&items, "WAVE#0001"), Some(2));
    assert_eq!(
        item_version(&items, "WAVE#0002"),
        Some(2),
        "a pending wave with its servers resolved has an item"
    );
    assert_eq!(
        table.load(&execution.id).await.unwrap().unwrap(),
        (changed, 3)
    );
}

#[tokio::test]
async fn a_thousand_server_wave_stays_far_below_the_item_limit() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let now = at("2024-03-01T09:00:00Z");
    let (execution, _) = started("exec-big", plan("big", 2), now);
    table.create(&execution).await.unwrap();
    let big = launched(execution.clone(), server_ids(1000, 3), now);
    assert_eq!(big.waves[0].servers.len(), 1000);
    let without: Vec<_> = big.waves[0]
        .servers
        .iter()
        .filter(|s| s.recovery_instance_id.is_none())
        .collect();
    assert!(
        without.is_empty(),
        "{} without instance, e.g. {:?}; chunks {}",
        without.len(),
        without.first(),
        big.waves[0].chunks().len()
    );
    assert_eq!(table.save(&big, 1).await.unwrap(), Some(2));

    let items = table.raw_items(&execution.id).await.unwrap();
    let wave = items
        .iter()
        .find(|i| matches!(i.get("item"), Some(AttributeValue::S(k)) if k == "WAVE#0000"))
        .unwrap();
    let size = item_size(wave);
    let json_size = serde_json::to_vec(&big.waves[0]).unwrap().len();
    println!("1,000-server wave: {json_size} bytes of JSON stored in {size} bytes");
    assert!(
        json_size > 200 * 1024,
        "the wave is not that big: {json_size} bytes"
    );
    assert!(size < 100 * 1024, "wave item of {size} bytes");
    assert!(
        json_size > 3 * size,
        "compression saved little: {json_size} -> {size}"
    );
    for item in &items {
        assert!(item_size(item) < 100 * 1024);
    }
    assert_eq!(table.load(&execution.id).await.unwrap().unwrap().0, big);
}

#[tokio::test]
async fn finished_executions_get_a_ttl_and_leave_the_active_index() {
    let (resources, config) = tables().await;
    let table =
        ExecutionTable::new(config.dynamodb(), &resources.executions.name).with_ttl_days(Some(7));
    let now = at("2024-03-01T09:00:00Z");
    let plan_name = unique("plan");
    // Two live executions of one plan: the plan must allow it.
    let mut concurrent = plan(&plan_name, 2);
    concurrent.allow_concurrent_executions = true;
    let (older, _) = started("exec-older", concurrent.clone(), now);
    let (running, _) = started("exec-running", concurrent, at("2024-03-02T09:00:00Z"));
    table.create(&older).await.unwrap();
    table.create(&running).await.unwrap();
    let active: Vec<_> = table.list_active().await.unwrap();
    let ids: BTreeSet<_> = active
        .iter()
        .map(|s| s.execution_id.as_str().to_owned())
        .collect();
    assert!(
        ids.contains("exec-older") && ids.contains("exec-running"),
        "{ids:?}"
    );

    // Cancel the older one: terminal.
    let (state, version) = table.load(&older.id).await.unwrap().unwrap();
    let launched_state = launched(state, server_ids(2, 4), now);
    // Wave 1 stored before the end and unchanged by it: its item still needs the TTL.
    let mut stored = launched_state.clone();
    stored.waves[1].attempt = 9;
    let version = table.save(&stored, version).await.unwrap().unwrap();
    let cancel = engine::Input::new(
        older.id.clone(),
        engine::Event::CancelRequested {
            by: "alice".into(),
            reason: "test".into(),
        },
    );
    let ended = at("2024-03-01T10:00:00Z");
    let mut cancelled = engine::decide(launched_state, cancel, ended).unwrap().state;
    // Some engines wait for running jobs; force the end state the store must handle.
    if !cancelled.is_terminal() {
        cancelled.status = ExecutionStatus::Cancelled;
        cancelled.ended_at = Some(ended);
    }
    cancelled.waves[1].attempt = 9;
    table.save(&cancelled, version).await.unwrap().unwrap();

    let items = table.raw_items(&older.id).await.unwrap();
    let ended_at = cancelled.ended_at.unwrap().as_second();
    assert_eq!(wave_items(&items), ["WAVE#0000", "WAVE#0001"]);
    for item in &items {
        let Some(AttributeValue::N(expires)) = item.get(executions::EXPIRES_AT) else {
            panic!("no TTL on {:?}", item.get("item"));
        };
        assert_eq!(expires.parse::<i64>().unwrap(), ended_at + 7 * 86_400);
        assert!(!item.contains_key(executions::ACTIVE_STATUS));
    }
    let active: BTreeSet<_> = table
        .list_active()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.execution_id.as_str().to_owned())
        .collect();
    assert!(!active.contains("exec-older") && active.contains("exec-running"));

    let listed = table.list_by_plan(&plan_name, 10).await.unwrap();
    let order: Vec<_> = listed.iter().map(|s| s.execution_id.as_str()).collect();
    assert_eq!(order, ["exec-running", "exec-older"], "newest first");
    assert_eq!(listed[1].status, cancelled.status);
    assert!(listed[1].status.is_terminal());
    assert_eq!(listed[1].plan_name, plan_name);
    assert_eq!(listed[1].ended_at, cancelled.ended_at);
    assert_eq!(table.list_by_plan(&plan_name, 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_read_overlapping_a_save_is_detected() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let (execution, _) = started("exec-torn", plan("billing", 1), at("2024-03-01T09:00:00Z"));
    table.create(&execution).await.unwrap();
    // A wave item from another version than the STATE item says.
    config
        .dynamodb()
        .update_item()
        .table_name(&resources.executions.name)
        .key("execution_id", AttributeValue::S("exec-torn".into()))
        .key("item", AttributeValue::S("WAVE#0000".into()))
        .update_expression("SET digest = :d")
        .expression_attribute_values(":d", AttributeValue::S("00000000000000ff".into()))
        .send()
        .await
        .unwrap();
    match table.load(&execution.id).await {
        Err(PortError::Transient(message)) => assert!(message.contains("exec-torn"), "{message}"),
        other => panic!("expected a transient error, got {other:?}"),
    }
}

#[tokio::test]
async fn drill_cleanups_are_recorded() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let cleanup = engine::DrillCleanup {
        at: at("2024-03-01T14:00:00Z"),
        targets: vec![engine::CleanupTarget {
            target: None,
            recovery_instance_ids: vec!["i-0123456789abcdef0".into()],
            job_ids: vec![JobId::new("drsjob-1")],
        }],
    };
    let id = "exec-cleanup".into();
    assert_eq!(table.load_cleanup(&id).await.unwrap(), None);
    table.record_cleanup(&id, &cleanup).await.unwrap();
    table.record_cleanup(&id, &cleanup).await.unwrap();
    assert_eq!(table.load_cleanup(&id).await.unwrap(), Some(cleanup));
}

#[tokio::test]
async fn plans_are_stored_listed_and_deleted() {
    let (resources, config) = tables().await;
    let table = PlanTable::new(config.dynamodb(), &resources.plans.name);
    let billing = plan("billing", 2);
    assert_eq!(table.get("billing").await.unwrap(), None);
    assert_eq!(table.describe("billing").await.unwrap(), None);
    let alice = "arn:aws:iam::111122223333:user/alice";
    assert_eq!(
        table
            .put(&billing, at("2024-03-01T09:00:00Z"), alice)
            .await
            .unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        table
            .put(&billing, at("2024-03-01T09:30:00Z"), "drsctl:bob")
            .await
            .unwrap(),
        PutOutcome::Replaced
    );
    table
        .put(&plan("shop", 1), at("2024-03-01T10:00:00Z"), alice)
        .await
        .unwrap();
    assert_eq!(table.get("billing").await.unwrap(), Some(billing.clone()));
    assert_eq!(
        table.describe("billing").await.unwrap(),
        Some(StoredPlan {
            plan: billing.clone(),
            updated_at: at("2024-03-01T09:30:00Z"),
            updated_by: "drsctl:bob".into(),
        })
    );
    let listed = table.list().await.unwrap();
    let summary: Vec<_> = listed
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.waves,
                p.updated_by.as_str(),
                p.updated_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("billing", 2, "drsctl:bob", at("2024-03-01T09:30:00Z")),
            ("shop", 1, alice, at("2024-03-01T10:00:00Z")),
        ]
    );
    assert!(table.delete("shop").await.unwrap());
    assert!(!table.delete("shop").await.unwrap());
    assert_eq!(table.list().await.unwrap().len(), 1);

    // A plan that breaks the format's rules is refused, naming the problem.
    let mut broken = plan("broken", 1);
    broken.waves[0].groups = vec!["nope".into()];
    let error = table
        .put(&broken, at("2024-03-01T09:00:00Z"), alice)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");

    // An unreadable stored plan is a permanent error naming it.
    config
        .dynamodb()
        .put_item()
        .table_name(&resources.plans.name)
        .item("name", AttributeValue::S("garbled".into()))
        .item("plan", AttributeValue::S("{not json".into()))
        .send()
        .await
        .unwrap();
    match table.get("garbled").await {
        Err(PortError::Permanent(message)) => assert!(message.contains("garbled"), "{message}"),
        other => panic!("{other:?}"),
    }
}

fn scope() -> Scope {
    Scope {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
    }
}

fn request(execution: &str, chunk: usize) -> StartRequestId {
    StartRequestId {
        execution: execution.into(),
        wave: 0,
        attempt: 1,
        chunk,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_exceed_the_job_budget() {
    let (resources, config) = tables().await;
    let ledger = Arc::new(LedgerTable::new(config.dynamodb(), &resources.ledger.name));
    let limits = Limits::default(); // 20 jobs, 500 servers
    let mut tasks = Vec::new();
    for i in 0..40 {
        let ledger = Arc::clone(&ledger);
        tasks.push(tokio::spawn(async move {
            let request = request(&format!("exec-{}", i % 4), i);
            ledger.claim(&scope(), &request, 10, &limits).await.unwrap()
        }));
    }
    let mut granted = 0;
    for task in tasks {
        if task.await.unwrap() == Claim::Granted {
            granted += 1;
        }
    }
    assert_eq!(granted, 20);
    let budget = ledger.budget(&scope()).await.unwrap();
    assert_eq!((budget.active_jobs, budget.active_servers), (20, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_exceed_the_server_budget() {
    let (resources, config) = tables().await;
    let ledger = Arc::new(LedgerTable::new(config.dynamodb(), &resources.ledger.name));
    let limits = Limits::default();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let ledger = Arc::clone(&ledger);
        tasks.push(tokio::spawn(async move {
            ledger
                .claim(&scope(), &request("exec-servers", i), 100, &limits)
                .await
                .unwrap()
        }));
    }
    let mut granted = 0;
    for task in tasks {
        if task.await.unwrap() == Claim::Granted {
            granted += 1;
        }
    }
    assert_eq!(granted, 5, "500 servers in active jobs at most");
    let budget = ledger.budget(&scope()).await.unwrap();
    assert_eq!((budget.active_jobs, budget.active_servers), (5, 500));
}

#[tokio::test]
async fn claims_and_releases_are_idempotent() {
    let (resources, config) = tables().await;
    let ledger = LedgerTable::new(config.dynamodb(), &resources.ledger.name);
    let limits = Limits {
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let (a, b, c) = (
        request("exec-i", 0),
        request("exec-i", 1),
        request("exec-i", 2),
    );
    assert_eq!(
        ledger.claim(&scope(), &a, 100, &limits).await.unwrap(),
        Claim::Granted
    );
    assert_eq!(
        ledger.claim(&scope(), &a, 100, &limits).await.unwrap(),
        Claim::Held,
        "claimed again by the same request: held already"
    );
    assert_eq!(
        ledger.budget(&scope()).await.unwrap().active_jobs,
        1,
        "counted once"
    );
    assert_eq!(
        ledger.claim(&scope(), &b, 100, &limits).await.unwrap(),
        Claim::Granted
    );
    assert_eq!(
        ledger.claim(&scope(), &c, 100, &limits).await.unwrap(),
        Claim::Exhausted
    );
    // A held claim stays held even when the budget is full.
    assert_eq!(
        ledger.claim(&scope(), &b, 100, &limits).await.unwrap(),
        Claim::Held
    );

    ledger.release(&scope(), &a, Settled).await.unwrap();
    ledger.release(&scope(), &a, Settled).await.unwrap();
    let budget = ledger.budget(&scope()).await.unwrap();
    assert_eq!(
        (budget.active_jobs, budget.active_servers),
        (1, 100),
        "released once"
    );
    assert_eq!(
        ledger.claim(&scope(), &c, 100, &limits).await.unwrap(),
        Claim::Granted
    );
    // Releasing what was never claimed changes nothing.
    ledger
        .release(&scope(), &request("exec-other", 9), Settled)
        .await
        .unwrap();
    assert_eq!(ledger.budget(&scope()).await.unwrap().active_jobs, 2);
    // A claim given back after a rejection is granted again as fresh (nothing reached DRS).
    ledger.release(&scope(), &b, Rejected).await.unwrap();
    assert_eq!(
        ledger.claim(&scope(), &b, 100, &limits).await.unwrap(),
        Claim::Granted
    );
    assert_eq!(ledger.budget(&scope()).await.unwrap().active_jobs, 2);
    // One given back as settled (its job completed, its launch ended) is regranted: a start of
    // it may have gone out, so a re-issue still looks for its job.
    ledger.release(&scope(), &b, Settled).await.unwrap();
    assert_eq!(
        ledger.claim(&scope(), &b, 100, &limits).await.unwrap(),
        Claim::Regranted
    );
    assert_eq!(
        ledger.claim(&scope(), &b, 100, &limits).await.unwrap(),
        Claim::Held
    );
    assert_eq!(ledger.budget(&scope()).await.unwrap().active_jobs, 2);
    // Another scope has its own budget.
    let west = Scope {
        region: "us-west-2".into(),
        ..scope()
    };
    assert_eq!(
        ledger.claim(&west, &a, 100, &limits).await.unwrap(),
        Claim::Granted
    );
    assert_eq!(ledger.budget(&west).await.unwrap().active_jobs, 1);
}

#[tokio::test]
async fn jobs_are_recorded_with_their_owner() {
    let (resources, config) = tables().await;
    let ledger = LedgerTable::new(config.dynamodb(), &resources.ledger.name);
    let request = self::request("exec-owner", 0);
    let job = JobId::new("drsjob-0123456789abcdef0");
    ledger
        .claim(&scope(), &request, 3, &Limits::default())
        .await
        .unwrap();
    assert_eq!(ledger.owner(&job).await.unwrap(), None);
    let owner = JobOwner {
        execution_id: "exec-owner".into(),
        wave: 2,
    };
    ledger
        .record_job(&scope(), &request, &job, &owner)
        .await
        .unwrap();
    ledger
        .record_job(&scope(), &request, &job, &owner)
        .await
        .unwrap();
    assert_eq!(ledger.owner(&job).await.unwrap(), Some(owner.clone()));
    let record = ledger
        .claim_record(&scope(), &request)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.job_id, Some(job));
    assert!(record.active);
    assert_eq!(record.servers, 3);

    // A job recorded for a request never claimed does not make a later claim free, and the
    // claim is a regrant: the request did reach DRS.
    let unclaimed = self::request("exec-owner", 1);
    let other_job = JobId::new("drsjob-0123456789abcdef1");
    ledger
        .record_job(&scope(), &unclaimed, &other_job, &owner)
        .await
        .unwrap();
    let before = ledger.budget(&scope()).await.unwrap();
    assert_eq!(
        ledger
            .claim(&scope(), &unclaimed, 4, &Limits::default())
            .await
            .unwrap(),
        Claim::Regranted
    );
    let after = ledger.budget(&scope()).await.unwrap();
    assert_eq!(after.active_jobs, before.active_jobs + 1);
    assert_eq!(after.active_servers, before.active_servers + 4);
}

#[tokio::test]
async fn a_jobs_owner_is_never_taken_over_by_another_execution() {
    let (resources, config) = tables().await;
    let ledger = LedgerTable::new(config.dynamodb(), &resources.ledger.name);
    let job = JobId::new("drsjob-0123456789abcdef2");
    let first = self::request("exec-first", 0);
    let owner = JobOwner {
        execution_id: "exec-first".into(),
        wave: 1,
    };
    ledger
        .claim(&scope(), &first, 2, &Limits::default())
        .await
        .unwrap();
    ledger
        .record_job(&scope(), &first, &job, &owner)
        .await
        .unwrap();

    // Another execution recording the same job (it adopted it) keeps the first owner, but its
    // own claim learns the job.
    let second = self::request("exec-second", 0);
    ledger
        .claim(&scope(), &second, 2, &Limits::default())
        .await
        .unwrap();
    let intruder = JobOwner {
        execution_id: "exec-second".into(),
        wave: 0,
    };
    ledger
        .record_job(&scope(), &second, &job, &intruder)
        .await
        .unwrap();
    assert_eq!(ledger.owner(&job).await.unwrap(), Some(owner.clone()));
    let record = ledger
        .claim_record(&scope(), &second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.job_id, Some(job.clone()));

    // The owning execution itself may record it again (a later wave, a retry).
    let again = JobOwner {
        execution_id: "exec-first".into(),
        wave: 2,
    };
    ledger
        .record_job(&scope(), &first, &job, &again)
        .await
        .unwrap();
    assert_eq!(ledger.owner(&job).await.unwrap(), Some(again));
}

#[tokio::test]
async fn a_missing_table_is_a_permanent_error_naming_it() {
    let config = config(None).await;
    let table = PlanTable::new(config.dynamodb(), "no-such-table-here");
    match table.get("x").await {
        Err(PortError::Permanent(message)) => {
            assert!(message.contains("no-such-table-here"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_plan_is_held_by_its_live_execution_and_given_back_by_it_alone() {
    let (resources, config) = tables().await;
    let table = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
    let plan_name = unique("held");
    let now = at("2024-03-01T09:00:00Z");
    let (first, _) = started("exec-held-1", plan(&plan_name, 1), now);
    let (second, _) = started("exec-held-2", plan(&plan_name, 1), now);
    assert_eq!(table.create(&first).await.unwrap(), Created::New);
    assert_eq!(
        table.plan_holder(&plan_name).await.unwrap(),
        Some(first.id.clone())
    );
    assert_eq!(
        table.create(&second).await.unwrap(),
        Created::PlanHeld {
            by: first.id.clone()
        },
        "a second live execution of the plan is refused"
    );
    assert!(
        table.load(&second.id).await.unwrap().is_none(),
        "a refused creation writes nothing"
    );
    // A redelivered creation of the holder is an existing execution, not a held plan.
    assert_eq!(table.create(&first).await.unwrap(), Created::Exists);
    // Only the holder gives the hold back, and giving it back twice is harmless.
    table.release_plan(&plan_name, &second.id).await.unwrap();
    assert_eq!(
        table.plan_holder(&plan_name).await.unwrap(),
        Some(first.id.clone())
    );
    table.release_plan(&plan_name, &first.id).await.unwrap();
    table.release_plan(&plan_name, &first.id).await.unwrap();
    assert_eq!(table.plan_holder(&plan_name).await.unwrap(), None);
    assert_eq!(table.create(&second).await.unwrap(), Created::New);
    // A plan that allows concurrent executions takes no hold.
    let mut open = plan(&unique("open"), 1);
    open.allow_concurrent_executions = true;
    let (a, _) = started("exec-open-a", open.clone(), now);
    let (b, _) = started("exec-open-b", open.clone(), now);
    assert_eq!(table.create(&a).await.unwrap(), Created::New);
    assert_eq!(table.create(&b).await.unwrap(), Created::New);
    assert_eq!(table.plan_holder(&open.name).await.unwrap(), None);
}
