//! Chunks: a wave's servers split into `StartRecovery` requests within the per-job quota.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::id::{JobId, ServerId};
use crate::input::Rejection;

/// The servers of one `StartRecovery` request, and where that request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Position in the wave attempt; part of the request ID.
    pub index: usize,
    /// Plan target the servers are in; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The servers, sorted.
    pub servers: Vec<ServerId>,
    /// Where the request stands.
    pub state: ChunkState,
    /// How many times `StartRecovery` was emitted for it (re-issues included).
    pub requests: u32,
    /// When `StartRecovery` was first emitted for it: a job it started was created later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_requested_at: Option<Timestamp>,
    /// How many times DRS rejected it.
    pub rejections: u32,
}

/// Where one chunk's `StartRecovery` request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ChunkState {
    /// Waiting for room in the concurrent-jobs budget.
    Queued,
    /// `StartRecovery` emitted; the answer has not arrived.
    Requested {
        /// When it was (last) emitted.
        at: Timestamp,
    },
    /// Rejected (throttled, over quota, in conflict with an unknown job): waiting for the
    /// wave's next retry round.
    BackingOff {
        /// The last rejection.
        rejection: Rejection,
    },
    /// A job runs (or ran) these servers: started by us or adopted after a conflict.
    Started {
        /// The job.
        job_id: JobId,
    },
    /// Will never be started: the wave failed, timed out or was cancelled first.
    Abandoned,
}

impl ChunkState {
    /// A short name for logs and tests (`queued`, `requested`, `backing off`, `started`,
    /// `abandoned`).
    pub fn name(&self) -> &'static str {
        match self {
            ChunkState::Queued => "queued",
            ChunkState::Requested { .. } => "requested",
            ChunkState::BackingOff { .. } => "backing off",
            ChunkState::Started { .. } => "started",
            ChunkState::Abandoned => "abandoned",
        }
    }
}

impl Chunk {
    /// The job of this chunk, if one was recorded.
    pub fn job_id(&self) -> Option<&JobId> {
        match &self.state {
            ChunkState::Started { job_id } => Some(job_id),
            _ => None,
        }
    }
}

/// Gives up the chunks not started yet (queued, or backing off after a rejection): the wave
/// failed, timed out or was cancelled before they could start.
pub(crate) fn abandon_unstarted(chunks: &mut [Chunk]) {
    for chunk in chunks {
        if matches!(
            chunk.state,
            ChunkState::Queued | ChunkState::BackingOff { .. }
        ) {
            chunk.state = ChunkState::Abandoned;
        }
    }
}

