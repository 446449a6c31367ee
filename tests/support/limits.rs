//! Real-time limits: a case that hangs fails fast, saying where it was.

use std::future::Future;
use std::time::Duration;

use engine::Execution;
use local_stack::Ending;

/// Runs `case` for at most `limit` of real time; panics naming `what` when it takes longer.
/// Prints the real time it took (seen with `--nocapture`).
pub async fn within<T>(what: &str, limit: Duration, case: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    match tokio::time::timeout(limit, case).await {
        Ok(value) => {
            eprintln!("{what}: done in {:.1} s", started.elapsed().as_secs_f64());
            value
        }
        Err(_) => panic!("{what}: still running after {limit:?} of real time (hung?)"),
    }
}

/// The execution of an `ending` that finished (a terminal status); panics with the last
/// state read otherwise (time limit reached, paused).
pub fn finished(what: &str, ending: Ending) -> Execution {
    match ending {
        Ending::Finished(execution) => execution,
        Ending::LimitReached(last) => panic!(
            "{what}: the execution did not finish in time; last read: {}",
            describe(last.as_ref())
        ),
        Ending::AwaitingApproval(execution) => panic!(
            "{what}: the execution is waiting for an approval: {}",
            describe(Some(&execution))
        ),
    }
}

/// Status and per-wave status of an execution, for failure messages.
pub fn describe(execution: Option<&Execution>) -> String {
    match execution {
        None => "never stored".to_owned(),
        Some(execution) => {
            let report = execution.report();
            let waves: Vec<String> = report
                .waves
                .iter()
                .map(|w| format!("{}={:?} jobs={:?}", w.name, w.status, w.job_ids))
                .collect();
            format!("{:?} [{}]", report.status, waves.join(", "))
        }
    }
}
