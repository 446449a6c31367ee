//! A wave's launch: taking its selected servers, starting its chunks within the budget, handling
//! DRS's answers (jobs, rejections, retries) and noticing when the launch has ended.
//!
//! A chunk with a recorded job is never requested again. A rejected chunk waits for the
//! wave's retry round; while a round is pending nothing new starts (DRS asked us to slow
//! down). After a failure (a critical server, an invalid request) nothing new starts either:
//! the launch ends once the jobs already running are terminal, so the report is complete.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use crate::backoff::Backoff;
use crate::chunk::{self, Chunk, ChunkState};
use crate::command::{Command, Notification, StartRecovery};
use crate::decide::{Disposition, Step};
use crate::decision::{BeforeSave, Delayed};
use crate::drs::{JobStatus, LaunchStatus};
use crate::execution::{JobRecord, ServerState, SkippedServer, WaveFailure, WavePhase};
use crate::id::{Attempt, JobId, ServerId, StartRequestId, Token, WaveIndex};
use crate::input::Rejection;

/// A `StartRecovery` unanswered this long is presumed lost with its Lambda and is re-issued
/// at the next live check.
pub const STALLED_REQUEST_SECONDS: i64 = 60;

#[derive(Default)]
struct Usage {
    jobs: u32,
    servers: u32,
    full: bool,
}

impl Step {
    /// The servers earlier waves of the execution have, by target, with the wave that has
    /// each.
    fn earlier_waves_servers(
        &self,
        wave: WaveIndex,
    ) -> BTreeMap<(Option<String>, ServerId), WaveIndex> {
        let mut owners = BTreeMap::new();
        for (index, earlier) in self.exec.waves.iter().enumerate().take(wave) {
            for server in &earlier.servers {
                owners
                    .entry((server.target.clone(), server.id.clone()))
                    .or_insert(index);
            }
        }
        owners
    }

    /// Starts the current wave's launch with the servers its groups selected at the
    /// execution's start.
    ///
    /// A server an earlier wave of the execution already has (same ID, same target) is left
    /// out, recorded in the wave's `skipped_servers` and announced with
    /// [`Notification::ServersSkipped`]; the wave launches the rest. The earlier wave owns it:
    /// DRS would answer a second start with a new recovery instance replacing the one the
    /// earlier wave launched (and its post-actions configured, and later waves were ordered
    /// after), and in a recovery the overlap is a plan ambiguity (a tag selection also matching
    /// an earlier wave's server), not a request to launch it twice. Failing the wave instead
    /// would stop a real recovery halfway over what is only a plan's untidiness. A wave left with
    /// nothing of its own never gets here: the execution was rejected at its start
    /// ([`crate::selection`]); should it happen, the wave fails before any start.
    pub(crate) fn begin_launch(&mut self) {
        let wave = self.exec.current_wave;
        let targets = self.selected_servers(wave);
        let optional: BTreeSet<&str> = self.exec.plan.waves[wave]
            .optional_servers
            .iter()
            .map(String::as_str)
            .collect();
        let owners = self.earlier_waves_servers(wave);
        let mut by_target: BTreeMap<Option<String>, Vec<ServerId>> = BTreeMap::new();
        let mut skipped: Vec<SkippedServer> = Vec::new();
        for resolved in targets {
            let kept = by_target.entry(resolved.target.clone()).or_default();
            for id in resolved.servers {
                match owners.get(&(resolved.target.clone(), id.clone())) {
                    Some(&owner_wave) => skipped.push(SkippedServer {
                        id,
                        target: resolved.target.clone(),
                        owner_wave,
                    }),
                    None => kept.push(id),
                }
            }
        }
        by_target.retain(|_, servers| !servers.is_empty());
        skipped.sort_by(|a, b| a.id.cmp(&b.id));
        let by_target: Vec<(Option<String>, Vec<ServerId>)> = by_target
            .into_iter()
            .map(|(target, mut servers)| {
                servers.sort();
                (target, servers)
            })
            .collect();
        let chunks = chunk::split(&by_target, self.exec.limits.servers_per_job);
        let mut servers: Vec<ServerState> = chunks
            .iter()
            .flat_map(|chunk| {
                chunk.servers.iter().map(|id| ServerState {
                    id: id.clone(),
                    target: chunk.target.clone(),
                    optional: optional.contains(id.as_str()),
                    chunk: chunk.index,
                    launch_status: LaunchStatus::Pending,
                    job_id: None,
                    recovery_instance_id: None,
                    started_at: None,
                    ended_at: None,
                    failure: None,
                })
            })
            .collect();
        servers.sort_by(|a, b| a.id.cmp(&b.id));
        let now = self.now;
        let state = self.wave_mut();
        state.launch_started_at = Some(now);
        state.phase = WavePhase::Launching;
        state.servers = servers;
        state.chunks = chunks;
        state.skipped_servers = skipped.clone();
        let nothing_left = state.chunks.is_empty();
        let name = self.exec.wave_name(wave).to_owned();
        if !skipped.is_empty() {
            self.notify(Notification::ServersSkipped {
                wave,
                name,
                servers: skipped.clone(),
            });
        }
        if nothing_left {
            let failure = if skipped.is_empty() {
                WaveFailure::NoServers
            } else {
                WaveFailure::OnlyEarlierWavesServers {
                    servers: skipped.into_iter().map(|server| server.id).collect(),
                }
            };
            self.fail_launch(failure);
            self.end_launch();
        } else {
            self.fill_budget();
            self.arm_launch_check();
        }
    }

