//! [`ExecutionStore`] on DynamoDB (`.team/pipeline.md`).
//!
//! One partition per execution (`execution_id`), items by `item`:
//! - `STATE`: the header (status, plan name, mode, `version`, times, `expires_at` once
//!   terminal, `active_status` while not) and the engine state without its waves, gzip JSON;
//!   `wave_digests` lists a digest of each wave as stored.
//! - `WAVE#0007`: one wave, gzip JSON, with its digest. Per-server detail lives here, so no
//!   item grows with the plan. A wave never started has no item (it is `WaveState::pending`).
//! - `CLEANUP`: the drill cleanup deadline and instances.
//!
//! A plan that runs one execution at a time is held by its live execution: partition
//! `PLAN#<name>` (no execution ID holds a `#`), item `HOLD`, attribute `holder`. The hold is
//! put in the creating transaction (`attribute_not_exists` or already ours), and deleted when
//! the execution finishes (only if still its own).
//!
//! A save is one `TransactWriteItems`: the `STATE` item on condition `version = :expected`,
//! plus the waves whose digest changed. A load reads the partition (consistent) and checks
//! each wave against the digests of `STATE`, so a read overlapping a save is detected and
//! retried instead of mixing two versions.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use engine::{DrillCleanup, Execution, ExecutionId, ExecutionStatus, WaveState};
use jiff::Timestamp;
pub use pipeline::ports::ExecutionSummary;
use pipeline::ports::{Created, ExecutionStore, PortError, PortResult, Version};

use super::cancellation::Cancellation;
use super::compressed::{digest, gunzip_json, gzip, json};
use super::item::{Item, Reader, b, n, s, timestamp};
use super::{MAX_TRANSACTION_ITEMS, table_error};
use crate::sdk_error;

/// Partition key: the execution ID (S).
pub const PARTITION_KEY: &str = "execution_id";
/// Sort key: `STATE`, `WAVE#0007`, `CLEANUP` (S).
pub const SORT_KEY: &str = "item";
/// GSI listing a plan's executions: `plan_name` (S), sorted by `requested_at` (S).
pub const BY_PLAN_INDEX: &str = "by_plan";
/// Sparse GSI of the executions not terminal: `active_status` (S), by `requested_at` (S).
pub const ACTIVE_INDEX: &str = "active";
/// The plan's name (GSI `by_plan` partition key).
pub const PLAN_NAME: &str = "plan_name";
/// When the execution was requested, sortable text (GSI sort key).
pub const REQUESTED_AT: &str = "requested_at";
/// The status while not terminal; absent once terminal (GSI `active` partition key).
pub const ACTIVE_STATUS: &str = "active_status";
/// TTL attribute (epoch seconds), set once the execution is terminal.
pub const EXPIRES_AT: &str = "expires_at";
/// Attributes both GSIs project besides the keys: enough for an [`ExecutionSummary`].
pub const SUMMARY_ATTRIBUTES: [&str; 5] = ["status", "mode", "version", "ended_at", "requested_by"];
/// How long finished executions are kept by default.
pub const DEFAULT_TTL_DAYS: u32 = 90;

const STATE_ITEM: &str = "STATE";
const HOLD_ITEM: &str = "HOLD";
/// The attribute of a plan's `HOLD` item naming the execution that holds it.
const HOLDER: &str = "holder";
const CLEANUP_ITEM: &str = "CLEANUP";
const LOAD_ATTEMPTS: usize = 5;
/// Executions whose stored digests are remembered (to write only the waves that changed).
const REMEMBERED_EXECUTIONS: usize = 512;

/// The executions table.
#[derive(Debug)]
pub struct ExecutionTable {
    client: Client,
    table: String,
    ttl_days: Option<u32>,
    /// Digests of the waves as stored at a version, per execution this process read or wrote.
    known: Mutex<HashMap<ExecutionId, (Version, Vec<u64>)>>,
}

/// One wave, serialised.
struct EncodedWave {
    json: Vec<u8>,
    digest: u64,
}

