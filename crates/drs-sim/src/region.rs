//! The DRS state of one account in one region: source servers, jobs and recovery instances,
//! and the operations that change them.
//!
//! Job progress is computed from schedules (see [`crate::job`]); [`AccountRegion::settle`]
//! applies the side effects of servers that reached their final status (recovery instances
//! appear or go, source servers record their last launch) in simulated-time order, and is
//! called before every read so that what a caller sees is consistent with the clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::clock::SimInstant;
use crate::error::{DrsError, FieldIssue};
use crate::job::{
    Job, JobKind, LaunchRequest, LaunchStatus, NewJob, TerminateRequest, plan_launch_job,
    plan_terminate_job,
};
use crate::requests::StartRecovery;
use crate::rng::SeededRng;
use crate::scenario::{Quotas, SecondsRange, ServerSpec};

/// A source server and what happened to it.
#[derive(Debug, Clone)]
pub struct SourceServer {
    /// Its scenario definition.
    pub spec: ServerSpec,
    /// `arn:aws:drs:<region>:<account>:source-server/<id>`.
    pub arn: String,
    /// Current tags (TagResource / UntagResource change them).
    pub tags: BTreeMap<String, String>,
    /// Its newest recovery instance.
    pub recovery_instance_id: Option<String>,
    /// Its newest launch.
    pub last_launch: Option<LastLaunch>,
}

/// The newest launch of a source server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastLaunch {
    /// The job.
    pub job_id: String,
    /// The job's sequence number.
    pub job_seq: u64,
    /// The server's index among the job's participating servers.
    pub index: usize,
    /// `StartRecovery` time.
    pub initiated_at: SimInstant,
    /// Drill or recovery.
    pub is_drill: bool,
    /// Final status once settled (`LAUNCHED`, `FAILED`, later `TERMINATED`).
    pub settled: Option<LaunchStatus>,
}

/// A recovery instance (an EC2 instance launched by a job).
#[derive(Debug, Clone)]
pub struct RecoveryInstance {
    /// `i-…`: the recovery instance ID and the EC2 instance ID.
    pub id: String,
    /// Creation order.
    pub seq: u64,
    /// `arn:aws:drs:<region>:<account>:recovery-instance/<id>`.
    pub arn: String,
    /// Its source server.
    pub source_server_id: String,
    /// The job that launched it.
    pub job_id: String,
    /// Launched by a drill.
    pub is_drill: bool,
    /// When it was launched.
    pub launched_at: SimInstant,
    /// The point in time of the data it was launched from.
    pub snapshot_at: SimInstant,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The `TERMINATE` job terminating it.
    pub terminate_job: Option<u64>,
    /// Its root volume.
    pub volume_id: String,
}

/// A job and the bookkeeping of its side effects.
#[derive(Debug, Clone)]
pub struct JobRecord {
    /// The schedule.
    pub job: Job,
    /// `arn:aws:drs:<region>:<account>:job/<id>`.
    pub arn: String,
    /// Per participating server: side effects applied.
    pub settled: Vec<bool>,
    /// Removed by `DeleteJob` (kept for the admin API).
    pub deleted: bool,
}

/// A server that reached its final status in a launch job: a Launch Result event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOutcome {
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Source server ID.
    pub source_server_id: String,
    /// Source server ARN (the event's `resources`).
    pub source_server_arn: String,
    /// Job ID.
    pub job_id: String,
    /// Drill or recovery.
    pub is_drill: bool,
    /// `LAUNCHED` (else `FAILED`).
    pub succeeded: bool,
    /// When it happened.
    pub at: SimInstant,
}

/// What the resource of a tagging ARN is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaggedKind {
    SourceServer,
    Job,
    RecoveryInstance,
}

/// One account in one region.
#[derive(Debug, Clone)]
pub struct AccountRegion {
    /// Account ID.
    pub account: String,
    /// Region.
    pub region: String,
    servers: Vec<SourceServer>,
    server_index: HashMap<String, usize>,
    jobs: BTreeMap<u64, JobRecord>,
    job_index: HashMap<String, u64>,
    instances: BTreeMap<u64, RecoveryInstance>,
    instance_index: HashMap<String, u64>,
    active: BTreeSet<u64>,
    rng: SeededRng,
    next_seq: u64,
}

