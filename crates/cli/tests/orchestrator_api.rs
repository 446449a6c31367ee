//! `drsctl plan apply|get|list|delete`, `start`, `status`, `executions`, `cancel`, `approve`,
//! `reject`, run as a user runs them, both ways:
//!
//! - direct mode: the router in-process on a stack's tables and queues in moto;
//! - API mode: over HTTP to a server in this test that checks each request's SigV4 signature
//!   (recomputed with aws-sigv4 from the same test credentials) before handing it to the same
//!   router, so signing that breaks fails these tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_adapters::ExecutionTable;
use aws_adapters::api::ApiStores;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use engine::{ExecutionRequest, Limits, Mode};
use pipeline::api::{ApiRequest, handle};
use pipeline::message::{Message, PlanSource, QueueName, decode};
use pipeline::ports::ExecutionStore;
use pipeline::testing::started_as_listed;
use serde_json::Value;
use support::{
    ACCESS_KEY, REGION, Run, SECRET, Scratch, Stack, config, drsctl_at, drsctl_with_aws, example,
    example_plan, moto, run, runtime, unique,
};

fn stack(test: &str) -> Stack {
    Stack::create("api", test)
}

impl Stack {
    fn queue_url(&self, queue: QueueName) -> &str {
        &self.created.queues[&queue].url
    }