impl ExecutionTable {
    /// The table `table`, keeping finished executions [`DEFAULT_TTL_DAYS`] days.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            ttl_days: Some(DEFAULT_TTL_DAYS),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps finished executions `days` days (DynamoDB TTL); `None` keeps them forever.
    pub fn with_ttl_days(mut self, days: Option<u32>) -> Self {
        self.ttl_days = days;
        self
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Every execution not terminal yet (the sparse `active` index), oldest first.
    pub async fn list_active(&self) -> PortResult<Vec<ExecutionSummary>> {
        let mut summaries = Vec::new();
        for status in [ExecutionStatus::Running, ExecutionStatus::AwaitingApproval] {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(ACTIVE_INDEX)
                .key_condition_expression("#active = :status")
                .expression_attribute_names("#active", ACTIVE_STATUS)
                .expression_attribute_values(":status", s(status.to_string()))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let item = item.map_err(|e| table_error(&self.table, "Query (active)", e))?;
                summaries.push(summary(&item, &self.table)?);
            }
        }
        summaries.sort_by(|a, b| {
            (a.requested_at, &a.execution_id).cmp(&(b.requested_at, &b.execution_id))
        });
        Ok(summaries)
    }

    /// The partition of plan `plan_name`'s hold.
    fn hold_partition(plan_name: &str) -> String {
        format!("PLAN#{plan_name}")
    }

