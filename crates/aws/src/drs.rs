//! [`Drs`] on `aws-sdk-drs`: one client per target (region + credentials), cached.
//!
//! - `resolve` reads every page of `DescribeSourceServers` once for all the selections of a
//!   target.
//! - `start_recovery` tags the job with [`REQUEST_TAG`] (the engine's request ID) and
//!   [`EXECUTION_TAG`]; a re-issued request first looks for a job carrying its tag among the
//!   jobs created since its first emission.
//!   A `ConflictException` adopts only the job carrying this request's tag; any other job
//!   holding the servers makes it `Conflict { running_job: None }` (the engine backs off).
//!   The SDK does not retry `StartRecovery`: throttling reaches the engine, which backs off.
//! - `describe_jobs` is one `DescribeJobs` per 1000 jobs, all pages.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_drs::Client;
use aws_sdk_drs::config::http::HttpResponse;
use aws_sdk_drs::config::retry::RetryConfig;
use aws_sdk_drs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_drs::operation::start_recovery::StartRecoveryError;
use aws_sdk_drs::types::{
    DescribeJobsRequestFilters, InitiatedBy, Job, JobType, StartRecoveryRequestSourceServer,
};
use engine::{JobId, JobSnapshot, Rejection, ServerId, ServerSnapshot, StartRecovery};
use jiff::Timestamp;
use pipeline::ports::{Drs, PortError, PortResult, Resolution, StartAnswer, TargetRef};
use plan::Target;

use crate::config::AwsConfig;
use crate::credentials::{self, TargetCredentials};
use crate::sdk_error;

/// The job tag holding the engine's `StartRequestId` (the idempotency key).
pub const REQUEST_TAG: &str = "drs-orchestrator:request";
/// The job tag holding the execution ID.
pub const EXECUTION_TAG: &str = "drs-orchestrator:execution";
/// Most job IDs one `DescribeJobs` filter takes.
pub const MAX_JOB_IDS_PER_DESCRIBE: usize = 1000;
/// How many jobs are read when looking for the running jobs that hold a conflicting chunk's
/// servers (a diagnostic: they are logged).
pub const DEFAULT_JOB_SEARCH_WINDOW: usize = 1000;
/// How long before a request's first emission its job is looked for: the margin for a clock
/// of this Lambda running ahead of DRS's.
pub const CLOCK_SKEW_MARGIN_SECONDS: i64 = 300;

/// DRS in every target.
#[derive(Debug)]
pub struct DrsAdapter {
    config: AwsConfig,
    credentials: Arc<TargetCredentials>,
    clients: Mutex<HashMap<ClientKey, Client>>,
    job_search_window: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    region: String,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
}

/// One item of a job's log (`DescribeJobLogItems`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLogEntry {
    /// `logDateTime`, when DRS gave a readable one.
    pub at: Option<Timestamp>,
    /// `event` as DRS spells it (`JOB_START`, `SNAPSHOT_START`, `LAUNCH_FAILED`, …).
    pub event: String,
    /// `eventData.sourceServerID`.
    pub source_server_id: Option<String>,
    /// `eventData.conversionServerID`.
    pub conversion_server_id: Option<String>,
    /// `eventData.targetInstanceID`.
    pub target_instance_id: Option<String>,
    /// `eventData.rawError`.
    pub raw_error: Option<String>,
}

impl DrsAdapter {
    /// DRS with `config`'s endpoint, in each target's region, with `credentials`.
    pub fn new(config: &AwsConfig, credentials: Arc<TargetCredentials>) -> Self {
        Self {
            config: config.clone(),
            credentials,
            clients: Mutex::new(HashMap::new()),
            job_search_window: DEFAULT_JOB_SEARCH_WINDOW,
        }
    }

    /// Reads at most `jobs` of the jobs DRS lists first when naming the jobs that block a
    /// conflicting request (a diagnostic; the request's own job is looked for by date).
    pub fn with_job_search_window(mut self, jobs: usize) -> Self {
        self.job_search_window = jobs.max(1);
        self
    }