    /// Requests every queued chunk that fits the budget, in order, per target. Nothing starts
    /// after a failure or while a retry round is pending.
    pub(crate) fn fill_budget(&mut self) {
        let wave = self.wave();
        if wave.phase != WavePhase::Launching || wave.failure.is_some() || wave.retry.is_armed() {
            return;
        }
        let limits = self.exec.limits;
        let mut usage: BTreeMap<Option<String>, Usage> = BTreeMap::new();
        for chunk in &wave.chunks {
            let active = match &chunk.state {
                ChunkState::Requested { .. } => true,
                ChunkState::Started { job_id } => wave
                    .job(job_id)
                    .is_some_and(|job| job.status != JobStatus::Completed),
                _ => false,
            };
            if active {
                let entry = usage.entry(chunk.target.clone()).or_default();
                entry.jobs += 1;
                entry.servers += server_count(chunk);
            }
        }
        let mut to_request = Vec::new();
        for chunk in &wave.chunks {
            if chunk.state != ChunkState::Queued {
                continue;
            }
            let entry = usage.entry(chunk.target.clone()).or_default();
            let servers = server_count(chunk);
            let fits = entry.jobs < limits.concurrent_jobs
                && entry.servers + servers <= limits.servers_in_active_jobs;
            // First come, first served: a chunk that does not fit holds back those after it.
            if entry.full || !fits {
                entry.full = true;
                continue;
            }
            entry.jobs += 1;
            entry.servers += servers;
            to_request.push(chunk.index);
        }
        for index in to_request {
            self.request_chunk(index);
        }
    }

    fn request_chunk(&mut self, index: usize) {
        let now = self.now;
        let Some(chunk) = self.wave_mut().chunks.get_mut(index) else {
            return;
        };
        chunk.state = ChunkState::Requested { at: now };
        chunk.requests += 1;
        chunk.first_requested_at.get_or_insert(now);
        let reissue = chunk.requests > 1;
        let chunk = chunk.clone();
        let command = self.start_command(&chunk, reissue);
        self.push(Command::StartRecovery(command));
    }