    /// The drill cleanup recorded for `id`, if any.
    pub async fn load_cleanup(&self, id: &ExecutionId) -> PortResult<Option<DrillCleanup>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(id.as_str()))
            .key(SORT_KEY, s(CLEANUP_ITEM))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem (cleanup)", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("execution {id} CLEANUP item in table {}", self.table);
        let text = Reader::new(&item, &what).string("cleanup")?;
        serde_json::from_str(text)
            .map(Some)
            .map_err(|e| PortError::Permanent(format!("{what}: unreadable cleanup: {e}")))
    }

    /// The raw stored items of `id` (`STATE`, waves, cleanup), for inspection and tests.
    pub async fn raw_items(
        &self,
        id: &ExecutionId,
    ) -> PortResult<Vec<HashMap<String, AttributeValue>>> {
        self.query_items(id, false).await
    }

    fn remember(&self, id: &ExecutionId, version: Version, digests: Vec<u64>) {
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() >= REMEMBERED_EXECUTIONS && !known.contains_key(id) {
            known.clear();
        }
        known.insert(id.clone(), (version, digests));
    }

    fn forget(&self, id: &ExecutionId) {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    fn remembered(&self, id: &ExecutionId, version: Version) -> Option<Vec<u64>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .filter(|(v, _)| *v == version)
            .map(|(_, digests)| digests.clone())
    }

    /// Every item of the partition; with `from_state`, only `STATE` and the waves.
    async fn query_items(&self, id: &ExecutionId, from_state: bool) -> PortResult<Vec<Item>> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":id", s(id.as_str()));
        query = if from_state {
            // `CLEANUP` sorts before `STATE`, the waves after it.
            query
                .key_condition_expression("#pk = :id AND #sk >= :state")
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":state", s(STATE_ITEM))
        } else {
            query.key_condition_expression("#pk = :id")
        };
        let mut pages = query.into_paginator().items().send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            items.push(item.map_err(|e| table_error(&self.table, "Query", e))?);
        }
        Ok(items)
    }

    /// The stored version and wave digests of `id`.
    async fn stored_digests(&self, id: &ExecutionId) -> PortResult<Option<(Version, Vec<u64>)>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(id.as_str()))
            .key(SORT_KEY, s(STATE_ITEM))
            .consistent_read(true)
            .projection_expression("#v, wave_digests")
            .expression_attribute_names("#v", "version")
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = self.what(id, STATE_ITEM);
        let reader = Reader::new(&item, &what);
        Ok(Some((
            reader.number("version")?,
            parse_digests(reader.string("wave_digests")?, &what)?,
        )))
    }

    fn what(&self, id: &ExecutionId, item: &str) -> String {
        format!("execution {id} {item} item in table {}", self.table)
    }

    fn expires_at(&self, execution: &Execution) -> Option<i64> {
        if !execution.is_terminal() {
            return None;
        }
        let days = self.ttl_days?;
        let end = execution.ended_at.unwrap_or_else(Timestamp::now);
        Some(end.as_second() + i64::from(days) * 86_400)
    }

    fn state_item(
        &self,
        execution: &Execution,
        version: Version,
        digests: &[u64],
    ) -> PortResult<Item> {
        let mut header = execution.clone();
        header.waves = Vec::new();
        let state = json(&header)
            .and_then(|bytes| gzip(&bytes))
            .map_err(|e| PortError::Permanent(format!("execution {}: {e}", execution.id)))?;
        let mut item: Item = HashMap::from([
            (PARTITION_KEY.to_owned(), s(execution.id.as_str())),
            (SORT_KEY.to_owned(), s(STATE_ITEM)),
            ("version".to_owned(), n(version)),
            ("status".to_owned(), s(execution.status.to_string())),
            ("mode".to_owned(), s(execution.mode.as_str())),
            (PLAN_NAME.to_owned(), s(execution.plan.name.clone())),
            ("requested_by".to_owned(), s(execution.requested_by.clone())),
            (
                REQUESTED_AT.to_owned(),
                s(timestamp(execution.requested_at)),
            ),
            ("current_wave".to_owned(), n(execution.current_wave)),
            ("wave_digests".to_owned(), s(format_digests(digests))),
            ("state".to_owned(), b(state)),
        ]);
        if let Some(ended) = execution.ended_at {
            item.insert("ended_at".to_owned(), s(timestamp(ended)));
        }
        if execution.is_terminal() {
            if let Some(expires) = self.expires_at(execution) {
                item.insert(EXPIRES_AT.to_owned(), n(expires));
            }
        } else {
            item.insert(ACTIVE_STATUS.to_owned(), s(execution.status.to_string()));
        }
        Ok(item)
    }

    fn wave_item(
        &self,
        execution: &Execution,
        index: usize,
        wave: &EncodedWave,
        version: Version,
    ) -> PortResult<Item> {
        let state = gzip(&wave.json).map_err(|e| {
            PortError::Permanent(format!("execution {} wave {index}: {e}", execution.id))
        })?;
        let mut item: Item = HashMap::from([
            (PARTITION_KEY.to_owned(), s(execution.id.as_str())),
            (SORT_KEY.to_owned(), s(wave_key(index))),
            ("wave".to_owned(), n(index)),
            ("digest".to_owned(), s(format!("{:016x}", wave.digest))),
            ("version".to_owned(), n(version)),
            ("state".to_owned(), b(state)),
        ]);
        if let Some(expires) = self.expires_at(execution) {
            item.insert(EXPIRES_AT.to_owned(), n(expires));
        }
        Ok(item)
    }

    fn put(
        &self,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
    ) -> PortResult<TransactWriteItem> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expression, values)) = condition {
            put = put.condition_expression(expression);
            if expression.contains("#pk") {
                put = put.expression_attribute_names("#pk", PARTITION_KEY);
            }
            if expression.contains("#holder") {
                put = put.expression_attribute_names("#holder", HOLDER);
            }
            if expression.contains("#v") {
                put = put.expression_attribute_names("#v", "version");
            }
            for (name, value) in values {
                put = put.expression_attribute_values(name, value);
            }
        }
        let put = put
            .build()
            .map_err(|e| PortError::Permanent(format!("DynamoDB Put request: {e}")))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Sets `expires_at` on the stored waves a terminal save did not rewrite.
    async fn expire_unchanged_waves(
        &self,
        execution: &Execution,
        digests: &[u64],
        written: &[usize],
    ) {
        let Some(expires) = self.expires_at(execution) else {
            return;
        };
        let pending = pending_digest().ok();
        for (index, (_, digest)) in execution.waves.iter().zip(digests).enumerate() {
            // Waves never started have no item to expire.
            if written.contains(&index) || pending == Some(*digest) {
                continue;
            }
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(execution.id.as_str()))
                .key(SORT_KEY, s(wave_key(index)))
                .update_expression("SET #ttl = :ttl")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#ttl", EXPIRES_AT)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":ttl", n(expires))
                .send()
                .await;
            if let Err(error) = result {
                tracing::warn!(
                    execution = %execution.id,
                    wave = index,
                    error = %sdk_error::describe(&error),
                    "could not set the TTL of a finished execution's wave item"
                );
            }
        }
    }

    async fn write(
        &self,
        execution: &Execution,
        items: Vec<TransactWriteItem>,
    ) -> PortResult<WriteOutcome> {
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(PortError::Permanent(format!(
                "execution {}: {} items to write at once, more than the {MAX_TRANSACTION_ITEMS} \
                 one DynamoDB transaction holds",
                execution.id,
                items.len()
            )));
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(WriteOutcome::Written),
            Err(error) => match Cancellation::of(&error) {
                Some(cancellation) if cancellation.condition_failed(0) => {
                    Ok(WriteOutcome::ConditionFailed)
                }
                // Someone else is writing the same execution right now: as good as a
                // version conflict (reload and decide again).
                Some(cancellation) if cancellation.conflicted() => {
                    Ok(WriteOutcome::ConditionFailed)
                }
                Some(cancellation) if cancellation.any_condition_failed() => {
                    Ok(WriteOutcome::OtherConditionFailed)
                }
                Some(cancellation) => Err(PortError::Transient(format!(
                    "DynamoDB TransactWriteItems on table {} for execution {} was cancelled ({})",
                    self.table,
                    execution.id,
                    cancellation.codes()
                ))),
                None => Err(table_error(&self.table, "TransactWriteItems", error)),
            },
        }
    }

    fn assemble(&self, id: &ExecutionId, items: &[Item]) -> PortResult<Assembled> {
        let Some(state) = items.iter().find(
            |item| matches!(item.get(SORT_KEY), Some(AttributeValue::S(k)) if k == STATE_ITEM),
        ) else {
            return Ok(Assembled::Missing);
        };
        let what = self.what(id, STATE_ITEM);
        let reader = Reader::new(state, &what);
        let version: Version = reader.number("version")?;
        let digests = parse_digests(reader.string("wave_digests")?, &what)?;
        let mut execution: Execution = gunzip_json(reader.bytes("state")?)
            .map_err(|e| PortError::Permanent(format!("{what}: `state` is unreadable: {e}")))?;
        if digests.len() != execution.plan.waves.len() {
            return Err(PortError::Permanent(format!(
                "{what}: {} wave digests for a plan of {} waves",
                digests.len(),
                execution.plan.waves.len()
            )));
        }
        let mut waves: HashMap<usize, &Item> = HashMap::new();
        for item in items {
            if let Some(AttributeValue::S(key)) = item.get(SORT_KEY)
                && let Some(index) = key.strip_prefix("WAVE#").and_then(|i| i.parse().ok())
            {
                waves.insert(index, item);
            }
        }
        let mut states = Vec::with_capacity(digests.len());
        for (index, expected) in digests.iter().enumerate() {
            let wave = match waves.get(&index) {
                Some(item) => {
                    let what = self.what(id, &wave_key(index));
                    let reader = Reader::new(item, &what);
                    let stored =
                        u64::from_str_radix(reader.string("digest")?, 16).map_err(|_| {
                            PortError::Permanent(format!("{what}: `digest` is not hexadecimal"))
                        })?;
                    if stored != *expected {
                        return Ok(Assembled::Torn);
                    }
                    gunzip_json::<WaveState>(reader.bytes("state")?).map_err(|e| {
                        PortError::Permanent(format!("{what}: `state` is unreadable: {e}"))
                    })?
                }
                None => {
                    if pending_digest()? != *expected {
                        return Ok(Assembled::Torn);
                    }
                    WaveState::pending()
                }
            };
            states.push(wave);
        }
        execution.waves = states;
        Ok(Assembled::Found(Box::new(execution), version, digests))
    }
}

