//! The peak memory of each Lambda binary serving one batch.
//!
//! The real release binaries (`starter`, `checker`, `advancer` of `lambda-functions`) are
//! started as Lambda starts them — the Lambda variables, `AWS_LAMBDA_RUNTIME_API` pointing at
//! a [`RuntimeApi`] stand-in — with AWS played by moto (started through [`MotoServer`]) and
//! DRS by drs-sim (in-process, fixtures/fleet.yaml at time scale 1000). They serve, in the
//! pipeline's order:
//!
//! 1. starter: one `start_execution` record (the ten-wave plan inline): creates the execution,
//!    resolves the first wave's 100 servers among 1,000 by tags, claims the budget, calls
//!    `StartRecovery`, saves, sends the first check;
//! 2. checker: a batch of 9 DRS Launch Result events of that job, once it completed in
//!    drs-sim, and the wave's live check message: 9 reports recorded (launch events are hints
//!    and call no DRS API), then `DescribeJobs`, the wave's end saved, an advance message sent;
//! 3. advancer: the advance message the checker sent: the next wave's start requested.
//!
//! After each answer the process waits in its next `/invocation/next`, and its `VmHWM`
//! (peak resident set since it started, /proc/PID/status) is read before it is killed.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_adapters::resources::{CreatedResources, Resources};
use aws_adapters::{
    AwsSettings, ExecutionTable, MotoServer, QueueRef, ReceiveOptions, ReceivedMessage, SqsQueues,
    StaticCredentials,
};
use drs_sim::scenario::ClockMode;
use drs_sim::{RunningSim, Scenario, SimConfig};
use engine::{ExecutionId, Mode};
use lambda_functions::environment as env;
use pipeline::Role;
use pipeline::message::{self, Message, PlanSource, QueueName};
use pipeline::ports::ExecutionStore;
use plan::Plan;
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::runtime_api::{Answer, RuntimeApi};

/// Where the binaries are taken from instead of this build's `target/release`.
pub const BIN_DIR_VARIABLE: &str = "LAMBDA_FUNCTIONS_BIN_DIR";
const REGION: &str = "us-east-1";
/// drs-sim's speed here: the first wave's launches end within half a second.
const TIME_SCALE: f64 = 1000.0;
const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// Records in the checker's batch (an SQS batch holds at most 10): launch events and a check.
const CHECKER_BATCH: usize = 10;

/// One binary's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaMemory {
    /// The binary (`starter`…).
    pub function: &'static str,
    /// Records in the batch it served.
    pub records: usize,
    /// Peak resident set (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// From spawning the process to its first `/invocation/next` (init).
    pub init: Duration,
    /// From that first `/invocation/next` to the answer (the invocation).
    pub invocation: Duration,
}

