//! [`JobLedger`] on DynamoDB (`.team/pipeline.md`): the DRS concurrent-job budget of each
//! account and region, shared by every execution, and the owner of each job.
//!
//! Items (partition `scope`, sort `entry`):
//! - `ACCOUNT#REGION` / `BUDGET`: `active_jobs`, `active_servers`.
//! - `ACCOUNT#REGION` / `REQ#<request>`: one claim: `servers`, `active`, `job_id` once known.
//! - `JOB#<job>` / `OWNER`: `execution_id`, `wave`; written once per execution (never taken
//!   over by another execution).
//!
//! A claim is one transaction: the budget's conditional increment and the claim's
//! conditional put. A claim already active is granted again without counting twice; a
//! release flips `active` and decrements the budget in one transaction, so it is idempotent.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use engine::{JobId, Limits, StartRequestId};
use jiff::Timestamp;
use pipeline::ports::{Claim, JobLedger, JobOwner, PortError, PortResult, ReleaseReason, Scope};

use super::cancellation::Cancellation;
use super::item::{Reader, bool, n, s, timestamp};
use super::table_error;

/// Partition key: `ACCOUNT#REGION`, or `JOB#<job id>` for owners (S).
pub const PARTITION_KEY: &str = "scope";
/// Sort key: `BUDGET`, `REQ#<request id>`, `OWNER` (S).
pub const SORT_KEY: &str = "entry";
/// TTL attribute (epoch seconds) of released claims and job owners.
pub const EXPIRES_AT: &str = "expires_at";
/// How long released claims and job owners are kept by default.
pub const DEFAULT_TTL_DAYS: u32 = 30;

const BUDGET: &str = "BUDGET";
const OWNER: &str = "OWNER";
/// Attempts of a transaction that collides with another one on the same budget.
const TRANSACTION_ATTEMPTS: u32 = 8;

/// The job ledger table.
#[derive(Debug, Clone)]
pub struct LedgerTable {
    client: Client,
    table: String,
    ttl_days: Option<u32>,
}

/// A scope's budget in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    /// Jobs claimed and not released.
    pub active_jobs: u32,
    /// Servers in those jobs.
    pub active_servers: u32,
}

/// One claim as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// Servers it counts.
    pub servers: u32,
    /// Held (not released).
    pub active: bool,
    /// The job it became, once recorded.
    pub job_id: Option<JobId>,
}

impl LedgerTable {
    /// The table `table`, keeping released claims and owners [`DEFAULT_TTL_DAYS`] days.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            ttl_days: Some(DEFAULT_TTL_DAYS),
        }
    }

    /// Keeps released claims and job owners `days` days; `None` keeps them forever.
    pub fn with_ttl_days(mut self, days: Option<u32>) -> Self {
        self.ttl_days = days;
        self
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The budget in use in `scope`.
    pub async fn budget(&self, scope: &Scope) -> PortResult<Budget> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(scope_key(scope)))
            .key(SORT_KEY, s(BUDGET))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem (budget)", e))?;
        let Some(item) = output.item else {
            return Ok(Budget::default());
        };
        let what = format!("budget of {} in table {}", scope_key(scope), self.table);
        let reader = Reader::new(&item, &what);
        Ok(Budget {
            active_jobs: reader.opt_number("active_jobs")?.unwrap_or(0),
            active_servers: reader.opt_number("active_servers")?.unwrap_or(0),
        })
    }

    /// The claim of `request` in `scope`, if any.
    pub async fn claim_record(
        &self,
        scope: &Scope,
        request: &StartRequestId,
    ) -> PortResult<Option<ClaimRecord>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(scope_key(scope)))
            .key(SORT_KEY, s(request_key(request)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem (claim)", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("claim {request} in table {}", self.table);
        let reader = Reader::new(&item, &what);
        Ok(Some(ClaimRecord {
            servers: reader.opt_number("servers")?.unwrap_or(0),
            active: reader.opt_bool("active")?.unwrap_or(false),
            job_id: reader.opt_string("job_id")?.map(JobId::new),
        }))
    }

    fn expires_at(&self) -> Option<i64> {
        self.ttl_days
            .map(|days| Timestamp::now().as_second() + i64::from(days) * 86_400)
    }

    async fn transact(
        &self,
        operation: &str,
        items: Vec<TransactWriteItem>,
    ) -> PortResult<Option<Cancellation>> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(None),
                Err(error) => match Cancellation::of(&error) {
                    Some(cancellation) if cancellation.conflicted() => {
                        back_off(attempt).await;
                    }
                    Some(cancellation) => return Ok(Some(cancellation)),
                    None => return Err(table_error(&self.table, operation, error)),
                },
            }
        }
        Err(PortError::Transient(format!(
            "DynamoDB {operation} on table {}: still colliding with other transactions after \
             {TRANSACTION_ATTEMPTS} attempts",
            self.table
        )))
    }
}

