//! A server an earlier wave has is never started again by a later wave (overlapping selections,
//! e.g. a tag set also matching an earlier wave's server): it is left out and announced.

use super::*;

#[test]
fn servers_of_earlier_waves_are_left_out_of_later_waves() {
    let east = || plan::Target {
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        role_arn: None,
        external_id: None,
    };
    struct Case {
        name: &'static str,
        /// What the last wave (wave 2) resolves to, per target.
        resolved: Vec<(Option<&'static str>, Vec<String>)>,
        /// The servers its starts ask for, sorted.
        started: Vec<String>,
        /// The servers left out, with the wave that has each.
        skipped: Vec<(String, usize)>,
        /// Its failure, if it fails before any start.
        failure: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "a tag selection also matching wave 0's server",
            resolved: vec![(None, vec![sid(1), sid(20), sid(21)])],
            started: vec![sid(20), sid(21)],
            skipped: vec![(sid(1), 0)],
            failure: None,
        },
        Case {
            name: "servers of both earlier waves",
            resolved: vec![(None, vec![sid(2), sid(10), sid(20)])],
            started: vec![sid(20)],
            skipped: vec![(sid(2), 0), (sid(10), 1)],
            failure: None,
        },
        Case {
            name: "the same ID in another target is another server",
            resolved: vec![(None, vec![sid(20)]), (Some("east"), vec![sid(1)])],
            started: vec![sid(1), sid(20)],
            skipped: vec![],
            failure: None,
        },
        Case {
            name: "nothing of its own: the execution is rejected at its start",
            resolved: vec![(None, vec![sid(1), sid(10)])],
            started: vec![],
            skipped: vec![(sid(1), 0), (sid(10), 1)],
            failure: Some("belongs to an earlier wave"),
        },
    ];
    for case in cases {
        let name = case.name;
        let mut plan = plan(&[sids(1, 2), sids(10, 1), sids(20, 2)]);
        plan.targets.insert("east".into(), east());
        plan.protection_groups.insert(
            "g-east".into(),
            plan::ProtectionGroup {
                target: Some("east".into()),
                servers: Vec::new(),
                tags: [("App".to_owned(), "billing".to_owned())].into(),
            },
        );
        plan.waves[2].groups.push("g-east".into());
        let mut h = Harness::unresolved(plan);
        let last = case
            .resolved
            .iter()
            .map(|(target, servers)| ResolvedTarget {
                target: target.map(str::to_owned),
                servers: ids(servers),
            })
            .collect();
        h.send(resolved(vec![
            in_default(&sids(1, 2)),
            in_default(&sids(10, 1)),
            last,
        ]));
        if let Some(reason) = case.failure {
            // Rejected at the start, before anything launched.
            assert_eq!(h.status(), ExecutionStatus::Failed, "{name}");
            assert!(h.starts().is_empty(), "{name}");
            let failure = h.state.report().waves[2].failure.clone().unwrap();
            assert!(failure.contains(reason), "{name}: {failure}");
            for (server, _) in &case.skipped {
                assert!(failure.contains(server.as_str()), "{name}: {failure}");
            }
            continue;
        }
        h.launch_wave().launch_wave();
        assert_eq!(h.current(), 2, "{name}");

        let mut started: Vec<String> = h
            .starts()
            .iter()
            .flat_map(|s| s.servers.iter().map(ToString::to_string))
            .collect();
        started.sort();
        assert_eq!(started, case.started, "{name}: started");
        let in_wave: Vec<String> = h.wave(2).servers.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(in_wave, case.started, "{name}: the wave's servers");
        let skipped: Vec<(String, usize)> = h
            .wave(2)
            .skipped_servers
            .iter()
            .map(|s| (s.id.to_string(), s.owner_wave))
            .collect();
        assert_eq!(skipped, case.skipped, "{name}: skipped");
        let report = h.state.report();
        assert_eq!(
            report.waves[2].skipped_servers,
            h.wave(2).skipped_servers,
            "{name}: report"
        );
        let announced: Vec<Vec<(String, usize)>> = notifications(h.commands())
            .into_iter()
            .filter_map(|n| match n {
                Notification::ServersSkipped {
                    wave: 2, servers, ..
                } => Some(
                    servers
                        .into_iter()
                        .map(|s| (s.id.to_string(), s.owner_wave))
                        .collect(),
                ),
                _ => None,
            })
            .collect();
        let expected: Vec<Vec<(String, usize)>> = if case.skipped.is_empty() {
            vec![]
        } else {
            vec![case.skipped.clone()]
        };
        assert_eq!(announced, expected, "{name}: notification");

        assert!(h.wave(2).failure.is_none(), "{name}");
        assert!(!has_advance(h.commands()), "{name}: the launch goes on");
    }
}

#[test]
fn a_check_for_an_attempt_whose_save_was_lost_is_a_stale_copy() {
    // The decision that took the resolution began wave 0's attempt 1 and sent its checks
    // (delayed messages go out before the save); then the save was lost.
    let servers = sids(1, 1);
    let mut h = Harness::unresolved(one_wave(&servers));
    let before = h.state.clone();
    // The checker is told to deliver it again later: its save may yet become visible.
    assert_eq!(
        h.state.check_arrival(0, 1, Token(2)),
        engine::check::Arrival::AheadOfSave
    );
    // Decided anyway, it is stale.
    h.at(40).send(Event::Check(Observation {
        wave: 0,
        attempt: 1,
        token: Token(2),
        jobs: vec![],
    }));
    assert_eq!(h.state, before, "nothing changes");
    assert!(
        matches!(h.commands(), [Command::ResolveServers { waves }] if waves.len() == 1),
        "the resolution is asked for again: {:?}",
        h.commands()
    );
    assert_eq!(h.before_save(), [], "and nothing else");
    // The same decision taken again sends the same tokens: the copy's token becomes live.
    h.resolve(&servers);
    assert_eq!(h.attempt(), 1);
}