enum Assembled {
    Missing,
    /// The items read belong to different versions (a save committed during the read).
    Torn,
    Found(Box<Execution>, Version, Vec<u64>),
}

enum WriteOutcome {
    Written,
    /// The condition of the first item (the `STATE`) failed, or another transaction was
    /// writing the same items.
    ConditionFailed,
    /// Another item's condition failed.
    OtherConditionFailed,
}

#[async_trait]
impl ExecutionStore for ExecutionTable {
    async fn create(&self, execution: &Execution) -> PortResult<Created> {
        let encoded = encode_waves(execution)?;
        let digests: Vec<u64> = encoded.iter().map(|w| w.digest).collect();
        let mut items = vec![self.put(
            self.state_item(execution, 1, &digests)?,
            Some(("attribute_not_exists(#pk)", Vec::new())),
        )?];
        let holds = execution.holds_its_plan();
        if holds {
            let hold = Item::from([
                (
                    PARTITION_KEY.to_owned(),
                    s(Self::hold_partition(&execution.plan.name)),
                ),
                (SORT_KEY.to_owned(), s(HOLD_ITEM)),
                (HOLDER.to_owned(), s(execution.id.as_str())),
            ]);
            items.push(self.put(
                hold,
                Some((
                    "attribute_not_exists(#pk) OR #holder = :id",
                    vec![(":id", s(execution.id.as_str()))],
                )),
            )?);
        }
        let mut written = Vec::new();
        let pending = pending_digest()?;
        for (index, wave) in encoded.iter().enumerate() {
            if wave.digest != pending {
                items.push(self.put(self.wave_item(execution, index, wave, 1)?, None)?);
                written.push(index);
            }
        }
        match self.write(execution, items).await? {
            WriteOutcome::Written => {
                self.remember(&execution.id, 1, digests);
                Ok(Created::New)
            }
            WriteOutcome::ConditionFailed => Ok(Created::Exists),
            WriteOutcome::OtherConditionFailed if holds => {
                match self.plan_holder(&execution.plan.name).await? {
                    Some(by) => Ok(Created::PlanHeld { by }),
                    // Released meanwhile: the caller's retry (SQS) creates it.
                    None => Err(PortError::Transient(format!(
                        "plan `{}` was held by another execution while {} was created",
                        execution.plan.name, execution.id
                    ))),
                }
            }
            WriteOutcome::OtherConditionFailed => Err(PortError::Transient(format!(
                "execution {}: a condition of its creation failed unexpectedly",
                execution.id
            ))),
        }
    }

