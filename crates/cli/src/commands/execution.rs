//! `drsctl start|status|executions|cancel|approve|reject`: executions of stored plans, through
//! the orchestrator's API (deployed, or run in-process on the tables: see [`crate::api`]).
//!
//! These commands only ask: `start` sends a start request that the starter Lambda carries
//! out, `cancel`, `approve` and `reject` send messages to the advancer. `status` shows where an
//! execution stands. Every execution is reached under its plan's path
//! (`/plans/PLAN/executions/ID`, what IAM policies scope), so each command takes `--plan`.

use clap::Args;
use engine::Mode;
use serde_json::{Value, json};

use super::remote::{
    self, TableOrJson, cell, print_json, print_text, report_error, table, time_cell,
};
use super::schedule::ModeArg;
use super::stored_plan::simple;
use crate::api::options::ApiOptions;
use crate::api::{Request, segment};
use crate::outcome::Outcome;

/// `drsctl start` arguments.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// The stored plan to run (`drsctl plan list`).
    #[arg(long, value_name = "PLAN")]
    pub plan: String,
    /// drill: DRS drill instances, production untouched; recovery: a real failover (needs
    /// --confirm with the value shown below).
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: ModeArg,
    /// The recovery confirmation (the value shown): required with --mode recovery, so that a real failover is never started by
    /// a mistyped mode.
    #[arg(long, value_name = engine::RECOVERY_CONFIRMATION)]
    pub confirm: Option<String>,
    /// The new execution's ID (1 to 100 of A-Z a-z 0-9 - _ ., starting with a letter or
    /// digit). Default: a fresh `exec-drsctl-<UUID>`, printed before the request is sent.
    /// Give the printed ID again to retry a start whose answer was lost (a timeout): the
    /// orchestrator starts one execution per ID, so a retry never starts a second one.
    #[arg(long, value_name = "ID")]
    pub execution_id: Option<String>,
    /// Print the API's JSON answer instead of the execution ID.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TableOrJson::Table)]
    pub output: TableOrJson,
    #[command(flatten)]
    pub api: ApiOptions,
}

/// `drsctl start --plan PLAN --mode drill|recovery`: asks for an execution
/// (`POST /plans/PLAN/drills` or `…/recoveries`); prints its ID.
pub fn start(args: &StartArgs) -> Outcome {
    let mode = Mode::from(args.mode);
    if let Err(missing) = mode.confirmed(args.confirm.as_deref()) {
        let given = match missing.given {
            Some(value) => format!(" (--confirm `{value}` is not it)"),
            None => String::new(),
        };
        eprintln!(
            "drsctl start: refused: --mode {mode} fails over to the recovery site for real; \
             to go ahead, add --confirm {}{given}. For a test, use --mode {}.",
            engine::RECOVERY_CONFIRMATION,
            Mode::Drill,
        );
        return Outcome::Invalid;
    }
    // One ID per invocation, chosen here and sent: the API answers a repeated ID with the
    // execution it already has, so whatever happens to this request, repeating it with the
    // same ID is safe.
    let execution_id = args
        .execution_id
        .clone()
        .unwrap_or_else(|| format!("exec-drsctl-{}", uuid::Uuid::new_v4()));
    let mut body = json!({ "execution_id": execution_id });
    let route = match mode {
        Mode::Drill => "drills",
        Mode::Recovery => {
            body["confirm"] = json!(args.confirm);
            "recoveries"
        }
    };
    let path = format!("/plans/{}/{route}", segment(&args.plan));
    let request = Request::new("POST", path).json(&body);
    let output = args.output;
    let plan = args.plan.clone();
    let retry = retry_hint(&plan, &execution_id);
    eprintln!("drsctl start: execution ID {execution_id}");
    remote::run("start", &args.api, |transport| async move {
        let response = match transport.send(&request).await {
            Ok(response) => response,
            Err(error) => {
                // Nothing says whether the request arrived: say how to retry safely.
                eprintln!("drsctl start: {error}");
                eprintln!("{retry}");
                return Ok(Outcome::Unsuccessful);
            }
        };
        if !response.is_success() {
            let outcome = report_error("start", &response, &transport, None);
            if response.status >= 500 || response.status == 429 {
                eprintln!("{retry}");
            }
            return Ok(outcome);
        }
        let answer = response.json();
        Ok(match output {
            TableOrJson::Json => print_json(answer),
            TableOrJson::Table => {
                let id = cell(&answer["execution_id"]);
                print_text(&format!(
                    "{id}\n{} of plan {plan} requested ({}); follow it with: drsctl status \
                     {id} --plan {plan}\n",
                    cell(&answer["mode"]),
                    cell(&answer["status"]),
                ))
            }
        })
    })
}