/// Splits each target's servers into chunks of at most `servers_per_job`, of near-equal size
/// (250 servers at 100 per job: 84 + 83 + 83), numbered in order.
///
/// `targets` holds each target's sorted servers; chunk order follows it.
pub fn split(targets: &[(Option<String>, Vec<ServerId>)], servers_per_job: u32) -> Vec<Chunk> {
    let per_job = usize::try_from(servers_per_job.max(1)).unwrap_or(usize::MAX);
    let mut chunks = Vec::new();
    for (target, servers) in targets {
        if servers.is_empty() {
            continue;
        }
        let count = servers.len().div_ceil(per_job);
        let (base, larger) = (servers.len() / count, servers.len() % count);
        let mut rest = servers.as_slice();
        for i in 0..count {
            let size = base + usize::from(i < larger);
            let (head, tail) = rest.split_at(size);
            rest = tail;
            chunks.push(Chunk {
                index: chunks.len(),
                target: target.clone(),
                servers: head.to_vec(),
                state: ChunkState::Queued,
                requests: 0,
                rejections: 0,
                first_requested_at: None,
            });
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(n: usize) -> Vec<ServerId> {
        (0..n)
            .map(|i| ServerId::new(format!("s-{i:017x}")))
            .collect()
    }

    fn sizes(chunks: &[Chunk]) -> Vec<usize> {
        chunks.iter().map(|c| c.servers.len()).collect()
    }

    #[test]
    fn chunks_are_balanced_and_within_the_quota() {
        let cases: [(usize, u32, &[usize]); 7] = [
            (1, 100, &[1]),
            (100, 100, &[100]),
            (101, 100, &[51, 50]),
            (250, 100, &[84, 83, 83]),
            (300, 100, &[100, 100, 100]),
            (7, 3, &[3, 2, 2]),
            (5, 1, &[1, 1, 1, 1, 1]),
        ];
        for (n, per_job, expected) in cases {
            let chunks = split(&[(None, servers(n))], per_job);
            assert_eq!(sizes(&chunks), expected, "{n} servers at {per_job} per job");
        }
    }

    #[test]
    fn every_server_lands_in_exactly_one_chunk_in_order() {
        let all = servers(250);
        let chunks = split(&[(None, all.clone())], 100);
        let flattened: Vec<ServerId> = chunks.iter().flat_map(|c| c.servers.clone()).collect();
        assert_eq!(flattened, all);
        let indices: Vec<usize> = chunks.iter().map(|c| c.index).collect();
        assert_eq!(indices, [0, 1, 2]);
    }

    #[test]
    fn targets_never_share_a_chunk() {
        let targets = [
            (Some("east".to_owned()), servers(3)),
            (Some("west".to_owned()), servers(2)),
            (None, Vec::new()),
        ];
        let chunks = split(&targets, 2);
        let described: Vec<(Option<&str>, usize, usize)> = chunks
            .iter()
            .map(|c| (c.target.as_deref(), c.index, c.servers.len()))
            .collect();
        assert_eq!(
            described,
            [
                (Some("east"), 0, 2),
                (Some("east"), 1, 1),
                (Some("west"), 2, 2)
            ]
        );
    }

    #[test]
    fn every_chunk_state_has_its_own_short_name() {
        let states = [
            ChunkState::Queued,
            ChunkState::Requested {
                at: Timestamp::UNIX_EPOCH,
            },
            ChunkState::BackingOff {
                rejection: Rejection::QuotaExceeded,
            },
            ChunkState::Started {
                job_id: JobId::new("drsjob-1"),
            },
            ChunkState::Abandoned,
        ];
        let names: Vec<&str> = states.iter().map(ChunkState::name).collect();
        assert_eq!(
            names,
            ["queued", "requested", "backing off", "started", "abandoned"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Chunks partition a wave's servers within the per-job quota, in order, balanced,
        /// each target on its own, every new chunk queued and never requested.
        #[test]
        fn chunks_partition_servers_within_the_quota(
            counts in proptest::collection::vec(0usize..=450, 1..=3),
            per_job in 1u32..=200,
        ) {
            let mut next = 0;
            let targets: Vec<(Option<String>, Vec<ServerId>)> = counts
                .iter()
                .enumerate()
                .map(|(i, count)| {
                    let servers = (next..next + count)
                        .map(|n| ServerId::new(format!("s-{n:017x}")))
                        .collect();
                    next += count;
                    (Some(format!("t{i}")), servers)
                })
                .collect();
            let chunks = split(&targets, per_job);
            let flattened: Vec<ServerId> = chunks.iter().flat_map(|c| c.servers.clone()).collect();
            let all: Vec<ServerId> = targets.iter().flat_map(|(_, s)| s.clone()).collect();
            proptest::prop_assert_eq!(flattened, all);
            for (i, chunk) in chunks.iter().enumerate() {
                proptest::prop_assert_eq!(chunk.index, i);
                proptest::prop_assert!(
                    !chunk.servers.is_empty() && chunk.servers.len() <= per_job as usize
                );
                proptest::prop_assert_eq!(&chunk.state, &ChunkState::Queued);
                proptest::prop_assert_eq!((chunk.requests, chunk.rejections), (0, 0));
                proptest::prop_assert_eq!(chunk.first_requested_at, None);
            }
            for (target, servers) in &targets {
                let sizes: std::collections::BTreeSet<usize> = chunks
                    .iter()
                    .filter(|c| &c.target == target)
                    .map(|c| c.servers.len())
                    .collect();
                let expected = servers.len().div_ceil(per_job as usize);
                proptest::prop_assert_eq!(
                    chunks.iter().filter(|c| &c.target == target).count(),
                    expected
                );
                proptest::prop_assert!(sizes.len() <= 2, "balanced: {:?}", sizes);
                if let (Some(min), Some(max)) = (sizes.first(), sizes.last()) {
                    proptest::prop_assert!(max - min <= 1, "near-equal: {:?}", sizes);
                }
            }
        }
    }
}
