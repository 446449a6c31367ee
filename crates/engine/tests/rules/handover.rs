//! Which Lambda carries out which command, and which wave attempt a handover names.

use super::*;
use engine::{Carrier, Handover, RunAction};

#[test]
fn launching_is_the_starters_actions_and_approvals_the_advancers_the_rest_anyones() {
    let start = StartRecovery {
        request: engine::StartRequestId {
            execution: EXEC.into(),
            wave: 2,
            attempt: 3,
            chunk: 1,
        },
        target: None,
        servers: ids(&sids(1, 1)),
        is_drill: true,
        reissue: false,
        first_requested_at: t(0),
    };
    let run = RunAction {
        wave: 1,
        attempt: 2,
        phase: POST,
        index: 0,
        action: lambda("smoke"),
        run_id: "exec-1/1/2/post/0".into(),
    };
    let cleanup = DrillCleanup {
        at: t(3_600),
        targets: vec![],
    };
    let to = |carrier, wave, attempt| {
        Some(Handover {
            carrier,
            wave,
            attempt,
        })
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Command, Option<Handover>)> = vec![
        // The servers are resolved before the first wave starts: wave 0, attempt 0.
        ("resolve servers",  Command::ResolveServers { waves: vec![] },            to(Carrier::Starter, 0, 0)),
        ("start recovery",   Command::StartRecovery(start),                         to(Carrier::Starter, 2, 3)),
        ("run an action",    Command::RunAction(run),                               to(Carrier::Advancer, 1, 2)),
        // A wave awaiting its approval has not started: attempt 0.
        ("request approval", Command::RequestApproval { wave: 4, name: "w4".into() }, to(Carrier::Advancer, 4, 0)),
        ("advance",          Command::Advance { wave: 1, attempt: 1 },              None),
        ("notify",           Command::Notify(Notification::ExecutionFinished { status: ExecutionStatus::Completed }), None),
        ("finish",           Command::Finish { status: ExecutionStatus::Failed },   None),
        ("drill cleanup",    Command::ScheduleDrillCleanup(cleanup),                None),
    ];
    for (name, command, expected) in cases {
        assert_eq!(command.handover(), expected, "{name}");
    }
}