/// The hint after a start whose outcome is unknown: the same command, with the same ID.
fn retry_hint(plan: &str, execution_id: &str) -> String {
    format!(
        "hint: execution {execution_id} may have been requested all the same (see: drsctl \
         status {execution_id} --plan {plan}); to retry, run the same command with \
         --execution-id {execution_id}: one ID never starts two executions"
    )
}

/// The plan `--plan` names, or why the command cannot run without it (exit 2, nothing sent).
pub fn required_plan(command: &str, plan: Option<&str>) -> Result<String, Outcome> {
    match plan.filter(|p| !p.is_empty()) {
        Some(plan) => Ok(plan.to_owned()),
        None => {
            eprintln!(
                "drsctl {command}: --plan PLAN is required: an execution is reached under its \
                 plan (/plans/PLAN/executions/ID, the path IAM policies allow per plan), and its \
                 ID alone does not say which; `drsctl executions PLAN` lists a plan's executions"
            );
            Err(Outcome::Invalid)
        }
    }
}

/// `/plans/PLAN/executions/ID`, each part encoded.
fn execution_path(plan: &str, execution_id: &str) -> String {
    format!(
        "/plans/{}/executions/{}",
        segment(plan),
        segment(execution_id)
    )
}

/// `drsctl status EXECUTION_ID --plan PLAN`: the execution, its waves and their servers.
pub fn status(
    plan: &str,
    execution_id: &str,
    output: TableOrJson,
    options: &ApiOptions,
) -> Outcome {
    let request = Request::new("GET", execution_path(plan, execution_id));
    simple("status", options, request, move |detail| match output {
        TableOrJson::Json => print_json(detail),
        TableOrJson::Table => print_text(&status_text(detail)),
    })
}