    async fn release_plan(&self, plan_name: &str, holder: &ExecutionId) -> PortResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(Self::hold_partition(plan_name)))
            .key(SORT_KEY, s(HOLD_ITEM))
            .condition_expression("#holder = :id")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":id", s(holder.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not held by `holder` (any more): nothing to give back.
            Err(error) if sdk_error::code(&error) == Some("ConditionalCheckFailedException") => {
                Ok(())
            }
            Err(error) => Err(table_error(&self.table, "DeleteItem (plan hold)", error)),
        }
    }

    async fn plan_holder(&self, plan_name: &str) -> PortResult<Option<ExecutionId>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(Self::hold_partition(plan_name)))
            .key(SORT_KEY, s(HOLD_ITEM))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem (plan hold)", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("plan `{plan_name}` HOLD item in table {}", self.table);
        let holder = Reader::new(&item, &what).string(HOLDER)?;
        Ok(Some(ExecutionId::new(holder)))
    }

    async fn load(&self, id: &ExecutionId) -> PortResult<Option<(Execution, Version)>> {
        for _ in 0..LOAD_ATTEMPTS {
            let items = self.query_items(id, true).await?;
            match self.assemble(id, &items)? {
                Assembled::Missing => return Ok(None),
                Assembled::Torn => continue,
                Assembled::Found(execution, version, digests) => {
                    self.remember(id, version, digests);
                    return Ok(Some((*execution, version)));
                }
            }
        }
        Err(PortError::Transient(format!(
            "execution {id} in table {}: its items changed during each of {LOAD_ATTEMPTS} reads",
            self.table
        )))
    }

    async fn save(&self, execution: &Execution, expected: Version) -> PortResult<Option<Version>> {
        let id = &execution.id;
        let previous = match self.remembered(id, expected) {
            Some(digests) => digests,
            None => match self.stored_digests(id).await? {
                Some((version, digests)) if version == expected => digests,
                _ => return Ok(None),
            },
        };
        let encoded = encode_waves(execution)?;
        let digests: Vec<u64> = encoded.iter().map(|w| w.digest).collect();
        let version = expected + 1;
        let mut items = vec![self.put(
            self.state_item(execution, version, &digests)?,
            Some(("#v = :expected", vec![(":expected", n(expected))])),
        )?];
        let mut written = Vec::new();
        for (index, wave) in encoded.iter().enumerate() {
            if previous.get(index) != Some(&wave.digest) {
                items.push(self.put(self.wave_item(execution, index, wave, version)?, None)?);
                written.push(index);
            }
        }
        match self.write(execution, items).await? {
            WriteOutcome::Written => {
                if execution.is_terminal() {
                    self.expire_unchanged_waves(execution, &digests, &written)
                        .await;
                }
                self.remember(id, version, digests);
                Ok(Some(version))
            }
            // Wave items carry no condition: any failed condition is the version's.
            WriteOutcome::ConditionFailed | WriteOutcome::OtherConditionFailed => {
                self.forget(id);
                Ok(None)
            }
        }
    }

    async fn record_cleanup(&self, id: &ExecutionId, cleanup: &DrillCleanup) -> PortResult<()> {
        let text = serde_json::to_string(cleanup)
            .map_err(|e| PortError::Permanent(format!("execution {id}: cleanup: {e}")))?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(id.as_str()))
            .item(SORT_KEY, s(CLEANUP_ITEM))
            .item("cleanup", s(text))
            .item("cleanup_at", s(timestamp(cleanup.at)));
        if let Some(days) = self.ttl_days {
            let from = cleanup.at.max(Timestamp::now());
            request = request.item(EXPIRES_AT, n(from.as_second() + i64::from(days) * 86_400));
        }
        request
            .send()
            .await
            .map_err(|e| table_error(&self.table, "PutItem (cleanup)", e))?;
        Ok(())
    }

    /// The executions of `plan_name`, newest first, at most `limit` (the `by_plan` index).
    async fn list_by_plan(
        &self,
        plan_name: &str,
        limit: usize,
    ) -> PortResult<Vec<ExecutionSummary>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_PLAN_INDEX)
            .key_condition_expression("#plan = :plan")
            .expression_attribute_names("#plan", PLAN_NAME)
            .expression_attribute_values(":plan", s(plan_name))
            .scan_index_forward(false)
            // Pages no bigger than needed: the listing reads `limit` items at most.
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .into_paginator()
            .items()
            .send();
        let mut summaries = Vec::new();
        while summaries.len() < limit {
            let Some(item) = pages.next().await else {
                break;
            };
            let item = item.map_err(|e| table_error(&self.table, "Query (by plan)", e))?;
            summaries.push(summary(&item, &self.table)?);
        }
        Ok(summaries)
    }
}