    pub(crate) fn start_command(&self, chunk: &Chunk, reissue: bool) -> StartRecovery {
        StartRecovery {
            request: StartRequestId {
                execution: self.exec.id.clone(),
                wave: self.exec.current_wave,
                attempt: self.wave().attempt,
                chunk: chunk.index,
            },
            target: chunk.target.clone(),
            servers: chunk.servers.clone(),
            is_drill: self.exec.mode.is_drill(),
            reissue,
            first_requested_at: chunk.first_requested_at.unwrap_or(self.now),
        }
    }

    /// Re-issues requests unanswered for [`STALLED_REQUEST_SECONDS`].
    pub(crate) fn reissue_stalled_requests(&mut self) {
        let wave = self.wave();
        if wave.phase != WavePhase::Launching || wave.failure.is_some() {
            return;
        }
        let now = self.now;
        let stalled: Vec<usize> = wave
            .chunks
            .iter()
            .filter(|chunk| match chunk.state {
                ChunkState::Requested { at } => {
                    now.duration_since(at) >= SignedDuration::from_secs(STALLED_REQUEST_SECONDS)
                }
                _ => false,
            })
            .map(|chunk| chunk.index)
            .collect();
        for index in stalled {
            self.request_chunk(index);
        }
    }

    /// DRS accepted a request (or, `adopted`, a conflict named the job already running it).
    pub(crate) fn job_started(
        &mut self,
        request: &StartRequestId,
        job_id: JobId,
        adopted: bool,
    ) -> Disposition {
        if !self.is_current(request.wave, request.attempt)
            || self.wave().phase != WavePhase::Launching
        {
            return Disposition::Stale;
        }
        let now = self.now;
        let wave = self.wave_mut();
        let Some(chunk) = wave.chunks.get_mut(request.chunk) else {
            return Disposition::Stale;
        };
        if chunk.job_id().is_some() {
            return Disposition::Stale;
        }
        chunk.state = ChunkState::Started {
            job_id: job_id.clone(),
        };
        let (index, target, servers) = (chunk.index, chunk.target.clone(), chunk.servers.clone());
        // DRS accepted a start: whatever made it refuse earlier has passed, so the next
        // refusal waits from the first delay again instead of where the last storm left off.
        wave.backoff = Backoff::default();
        match wave.job_mut(&job_id) {
            Some(job) => job.chunks.push(index),
            None => wave.jobs.push(JobRecord {
                id: job_id.clone(),
                target,
                chunks: vec![index],
                status: JobStatus::Pending,
                adopted,
                started_at: now,
                completed_at: None,
                ended_at: None,
            }),
        }
        for id in &servers {
            if let Some(server) = wave.server_mut(id) {
                server.job_id = Some(job_id.clone());
                server.started_at = Some(now);
            }
        }
        let completed = wave
            .job(&job_id)
            .is_some_and(|job| job.status == JobStatus::Completed);
        if completed {
            // Adopted a job already seen completed: it will not be described again.
            self.settle_completed_job(&job_id);
            self.maybe_end_launch();
        }
        Disposition::Applied
    }

