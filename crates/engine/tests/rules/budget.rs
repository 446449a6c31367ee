//! Budget: chunks within the per-job quota, active jobs and servers within the budget.

use super::*;

#[test]
fn chunks_respect_the_per_job_quota_and_the_concurrent_budget() {
    let limits = |servers_per_job, concurrent_jobs, servers_in_active_jobs| Limits {
        servers_per_job,
        concurrent_jobs,
        servers_in_active_jobs,
    };
    // Servers, limits, and the sizes of the StartRecovery commands emitted at once.
    #[rustfmt::skip]
    let cases: [(usize, Limits, &[usize]); 4] = [
        (250, limits(100, 20, 500), &[84, 83, 83]),
        (50,  limits(10, 2, 500),   &[10, 10]),
        (50,  limits(10, 20, 25),   &[10, 10]),
        (3,   limits(200, 20, 500), &[3]),
    ];
    for (count, limits, expected) in cases {
        let servers = sids(1, count);
        let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
        h.resolve(&servers);
        let sizes: Vec<usize> = h.starts().iter().map(|s| s.servers.len()).collect();
        assert_eq!(sizes, expected, "{count} servers with {limits:?}");
    }
}

#[test]
fn queued_chunks_start_as_observed_jobs_complete() {
    let limits = Limits {
        servers_per_job: 10,
        concurrent_jobs: 2,
        ..Limits::default()
    };
    let servers = sids(1, 50);
    let mut h = Harness::with(one_wave(&servers), Mode::Drill, limits);
    h.resolve(&servers).start_all();
    h.at(30).check(vec![job("job-0-0", Started, &[])]);
    assert!(h.starts().is_empty());
    h.at(60).check(vec![launched("job-0-0", &servers[..10])]);
    let started: Vec<usize> = h.starts().iter().map(|s| s.request.chunk).collect();
    assert_eq!(started, [2]);
}

#[test]
fn each_target_has_its_own_budget() {
    let mut plan = plan(&[sids(1, 4)]);
    plan.targets.insert(
        "east".into(),
        plan::Target {
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            role_arn: None,
            external_id: None,
        },
    );
    plan.protection_groups.insert(
        "g-east".into(),
        plan::ProtectionGroup {
            target: Some("east".into()),
            servers: sids(10, 2),
            tags: Default::default(),
        },
    );
    plan.waves[0].groups.push("g-east".into());
    let limits = Limits {
        servers_per_job: 2,
        concurrent_jobs: 1,
        ..Limits::default()
    };
    let mut h = Harness::unresolved_with(plan, Mode::Drill, limits);
    let resolve = h.commands().iter().find_map(|c| match c {
        Command::ResolveServers { waves } => Some(waves[0].targets.clone()),
        _ => None,
    });
    let targets: Vec<Option<String>> = resolve.unwrap().into_iter().map(|t| t.target).collect();
    assert_eq!(targets, [None, Some("east".to_owned())]);
    h.send(resolved(vec![vec![
        ResolvedTarget {
            target: None,
            servers: ids(&sids(1, 4)),
        },
        ResolvedTarget {
            target: Some("east".into()),
            servers: ids(&sids(10, 2)),
        },
    ]]));
    let started: Vec<(usize, Option<String>)> = h
        .starts()
        .iter()
        .map(|s| (s.request.chunk, s.target.clone()))
        .collect();
    assert_eq!(started, [(0, None), (2, Some("east".into()))]);
}