impl AccountRegion {
    /// An account and region holding `servers`.
    pub fn new(seed: u64, account: &str, region: &str, servers: Vec<ServerSpec>) -> AccountRegion {
        let mut out = AccountRegion {
            account: account.to_owned(),
            region: region.to_owned(),
            servers: Vec::with_capacity(servers.len()),
            server_index: HashMap::with_capacity(servers.len()),
            jobs: BTreeMap::new(),
            job_index: HashMap::new(),
            instances: BTreeMap::new(),
            instance_index: HashMap::new(),
            active: BTreeSet::new(),
            rng: SeededRng::for_region(seed, account, region),
            next_seq: 1,
        };
        for spec in servers {
            let arn = out.arn("source-server", &spec.id);
            out.server_index.insert(spec.id.clone(), out.servers.len());
            out.servers.push(SourceServer {
                tags: spec.tags.clone(),
                arn,
                spec,
                recovery_instance_id: None,
                last_launch: None,
            });
        }
        out
    }

    fn arn(&self, kind: &str, id: &str) -> String {
        format!("arn:aws:drs:{}:{}:{kind}/{id}", self.region, self.account)
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Source servers in scenario order.
    pub fn servers(&self) -> &[SourceServer] {
        &self.servers
    }

    /// Jobs (including deleted ones) by creation order.
    pub fn jobs(&self) -> impl DoubleEndedIterator<Item = &JobRecord> {
        self.jobs.values()
    }

    /// A job by ID, unless deleted.
    pub fn job(&self, job_id: &str) -> Option<&JobRecord> {
        let seq = self.job_index.get(job_id)?;
        self.jobs.get(seq).filter(|r| !r.deleted)
    }

    /// Recovery instances by creation order.
    pub fn instances(&self) -> impl DoubleEndedIterator<Item = &RecoveryInstance> {
        self.instances.values()
    }

    /// A recovery instance by ID.
    pub fn instance(&self, id: &str) -> Option<&RecoveryInstance> {
        self.instances.get(self.instance_index.get(id)?)
    }

    /// A job by sequence number, even if deleted.
    pub fn job_by_seq(&self, seq: u64) -> Option<&JobRecord> {
        self.jobs.get(&seq)
    }

    /// The launch status of a server's newest launch at `now`.
    pub fn last_launch_status(&self, last: &LastLaunch, now: SimInstant) -> LaunchStatus {
        last.settled.unwrap_or_else(|| {
            self.jobs
                .get(&last.job_seq)
                .map(|r| r.job.server_status_at(last.index, now))
                .unwrap_or(LaunchStatus::Pending)
        })
    }

    /// Earliest pending side effect, for the background task that emits events on time.
    pub fn next_due(&self) -> Option<SimInstant> {
        self.active
            .iter()
            .filter_map(|seq| self.jobs.get(seq))
            .flat_map(|record| {
                record
                    .job
                    .servers
                    .iter()
                    .zip(&record.settled)
                    .filter(|(_, settled)| !**settled)
                    .map(|(run, _)| run.finished_at)
            })
            .min()
    }

    /// Applies, in simulated-time order, the side effects of every server whose final status
    /// time has passed; returns the launch outcomes (for events) in that order.
    pub fn settle(&mut self, now: SimInstant) -> Vec<LaunchOutcome> {
        let mut due: Vec<(SimInstant, u64, usize)> = Vec::new();
        for seq in &self.active {
            if let Some(record) = self.jobs.get(seq) {
                for (index, run) in record.job.servers.iter().enumerate() {
                    if !record.settled[index] && run.finished_at <= now {
                        due.push((run.finished_at, *seq, index));
                    }
                }
            }
        }
        due.sort_unstable();
        let mut outcomes = Vec::new();
        for (_, seq, index) in due {
            if let Some(outcome) = self.apply(seq, index) {
                outcomes.push(outcome);
            }
        }
        let finished: Vec<u64> = self
            .active
            .iter()
            .copied()
            .filter(|seq| {
                self.jobs
                    .get(seq)
                    .is_none_or(|r| r.settled.iter().all(|s| *s) && now >= r.job.ended_at)
            })
            .collect();
        for seq in finished {
            self.active.remove(&seq);
        }
        outcomes
    }

    fn apply(&mut self, seq: u64, index: usize) -> Option<LaunchOutcome> {
        let record = self.jobs.get_mut(&seq)?;
        record.settled[index] = true;
        let run = record.job.servers[index].clone();
        let job_id = record.job.id.clone();
        let kind = record.job.kind;
        let server_pos = *self.server_index.get(&run.source_server_id)?;
        match kind {
            JobKind::Launch { is_drill } => {
                let succeeded = run.final_status == LaunchStatus::Launched;
                if succeeded {
                    // A new launch replaces the server's previous drill instance.
                    let replaced: Vec<u64> = self
                        .instances
                        .values()
                        .filter(|i| i.source_server_id == run.source_server_id && i.is_drill)
                        .map(|i| i.seq)
                        .collect();
                    for old in replaced {
                        if let Some(instance) = self.instances.remove(&old) {
                            self.instance_index.remove(&instance.id);
                        }
                    }
                    let instance_seq = self.take_seq();
                    let volume_id = self.rng.volume_id();
                    let instance = RecoveryInstance {
                        arn: self.arn("recovery-instance", &run.recovery_instance_id),
                        id: run.recovery_instance_id.clone(),
                        seq: instance_seq,
                        source_server_id: run.source_server_id.clone(),
                        job_id: job_id.clone(),
                        is_drill,
                        launched_at: run.finished_at,
                        snapshot_at: run.snapshot_at,
                        tags: BTreeMap::new(),
                        terminate_job: None,
                        volume_id,
                    };
                    self.instance_index
                        .insert(instance.id.clone(), instance_seq);
                    self.instances.insert(instance_seq, instance);
                    self.servers[server_pos].recovery_instance_id =
                        Some(run.recovery_instance_id.clone());
                }
                let server = &mut self.servers[server_pos];
                if let Some(last) = &mut server.last_launch {
                    if last.job_seq == seq {
                        last.settled = Some(run.final_status);
                    }
                }
                Some(LaunchOutcome {
                    account: self.account.clone(),
                    region: self.region.clone(),
                    source_server_id: run.source_server_id.clone(),
                    source_server_arn: server.arn.clone(),
                    job_id,
                    is_drill,
                    succeeded,
                    at: run.finished_at,
                })
            }
            JobKind::Terminate => {
                if let Some(instance_seq) = self.instance_index.remove(&run.recovery_instance_id) {
                    if let Some(instance) = self.instances.remove(&instance_seq) {
                        let server = &mut self.servers[server_pos];
                        if server.recovery_instance_id.as_deref() == Some(instance.id.as_str()) {
                            server.recovery_instance_id = None;
                        }
                        if let Some(last) = &mut server.last_launch {
                            if last.job_id == instance.job_id {
                                last.settled = Some(LaunchStatus::Terminated);
                            }
                        }
                    }
                }
                None
            }
        }
    }

    /// Active jobs at `now` (after [`Self::settle`]).
    fn active_jobs(&self, now: SimInstant) -> impl Iterator<Item = &JobRecord> {
        self.active
            .iter()
            .filter_map(|seq| self.jobs.get(seq))
            .filter(move |r| r.job.is_active_at(now))
    }

    fn busy_job_of(&self, server_id: &str, now: SimInstant) -> Option<&JobRecord> {
        self.active_jobs(now).find(|r| {
            r.job
                .servers
                .iter()
                .any(|run| run.source_server_id == server_id)
        })
    }

    fn check_capacity(
        &self,
        quotas: &Quotas,
        new_servers: usize,
        now: SimInstant,
    ) -> Result<(), DrsError> {
        let (jobs, servers) = self.active_jobs(now).fold((0usize, 0usize), |(j, s), r| {
            (j + 1, s + r.job.servers.len())
        });
        if jobs >= quotas.max_concurrent_jobs as usize {
            return Err(DrsError::ServiceQuotaExceeded {
                message: format!(
                    "Cannot start a new job: {jobs} jobs are already active in account {} region {} (quota: {} concurrent jobs)",
                    self.account, self.region, quotas.max_concurrent_jobs
                ),
                resource_type: "JOB".to_owned(),
                quota_code: "MaxConcurrentJobs".to_owned(),
            });
        }
        if servers + new_servers > quotas.max_servers_in_active_jobs as usize {
            return Err(DrsError::ServiceQuotaExceeded {
                message: format!(
                    "Cannot add {new_servers} source servers: {servers} source servers are already in active jobs (quota: {} across active jobs)",
                    quotas.max_servers_in_active_jobs
                ),
                resource_type: "SOURCE_SERVER".to_owned(),
                quota_code: "MaxSourceServersInAllActiveJobs".to_owned(),
            });
        }
        Ok(())
    }

    fn new_job_id(&mut self) -> String {
        loop {
            let id = self.rng.job_id();
            if !self.job_index.contains_key(&id) {
                return id;
            }
        }
    }

    /// `StartRecovery`.
    pub fn start_recovery(
        &mut self,
        request: StartRecovery,
        quotas: &Quotas,
        pending: SecondsRange,
        now: SimInstant,
    ) -> Result<&JobRecord, DrsError> {
        let unknown: Vec<FieldIssue> = request
            .servers
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| !self.server_index.contains_key(id))
            .map(|(i, (id, _))| FieldIssue {
                name: format!("sourceServers[{i}].sourceServerID"),
                message: format!(
                    "Source server {id} does not exist in account {} region {}",
                    self.account, self.region
                ),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(DrsError::fields(unknown));
        }
        if request.servers.len() > quotas.max_servers_per_job as usize {
            return Err(DrsError::ServiceQuotaExceeded {
                message: format!(
                    "A job can have at most {} source servers, {} were requested",
                    quotas.max_servers_per_job,
                    request.servers.len()
                ),
                resource_type: "SOURCE_SERVER".to_owned(),
                quota_code: "MaxSourceServersPerJob".to_owned(),
            });
        }
        for (id, _) in &request.servers {
            if let Some(busy) = self.busy_job_of(id, now) {
                return Err(DrsError::Conflict {
                    message: format!(
                        "Source server {id} is already participating in active job {}",
                        busy.job.id
                    ),
                    resource_id: id.clone(),
                    resource_type: "SOURCE_SERVER".to_owned(),
                });
            }
        }
        self.check_capacity(quotas, request.servers.len(), now)?;

        let job_id = self.new_job_id();
        let seq = self.take_seq();
        let positions: Vec<usize> = request
            .servers
            .iter()
            .filter_map(|(id, _)| self.server_index.get(id).copied())
            .collect();
        let launches: Vec<LaunchRequest<'_>> = positions
            .iter()
            .zip(&request.servers)
            .map(|(pos, (_, snapshot))| LaunchRequest {
                source_server_id: &self.servers[*pos].spec.id,
                profile: &self.servers[*pos].spec.launch,
                use_previous_snapshot: snapshot.is_some(),
            })
            .collect();
        let new = NewJob {
            id: job_id.clone(),
            seq,
            created_at: now,
            pending,
            tags: request.tags,
        };
        let job = plan_launch_job(new, request.is_drill, &launches, &mut self.rng);
        for (index, pos) in positions.iter().enumerate() {
            self.servers[*pos].last_launch = Some(LastLaunch {
                job_id: job_id.clone(),
                job_seq: seq,
                index,
                initiated_at: now,
                is_drill: request.is_drill,
                settled: None,
            });
        }
        Ok(self.insert_job(job))
    }

    fn insert_job(&mut self, job: Job) -> &JobRecord {
        let seq = job.seq;
        let record = JobRecord {
            arn: self.arn("job", &job.id),
            settled: vec![false; job.servers.len()],
            deleted: false,
            job,
        };
        self.job_index.insert(record.job.id.clone(), seq);
        self.active.insert(seq);
        self.jobs.entry(seq).or_insert(record)
    }

    /// `TerminateRecoveryInstances`.
    pub fn terminate_recovery_instances(
        &mut self,
        ids: &[String],
        quotas: &Quotas,
        pending: SecondsRange,
        now: SimInstant,
    ) -> Result<&JobRecord, DrsError> {
        let unknown: Vec<FieldIssue> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !self.instance_index.contains_key(*id))
            .map(|(i, id)| FieldIssue {
                name: format!("recoveryInstanceIDs[{i}]"),
                message: format!(
                    "Recovery instance {id} does not exist in account {} region {}",
                    self.account, self.region
                ),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(DrsError::fields(unknown));
        }
        let mut targets: Vec<(String, String, SecondsRange)> = Vec::new();
        for id in ids {
            let Some(instance) = self.instance(id) else {
                continue;
            };
            if let Some(busy) = self.busy_job_of(&instance.source_server_id, now) {
                return Err(DrsError::Conflict {
                    message: format!(
                        "Recovery instance {id} (source server {}) is already participating in active job {}",
                        instance.source_server_id, busy.job.id
                    ),
                    resource_id: id.clone(),
                    resource_type: "RECOVERY_INSTANCE".to_owned(),
                });
            }
            let duration = self
                .server_index
                .get(&instance.source_server_id)
                .map(|pos| self.servers[*pos].spec.launch.terminate_seconds)
                .unwrap_or(SecondsRange::fixed(60.0));
            targets.push((instance.source_server_id.clone(), id.clone(), duration));
        }
        self.check_capacity(quotas, targets.len(), now)?;
        let job_id = self.new_job_id();
        let seq = self.take_seq();
        let requests: Vec<TerminateRequest<'_>> = targets
            .iter()
            .map(|(server, instance, duration)| TerminateRequest {
                source_server_id: server,
                recovery_instance_id: instance,
                duration: *duration,
            })
            .collect();
        let new = NewJob {
            id: job_id,
            seq,
            created_at: now,
            pending,
            tags: BTreeMap::new(),
        };
        let job = plan_terminate_job(new, &requests, &mut self.rng);
        for (_, instance_id, _) in &targets {
            if let Some(instance_seq) = self.instance_index.get(instance_id) {
                if let Some(instance) = self.instances.get_mut(instance_seq) {
                    instance.terminate_job = Some(seq);
                }
            }
        }
        Ok(self.insert_job(job))
    }

    /// `DeleteJob`.
    pub fn delete_job(&mut self, job_id: &str, now: SimInstant) -> Result<(), DrsError> {
        let not_found = || DrsError::ResourceNotFound {
            message: format!("Job {job_id} not found"),
            resource_id: job_id.to_owned(),
            resource_type: "JOB".to_owned(),
        };
        let seq = *self.job_index.get(job_id).ok_or_else(not_found)?;
        let record = self.jobs.get_mut(&seq).ok_or_else(not_found)?;
        if record.deleted {
            return Err(not_found());
        }
        if record.job.is_active_at(now) {
            return Err(DrsError::Conflict {
                message: format!("Job {job_id} is still active and cannot be deleted"),
                resource_id: job_id.to_owned(),
                resource_type: "JOB".to_owned(),
            });
        }
        record.deleted = true;
        Ok(())
    }

    fn tagged(&self, arn: &str) -> Result<(TaggedKind, u64), DrsError> {
        let not_found = || DrsError::ResourceNotFound {
            message: format!("Resource {arn} not found"),
            resource_id: arn.to_owned(),
            resource_type: "RESOURCE".to_owned(),
        };
        let prefix = format!("arn:aws:drs:{}:{}:", self.region, self.account);
        let rest = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
        let (kind, id) = rest.split_once('/').ok_or_else(not_found)?;
        match kind {
            "source-server" => self
                .server_index
                .get(id)
                .map(|pos| (TaggedKind::SourceServer, *pos as u64))
                .ok_or_else(not_found),
            "job" => self
                .job_index
                .get(id)
                .filter(|seq| self.jobs.get(seq).is_some_and(|r| !r.deleted))
                .map(|seq| (TaggedKind::Job, *seq))
                .ok_or_else(not_found),
            "recovery-instance" => self
                .instance_index
                .get(id)
                .map(|seq| (TaggedKind::RecoveryInstance, *seq))
                .ok_or_else(not_found),
            _ => Err(not_found()),
        }
    }

    fn tags_mut(&mut self, arn: &str) -> Result<&mut BTreeMap<String, String>, DrsError> {
        let (kind, key) = self.tagged(arn)?;
        let tags = match kind {
            TaggedKind::SourceServer => self.servers.get_mut(key as usize).map(|s| &mut s.tags),
            TaggedKind::Job => self.jobs.get_mut(&key).map(|r| &mut r.job.tags),
            TaggedKind::RecoveryInstance => self.instances.get_mut(&key).map(|i| &mut i.tags),
        };
        tags.ok_or_else(|| DrsError::Internal {
            message: format!("resource index out of date for {arn}"),
        })
    }

    /// `ListTagsForResource`.
    pub fn list_tags(&mut self, arn: &str) -> Result<BTreeMap<String, String>, DrsError> {
        self.tags_mut(arn).map(|tags| tags.clone())
    }

    /// `TagResource`.
    pub fn tag(&mut self, arn: &str, tags: BTreeMap<String, String>) -> Result<(), DrsError> {
        self.tags_mut(arn)?.extend(tags);
        Ok(())
    }

    /// `UntagResource`.
    pub fn untag(&mut self, arn: &str, keys: &[String]) -> Result<(), DrsError> {
        let tags = self.tags_mut(arn)?;
        for key in keys {
            tags.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{LaunchProfile, Scenario};

    fn region(count: usize, failing: &[usize]) -> AccountRegion {
        let text = format!("seed: 3\nservers:\n  - {{ count: {count} }}\n");
        let mut scenario = Scenario::from_yaml_str(&text, "t").unwrap();
        for (i, server) in scenario.servers.iter_mut().enumerate() {
            server.launch = LaunchProfile {
                pending_seconds: SecondsRange::fixed(1.0),
                snapshot_seconds: SecondsRange::fixed(1.0),
                conversion_seconds: SecondsRange::fixed(1.0),
                launch_seconds: SecondsRange::fixed(1.0),
                terminate_seconds: SecondsRange::fixed(2.0),
                failure_probability: if failing.contains(&i) { 1.0 } else { 0.0 },
                ..LaunchProfile::default()
            };
        }
        AccountRegion::new(3, "111122223333", "us-east-1", scenario.servers)
    }

    fn request(region: &AccountRegion, indexes: &[usize], is_drill: bool) -> StartRecovery {
        StartRecovery {
            servers: indexes
                .iter()
                .map(|i| (region.servers()[*i].spec.id.clone(), None))
                .collect(),
            is_drill,
            tags: BTreeMap::new(),
        }
    }

    const PENDING: SecondsRange = SecondsRange::fixed(1.0);

    fn at(seconds: u64) -> SimInstant {
        SimInstant::from_millis(seconds * 1000)
    }

    #[test]
    fn settled_launch_creates_instances_and_events() {
        let mut r = region(2, &[1]);
        let req = request(&r, &[0, 1], true);
        let job_id = r
            .start_recovery(req, &Quotas::default(), PENDING, at(0))
            .unwrap()
            .job
            .id
            .clone();
        assert!(r.settle(at(3)).is_empty());
        assert_eq!(r.next_due(), Some(at(4)));
        let outcomes = r.settle(at(10));
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes[0].succeeded && !outcomes[1].succeeded);
        assert_eq!(outcomes[0].job_id, job_id);
        assert!(
            outcomes[0]
                .source_server_arn
                .ends_with(&outcomes[0].source_server_id)
        );
        assert_eq!(r.instances().count(), 1);
        let server = &r.servers()[0];
        assert_eq!(
            server.recovery_instance_id.as_deref(),
            Some(r.instances().next().unwrap().id.as_str())
        );
        assert_eq!(
            server.last_launch.as_ref().unwrap().settled,
            Some(LaunchStatus::Launched)
        );
        assert_eq!(
            r.servers()[1].last_launch.as_ref().unwrap().settled,
            Some(LaunchStatus::Failed)
        );
        assert!(r.settle(at(20)).is_empty(), "effects are applied once");
        assert_eq!(r.next_due(), None);
    }

    #[test]
    fn active_server_conflicts_and_a_new_drill_replaces_the_old_instance() {
        let mut r = region(1, &[]);
        let quotas = Quotas::default();
        r.start_recovery(request(&r, &[0], true), &quotas, PENDING, at(0))
            .unwrap();
        let err = r
            .start_recovery(request(&r, &[0], true), &quotas, PENDING, at(1))
            .unwrap_err();
        assert!(matches!(err, DrsError::Conflict { .. }), "{err}");
        r.settle(at(10));
        let first = r.instances().next().unwrap().id.clone();
        r.start_recovery(request(&r, &[0], true), &quotas, PENDING, at(10))
            .unwrap();
        r.settle(at(20));
        let ids: Vec<String> = r.instances().map(|i| i.id.clone()).collect();
        assert_eq!(ids.len(), 1);
        assert_ne!(ids[0], first);
    }

    #[test]
    fn quotas_are_enforced() {
        let mut r = region(5, &[]);
        let quotas = Quotas {
            max_servers_per_job: 2,
            max_concurrent_jobs: 2,
            max_servers_in_active_jobs: 3,
        };
        let code = |e: DrsError| match e {
            DrsError::ServiceQuotaExceeded { quota_code, .. } => quota_code,
            other => panic!("{other}"),
        };
        let err = r
            .start_recovery(request(&r, &[0, 1, 2], true), &quotas, PENDING, at(0))
            .unwrap_err();
        assert_eq!(code(err), "MaxSourceServersPerJob");
        r.start_recovery(request(&r, &[0, 1], true), &quotas, PENDING, at(0))
            .unwrap();
        let err = r
            .start_recovery(request(&r, &[2, 3], true), &quotas, PENDING, at(0))
            .unwrap_err();
        assert_eq!(code(err), "MaxSourceServersInAllActiveJobs");
        r.start_recovery(request(&r, &[2], true), &quotas, PENDING, at(0))
            .unwrap();
        let err = r
            .start_recovery(request(&r, &[3], true), &quotas, PENDING, at(0))
            .unwrap_err();
        assert_eq!(code(err), "MaxConcurrentJobs");
        r.settle(at(100));
        assert!(
            r.start_recovery(request(&r, &[3, 4], true), &quotas, PENDING, at(100))
                .is_ok()
        );
    }

    #[test]
    fn terminate_job_removes_instances_when_it_completes() {
        let mut r = region(1, &[]);
        let quotas = Quotas::default();
        r.start_recovery(request(&r, &[0], true), &quotas, PENDING, at(0))
            .unwrap();
        r.settle(at(10));
        let instance = r.instances().next().unwrap().id.clone();
        let job = r
            .terminate_recovery_instances(std::slice::from_ref(&instance), &quotas, PENDING, at(10))
            .unwrap();
        assert_eq!(job.job.kind, JobKind::Terminate);
        let seq = job.job.seq;
        assert_eq!(r.instance(&instance).unwrap().terminate_job, Some(seq));
        let err = r
            .terminate_recovery_instances(std::slice::from_ref(&instance), &quotas, PENDING, at(11))
            .unwrap_err();
        assert!(matches!(err, DrsError::Conflict { .. }));
        assert!(
            r.settle(at(20)).is_empty(),
            "terminations emit no launch result"
        );
        assert!(r.instance(&instance).is_none());
        let server = &r.servers()[0];
        assert_eq!(server.recovery_instance_id, None);
        assert_eq!(
            server.last_launch.as_ref().unwrap().settled,
            Some(LaunchStatus::Terminated)
        );
        let err = r
            .terminate_recovery_instances(&[instance], &quotas, PENDING, at(20))
            .unwrap_err();
        assert!(matches!(err, DrsError::Validation { .. }));
    }

    #[test]
    fn delete_job_and_tags() {
        let mut r = region(1, &[]);
        let quotas = Quotas::default();
        let job_id = r
            .start_recovery(request(&r, &[0], true), &quotas, PENDING, at(0))
            .unwrap()
            .job
            .id
            .clone();
        assert!(matches!(
            r.delete_job(&job_id, at(1)),
            Err(DrsError::Conflict { .. })
        ));
        let job_arn = format!("arn:aws:drs:us-east-1:111122223333:job/{job_id}");
        r.tag(&job_arn, BTreeMap::from([("k".to_owned(), "v".to_owned())]))
            .unwrap();
        assert_eq!(r.list_tags(&job_arn).unwrap()["k"], "v");
        r.untag(&job_arn, &["k".to_owned()]).unwrap();
        assert!(r.list_tags(&job_arn).unwrap().is_empty());
        r.settle(at(10));
        r.delete_job(&job_id, at(10)).unwrap();
        assert!(r.job(&job_id).is_none());
        assert!(matches!(
            r.delete_job(&job_id, at(10)),
            Err(DrsError::ResourceNotFound { .. })
        ));
        assert!(matches!(
            r.list_tags(&job_arn),
            Err(DrsError::ResourceNotFound { .. })
        ));
        let other_account = r.servers()[0].arn.replace("111122223333", "444455556666");
        assert!(matches!(
            r.list_tags(&other_account),
            Err(DrsError::ResourceNotFound { .. })
        ));
    }

    #[test]
    fn unknown_servers_are_a_validation_error() {
        let mut r = region(1, &[]);
        let req = StartRecovery {
            servers: vec![("s-ffffffffffffffff0".to_owned(), None)],
            is_drill: true,
            tags: BTreeMap::new(),
        };
        let err = r
            .start_recovery(req, &Quotas::default(), PENDING, at(0))
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