    /// Every message waiting in `queue`, decoded (and deleted).
    fn drain(&self, queue: QueueName) -> Vec<Message> {
        runtime().block_on(async {
            let sqs = config().await.sqs();
            let mut messages = Vec::new();
            loop {
                let output = sqs
                    .receive_message()
                    .queue_url(self.queue_url(queue))
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .unwrap();
                let received = output.messages.unwrap_or_default();
                if received.is_empty() {
                    return messages;
                }
                for message in received {
                    messages.push(decode(message.body().unwrap()).unwrap());
                    sqs.delete_message()
                        .queue_url(self.queue_url(queue))
                        .receipt_handle(message.receipt_handle().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
        })
    }

    /// Stores an execution of `plan_text` as the starter would have, and returns its ID.
    fn store_execution(&self, plan_text: &str) -> String {
        self.store_execution_as(&format!("exec-test-{}", unique()), plan_text)
    }

    /// [`Self::store_execution`] under the ID `id`.
    fn store_execution_as(&self, id: &str, plan_text: &str) -> String {
        self.store_execution_by(id, plan_text, "starter-test")
    }

    /// [`Self::store_execution_as`], requested by `requested_by`.
    fn store_execution_by(&self, id: &str, plan_text: &str, requested_by: &str) -> String {
        let id = id.to_owned();
        runtime().block_on(async {
            let table =
                ExecutionTable::new(config().await.dynamodb(), &self.resources.executions.name);
            let mut plan = plan::parse(plan_text).unwrap();
            // The tests keep several live executions of `billing` side by side.
            plan.allow_concurrent_executions = true;
            let request = ExecutionRequest {
                execution_id: id.as_str().into(),
                plan,
                mode: Mode::Drill,
                limits: Limits::default(),
                requested_by: requested_by.into(),
            };
            let state = started_as_listed(request, jiff::Timestamp::now()).unwrap();
            assert_eq!(
                table.create(&state).await.unwrap(),
                pipeline::ports::Created::New
            );
        });
        id
    }
}

/// Who the test credentials are to moto's STS: what direct mode records as the caller.
fn me() -> String {
    runtime().block_on(async {
        config()
            .await
            .sts()
            .get_caller_identity()
            .send()
            .await
            .unwrap()
            .arn
            .unwrap()
    })
}

/// drsctl with the test credentials (`secret` as the secret key) and nothing else from this
/// machine's AWS setup.
fn drsctl_with(args: &[&str], secret: &str) -> Run {
    run(drsctl_with_aws(secret).args(args))
}

const TWO_WAVES: &str = "\
name: billing
protection_groups:
  db: { servers: [s-00000000000000001] }
  app: { servers: [s-00000000000000002] }
waves:
  - { name: database, groups: [db] }
  - { name: app, groups: [app], pause_before: true }
";

#[test]
fn direct_mode_stores_plans_and_starts_follows_and_cancels_executions() {
    let stack = stack("direct");
    let billing = example("billing.yaml");
    // Who the AWS credentials are: recorded whatever $USER says (the support sets `tester`).
    let me = me();
    assert!(me.starts_with("arn:aws:"), "{me}");

    // `plan apply FILE` of the billing plan, stored as `verb` says.
    let apply_billing = |file: &str, verb: &str| {
        let run = stack.drsctl(&["plan", "apply", file]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let expected = format!("billing: {verb} (3 waves), stored by {me} at ");
        assert!(run.stdout.starts_with(&expected), "{}", run.stdout);
    };
    apply_billing(&billing, "created");
    apply_billing(&billing, "replaced");
    let minimal = stack.drsctl(&["plan", "apply", &example("minimal.yaml")]);
    assert_eq!(minimal.code, 0, "{}", minimal.stderr);

    let list = stack.drsctl(&["plan", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let lines: Vec<Vec<&str>> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "WAVES", "UPDATED_AT", "UPDATED_BY"]);
    let names: Vec<&str> = lines[1..].iter().map(|l| l[0]).collect();
    let minimal_name = example_plan("minimal.yaml").name;
    let mut expected = vec!["billing", minimal_name.as_str()];
    expected.sort_unstable();
    assert_eq!(names, expected, "{}", list.stdout);
    let billing_line = lines.iter().find(|l| l[0] == "billing").unwrap();
    assert_eq!(billing_line[1], "3");
    assert_eq!(billing_line[3], me);

    // What `plan get` prints is the stored plan, the target's external ID (`billing-dr`)
    // shown as `***`; `plan apply` refuses that placeholder, saying so, and takes the plan
    // back once the real external ID is in.
    let yaml = stack.drsctl(&["plan", "get", "billing"]);
    assert_eq!(yaml.code, 0, "{}", yaml.stderr);
    assert!(
        yaml.stdout.starts_with("---\nname: billing\n"),
        "{}",
        yaml.stdout
    );
    assert!(
        yaml.stdout.contains("external_id: \"***\"\n") && !yaml.stdout.contains("billing-dr\n"),
        "{}",
        yaml.stdout
    );
    let scratch = Scratch::new("direct");
    let got = scratch.write("billing.yaml", &yaml.stdout);
    let refused = stack.drsctl(&["plan", "apply", &got]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("{got}:"))
            && refused.stderr.contains("targets.dr-east.external_id")
            && refused.stderr.contains("stands for the stored external ID"),
        "{}",
        refused.stderr
    );
    let restored = yaml
        .stdout
        .replace("external_id: \"***\"", "external_id: billing-dr");
    assert_eq!(
        plan::parse(&restored).unwrap(),
        example_plan("billing.yaml")
    );
    apply_billing(&scratch.write("restored.yaml", &restored), "replaced");
    let json = stack.drsctl(&["plan", "get", "billing", "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(json.stdout.contains("\"***\""), "{}", json.stdout);
    let json_plan: plan::Plan =
        serde_json::from_str(&json.stdout.replace("\"***\"", "\"billing-dr\"")).unwrap();
    assert_eq!(json_plan, example_plan("billing.yaml"));

    // start: the request lands in the start queue, under the ID printed.
    let started = stack.drsctl(&["start", "--plan", "billing", "--mode", "drill"]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let execution_id = started.stdout.lines().next().unwrap().to_owned();
    assert!(
        started
            .stdout
            .contains(&format!("drsctl status {execution_id} --plan billing")),
        "{}",
        started.stdout
    );
    let sent = stack.drain(QueueName::Start);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let Message::StartExecution {
        execution_id: Some(sent_id),
        plan,
        mode,
        confirm,
        requested_by,
    } = &sent[0]
    else {
        panic!("not a start request with an ID: {sent:?}");
    };
    assert_eq!(sent_id.as_str(), execution_id);
    assert_eq!(
        plan,
        &PlanSource::Stored {
            plan_name: "billing".to_owned()
        }
    );
    assert_eq!((*mode, confirm.as_deref()), (Mode::Drill, None));
    assert_eq!(requested_by, &me);

    // A recovery without its confirmation is refused here, and nothing is sent.
    for extra in [&[][..], &["--confirm", "yes"][..]] {
        let mut args = vec!["start", "--plan", "billing", "--mode", "recovery"];
        args.extend_from_slice(extra);
        let refused = stack.drsctl(&args);
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(
            refused.stderr.contains("--confirm RECOVERY"),
            "{}",
            refused.stderr
        );
        assert!(refused.stdout.is_empty());
    }
    let recovery = stack.drsctl(&[
        "start",
        "--plan",
        "billing",
        "--mode",
        "recovery",
        "--confirm",
        "RECOVERY",
        "--output",
        "json",
    ]);
    assert_eq!(recovery.code, 0, "{}", recovery.stderr);
    let answer: Value = serde_json::from_str(&recovery.stdout).unwrap();
    assert_eq!(answer["mode"], "recovery");
    let sent = stack.drain(QueueName::Start);
    assert_eq!(
        sent.len(),
        1,
        "only the confirmed recovery is sent: {sent:?}"
    );
    assert!(matches!(
        &sent[0],
        Message::StartExecution { mode: Mode::Recovery, confirm: Some(c), .. } if c == "RECOVERY"
    ));

    let missing_plan = stack.drsctl(&["start", "--plan", "payroll", "--mode", "drill"]);
    assert_eq!(missing_plan.code, 1, "{}", missing_plan.stderr);
    assert!(
        missing_plan.stderr.contains("not_found"),
        "{}",
        missing_plan.stderr
    );
    assert!(
        missing_plan.stderr.contains("payroll"),
        "{}",
        missing_plan.stderr
    );

    // status, executions, cancel and approve on an execution the starter would have stored.
    let stored = stack.store_execution(TWO_WAVES);
    let status = stack.drsctl(&["status", &stored, "--plan", "billing"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains(&format!("execution  {stored}\n")),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("plan       billing (drill)\n"),
        "{}",
        status.stdout
    );
    let wave_lines: Vec<Vec<&str>> = status
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|l: &Vec<&str>| {
            l.len() > 2 && (l[0] == "0" || l[0] == "1") && !l[1].starts_with("s-")
        })
        .collect();
    assert_eq!(wave_lines.len(), 2, "{}", status.stdout);
    assert_eq!(wave_lines[0][..3], ["0", "database", "RUNNING"]);
    assert_eq!(wave_lines[1][..3], ["1", "app", "PENDING"]);
    let status_json = stack.drsctl(&["status", &stored, "--plan", "billing", "--output", "json"]);
    assert_eq!(status_json.code, 0, "{}", status_json.stderr);
    let detail: Value = serde_json::from_str(&status_json.stdout).unwrap();
    assert_eq!(detail["execution_id"], stored.as_str());
    assert_eq!(detail["waves"][1]["name"], "app");

    let executions = stack.drsctl(&["executions", "billing"]);
    assert_eq!(executions.code, 0, "{}", executions.stderr);
    assert!(
        executions.stdout.starts_with("EXECUTION"),
        "{}",
        executions.stdout
    );
    assert!(
        executions
            .stdout
            .lines()
            .any(|l| l.starts_with(&format!("{stored} "))),
        "{}",
        executions.stdout
    );

    // Without its plan, an execution cannot be reached (nothing is sent); under another
    // plan's name it is not found.
    for command in ["status", "cancel", "approve", "reject"] {
        let mut args = vec![command, stored.as_str()];
        if command == "approve" || command == "reject" {
            args.extend_from_slice(&["--wave", "1"]);
        }
        let bare = stack.drsctl(&args);
        assert_eq!(bare.code, 2, "{command}: {}", bare.stderr);
        assert!(
            bare.stderr
                .contains(&format!("drsctl {command}: --plan PLAN is required")),
            "{}",
            bare.stderr
        );
        args.extend_from_slice(&["--plan", "payroll"]);
        let elsewhere = stack.drsctl(&args);
        assert_eq!(elsewhere.code, 1, "{command}: {}", elsewhere.stderr);
        assert!(
            elsewhere.stderr.contains("(not_found, HTTP 404)"),
            "{}",
            elsewhere.stderr
        );
    }
    assert!(stack.drain(QueueName::Advance).is_empty());

    let not_waiting = stack.drsctl(&["approve", &stored, "--plan", "billing", "--wave", "1"]);
    assert_eq!(not_waiting.code, 1, "{}", not_waiting.stderr);
    assert!(
        not_waiting.stderr.contains("(conflict, HTTP 409)"),
        "{}",
        not_waiting.stderr
    );

    // A wave that waits for approval is approved.
    let paused = stack.store_execution(&TWO_WAVES.replace(
        "{ name: database, groups: [db] }",
        "{ name: database, groups: [db], pause_before: true }",
    ));
    let waiting = stack.drsctl(&["status", &paused, "--plan", "billing"]);
    assert!(
        waiting.stdout.ends_with(&format!(
            "wave 0 awaits approval: drsctl approve {paused} --plan billing --wave 0 (or reject \
             it: drsctl reject {paused} --plan billing --wave 0)\n"
        )),
        "{}",
        waiting.stdout
    );
    let approved = stack.drsctl(&["approve", &paused, "--plan", "billing", "--wave", "0"]);
    assert_eq!(approved.code, 0, "{}", approved.stderr);
    assert_eq!(
        approved.stdout,
        format!("{paused}: wave 0 APPROVAL_REQUESTED\n")
    );
    assert_eq!(
        stack.drain(QueueName::Advance),
        [Message::Approve {
            execution_id: paused.as_str().into(),
            wave: 0,
            by: me.clone(),
        }]
    );

    // The requester of an execution cannot approve it; they may reject it (a cancel).
    let own = stack.store_execution_by(
        &format!("exec-own-{}", unique()),
        &TWO_WAVES.replace(
            "{ name: database, groups: [db] }",
            "{ name: database, groups: [db], pause_before: true }",
        ),
        &me,
    );
    let self_approved = stack.drsctl(&["approve", &own, "--plan", "billing", "--wave", "0"]);
    assert_eq!(self_approved.code, 1, "{}", self_approved.stderr);
    assert!(
        self_approved.stderr.contains("(forbidden, HTTP 403)")
            && self_approved.stderr.contains("allow_self_approval"),
        "{}",
        self_approved.stderr
    );
    assert!(stack.drain(QueueName::Advance).is_empty());
    let rejected = stack.drsctl(&[
        "reject",
        &own,
        "--plan",
        "billing",
        "--wave",
        "0",
        "--reason",
        "not today",
    ]);
    assert_eq!(rejected.code, 0, "{}", rejected.stderr);
    assert_eq!(
        rejected.stdout,
        format!("{own}: wave 0 rejected, CANCEL_REQUESTED (the advancer stops the execution)\n")
    );
    assert_eq!(
        stack.drain(QueueName::Advance),
        [Message::Cancel {
            execution_id: own.as_str().into(),
            by: me.clone(),
            reason: "approval of wave 0 (`database`) rejected: not today".to_owned(),
        }]
    );

    let cancelled = stack.drsctl(&[
        "cancel",
        &stored,
        "--plan",
        "billing",
        "--reason",
        "drill window over",
    ]);
    assert_eq!(cancelled.code, 0, "{}", cancelled.stderr);
    assert!(
        cancelled.stdout.contains("CANCEL_REQUESTED"),
        "{}",
        cancelled.stdout
    );
    let sent = stack.drain(QueueName::Advance);
    assert_eq!(
        sent,
        [Message::Cancel {
            execution_id: stored.as_str().into(),
            by: me.clone(),
            reason: "drill window over".to_owned(),
        }]
    );
    let unknown = stack.drsctl(&["status", "exec-nope", "--plan", "billing"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("(not_found, HTTP 404)"),
        "{}",
        unknown.stderr
    );

    let deleted = stack.drsctl(&["plan", "delete", "billing"]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert_eq!(deleted.stdout, "deleted plan billing\n");
    let gone = stack.drsctl(&["plan", "get", "billing"]);
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("not_found"), "{}", gone.stderr);
}

#[test]
fn start_sends_its_own_execution_id_so_that_a_retry_never_starts_a_second_execution() {
    let stack = stack("retry");
    let applied = stack.drsctl(&["plan", "apply", &example("billing.yaml")]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    // Without --execution-id: an ID chosen by drsctl, told before the request goes out, and
    // the one sent.
    let started = stack.drsctl(&["start", "--plan", "billing", "--mode", "drill"]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let chosen = started.stdout.lines().next().unwrap().to_owned();
    assert!(chosen.starts_with("exec-drsctl-"), "{}", started.stdout);
    assert!(
        started
            .stderr
            .contains(&format!("drsctl start: execution ID {chosen}")),
        "{}",
        started.stderr
    );
    let sent = stack.drain(QueueName::Start);
    assert!(
        matches!(&sent[..], [Message::StartExecution { execution_id: Some(id), .. }] if id.as_str() == chosen),
        "{sent:?}"
    );

    // A retry with that ID before the starter took the request: the same ID again (the
    // starter treats it as a redelivery).
    let retry = [
        "start",
        "--plan",
        "billing",
        "--mode",
        "drill",
        "--execution-id",
        &chosen,
    ];
    let retried = stack.drsctl(&retry);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    assert_eq!(retried.stdout.lines().next(), Some(chosen.as_str()));
    let sent = stack.drain(QueueName::Start);
    assert!(
        matches!(&sent[..], [Message::StartExecution { execution_id: Some(id), .. }] if id.as_str() == chosen),
        "{sent:?}"
    );

    // Once the execution exists, a retry sends nothing and answers its status.
    stack.store_execution_as(&chosen, TWO_WAVES);
    let late = stack.drsctl(&retry);
    assert_eq!(late.code, 0, "{}", late.stderr);
    assert!(
        late.stdout
            .contains("drill of plan billing requested (RUNNING)"),
        "{}",
        late.stdout
    );
    assert!(stack.drain(QueueName::Start).is_empty());

    // A listing cut short by --limit says so.
    stack.store_execution(TWO_WAVES);
    let cut = stack.drsctl(&["executions", "billing", "--limit", "1"]);
    assert_eq!(cut.code, 0, "{}", cut.stderr);
    assert_eq!(cut.stdout.lines().count(), 2, "{}", cut.stdout);
    assert!(
        cut.stderr.contains("older executions not shown"),
        "{}",
        cut.stderr
    );
    let all = stack.drsctl(&["executions", "billing", "--limit", "2"]);
    assert_eq!(all.stdout.lines().count(), 3, "{}", all.stdout);
    assert!(!all.stderr.contains("not shown"), "{}", all.stderr);

    let bad = stack.drsctl(&[
        "start",
        "--plan",
        "billing",
        "--mode",
        "drill",
        "--execution-id",
        "..",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("execution_id"), "{}", bad.stderr);
}

#[test]
fn an_invalid_plan_is_refused_with_the_same_problems_plan_validate_prints() {
    let stack = stack("invalid");
    let scratch = Scratch::new("invalid");
    let file = scratch.write(
        "broken.yaml",
        "name: broken\n\
         protection_groups:\n  \
           db: { servers: [s-00000000000000001] }\n\
         waves:\n  \
           - { name: database, groups: [db, nope] }\n  \
           - { name: database, groups: [] }\n",
    );
    let file = file.as_str();
    let validate = drsctl_with(&["plan", "validate", file], SECRET);
    assert_eq!(validate.code, 2, "{}", validate.stderr);
    let problems: Vec<&str> = validate.stderr.lines().collect();
    assert!(problems.len() >= 2, "{}", validate.stderr);

    let applied = stack.drsctl(&["plan", "apply", file]);
    assert_eq!(applied.code, 2, "{}", applied.stderr);
    assert!(
        applied.stderr.contains("(invalid_plan, HTTP 400)"),
        "{}",
        applied.stderr
    );
    for problem in problems {
        assert!(
            applied.stderr.lines().any(|l| l == problem),
            "`{problem}` missing from:\n{}",
            applied.stderr
        );
    }
    assert!(applied.stdout.is_empty());
    let list = stack.drsctl(&["plan", "list"]);
    assert_eq!(
        list.stdout.lines().count(),
        1,
        "nothing stored: {}",
        list.stdout
    );
}

#[test]
fn direct_mode_names_what_it_cannot_find() {
    let prefix = format!("missing-{}", unique());
    let run = drsctl_at(&prefix, &moto().endpoint_url(), &["plan", "list"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("the start queue `{prefix}-start` does not exist")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("START_QUEUE_URL"), "{}", run.stderr);

    // With the queues given, the missing table is what the error names.
    let real = stack("tables");
    let run = drsctl_with(
        &[
            "plan",
            "list",
            "--region",
            REGION,
            "--endpoint-url",
            &moto().endpoint_url(),
            "--start-queue-url",
            real.queue_url(QueueName::Start),
            "--advance-queue-url",
            real.queue_url(QueueName::Advance),
            "--plans-table",
            "no-such-plans-table",
        ],
        SECRET,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-plans-table"), "{}", run.stderr);

    // Direct-mode options make no sense with --api-url.
    let mixed = drsctl_with(
        &[
            "plan",
            "list",
            "--api-url",
            "https://x.execute-api.eu-west-1.amazonaws.com",
            "--plans-table",
            "t",
        ],
        SECRET,
    );
    assert_eq!(mixed.code, 1, "{}", mixed.stderr);
    assert!(
        mixed.stderr.contains("--plans-table is for direct mode"),
        "{}",
        mixed.stderr
    );
}

/// `(method, path, verdict of the signature check)` of every request the server received.
type Seen = Arc<Mutex<Vec<(String, String, Result<(), String>)>>>;

/// The in-test API: checks the SigV4 signature of each request, then serves it with the
/// router on the stack's adapters.
struct ApiServer {
    url: String,
    /// `(method, path, verdict)` of every request received.
    seen: Seen,
}

#[derive(Clone)]
struct ServerState {
    stores: Arc<ApiStores>,
    seen: Seen,
}

fn api_server(stack: &Stack) -> ApiServer {
    let (sender, receiver) = std::sync::mpsc::channel();
    let resources = stack.resources.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_by_server = seen.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let stores = ApiStores::of_stack(&config().await, &resources)
                .await
                .unwrap();
            let state = ServerState {
                stores: Arc::new(stores),
                seen: seen_by_server,
            };
            let app = axum::Router::new().fallback(serve).with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let address = receiver.recv().unwrap();
    ApiServer {
        url: format!("http://{address}"),
        seen,
    }
}

async fn serve(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let verdict = verify_signature(&method, &uri, &headers, &body);
    state
        .seen
        .lock()
        .unwrap()
        .push((method.to_string(), uri.path().to_owned(), verdict.clone()));
    if let Err(why) = verdict {
        // What API Gateway answers to a bad signature.
        let body = serde_json::json!({ "message": why });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_owned(), value.to_owned())
        })
        .collect();
    let request = ApiRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        content_type: headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned()),
        body: (!body.is_empty()).then(|| String::from_utf8(body.to_vec()).unwrap()),
        caller: format!("arn:aws:iam::123456789012:user/{ACCESS_KEY}"),
        request_id: format!("req-{}", unique()),
    };
    let response = handle(&state.stores.deps(), request, jiff::Timestamp::now()).await;
    let status = StatusCode::from_u16(response.status).unwrap();
    match response.body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    }
}

/// Recomputes the signature of the request with the test credentials and compares.
fn verify_signature(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .ok_or_else(|| format!("no {name} header"))
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let authorization = header("authorization")?;
    let rest = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not a SigV4 authorization")?;
    let fields: HashMap<&str, &str> = rest
        .split(", ")
        .filter_map(|field| field.split_once('='))
        .collect();
    let scope: Vec<&str> = fields
        .get("Credential")
        .ok_or("no Credential")?
        .split('/')
        .collect();
    if scope.len() != 5 || scope[0] != ACCESS_KEY || scope[2] != REGION || scope[3] != "execute-api"
    {
        return Err(format!("unexpected credential scope {scope:?}"));
    }
    let signed: Vec<&str> = fields
        .get("SignedHeaders")
        .ok_or("no SignedHeaders")?
        .split(';')
        .collect();
    for required in ["host", "x-amz-date"] {
        if !signed.contains(&required) {
            return Err(format!("{required} is not signed"));
        }
    }
    if !body.is_empty() && !signed.contains(&"content-type") {
        return Err("content-type is not signed".to_owned());
    }
    let date = header("x-amz-date")?;
    // 20260921T141320Z → 2026-09-21T14:13:20Z
    let iso = match (
        date.get(0..4),
        date.get(4..6),
        date.get(6..8),
        date.get(9..11),
        date.get(11..13),
        date.get(13..),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => {
            format!("{y}-{mo}-{d}T{h}:{mi}:{s}")
        }
        _ => return Err(format!("x-amz-date `{date}` is not yyyymmddThhmmssZ")),
    };
    let seconds = iso
        .parse::<jiff::Timestamp>()
        .map_err(|e| format!("x-amz-date `{date}`: {e}"))?
        .as_second();
    let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds.try_into().unwrap());
    let values: Vec<(String, String)> = signed
        .iter()
        .map(|name| Ok(((*name).to_owned(), header(name)?)))
        .collect::<Result<_, String>>()?;
    let host = header("host")?;
    let url = format!(
        "http://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let identity = Credentials::new(ACCESS_KEY, SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("execute-api")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let expected = instructions
        .headers()
        .find(|(name, _)| *name == "authorization")
        .map(|(_, value)| value.to_owned())
        .ok_or("no signature computed")?;
    if expected == authorization {
        Ok(())
    } else {
        Err(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
                .to_owned(),
        )
    }
}

fn via_api(server: &ApiServer, args: &[&str], secret: &str) -> Run {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--api-url", &server.url, "--region", REGION]);
    drsctl_with(&all, secret)
}

#[test]
fn api_mode_signs_every_request_and_shares_the_router() {
    let stack = stack("http");
    let server = api_server(&stack);
    let billing = example("billing.yaml");

    let applied = via_api(&server, &["plan", "apply", &billing], SECRET);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(
        applied.stdout.starts_with(&format!(
            "billing: created (3 waves), stored by arn:aws:iam::123456789012:user/{ACCESS_KEY} at "
        )),
        "{}",
        applied.stdout
    );
    let list = via_api(&server, &["plan", "list", "--output", "json"], SECRET);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let plans: Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(plans["plans"][0]["name"], "billing");

    let started = via_api(
        &server,
        &["start", "--plan", "billing", "--mode", "drill"],
        SECRET,
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    let execution_id = started.stdout.lines().next().unwrap();
    let sent = stack.drain(QueueName::Start);
    assert!(
        matches!(&sent[..], [Message::StartExecution { execution_id: Some(id), .. }] if id.as_str() == execution_id),
        "{sent:?}"
    );

    let stored = stack.store_execution(TWO_WAVES);
    let status = via_api(
        &server,
        &["status", &stored, "--plan", "billing", "--output", "json"],
        SECRET,
    );
    assert_eq!(status.code, 0, "{}", status.stderr);
    let detail: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(detail["execution_id"], stored.as_str());
    let executions = via_api(&server, &["executions", "billing", "--limit", "5"], SECRET);
    assert_eq!(executions.code, 0, "{}", executions.stderr);
    assert!(executions.stdout.contains(&stored), "{}", executions.stdout);

    let scratch = Scratch::new("http");
    let invalid = scratch.write("bad.yaml", "name: bad\nwaves: 3\n");
    let refused = via_api(&server, &["plan", "apply", &invalid], SECRET);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("(invalid_plan, HTTP 400)"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains(&format!("{invalid}:2:")),
        "{}",
        refused.stderr
    );

    // Every request so far passed the signature check.
    let verdicts: Vec<_> = server.seen.lock().unwrap().clone();
    assert_eq!(verdicts.len(), 6, "{verdicts:?}");
    assert!(verdicts.iter().all(|(_, _, v)| v.is_ok()), "{verdicts:?}");

    // A wrong secret gives a wrong signature: refused, and nothing changes.
    let forged = via_api(&server, &["plan", "delete", "billing"], "not-the-secret");
    assert_eq!(forged.code, 1, "{}", forged.stderr);
    assert!(
        forged
            .stderr
            .contains("signature we calculated does not match"),
        "{}",
        forged.stderr
    );
    assert!(forged.stderr.contains("(HTTP 403)"), "{}", forged.stderr);
    assert!(
        forged.stderr.contains("execute-api:Invoke"),
        "{}",
        forged.stderr
    );
    let last = server.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        ("DELETE", "/plans/billing")
    );
    assert!(last.2.is_err());
    let still = via_api(&server, &["plan", "get", "billing"], SECRET);
    assert_eq!(still.code, 0, "{}", still.stderr);

    // The caller API Gateway authenticated is the requester: their own approval is refused.
    let caller = format!("arn:aws:iam::123456789012:user/{ACCESS_KEY}");
    let own = stack.store_execution_by(
        &format!("exec-own-{}", unique()),
        &TWO_WAVES.replace(
            "{ name: database, groups: [db] }",
            "{ name: database, groups: [db], pause_before: true }",
        ),
        &caller,
    );
    let refused = via_api(
        &server,
        &["approve", &own, "--plan", "billing", "--wave", "0"],
        SECRET,
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("(forbidden, HTTP 403)"),
        "{}",
        refused.stderr
    );
    let last = server.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        (
            "POST",
            format!("/plans/billing/executions/{own}/waves/0/approve").as_str()
        )
    );
    assert!(stack.drain(QueueName::Advance).is_empty());

    let deleted = via_api(&server, &["plan", "delete", "billing"], SECRET);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
}

#[test]
fn an_unreachable_api_is_named() {
    let run = drsctl_with(
        &[
            "plan",
            "list",
            "--api-url",
            "http://127.0.0.1:9",
            "--region",
            REGION,
        ],
        SECRET,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot reach GET http://127.0.0.1:9/plans"),
        "{}",
        run.stderr
    );
    // A start whose answer never came: the ID it sent, and how to retry without a second
    // execution.
    let start = drsctl_with(
        &[
            "start",
            "--plan",
            "billing",
            "--mode",
            "drill",
            "--execution-id",
            "exec-lost-1",
            "--api-url",
            "http://127.0.0.1:9",
            "--region",
            REGION,
        ],
        SECRET,
    );
    assert_eq!(start.code, 1, "{}", start.stderr);
    assert!(
        start
            .stderr
            .contains("cannot reach POST http://127.0.0.1:9/plans/billing/drills"),
        "{}",
        start.stderr
    );
    assert!(
        start
            .stderr
            .contains("run the same command with --execution-id exec-lost-1"),
        "{}",
        start.stderr
    );
    let bad = drsctl_with(&["plan", "list", "--api-url", "ftp://x"], SECRET);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("is not an https:// URL"),
        "{}",
        bad.stderr
    );
}