#[async_trait]
impl JobLedger for LedgerTable {
    async fn claim(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        servers: u32,
        limits: &Limits,
    ) -> PortResult<Claim> {
        let max_jobs = limits.concurrent_jobs;
        let max_servers = limits.servers_in_active_jobs;
        if max_jobs == 0 || servers > max_servers {
            // Can never fit; but a claim already held stays held.
            return Ok(match self.claim_record(scope, request).await? {
                Some(record) if record.active => Claim::Held,
                _ => Claim::Exhausted,
            });
        }
        let scope_key = scope_key(scope);
        let budget = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&scope_key))
            .key(SORT_KEY, s(BUDGET))
            .update_expression(
                "SET active_jobs = if_not_exists(active_jobs, :zero) + :one, \
                 active_servers = if_not_exists(active_servers, :zero) + :n",
            )
            .condition_expression(
                "(attribute_not_exists(active_jobs) OR active_jobs < :max_jobs) AND \
                 (attribute_not_exists(active_servers) OR active_servers <= :room)",
            )
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":n", n(servers))
            .expression_attribute_values(":max_jobs", n(max_jobs))
            .expression_attribute_values(":room", n(max_servers - servers))
            .build()
            .map_err(|e| PortError::Permanent(format!("ledger claim request: {e}")))?;
        // First as a fresh grant: no claim of this request ever, or only claims given back
        // after DRS rejected it. Otherwise (given back as settled, or a job recorded without a
        // claim) as a regrant: a start of it may have gone out before.
        for (answer, condition) in [
            (
                Claim::Granted,
                "attribute_not_exists(#sk) OR (active = :false AND released_as = :rejected)",
            ),
            (
                Claim::Regranted,
                "attribute_exists(#sk) AND (attribute_not_exists(active) OR active = :false)",
            ),
        ] {
            let mut claim = Put::builder()
                .table_name(&self.table)
                .item(PARTITION_KEY, s(&scope_key))
                .item(SORT_KEY, s(request_key(request)))
                .item("request", s(request.to_string()))
                .item("servers", n(servers))
                .item("active", bool(true))
                .item("claimed_at", s(timestamp(Timestamp::now())))
                .condition_expression(condition)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":false", bool(false));
            if answer == Claim::Granted {
                claim = claim.expression_attribute_values(
                    ":rejected",
                    s(reason_text(ReleaseReason::Rejected)),
                );
            }
            let claim = claim
                .build()
                .map_err(|e| PortError::Permanent(format!("ledger claim request: {e}")))?;
            let items = vec![
                TransactWriteItem::builder().update(budget.clone()).build(),
                TransactWriteItem::builder().put(claim).build(),
            ];
            let Some(cancellation) = self.transact("TransactWriteItems (claim)", items).await?
            else {
                return Ok(answer);
            };
            // Whatever the budget says, a claim already held by this request stays held
            // (DynamoDB may report only the first failed condition: read the claim).
            let record = self.claim_record(scope, request).await?;
            if record.as_ref().is_some_and(|record| record.active) {
                return Ok(Claim::Held);
            }
            if cancellation.condition_failed(1) && answer == Claim::Granted {
                // Not a fresh grant: try as a regrant.
                continue;
            }
            if cancellation.condition_failed(0) {
                return Ok(Claim::Exhausted);
            }
            return Err(PortError::Transient(format!(
                "DynamoDB claim of {request} on table {} was cancelled ({})",
                self.table,
                cancellation.codes()
            )));
        }
        Err(PortError::Transient(format!(
            "DynamoDB claim of {request} on table {}: its record changed while it was claimed",
            self.table
        )))
    }

    async fn record_job(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        job: &JobId,
        owner: &JobOwner,
    ) -> PortResult<()> {
        let claim = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(scope_key(scope)))
            .key(SORT_KEY, s(request_key(request)))
            .update_expression("SET job_id = :job")
            .expression_attribute_values(":job", s(job.as_str()))
            .build()
            .map_err(|e| PortError::Permanent(format!("ledger record request: {e}")))?;
        let mut owner_item = Put::builder()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(job_key(job)))
            .item(SORT_KEY, s(OWNER))
            .item("execution_id", s(owner.execution_id.as_str()))
            .item("wave", n(owner.wave))
            .item("request", s(request.to_string()))
            .item("scope_key", s(scope_key(scope)));
        if let Some(expires) = self.expires_at() {
            owner_item = owner_item.item(EXPIRES_AT, n(expires));
        }
        // A job is owned by the execution that recorded it first: another execution must not
        // take its events (its ledger claim and its DRS events would go astray).
        let owner_item = owner_item
            .condition_expression("attribute_not_exists(#sk) OR execution_id = :execution")
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":execution", s(owner.execution_id.as_str()))
            .build()
            .map_err(|e| PortError::Permanent(format!("ledger record request: {e}")))?;
        let items = vec![
            TransactWriteItem::builder().update(claim.clone()).build(),
            TransactWriteItem::builder().put(owner_item).build(),
        ];
        let Some(cancellation) = self
            .transact("TransactWriteItems (record job)", items)
            .await?
        else {
            return Ok(());
        };
        if !cancellation.condition_failed(1) {
            return Err(PortError::Transient(format!(
                "DynamoDB record of job {job} on table {} was cancelled ({})",
                self.table,
                cancellation.codes()
            )));
        }
        // Another execution owns the job: keep its owner, record the job on our claim only
        // (so the claim is released when the job completes).
        tracing::warn!(
            %job,
            %request,
            execution = %owner.execution_id,
            "job already owned by another execution; its owner is kept"
        );
        match self
            .transact(
                "TransactWriteItems (record job)",
                vec![TransactWriteItem::builder().update(claim).build()],
            )
            .await?
        {
            None => Ok(()),
            Some(cancellation) => Err(PortError::Transient(format!(
                "DynamoDB record of job {job} on table {} was cancelled ({})",
                self.table,
                cancellation.codes()
            ))),
        }
    }

    async fn release(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        reason: ReleaseReason,
    ) -> PortResult<()> {
        let Some(record) = self.claim_record(scope, request).await? else {
            return Ok(());
        };
        if !record.active {
            return Ok(());
        }
        let scope_key = scope_key(scope);
        let mut claim = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&scope_key))
            .key(SORT_KEY, s(request_key(request)))
            .condition_expression("active = :true")
            .expression_attribute_values(":true", bool(true))
            .expression_attribute_values(":false", bool(false))
            .expression_attribute_values(":now", s(timestamp(Timestamp::now())))
            .expression_attribute_values(":reason", s(reason_text(reason)));
        claim = match self.expires_at() {
            Some(expires) => claim
                .update_expression(
                    "SET active = :false, released_at = :now, released_as = :reason, #ttl = :ttl",
                )
                .expression_attribute_names("#ttl", EXPIRES_AT)
                .expression_attribute_values(":ttl", n(expires)),
            None => claim.update_expression(
                "SET active = :false, released_at = :now, released_as = :reason",
            ),
        };
        let claim = claim
            .build()
            .map_err(|e| PortError::Permanent(format!("ledger release request: {e}")))?;
        let budget = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&scope_key))
            .key(SORT_KEY, s(BUDGET))
            .update_expression(
                "SET active_jobs = active_jobs - :one, active_servers = active_servers - :n",
            )
            .condition_expression("active_jobs >= :one AND active_servers >= :n")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":n", n(record.servers))
            .build()
            .map_err(|e| PortError::Permanent(format!("ledger release request: {e}")))?;
        let items = vec![
            TransactWriteItem::builder().update(claim).build(),
            TransactWriteItem::builder().update(budget).build(),
        ];
        match self.transact("TransactWriteItems (release)", items).await? {
            None => Ok(()),
            // Released meanwhile by someone else: done.
            Some(cancellation) if cancellation.condition_failed(0) => Ok(()),
            Some(cancellation) if cancellation.condition_failed(1) => {
                // The budget holds less than this claim: it was repaired or reset by hand.
                // Release the claim alone rather than drive the counters negative.
                tracing::warn!(%request, scope = %scope_key, "ledger budget below a held claim; releasing the claim only");
                let claim_only = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(&scope_key))
                    .key(SORT_KEY, s(request_key(request)))
                    .update_expression("SET active = :false, released_as = :reason")
                    .expression_attribute_values(":false", bool(false))
                    .expression_attribute_values(":reason", s(reason_text(reason)))
                    .build()
                    .map_err(|e| PortError::Permanent(format!("ledger release request: {e}")))?;
                match self
                    .transact(
                        "TransactWriteItems (release)",
                        vec![TransactWriteItem::builder().update(claim_only).build()],
                    )
                    .await?
                {
                    None => Ok(()),
                    Some(cancellation) => Err(PortError::Transient(format!(
                        "DynamoDB release of {request} on table {} was cancelled ({})",
                        self.table,
                        cancellation.codes()
                    ))),
                }
            }
            Some(cancellation) => Err(PortError::Transient(format!(
                "DynamoDB release of {request} on table {} was cancelled ({})",
                self.table,
                cancellation.codes()
            ))),
        }
    }

    async fn owner(&self, job: &JobId) -> PortResult<Option<JobOwner>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(job_key(job)))
            .key(SORT_KEY, s(OWNER))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem (job owner)", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("owner of job {job} in table {}", self.table);
        let reader = Reader::new(&item, &what);
        Ok(Some(JobOwner {
            execution_id: reader.string("execution_id")?.into(),
            wave: reader.number("wave")?,
        }))
    }
}

/// `ACCOUNT#REGION`.
pub fn scope_key(scope: &Scope) -> String {
    format!("{}#{}", scope.account_id, scope.region)
}

fn request_key(request: &StartRequestId) -> String {
    format!("REQ#{request}")
}

fn job_key(job: &JobId) -> String {
    format!("JOB#{job}")
}

/// A short randomised pause before retrying a colliding transaction.
async fn back_off(attempt: u32) {
    let jitter = u64::try_from(uuid::Uuid::new_v4().as_u128() % 20).unwrap_or(0);
    let millis = 10 * u64::from(attempt + 1) + jitter;
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

/// How a release reason is stored (`released_as`).
fn reason_text(reason: ReleaseReason) -> &'static str {
    match reason {
        ReleaseReason::Rejected => "rejected",
        ReleaseReason::Settled => "settled",
    }
}
