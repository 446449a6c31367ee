//! Throttling and quota rejections back off and retry only the rejected chunks.

use super::*;

fn retry_delays(effects: &[BeforeSave]) -> Vec<u32> {
    retries_of(effects)
        .into_iter()
        .map(|retry| retry.delay.get())
        .collect()
}

#[test]
fn rejections_back_off_and_retry_only_the_rejected_chunks() {
    let mut h = three_chunks();
    h.started(0, "job-a");
    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    assert_eq!(h.commands(), []);
    assert_eq!(
        h.before_save(),
        [BeforeSave::RetryStart(Delayed {
            wave: 0,
            attempt: 1,
            token: Token(1),
            delay: delay(5)
        })]
    );
    h.reject(2, Rejection::QuotaExceeded);
    assert_eq!(h.commands(), []);
    assert_eq!(
        h.before_save(),
        [],
        "one retry round covers every rejected chunk"
    );

    h.at(5).retry_due();
    let retried: Vec<(usize, bool)> = h
        .starts()
        .iter()
        .map(|s| (s.request.chunk, s.reissue))
        .collect();
    assert_eq!(
        retried,
        [(1, true), (2, true)],
        "chunk 0 has a job: never started again"
    );
    assert_eq!(h.starts()[0].request, h.request_id(1), "same request ID");

    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: Some(30),
        },
    );
    assert_eq!(
        retry_delays(h.before_save()),
        [30],
        "DRS's Retry-After is a floor"
    );
    h.started(2, "job-c");
    h.at(40).retry_due();
    let retried: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(retried, [1]);
}

#[test]
fn retry_delays_grow_and_are_capped() {
    let throttled = |seconds| Rejection::Throttled {
        retry_after_seconds: Some(seconds),
    };
    let conflict = Rejection::Conflict { running_job: None };
    #[rustfmt::skip]
    let cases: [(Vec<Rejection>, &[u32]); 3] = [
        (vec![Rejection::QuotaExceeded; 10],                             &[5, 10, 20, 40, 80, 160, 320, 640, 900, 900]),
        (vec![throttled(2), conflict, Rejection::QuotaExceeded],        &[2, 4, 8]),
        (vec![throttled(7_000)],                                         &[900]),
    ];
    for (rejections, expected) in cases {
        let servers = sids(1, 1);
        let mut h = Harness::new(one_wave(&servers));
        h.resolve(&servers);
        let mut delays = Vec::new();
        for rejection in &rejections {
            h.reject(0, rejection.clone());
            delays.extend(retry_delays(h.before_save()));
            h.retry_due();
            assert_eq!(h.starts().len(), 1);
        }
        assert_eq!(delays, expected, "{rejections:?}");
    }
}

#[test]
fn an_accepted_start_begins_the_retry_delays_anew() {
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 1,
        ..Limits::default()
    };
    let servers = sids(1, 2);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    let mut delays = Vec::new();
    for _ in 0..4 {
        h.reject(0, Rejection::QuotaExceeded);
        delays.extend(retry_delays(h.before_save()));
        h.retry_due();
    }
    assert_eq!(delays, [5, 10, 20, 40]);
    // Chunk 0 is accepted and completes; chunk 1 is then refused: 5 s again, not 80.
    h.started(0, "job-a");
    h.check(vec![launched("job-a", &sids(1, 1))]);
    assert_eq!(h.starts().len(), 1, "{:?}", h.commands());
    h.reject(1, Rejection::QuotaExceeded);
    assert_eq!(retry_delays(h.before_save()), [5]);
}

#[test]
fn nothing_new_starts_while_a_retry_round_is_pending() {
    let limits = Limits {
        servers_per_job: 1,
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let servers = sids(1, 4);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).started(0, "job-a");
    h.reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    h.at(3).check(vec![launched("job-a", &servers[..1])]);
    assert!(
        h.starts().is_empty(),
        "queued chunks wait for the retry round"
    );
    h.at(5).retry_due();
    let started: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(started, [1, 2], "in order, within the budget");
}

#[test]
fn a_job_reported_for_a_backing_off_chunk_is_recorded_and_not_started_again() {
    let mut h = three_chunks();
    h.reject(
        0,
        Rejection::Throttled {
            retry_after_seconds: None,
        },
    );
    // A duplicate handler's call had in fact started it.
    h.started(0, "job-a");
    assert_eq!(chunk_kinds(&h)[0], "started");
    h.started(1, "job-b").started(2, "job-c");
    h.retry_due();
    assert!(h.starts().is_empty());
}

#[test]
fn a_conflict_adopts_the_running_job_or_backs_off() {
    let mut h = three_chunks();
    h.reject(
        0,
        Rejection::Conflict {
            running_job: Some("drsjob-other".into()),
        },
    );
    assert_eq!(h.commands(), []);
    assert_eq!(h.before_save(), [], "an adopted job is not retried");
    let job = h.wave(0).job(&"drsjob-other".into()).unwrap();
    assert!(job.adopted);
    assert_eq!(job.chunks, [0]);
    let server = h.wave(0).server(&sid(1).into()).unwrap();
    assert_eq!(server.job_id, Some("drsjob-other".into()));

    h.reject(1, Rejection::Conflict { running_job: None });
    assert_eq!(retry_delays(h.before_save()), [5]);
    assert_eq!(chunk_kinds(&h)[1], "backing off");
}

#[test]
fn a_validation_rejection_fails_the_wave_with_the_message() {
    let limits = Limits {
        servers_per_job: 1,
        ..Limits::default()
    };
    let servers = sids(1, 2);
    let mut h = Harness::with(plan(&[servers.clone(), sids(9, 1)]), Mode::Drill, limits);
    h.resolve(&servers).started(0, "job-a");
    h.reject(
        1,
        Rejection::Validation {
            message: "server not replicating".into(),
        },
    );
    assert!(!has_advance(h.commands()), "job-a still runs");
    h.check(vec![launched("job-a", &servers[..1])]);
    assert!(has_advance(h.commands()));
    h.advance();
    assert_eq!(h.status(), ExecutionStatus::Failed);
    let failure = h.state.report().waves[0].failure.clone().unwrap();
    assert!(failure.contains("server not replicating"), "{failure}");
}