fn wave_key(index: usize) -> String {
    format!("WAVE#{index:04}")
}

fn encode_waves(execution: &Execution) -> PortResult<Vec<EncodedWave>> {
    execution
        .waves
        .iter()
        .enumerate()
        .map(|(index, wave)| {
            let json = json(wave).map_err(|e| {
                PortError::Permanent(format!("execution {} wave {index}: {e}", execution.id))
            })?;
            Ok(EncodedWave {
                digest: digest(&json),
                json,
            })
        })
        .collect()
}

/// The digest a wave has while it has never started (every such wave is alike).
fn pending_digest() -> PortResult<u64> {
    json(&WaveState::pending())
        .map(|bytes| digest(&bytes))
        .map_err(PortError::Permanent)
}

fn format_digests(digests: &[u64]) -> String {
    digests
        .iter()
        .map(|d| format!("{d:016x}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_digests(text: &str, what: &str) -> PortResult<Vec<u64>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|d| {
            u64::from_str_radix(d, 16).map_err(|_| {
                PortError::Permanent(format!("{what}: `wave_digests` holds `{d}`, not a digest"))
            })
        })
        .collect()
}

fn summary(item: &Item, table: &str) -> PortResult<ExecutionSummary> {
    let what = format!("execution index entry in table {table}");
    let reader = Reader::new(item, &what);
    let status = serde_json::Value::String(reader.string("status")?.to_owned());
    let mode = serde_json::Value::String(reader.string("mode")?.to_owned());
    Ok(ExecutionSummary {
        execution_id: ExecutionId::new(reader.string(PARTITION_KEY)?),
        plan_name: reader.string(PLAN_NAME)?.to_owned(),
        status: serde_json::from_value(status)
            .map_err(|e| PortError::Permanent(format!("{what}: `status`: {e}")))?,
        mode: serde_json::from_value(mode)
            .map_err(|e| PortError::Permanent(format!("{what}: `mode`: {e}")))?,
        requested_by: reader
            .opt_string("requested_by")?
            .unwrap_or_default()
            .to_owned(),
        requested_at: reader.timestamp(REQUESTED_AT)?,
        ended_at: reader.opt_timestamp("ended_at")?,
        version: reader.number("version")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_as_text() {
        let digests = vec![0, 1, u64::MAX, 0x0123_4567_89ab_cdef];
        let text = format_digests(&digests);
        assert_eq!(parse_digests(&text, "x").unwrap(), digests);
        assert_eq!(parse_digests("", "x").unwrap(), Vec::<u64>::new());
        assert!(parse_digests("zz", "x").is_err());
    }

    #[test]
    fn wave_keys_sort_in_wave_order() {
        assert_eq!(wave_key(7), "WAVE#0007");
        assert!(wave_key(9) < wave_key(10));
        assert!(STATE_ITEM < wave_key(0).as_str() && CLEANUP_ITEM < STATE_ITEM);
    }
}