/// The execution detail as text: a header, the waves, the servers, the failures.
pub fn status_text(detail: &Value) -> String {
    let mut out = String::new();
    let rto = match (detail["rto_minutes"].as_u64(), detail["rto_met"].as_bool()) {
        (None, _) => "-".to_owned(),
        (Some(minutes), Some(true)) => format!("{minutes}m: met"),
        (Some(minutes), Some(false)) => format!("{minutes}m: MISSED"),
        (Some(minutes), None) => format!("{minutes}m"),
    };
    let mut header = vec![
        vec!["execution".to_owned(), cell(&detail["execution_id"])],
        vec![
            "plan".to_owned(),
            format!("{} ({})", cell(&detail["plan"]), cell(&detail["mode"])),
        ],
        vec!["status".to_owned(), cell(&detail["status"])],
        vec![
            "started".to_owned(),
            format!(
                "{} by {}",
                time_cell(&detail["started_at"]),
                cell(&detail["requested_by"])
            ),
        ],
        vec!["finished".to_owned(), time_cell(&detail["finished_at"])],
        vec!["rto".to_owned(), rto],
    ];
    if let Some(cancellation) = detail["cancellation"].as_object() {
        header.push(vec![
            "cancelled".to_owned(),
            format!(
                "by {}: {}",
                cell(cancellation.get("by").unwrap_or(&Value::Null)),
                cell(cancellation.get("reason").unwrap_or(&Value::Null))
            ),
        ]);
    }
    out.push_str(&table(&header));

    let waves: Vec<&Value> = detail["waves"].as_array().into_iter().flatten().collect();
    let mut wave_rows = vec![
        [
            "WAVE", "NAME", "STATUS", "STARTED", "FINISHED", "RTO", "JOBS",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let mut server_rows = vec![
        [
            "WAVE",
            "SERVER",
            "TARGET",
            "STATUS",
            "LAUNCH_STATUS",
            "LAUNCHED_AT",
            "RECOVERY_INSTANCE",
            "JOB",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let mut failures = Vec::new();
    for wave in &waves {
        let index = cell(&wave["index"]);
        let jobs: Vec<String> = wave["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(cell)
            .collect();
        let rto = match (wave["rto_minutes"].as_u64(), wave["rto_met"].as_bool()) {
            (None, _) => "-".to_owned(),
            (Some(minutes), Some(false)) => format!("{minutes}m MISSED"),
            (Some(minutes), _) => format!("{minutes}m"),
        };
        wave_rows.push(vec![
            index.clone(),
            cell(&wave["name"]),
            cell(&wave["status"]),
            time_cell(&wave["started_at"]),
            time_cell(&wave["finished_at"]),
            rto,
            if jobs.is_empty() {
                "-".to_owned()
            } else {
                jobs.join(",")
            },
        ]);
        if wave["failure"].is_string() {
            failures.push(format!(
                "wave {index} ({}): {}",
                cell(&wave["name"]),
                cell(&wave["failure"])
            ));
        }
        for server in wave["servers"].as_array().into_iter().flatten() {
            let optional = if server["optional"].as_bool() == Some(true) {
                " (optional)"
            } else {
                ""
            };
            server_rows.push(vec![
                index.clone(),
                format!("{}{optional}", cell(&server["id"])),
                cell(&server["target"]),
                cell(&server["status"]),
                cell(&server["launch_status"]),
                time_cell(&server["launched_at"]),
                cell(&server["recovery_instance"]),
                cell(&server["job_id"]),
            ]);
            if server["failure"].is_string() {
                failures.push(format!(
                    "server {} (wave {index}): {}",
                    cell(&server["id"]),
                    cell(&server["failure"])
                ));
            }
        }
    }
    out.push('\n');
    out.push_str(&table(&wave_rows));
    if server_rows.len() > 1 {
        out.push('\n');
        out.push_str(&table(&server_rows));
    }
    if !failures.is_empty() {
        out.push('\n');
        for failure in failures {
            out.push_str(&failure);
            out.push('\n');
        }
    }
    let awaiting: Vec<String> = waves
        .iter()
        .filter(|w| w["status"] == "AWAITING_APPROVAL")
        .map(|w| cell(&w["index"]))
        .collect();
    if let Some(index) = awaiting.first() {
        let (id, plan) = (cell(&detail["execution_id"]), cell(&detail["plan"]));
        out.push_str(&format!(
            "\nwave {index} awaits approval: drsctl approve {id} --plan {plan} --wave {index} \
             (or reject it: drsctl reject {id} --plan {plan} --wave {index})\n"
        ));
    }
    out
}

/// `drsctl executions PLAN`: the plan's executions, newest first.
pub fn list(plan: &str, limit: Option<u32>, output: TableOrJson, options: &ApiOptions) -> Outcome {
    let mut request = Request::new("GET", format!("/plans/{}/executions", segment(plan)));
    if let Some(limit) = limit {
        request.query.push(("limit".to_owned(), limit.to_string()));
    }
    simple("executions", options, request, move |body| match output {
        TableOrJson::Json => print_json(body),
        TableOrJson::Table => {
            let mut rows = vec![
                ["EXECUTION", "MODE", "STATUS", "STARTED", "FINISHED", "BY"]
                    .map(str::to_owned)
                    .to_vec(),
            ];
            for execution in body["executions"].as_array().into_iter().flatten() {
                rows.push(
                    [
                        "execution_id",
                        "mode",
                        "status",
                        "started_at",
                        "finished_at",
                        "requested_by",
                    ]
                    .iter()
                    .map(|field| time_cell(&execution[*field]))
                    .collect(),
                );
            }
            let shown = print_text(&table(&rows));
            if body["more"] == true {
                eprintln!(
                    "(older executions not shown: --limit takes up to {})",
                    pipeline::api::MAX_LIST_LIMIT
                );
            }
            shown
        }
    })
}

/// `drsctl cancel EXECUTION_ID --plan PLAN`: asks the advancer to cancel it.
pub fn cancel(
    plan: &str,
    execution_id: &str,
    reason: Option<&str>,
    options: &ApiOptions,
) -> Outcome {
    let path = format!("{}/cancel", execution_path(plan, execution_id));
    let request = Request::new("POST", path).json(&reason_body(reason));
    let id = execution_id.to_owned();
    simple("cancel", options, request, move |answer| {
        print_text(&format!(
            "{id}: {} (the advancer stops the execution and records the cancel)\n",
            cell(&answer["status"])
        ))
    })
}

/// `drsctl approve EXECUTION_ID --plan PLAN --wave N`: approves a wave that awaits approval.
pub fn approve(plan: &str, execution_id: &str, wave: u32, options: &ApiOptions) -> Outcome {
    let path = format!(
        "{}/waves/{wave}/approve",
        execution_path(plan, execution_id)
    );
    let request = Request::new("POST", path);
    let id = execution_id.to_owned();
    simple("approve", options, request, move |answer| {
        print_text(&format!("{id}: wave {wave} {}\n", cell(&answer["status"])))
    })
}

/// `drsctl reject EXECUTION_ID --plan PLAN --wave N`: refuses a wave's approval, which
/// cancels the execution (recorded as that rejection, by you).
pub fn reject(
    plan: &str,
    execution_id: &str,
    wave: u32,
    reason: Option<&str>,
    options: &ApiOptions,
) -> Outcome {
    let path = format!("{}/waves/{wave}/reject", execution_path(plan, execution_id));
    let request = Request::new("POST", path).json(&reason_body(reason));
    let id = execution_id.to_owned();
    simple("reject", options, request, move |answer| {
        print_text(&format!(
            "{id}: wave {wave} rejected, {} (the advancer stops the execution)\n",
            cell(&answer["status"])
        ))
    })
}

fn reason_body(reason: Option<&str>) -> Value {
    match reason {
        Some(reason) => json!({ "reason": reason }),
        None => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_shows_waves_servers_failures_and_what_awaits_approval() {
        let detail = json!({
            "execution_id": "exec-1", "plan": "billing", "mode": "drill", "status": "AWAITING_APPROVAL",
            "requested_by": "drsctl:alice", "started_at": "2026-01-01T10:00:00Z", "finished_at": null,
            "rto_minutes": 60, "rto_met": null, "cancellation": null,
            "waves": [
                {"index": 0, "name": "database", "status": "SUCCEEDED", "started_at": "2026-01-01T10:00:01Z",
                 "finished_at": "2026-01-01T10:20:00Z", "rto_minutes": 20, "rto_met": false, "failure": null,
                 "jobs": ["drsjob-1"], "servers": [
                    {"id": "s-1", "target": "dr-east", "optional": false, "status": "LAUNCHED", "launch_status": "LAUNCHED",
                     "launched_at": "2026-01-01T10:19:00Z", "recovery_instance": "i-1", "job_id": "drsjob-1", "failure": null},
                    {"id": "s-2", "target": null, "optional": true, "status": "FAILED", "launch_status": "FAILED",
                     "launched_at": null, "recovery_instance": null, "job_id": "drsjob-1", "failure": "no subnet"}
                 ]},
                {"index": 1, "name": "app", "status": "AWAITING_APPROVAL", "started_at": null, "finished_at": null,
                 "rto_minutes": null, "rto_met": null, "failure": null, "jobs": [], "servers": []}
            ]
        });
        let text = status_text(&detail);
        assert!(text.contains("plan       billing (drill)\n"), "{text}");
        assert!(text.contains("rto        60m\n"), "{text}");
        assert!(
            text.contains("0     database  SUCCEEDED          2026-01-01T10:00:01Z  2026-01-01T10:20:00Z  20m MISSED  drsjob-1\n"),
            "{text}"
        );
        assert!(
            text.contains("1     app       AWAITING_APPROVAL  -"),
            "{text}"
        );
        assert!(
            text.contains("0     s-2 (optional)  -        FAILED    FAILED"),
            "{text}"
        );
        assert!(text.contains("server s-2 (wave 0): no subnet\n"), "{text}");
        assert!(
            text.ends_with(
                "wave 1 awaits approval: drsctl approve exec-1 --plan billing --wave 1 (or \
                 reject it: drsctl reject exec-1 --plan billing --wave 1)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_execution_is_reached_under_its_plan() {
        assert_eq!(
            execution_path("billing", "exec-1"),
            "/plans/billing/executions/exec-1"
        );
        assert_eq!(
            execution_path("a/b", "e 1"),
            "/plans/a%2Fb/executions/e%201"
        );
        assert_eq!(
            required_plan("status", Some("billing")),
            Ok("billing".to_owned())
        );
        assert_eq!(required_plan("status", None), Err(Outcome::Invalid));
        assert_eq!(required_plan("status", Some("")), Err(Outcome::Invalid));
    }
}
