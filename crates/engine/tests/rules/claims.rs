//! Ledger claims are given back before the save: a job's when DRS says it completed, and
//! every claim a launch may still hold when it ends (timed out, cancelled) with jobs running
//! or requests unanswered; each once.

use super::*;

/// The chunks whose claims the last decision gave back.
fn released_chunks(h: &Harness) -> Vec<usize> {
    h.releases()
        .iter()
        .map(|release| {
            assert_eq!(release.request.wave, h.current());
            assert_eq!(release.request.attempt, h.attempt());
            assert_eq!(release.target, None);
            release.request.chunk
        })
        .collect()
}

fn done(job: &str, server: usize) -> engine::JobSnapshot {
    launched(job, &[sid(server)])
}

fn running(id: &str) -> engine::JobSnapshot {
    job(id, Started, &[])
}

#[test]
fn claims_are_given_back_when_their_jobs_complete_or_the_launch_ends_without_them() {
    let per_job = |concurrent_jobs| Limits {
        servers_per_job: 1,
        concurrent_jobs,
        ..Limits::default()
    };
    type Drive = fn(&mut Harness);
    // (name, concurrent jobs, what happens, the chunks whose claims the last decision gives
    // back, whether the launch is still on)
    #[rustfmt::skip]
    let cases: [(&str, u32, Drive, &[usize], bool); 9] = [
        ("a job completes", 20,
            |h| { h.start_all().at(30).check(vec![done("job-0-0", 1), running("job-0-1"), running("job-0-2")]); },
            &[0], true),
        ("the last jobs complete, the first one not again", 20,
            |h| {
                h.start_all().at(30).check(vec![done("job-0-0", 1), running("job-0-1"), running("job-0-2")]);
                h.at(60).check(vec![done("job-0-1", 2), done("job-0-2", 3)]);
            },
            &[1, 2], false),
        ("a job still running", 20,
            |h| { h.start_all().at(30).check(vec![running("job-0-0"), running("job-0-1"), running("job-0-2")]); },
            &[], true),
        ("a cancel with jobs running and a start unanswered", 20,
            |h| { h.started(0, "job-a").started(1, "job-b").at(10).cancel(); },
            &[0, 1, 2], false),
        ("a cancel after a job completed", 20,
            |h| {
                h.start_all().at(30).check(vec![done("job-0-0", 1), running("job-0-1"), running("job-0-2")]);
                h.at(40).cancel();
            },
            &[1, 2], false),
        ("a cancel with chunks queued, never requested", 1,
            |h| { h.started(0, "job-a").at(10).cancel(); },
            &[0], false),
        ("a cancel with a chunk backing off", 20,
            |h| { h.started(0, "job-a").started(1, "job-b").reject(2, Rejection::QuotaExceeded).at(10).cancel(); },
            &[0, 1, 2], false),
        ("the deadline with a job running", 20,
            |h| { h.start_all().at(45 * 60).check(vec![running("job-0-0"), done("job-0-1", 2), running("job-0-2")]); },
            &[0, 1, 2], false),
        ("an adopted job completes", 20,
            |h| {
                h.reject(0, Rejection::Conflict { running_job: Some("drsjob-other".into()) });
                h.started(1, "job-b").started(2, "job-c");
                h.at(30).check(vec![done("drsjob-other", 1), running("job-b"), running("job-c")]);
            },
            &[0], true),
    ];
    for (name, concurrent, drive, expected, launching) in cases {
        let servers = sids(1, 3);
        let mut h = Harness::with(one_wave(&servers), Mode::Drill, per_job(concurrent));
        drive(&mut h);
        assert_eq!(released_chunks(&h), expected, "{name}");
        assert_eq!(
            h.wave(0).phase == WavePhase::Launching,
            launching,
            "{name}: {:?}",
            h.wave(0).phase
        );
        // Never a claim released twice by one decision, nor one never requested.
        let requested: Vec<engine::StartRequestId> = h
            .history
            .iter()
            .filter_map(|c| match c {
                Command::StartRecovery(s) => Some(s.request.clone()),
                _ => None,
            })
            .collect();
        for release in releases_of(&h.before_save_history) {
            assert!(requested.contains(&release.request), "{name}: {release:?}");
        }
        let releases = h.releases();
        assert!(
            releases.windows(2).all(|w| w[0] < w[1]),
            "{name}: {releases:?}"
        );
    }
}

#[test]
fn a_finished_execution_gives_back_nothing_more() {
    let servers = sids(1, 1);
    let mut h = Harness::new(one_wave(&servers));
    h.start_all().at(10).cancel();
    assert_eq!(released_chunks(&h), [0]);
    for event in [
        Event::CancelRequested {
            by: "x".into(),
            reason: "again".into(),
        },
        Event::Check(Observation {
            wave: 0,
            attempt: 1,
            token: Token(3),
            jobs: vec![launched("job-0-0", &servers)],
        }),
    ] {
        h.at(20).send(event.clone());
        assert_eq!(h.before_save(), [], "{event:?}");
    }
}