impl LambdaMemory {
    /// Peak RSS in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// The directory of the release binaries: [`BIN_DIR_VARIABLE`], else `target/release` (the
/// benchmark program runs from `target/release/deps`).
pub fn binary_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_VARIABLE) {
        return Some(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

/// Serves one batch with each binary of `bin_dir`; see the module documentation.
pub async fn measure(
    bin_dir: &Path,
    plan: &Plan,
    scenario: Scenario,
) -> Result<Vec<LambdaMemory>, BenchError> {
    let setup = |message: String| BenchError::Lambda {
        function: "set-up".to_owned(),
        message,
    };
    for role in Role::ALL {
        let path = bin_dir.join(role.as_str());
        if !path.is_file() {
            return Err(BenchError::Lambda {
                function: role.as_str().to_owned(),
                message: format!(
                    "no binary at {} (build them with `cargo build --release -p lambda-functions --bins`, or set {BIN_DIR_VARIABLE})",
                    path.display()
                ),
            });
        }
    }
    let moto = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .map_err(|e| setup(format!("starting moto: {e}")))?
        .map_err(|e| setup(e.to_string()))?;
    let mut scenario = scenario;
    scenario.clock.mode = ClockMode::Scaled {
        time_scale: TIME_SCALE,
    };
    scenario.events = None;
    let sim = drs_sim::serve(SimConfig::local(scenario))
        .await
        .map_err(|e| setup(format!("drs-sim: {e}")))?;
    let result = serve_the_pipeline(bin_dir, plan, &moto, &sim).await;
    if let Err(error) = sim.shutdown().await {
        tracing::warn!(%error, "drs-sim did not stop cleanly");
    }
    tokio::task::spawn_blocking(move || drop(moto)).await.ok();
    result
}

async fn serve_the_pipeline(
    bin_dir: &Path,
    plan: &Plan,
    moto: &MotoServer,
    sim: &RunningSim,
) -> Result<Vec<LambdaMemory>, BenchError> {
    let setup = |message: String| BenchError::Lambda {
        function: "set-up".to_owned(),
        message,
    };
    let moto_endpoint = moto.endpoint_url();
    let config = AwsSettings {
        region: Some(REGION.to_owned()),
        endpoint_url: Some(moto_endpoint.clone()),
        drs_endpoint_url: Some(sim.endpoint_url()),
        credentials: Some(StaticCredentials::local()),
    }
    .load()
    .await
    .map_err(|e| setup(e.to_string()))?;
    let resources = Resources::with_prefix(&format!("bench-rss-{}", std::process::id()));
    let created = aws_adapters::create_all(&config, &resources)
        .await
        .map_err(|e| setup(e.to_string()))?;
    let queues =
        SqsQueues::new(config.sqs(), created.queues.clone()).map_err(|e| setup(e.to_string()))?;
    let vars = environment(&moto_endpoint, &sim.endpoint_url(), &resources, &created);
    let arn = |queue: QueueName| created.queue_arns.get(&queue).cloned().unwrap_or_default();

    // 1. starter: a new execution of the plan, stored first (a deployed starter runs stored
    // plans only).
    use pipeline::ports::PlanStore;
    aws_adapters::PlanTable::new(config.dynamodb(), &resources.plans.name)
        .put(plan, jiff::Timestamp::now(), "make bench")
        .await
        .map_err(|e| setup(format!("storing the plan: {e}")))?;
    let execution_id = ExecutionId::new(format!("bench-memory-{}", std::process::id()));
    let start = Message::StartExecution {
        execution_id: Some(execution_id.clone()),
        plan: PlanSource::Stored {
            plan_name: plan.name.clone(),
        },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "make bench".to_owned(),
    };
    let starter_event = sqs_event(
        &arn(QueueName::Start),
        &[("start-1".to_owned(), message::encode(&start))],
    );
    let starter = serve_one(bin_dir, Role::Starter, &vars, &starter_event).await?;

    // 2. checker: launch results of the first wave's job, once drs-sim completed it.
    let (job_id, servers) = completed_job(sim)
        .await
        .map_err(|message| BenchError::Lambda {
            function: Role::Checker.as_str().to_owned(),
            message,
        })?;
    // Launch events only record reports (the wave's other servers have not reported): the
    // live check message, last in the batch, is what describes the job and ends the wave.
    let check = live_check(&config, &resources, &execution_id)
        .await
        .map_err(|message| BenchError::Lambda {
            function: Role::Checker.as_str().to_owned(),
            message,
        })?;
    let mut records: Vec<(String, String)> = servers
        .iter()
        .take(CHECKER_BATCH - 1)
        .enumerate()
        .map(|(i, server)| (format!("event-{i}"), launch_result(&job_id, server)))
        .collect();
    records.push(("check".to_owned(), message::encode(&check)));
    let checker_event = sqs_event(&arn(QueueName::Check), &records);
    let checker = serve_one(bin_dir, Role::Checker, &vars, &checker_event).await?;

    // 3. advancer: the advance message the checker sent.
    let advance = drain(&queues, QueueRef::Main(QueueName::Advance))
        .await
        .map_err(|message| BenchError::Lambda {
            function: Role::Advancer.as_str().to_owned(),
            message,
        })?;
    if advance.is_empty() {
        return Err(BenchError::Lambda {
            function: Role::Checker.as_str().to_owned(),
            message: "the checker sent no advance message: the wave's end was not seen".to_owned(),
        });
    }
    let records: Vec<(String, String)> = advance
        .iter()
        .map(|m| (m.message_id.clone(), m.body.clone()))
        .collect();
    let advancer_event = sqs_event(&arn(QueueName::Advance), &records);
    let advancer = serve_one(bin_dir, Role::Advancer, &vars, &advancer_event).await?;
    Ok(vec![starter, checker, advancer])
}

/// Every variable a function needs: the SDK's (at moto and drs-sim), Lambda's, ours.
fn environment(
    moto_endpoint: &str,
    drs_endpoint: &str,
    resources: &Resources,
    created: &CreatedResources,
) -> BTreeMap<String, String> {
    let credentials = StaticCredentials::local();
    let mut vars = BTreeMap::new();
    let mut set = |name: &str, value: &str| {
        vars.insert(name.to_owned(), value.to_owned());
    };
    set("AWS_REGION", REGION);
    set("AWS_ACCESS_KEY_ID", &credentials.access_key_id);
    set("AWS_SECRET_ACCESS_KEY", &credentials.secret_access_key);
    set("AWS_EC2_METADATA_DISABLED", "true");
    set("AWS_ENDPOINT_URL", moto_endpoint);
    set("AWS_ENDPOINT_URL_DRS", drs_endpoint);
    set(env::AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "128");
    set(env::AWS_LAMBDA_FUNCTION_VERSION, "$LATEST");
    set("AWS_LAMBDA_LOG_LEVEL", "INFO");
    set(env::PLANS_TABLE, &resources.plans.name);
    set(env::EXECUTIONS_TABLE, &resources.executions.name);
    set(env::LEDGER_TABLE, &resources.ledger.name);
    for (queue, url, dead_letter_url) in [
        (QueueName::Start, env::START_QUEUE_URL, env::START_DLQ_URL),
        (QueueName::Check, env::CHECK_QUEUE_URL, env::CHECK_DLQ_URL),
        (
            QueueName::Advance,
            env::ADVANCE_QUEUE_URL,
            env::ADVANCE_DLQ_URL,
        ),
    ] {
        if let Some(endpoints) = created.queues.get(&queue) {
            set(url, &endpoints.url);
            set(dead_letter_url, &endpoints.dead_letter_url);
        }
    }
    set(env::NOTIFICATION_TOPIC_ARN, &created.topic_arn);
    vars
}

/// An SQS event of `(message ID, body)` records, as Lambda's event source mapping builds it.
fn sqs_event(queue_arn: &str, records: &[(String, String)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("handle-{id}"),
                "body": body,
                "attributes": { "ApproximateReceiveCount": "1" },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// A DRS Launch Result event, as EventBridge delivers it to the check queue.
fn launch_result(job_id: &str, server_id: &str) -> String {
    json!({
        "version": "0",
        "id": format!("bench-{job_id}-{server_id}"),
        "detail-type": "DRS Source Server Launch Result",
        "source": "aws.drs",
        "account": "111122223333",
        "time": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": REGION,
        "resources": [format!("arn:aws:drs:{REGION}:111122223333:source-server/{server_id}")],
        "detail": {"state": "RECOVERY_LAUNCH_SUCCEEDED", "job-id": job_id, "is-drill": "TRUE"},
    })
    .to_string()
}

/// The check message the execution's first wave waits for (its live token), as the starter
/// sent it with its delay.
async fn live_check(
    config: &aws_adapters::AwsConfig,
    resources: &Resources,
    execution_id: &ExecutionId,
) -> Result<Message, String> {
    let table = ExecutionTable::new(config.dynamodb(), resources.executions.name.clone());
    let (execution, _) = table
        .load(execution_id)
        .await
        .map_err(|e| format!("loading the execution: {e}"))?
        .ok_or_else(|| format!("the starter saved no execution {execution_id}"))?;
    let wave = execution
        .waves
        .first()
        .ok_or_else(|| "the execution has no wave".to_owned())?;
    let token = wave
        .live_check()
        .ok_or_else(|| "the first wave has no live check".to_owned())?;
    Ok(Message::Check {
        execution_id: execution_id.clone(),
        wave: 0,
        attempt: wave.attempt,
        token,
    })
}

/// The first launch job of drs-sim, once completed: its ID and servers.
async fn completed_job(sim: &RunningSim) -> Result<(String, Vec<String>), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let jobs = sim.control().jobs();
        let job = jobs["jobs"]
            .as_array()
            .and_then(|jobs| jobs.iter().find(|j| j["type"] == "LAUNCH"))
            .cloned();
        match job {
            Some(job) if job["status"] == "COMPLETED" => {
                let id = job["jobID"].as_str().unwrap_or_default().to_owned();
                let servers = job["participatingServers"]
                    .as_array()
                    .map(|servers| {
                        servers
                            .iter()
                            .filter_map(|s| s["sourceServerID"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                return Ok((id, servers));
            }
            _ if Instant::now() > deadline => {
                return Err(format!(
                    "the starter's job did not complete in drs-sim within 30 s: {job:?}"
                ));
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The messages of `queue` (received and deleted), waiting up to 5 s for the first.
async fn drain(queues: &SqsQueues, queue: QueueRef) -> Result<Vec<ReceivedMessage>, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut all = Vec::new();
    while Instant::now() < deadline {
        let options = ReceiveOptions {
            max_messages: 10,
            wait_seconds: 1,
            visibility_timeout_seconds: None,
        };
        let batch = queues
            .receive(queue, options)
            .await
            .map_err(|e| e.to_string())?;
        if batch.is_empty() && !all.is_empty() {
            break;
        }
        for message in &batch {
            queues
                .delete(queue, &message.receipt_handle)
                .await
                .map_err(|e| e.to_string())?;
        }
        all.extend(batch);
    }
    Ok(all)
}

/// Starts `role`'s binary, serves it `event`, reads its peak RSS, kills it.
async fn serve_one(
    bin_dir: &Path,
    role: Role,
    vars: &BTreeMap<String, String>,
    event: &Value,
) -> Result<LambdaMemory, BenchError> {
    let function = role.as_str();
    let failed = |message: String| BenchError::Lambda {
        function: function.to_owned(),
        message,
    };
    let name = format!("drs-orchestrator-{function}");
    let mut api = RuntimeApi::start(&name)
        .await
        .map_err(|e| failed(format!("starting the Runtime API fixture: {e}")))?;
    let log_path = std::env::temp_dir().join(format!("bench-{name}-{}.log", std::process::id()));
    let log =
        File::create(&log_path).map_err(|e| failed(format!("{}: {e}", log_path.display())))?;
    let log_err = log
        .try_clone()
        .map_err(|e| failed(format!("{}: {e}", log_path.display())))?;
    let spawned = Instant::now();
    let child = Command::new(bin_dir.join(function))
        .env_clear()
        .envs(vars)
        .env(env::AWS_LAMBDA_FUNCTION_NAME, &name)
        .env(env::AWS_LAMBDA_RUNTIME_API, api.address())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| {
            failed(format!(
                "spawning {}: {e}",
                bin_dir.join(function).display()
            ))
        })?;
    let mut child = KillOnDrop(child);
    let records = event["Records"].as_array().map_or(0, Vec::len);
    let answer = api.invoke("bench-invocation-1", event, ANSWER_WAIT).await;
    let answered = Instant::now();
    let first_next = api.first_next_at().unwrap_or(spawned);
    let init = first_next.saturating_duration_since(spawned);
    let invocation = answered.saturating_duration_since(first_next);
    let log_text = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let response = match answer {
        Some(Answer::Response(body)) => body,
        other => {
            return Err(failed(format!(
                "no successful answer ({other:?}); its log:\n{}",
                log_text()
            )));
        }
    };
    let failures = serde_json::from_str::<Value>(&response)
        .ok()
        .and_then(|r| r["batchItemFailures"].as_array().map(Vec::len));
    if failures != Some(0) {
        return Err(failed(format!(
            "the batch was not fully handled: {response}; its log:\n{}",
            log_text()
        )));
    }
    let peak_rss_kib = peak_rss_kib(child.0.id()).ok_or_else(|| {
        failed(format!(
            "cannot read VmHWM of process {} (exited?); its log:\n{}",
            child.0.id(),
            log_text()
        ))
    })?;
    child.kill();
    let _ = std::fs::remove_file(&log_path);
    Ok(LambdaMemory {
        function,
        records,
        peak_rss_kib,
        init,
        invocation,
    })
}

/// `VmHWM` of /proc/PID/status, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A child process killed (and reaped) when dropped.
struct KillOnDrop(Child);

impl KillOnDrop {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}