    /// The (cached) client for `target`, its credentials checked.
    pub async fn client(&self, target: TargetRef<'_>) -> PortResult<Client> {
        let execution = target.execution.map(|id| id.as_str());
        let target = definition(target)?;
        self.credentials.ensure(target, execution).await?;
        let role_arn = target.and_then(|t| t.role_arn.clone());
        let key = ClientKey {
            region: target.map_or_else(|| self.config.region().to_owned(), |t| t.region.clone()),
            // Only an assumed role has a session to name.
            session_name: role_arn
                .as_ref()
                .map(|_| credentials::session_name(execution)),
            role_arn,
            external_id: target.and_then(|t| t.external_id.clone()),
        };
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() >= credentials::MAX_CACHED_SESSIONS && !clients.contains_key(&key) {
            clients.clear();
        }
        let client = clients.entry(key.clone()).or_insert_with(|| {
            let mut builder = self
                .config
                .drs_builder()
                .region(aws_sdk_drs::config::Region::new(key.region.clone()));
            if let Some(provider) = self.credentials.provider(target, execution) {
                builder = builder.credentials_provider(provider);
            }
            Client::from_conf(builder.build())
        });
        Ok(client.clone())
    }

    /// Every item of `job`'s log, oldest first (all pages).
    pub async fn describe_job_log_items(
        &self,
        target: TargetRef<'_>,
        job: &JobId,
    ) -> PortResult<Vec<JobLogEntry>> {
        let client = self.client(target).await?;
        let operation = format!("DRS DescribeJobLogItems of {job} in {}", place(target));
        let mut pages = client
            .describe_job_log_items()
            .job_id(job.as_str())
            .into_paginator()
            .items()
            .send();
        let mut entries = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| sdk_error::port_error(&operation, e))?;
            let data = item.event_data.as_ref();
            entries.push(JobLogEntry {
                at: item.log_date_time.as_deref().and_then(parse_time),
                event: item
                    .event
                    .as_ref()
                    .map_or_else(String::new, |e| e.as_str().to_owned()),
                source_server_id: data.and_then(|d| d.source_server_id.clone()),
                conversion_server_id: data.and_then(|d| d.conversion_server_id.clone()),
                target_instance_id: data.and_then(|d| d.target_instance_id.clone()),
                raw_error: data.and_then(|d| d.raw_error.clone()),
            });
        }
        Ok(entries)
    }

    /// Starts a `TERMINATE` job for these recovery instances; its ID.
    pub async fn terminate_recovery_instances(
        &self,
        target: TargetRef<'_>,
        recovery_instance_ids: &[String],
    ) -> PortResult<JobId> {
        let client = self.client(target).await?;
        let operation = format!(
            "DRS TerminateRecoveryInstances of {} instance(s) in {}",
            recovery_instance_ids.len(),
            place(target)
        );
        let output = client
            .terminate_recovery_instances()
            .set_recovery_instance_ids(Some(recovery_instance_ids.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&operation, e))?;
        output
            .job
            .map(|job| JobId::new(job.job_id))
            .ok_or_else(|| PortError::Permanent(format!("{operation}: no job returned")))
    }

    /// Every job created since `start`'s first emission (less the clock-skew margin), all
    /// pages: the job the request started, if it reached DRS, is among them, whatever order
    /// DRS lists jobs in. A throttled or failed page ends the search early with what was read,
    /// plus the error.
    async fn jobs_since_request(
        &self,
        client: &Client,
        start: &StartRecovery,
    ) -> (Vec<Job>, Option<DescribeJobsFailure>) {
        let from = start
            .first_requested_at
            .checked_sub(jiff::SignedDuration::from_secs(CLOCK_SKEW_MARGIN_SECONDS))
            .unwrap_or(start.first_requested_at);
        let mut pages = client
            .describe_jobs()
            .filters(
                DescribeJobsRequestFilters::builder()
                    .from_date(from.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .build(),
            )
            .into_paginator()
            .items()
            .send();
        let mut jobs = Vec::new();
        while let Some(job) = pages.next().await {
            match job {
                Ok(job) => jobs.push(job),
                Err(error) => return (jobs, Some(error)),
            }
        }
        (jobs, None)
    }

    /// The jobs DRS lists first (at most the search window). A throttled or failed page ends
    /// the search early with what was read, plus the error.
    async fn recent_jobs(&self, client: &Client) -> (Vec<Job>, Option<DescribeJobsFailure>) {
        let mut pages = client
            .describe_jobs()
            .filters(DescribeJobsRequestFilters::builder().build())
            .into_paginator()
            .items()
            .send();
        let mut jobs = Vec::new();
        while jobs.len() < self.job_search_window {
            match pages.next().await {
                Some(Ok(job)) => jobs.push(job),
                Some(Err(error)) => return (jobs, Some(error)),
                None => break,
            }
        }
        (jobs, None)
    }

    /// A launch job tagged with `request`, among the jobs created since its first emission.
    async fn find_tagged_job(
        &self,
        client: &Client,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> Result<Option<JobId>, StartAnswerOrError> {
        let wanted = start.request.to_string();
        let (jobs, error) = self.jobs_since_request(client, start).await;
        let found = jobs
            .into_iter()
            .find(|job| is_launch(job) && carries_request(job, &wanted));
        match (found, error) {
            (Some(job), _) => Ok(Some(JobId::new(job.job_id))),
            (None, None) => Ok(None),
            // Not knowing whether the job exists, starting again could start it twice
            // (DRS would answer with a conflict, but a throttled account is better left
            // alone): let the engine back off and re-issue.
            (None, Some(error)) if sdk_error::code(&error) == Some("ThrottlingException") => Err(
                StartAnswerOrError::Answer(StartAnswer::Rejected(Rejection::Throttled {
                    retry_after_seconds: None,
                })),
            ),
            (None, Some(error)) => Err(StartAnswerOrError::Error(sdk_error::port_error(
                &format!(
                    "DRS DescribeJobs (looking for the job of request {wanted}) in {}",
                    place(target)
                ),
                error,
            ))),
        }
    }

    /// After a `ConflictException`: the job this very request already started (a crash between
    /// `StartRecovery` and saving its answer), found by its [`REQUEST_TAG`] among the jobs
    /// created since the request's first emission; `None` when the conflict is someone else's.
    ///
    /// Only our own job is adopted. A job someone else started (a console drill, another
    /// execution, a real recovery while a drill runs, or the reverse) launches other servers
    /// or the wrong kind of instance: adopting it would report the chunk's servers as started
    /// by it while most of them are never started, or mix a drill with a recovery. Such a
    /// conflict is answered `Conflict { running_job: None }`: the engine backs off and retries
    /// until the blocking job has ended. The blocking jobs are logged with the servers they hold.
    async fn find_own_conflicting_job(
        &self,
        client: &Client,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> Option<JobId> {
        let request = start.request.to_string();
        let wanted: BTreeSet<&str> = start.servers.iter().map(ServerId::as_str).collect();
        let (since, error) = self.jobs_since_request(client, start).await;
        if let Some(error) = error {
            tracing::warn!(
                request = %request,
                error = %sdk_error::describe(&error),
                "DescribeJobs failed while looking for this request's job"
            );
        }
        for job in since {
            if !is_launch(&job) || !carries_request(&job, &request) {
                continue;
            }
            if initiated_as(&job, start.is_drill) {
                return Some(JobId::new(job.job_id));
            }
            tracing::error!(
                request = %request,
                job = %job.job_id,
                initiated_by = ?job.initiated_by,
                is_drill = start.is_drill,
                "a job carries this request's tag but is of the other kind (drill/recovery): not adopted"
            );
        }
        // Someone else's: name the running jobs that hold the chunk's servers, for the logs.
        let (jobs, error) = self.recent_jobs(client).await;
        if let Some(error) = error {
            tracing::warn!(
                request = %request,
                error = %sdk_error::describe(&error),
                "DescribeJobs failed while looking for the job holding conflicting servers"
            );
        }
        let mut blocking = Vec::new();
        for job in jobs {
            if !is_launch(&job) || carries_request(&job, &request) {
                continue;
            }
            let running = matches!(
                job.status.as_ref().map(|s| s.as_str()),
                Some("PENDING" | "STARTED")
            );
            if !running {
                continue;
            }
            let held: Vec<&str> = job
                .participating_servers
                .iter()
                .flatten()
                .filter_map(|s| s.source_server_id.as_deref())
                .filter(|id| wanted.contains(id))
                .collect();
            if !held.is_empty() {
                blocking.push(format!(
                    "{} ({}, {}) holds {}",
                    job.job_id,
                    job.initiated_by
                        .as_ref()
                        .map_or("initiator unknown", |i| i.as_str()),
                    job.tags
                        .as_ref()
                        .and_then(|tags| tags.get(REQUEST_TAG))
                        .map_or_else(|| "not ours".to_owned(), |r| format!("request {r}")),
                    held.join(", ")
                ));
            }
        }
        tracing::warn!(
            request = %request,
            place = %place(target),
            blocking = %if blocking.is_empty() {
                "none found among the jobs DRS lists first".to_owned()
            } else {
                blocking.join("; ")
            },
            "StartRecovery conflicts with jobs that are not this request's: backing off"
        );
        None
    }

    async fn rejection(
        &self,
        client: &Client,
        target: TargetRef<'_>,
        start: &StartRecovery,
        error: SdkError<StartRecoveryError, HttpResponse>,
    ) -> PortResult<StartAnswer> {
        let operation = format!(
            "DRS StartRecovery of request {} ({} servers) in {}",
            start.request,
            start.servers.len(),
            place(target)
        );
        let rejection = match &error {
            SdkError::ServiceError(context) => match context.err() {
                StartRecoveryError::ThrottlingException(e) => Rejection::Throttled {
                    retry_after_seconds: e
                        .retry_after_seconds
                        .as_deref()
                        .and_then(|s| s.trim().parse().ok()),
                },
                StartRecoveryError::ServiceQuotaExceededException(_) => Rejection::QuotaExceeded,
                StartRecoveryError::ConflictException(_) => Rejection::Conflict {
                    running_job: self.find_own_conflicting_job(client, target, start).await,
                },
                StartRecoveryError::UninitializedAccountException(e) => Rejection::Validation {
                    message: format!(
                        "UninitializedAccountException: {} (DRS is not initialized in {})",
                        e.message().unwrap_or_default(),
                        place(target)
                    ),
                },
                other => match other.code() {
                    Some(code) if PERMANENT_START_CODES.contains(&code) => Rejection::Validation {
                        message: sdk_error::describe(&error),
                    },
                    Some("TooManyRequestsException") => Rejection::Throttled {
                        retry_after_seconds: None,
                    },
                    _ => return Err(sdk_error::port_error(&operation, error)),
                },
            },
            _ => return Err(sdk_error::port_error(&operation, error)),
        };
        tracing::info!(request = %start.request, ?rejection, "DRS rejected StartRecovery");
        Ok(StartAnswer::Rejected(rejection))
    }
}

/// `StartRecovery` errors that no retry will fix: the wave fails with DRS's message.
const PERMANENT_START_CODES: &[&str] = &[
    "ValidationException",
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ResourceNotFoundException",
];

type DescribeJobsFailure =
    SdkError<aws_sdk_drs::operation::describe_jobs::DescribeJobsError, HttpResponse>;

enum StartAnswerOrError {
    Answer(StartAnswer),
    Error(PortError),
}

#[async_trait]
impl Drs for DrsAdapter {
    async fn resolve(
        &self,
        target: TargetRef<'_>,
        selections: &[engine::TargetSelection],
    ) -> PortResult<Vec<Resolution>> {
        let client = self.client(target).await?;
        let operation = format!("DRS DescribeSourceServers in {}", place(target));
        let mut pages = client
            .describe_source_servers()
            .into_paginator()
            .items()
            .send();
        // Every source server of the target with its tags: one listing for all selections.
        let mut servers = BTreeMap::new();
        while let Some(server) = pages.next().await {
            let server = server.map_err(|e| sdk_error::port_error(&operation, e))?;
            let Some(id) = server.source_server_id else {
                continue;
            };
            let tags = server.tags.unwrap_or_default().into_iter().collect();
            servers.insert(ServerId::new(id), tags);
        }
        Ok(selections
            .iter()
            .map(|selection| match Resolution::select(selection, &servers) {
                Resolution::Failed(message) => {
                    Resolution::Failed(format!("{message} (in {})", place(target)))
                }
                found => found,
            })
            .collect())
    }

    async fn start_recovery(
        &self,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> PortResult<StartAnswer> {
        let client = self.client(target).await?;
        if start.reissue {
            match self.find_tagged_job(&client, target, start).await {
                Ok(Some(job)) => {
                    tracing::info!(request = %start.request, %job, "re-issued request already has a job");
                    return Ok(StartAnswer::Started(job));
                }
                Ok(None) => {}
                Err(StartAnswerOrError::Answer(answer)) => return Ok(answer),
                Err(StartAnswerOrError::Error(error)) => return Err(error),
            }
        }
        let mut servers = Vec::with_capacity(start.servers.len());
        for id in &start.servers {
            let server = StartRecoveryRequestSourceServer::builder()
                .source_server_id(id.as_str())
                .build()
                .map_err(|e| PortError::Permanent(format!("StartRecovery request: {e}")))?;
            servers.push(server);
        }
        let result = client
            .start_recovery()
            .is_drill(start.is_drill)
            .set_source_servers(Some(servers))
            .tags(REQUEST_TAG, start.request.to_string())
            .tags(EXECUTION_TAG, start.request.execution.as_str())
            .customize()
            // Throttling and quota errors go to the engine, which backs off per wave.
            .config_override(
                aws_sdk_drs::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match result {
            Ok(output) => output
                .job
                .map(|job| StartAnswer::Started(JobId::new(job.job_id)))
                .ok_or_else(|| {
                    PortError::Permanent(format!(
                        "DRS StartRecovery of request {} returned no job",
                        start.request
                    ))
                }),
            Err(error) => self.rejection(&client, target, start, error).await,
        }
    }

    async fn describe_jobs(
        &self,
        target: TargetRef<'_>,
        jobs: &[JobId],
    ) -> PortResult<Vec<JobSnapshot>> {
        // An empty filter would list every job of the account.
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client(target).await?;
        let mut snapshots = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(MAX_JOB_IDS_PER_DESCRIBE) {
            let operation = format!(
                "DRS DescribeJobs of {} job(s) in {}",
                chunk.len(),
                place(target)
            );
            let filters = DescribeJobsRequestFilters::builder()
                .set_job_ids(Some(chunk.iter().map(|j| j.as_str().to_owned()).collect()))
                .build();
            let mut pages = client
                .describe_jobs()
                .filters(filters)
                .into_paginator()
                .items()
                .send();
            while let Some(job) = pages.next().await {
                let job = job.map_err(|e| sdk_error::port_error(&operation, e))?;
                snapshots.push(snapshot(job)?);
            }
        }
        Ok(snapshots)
    }
}

fn definition<'a>(target: TargetRef<'a>) -> PortResult<Option<&'a Target>> {
    match (target.name, target.target) {
        (Some(name), None) => Err(PortError::Permanent(format!(
            "target `{name}` has no definition (account, region) in the plan"
        ))),
        (_, target) => Ok(target),
    }
}

/// Where a call goes, for messages.
fn place(target: TargetRef<'_>) -> String {
    match (target.name, target.target) {
        (Some(name), Some(t)) => format!(
            "target `{name}` (account {}, region {})",
            t.account_id, t.region
        ),
        (Some(name), None) => format!("target `{name}`"),
        (None, _) => "the orchestrator's own account".to_owned(),
    }
}

fn is_launch(job: &Job) -> bool {
    // A job without a type is treated as a launch: only TERMINATE/CREATE_CONVERTED_SNAPSHOT
    // jobs must never be adopted or matched.
    job.r#type.as_ref().is_none_or(|t| *t == JobType::Launch)
}

/// Whether `job` is tagged with the request ID `request`.
fn carries_request(job: &Job, request: &str) -> bool {
    job.tags
        .as_ref()
        .and_then(|tags| tags.get(REQUEST_TAG))
        .is_some_and(|value| value == request)
}

/// Whether `job` was started as a drill when `is_drill`, as a recovery otherwise. A job without
/// `initiatedBy` is given the benefit of the doubt (its tag already names our request).
fn initiated_as(job: &Job, is_drill: bool) -> bool {
    match &job.initiated_by {
        None => true,
        Some(InitiatedBy::StartDrill) => is_drill,
        Some(InitiatedBy::StartRecovery) => !is_drill,
        Some(_) => false,
    }
}

fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// The engine's view of a DRS job.
fn snapshot(job: Job) -> PortResult<JobSnapshot> {
    let status = match job.status.as_ref().map(|s| s.as_str()) {
        Some("PENDING") => engine::JobStatus::Pending,
        Some("STARTED") => engine::JobStatus::Started,
        Some("COMPLETED") => engine::JobStatus::Completed,
        other => {
            return Err(PortError::Permanent(format!(
                "DRS reported job {} with status {other:?}, which this orchestrator does not know",
                job.job_id
            )));
        }
    };
    let mut servers = Vec::new();
    for server in job.participating_servers.unwrap_or_default() {
        let Some(id) = server.source_server_id else {
            continue;
        };
        let launch_status = match server.launch_status.as_ref().map(|s| s.as_str()) {
            None | Some("PENDING") => engine::LaunchStatus::Pending,
            Some("IN_PROGRESS") => engine::LaunchStatus::InProgress,
            Some("LAUNCHED") => engine::LaunchStatus::Launched,
            Some("FAILED") => engine::LaunchStatus::Failed,
            Some("TERMINATED") => engine::LaunchStatus::Terminated,
            Some(other) => {
                return Err(PortError::Permanent(format!(
                    "DRS reported server {id} of job {} with launch status {other:?}, which \
                     this orchestrator does not know",
                    job.job_id
                )));
            }
        };
        servers.push(ServerSnapshot {
            server_id: ServerId::new(id),
            launch_status,
            recovery_instance_id: server.recovery_instance_id,
        });
    }
    Ok(JobSnapshot {
        job_id: JobId::new(job.job_id),
        status,
        ended_at: job.end_date_time.as_deref().and_then(parse_time),
        servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_drs::types::{JobStatus, LaunchStatus, ParticipatingServer};

    #[test]
    fn jobs_map_to_engine_snapshots() {
        let job = Job::builder()
            .job_id("drsjob-1")
            .status(JobStatus::Completed)
            .end_date_time("2024-03-01T09:30:00.000Z")
            .participating_servers(
                ParticipatingServer::builder()
                    .source_server_id("s-1")
                    .launch_status(LaunchStatus::Launched)
                    .recovery_instance_id("i-1")
                    .build(),
            )
            .participating_servers(
                ParticipatingServer::builder()
                    .source_server_id("s-2")
                    .launch_status(LaunchStatus::Failed)
                    .build(),
            )
            .build()
            .unwrap();
        let snapshot = snapshot(job).unwrap();
        assert_eq!(snapshot.status, engine::JobStatus::Completed);
        assert_eq!(
            snapshot.ended_at,
            Some("2024-03-01T09:30:00Z".parse().unwrap())
        );
        assert_eq!(snapshot.servers.len(), 2);
        assert_eq!(
            snapshot.servers[0].launch_status,
            engine::LaunchStatus::Launched
        );
        assert_eq!(
            snapshot.servers[0].recovery_instance_id.as_deref(),
            Some("i-1")
        );
        assert_eq!(
            snapshot.servers[1].launch_status,
            engine::LaunchStatus::Failed
        );
    }

    #[test]
    fn unknown_statuses_are_errors_naming_the_job() {
        let job = Job::builder()
            .job_id("drsjob-9")
            .status(JobStatus::from("PAUSED"))
            .build()
            .unwrap();
        let error = snapshot(job).unwrap_err();
        assert!(error.to_string().contains("drsjob-9"), "{error}");
    }

    #[test]
    fn terminate_jobs_are_not_launches() {
        let terminate = Job::builder()
            .job_id("drsjob-t")
            .r#type(JobType::Terminate)
            .build()
            .unwrap();
        let launch = Job::builder()
            .job_id("drsjob-l")
            .r#type(JobType::Launch)
            .build()
            .unwrap();
        assert!(!is_launch(&terminate));
        assert!(is_launch(&launch));
    }
}