    pub(crate) fn start_rejected(
        &mut self,
        request: &StartRequestId,
        rejection: Rejection,
    ) -> Disposition {
        if !self.is_current(request.wave, request.attempt)
            || self.wave().phase != WavePhase::Launching
        {
            return Disposition::Stale;
        }
        let requested = self
            .wave()
            .chunks
            .get(request.chunk)
            .is_some_and(|chunk| matches!(chunk.state, ChunkState::Requested { .. }));
        if !requested {
            return Disposition::Stale;
        }
        if let Rejection::Conflict {
            running_job: Some(job_id),
        } = rejection
        {
            return self.job_started(request, job_id, true);
        }
        let now = self.now;
        let wave = self.wave_mut();
        let failing = wave.failure.is_some();
        let Some(chunk) = wave.chunks.get_mut(request.chunk) else {
            return Disposition::Stale;
        };
        chunk.rejections += 1;
        match rejection {
            Rejection::Validation { message } => {
                chunk.state = ChunkState::Abandoned;
                let index = chunk.index;
                self.fail_launch(WaveFailure::StartRejected {
                    chunk: index,
                    message,
                });
            }
            _ if failing => chunk.state = ChunkState::Abandoned,
            rejection => {
                let retry_after = match &rejection {
                    Rejection::Throttled {
                        retry_after_seconds,
                    } => *retry_after_seconds,
                    _ => None,
                };
                chunk.state = ChunkState::BackingOff { rejection };
                if !wave.retry.is_armed() {
                    let delay = wave.backoff.next_delay(retry_after);
                    let token = wave.retry.arm(now, delay);
                    let (wave, attempt) = (self.exec.current_wave, self.wave().attempt);
                    self.before_save(BeforeSave::RetryStart(Delayed {
                        wave,
                        attempt,
                        token,
                        delay,
                    }));
                }
            }
        }
        self.maybe_end_launch();
        Disposition::Applied
    }

    pub(crate) fn retry_start_due(
        &mut self,
        wave: WaveIndex,
        attempt: Attempt,
        token: Token,
    ) -> Disposition {
        if !self.is_current(wave, attempt) || self.wave().phase != WavePhase::Launching {
            return Disposition::Stale;
        }
        let state = self.wave_mut();
        if !state.retry.consume(token) {
            return Disposition::Stale;
        }
        for chunk in &mut state.chunks {
            if matches!(chunk.state, ChunkState::BackingOff { .. }) {
                chunk.state = ChunkState::Queued;
            }
        }
        self.fill_budget();
        Disposition::Applied
    }

    /// The wave will fail (the first reason is kept): nothing new starts.
    pub(crate) fn fail_launch(&mut self, failure: WaveFailure) {
        let wave = self.wave_mut();
        wave.failure.get_or_insert(failure);
        wave.retry.disarm();
        chunk::abandon_unstarted(&mut wave.chunks);
    }

    /// Ends the launch once no chunk can change any more.
    pub(crate) fn maybe_end_launch(&mut self) {
        if self.launch_settled(None) {
            self.end_launch();
        }
    }

    /// Whether the launch was settled by the deadline, as DRS's job end times tell: a check
    /// arriving after the deadline must not time out a launch that had ended before it.
    pub(crate) fn launch_ended_in_time(&self) -> bool {
        self.wave()
            .deadline
            .is_some_and(|deadline| self.launch_settled(Some(deadline)))
    }

    /// Whether no chunk of the launch can change any more: every job completed (by `by`,
    /// according to DRS, when given), every other chunk abandoned.
    fn launch_settled(&self, by: Option<Timestamp>) -> bool {
        let wave = self.wave();
        let ended = |job: &JobRecord| match by {
            None => true,
            Some(by) => job.ended_at.is_some_and(|ended| ended <= by),
        };
        wave.phase == WavePhase::Launching
            && wave.chunks.iter().all(|chunk| match &chunk.state {
                ChunkState::Started { job_id } => wave
                    .job(job_id)
                    .is_some_and(|job| job.status == JobStatus::Completed && ended(job)),
                ChunkState::Abandoned => true,
                ChunkState::Queued
                | ChunkState::Requested { .. }
                | ChunkState::BackingOff { .. } => false,
            })
    }

    pub(crate) fn end_launch(&mut self) {
        let now = self.now;
        let (index, wave) = (self.exec.current_wave, self.wave_mut());
        wave.phase = WavePhase::LaunchEnded;
        wave.launch_ended_at = Some(now);
        wave.check.disarm();
        wave.retry.disarm();
        let attempt = wave.attempt;
        self.push(Command::Advance {
            wave: index,
            attempt,
        });
    }
}

fn server_count(chunk: &Chunk) -> u32 {
    u32::try_from(chunk.servers.len()).unwrap_or(u32::MAX)
}
