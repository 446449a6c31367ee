//! Shared by the Runtime API tests: moto (one per test binary), drs-sim and the pipeline's
//! resources (one set per test), the function binaries as child processes, the sample
//! events.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod runtime_api;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_adapters::resources::{CreatedResources, Resources};
use aws_adapters::{
    AwsConfig, AwsSettings, ExecutionTable, MotoServer, PlanTable, QueueRef, ReceiveOptions,
    ReceivedMessage, SqsQueues, StaticCredentials,
};
use drs_sim::{RunningSim, Scenario, SimConfig};
use engine::{Execution, ExecutionId};
use lambda_functions::environment as env;
use pipeline::Role;
use pipeline::message::QueueName;
use pipeline::ports::{ExecutionStore, PlanStore};

use runtime_api::{Outcome, RuntimeApi};

pub const REGION: &str = "us-east-1";

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The moto server of this test binary (its watchdog stops it when the binary exits).
pub fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start().unwrap_or_else(|e| panic!("{e}")))
}

/// A sample event of `events/`, parsed.
pub fn sample(name: &str) -> serde_json::Value {
    let path = repo().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The body of the first record of an SQS event.
pub fn body_of(event: &serde_json::Value) -> String {
    event["Records"][0]["body"].as_str().unwrap().to_owned()
}

/// `event` with the body of its first record replaced.
pub fn with_body(event: &serde_json::Value, body: &str) -> serde_json::Value {
    let mut event = event.clone();
    event["Records"][0]["body"] = serde_json::Value::String(body.to_owned());
    event
}

/// The message ID of the first record of an SQS event.
pub fn message_id_of(event: &serde_json::Value) -> String {
    event["Records"][0]["messageId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An SQS event as Lambda's event source mapping builds it from received messages.
pub fn sqs_event(queue_arn: &str, messages: &[ReceivedMessage]) -> serde_json::Value {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": { "ApproximateReceiveCount": m.receive_count.to_string() },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The message IDs in a batch response.
pub fn batch_item_failures(outcome: &Outcome) -> Vec<String> {
    match outcome {
        Outcome::Response(response) => response["batchItemFailures"]
            .as_array()
            .unwrap_or_else(|| panic!("not a batch response: {response}"))
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
            .collect(),
        other => panic!("expected a batch response, got {other:?}"),
    }
}

/// moto's endpoint, drs-sim with the three-tier scenario, and the pipeline's resources
/// under a prefix of their own.
pub struct Stack {
    pub moto_endpoint: String,
    pub sim: RunningSim,
    pub config: AwsConfig,
    pub resources: Resources,
    pub created: CreatedResources,
}

impl Stack {
    pub async fn start() -> Self {
        let moto_endpoint = moto().endpoint_url();
        let scenario =
            Scenario::from_file(&repo().join("examples/scenarios/three-tier.yaml")).unwrap();
        let sim = drs_sim::serve(SimConfig::local(scenario)).await.unwrap();
        let config = AwsSettings {
            region: Some(REGION.to_owned()),
            endpoint_url: Some(moto_endpoint.clone()),
            drs_endpoint_url: Some(sim.endpoint_url()),
            credentials: Some(StaticCredentials::local()),
        }
        .load()
        .await
        .unwrap();
        let prefix = format!("fn-{}", &uuid_like());
        let resources = Resources::with_prefix(&prefix);
        let created = aws_adapters::create_all(&config, &resources).await.unwrap();
        Self {
            moto_endpoint,
            sim,
            config,
            resources,
            created,
        }
    }

    /// Every variable a function needs: the SDK's (at moto and drs-sim), Lambda's, ours.
    pub fn environment(&self, function_name: &str) -> BTreeMap<String, String> {
        let credentials = StaticCredentials::local();
        let mut vars = BTreeMap::new();
        let mut set = |name: &str, value: &str| {
            vars.insert(name.to_owned(), value.to_owned());
        };
        set("AWS_REGION", REGION);
        set("AWS_ACCESS_KEY_ID", &credentials.access_key_id);
        set("AWS_SECRET_ACCESS_KEY", &credentials.secret_access_key);
        set("AWS_EC2_METADATA_DISABLED", "true");
        set("AWS_ENDPOINT_URL", &self.moto_endpoint);
        set("AWS_ENDPOINT_URL_DRS", &self.sim.endpoint_url());
        set(env::AWS_LAMBDA_FUNCTION_NAME, function_name);
        set(env::AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "128");
        set(env::AWS_LAMBDA_FUNCTION_VERSION, "$LATEST");
        set(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            &format!("/aws/lambda/{function_name}"),
        );
        set(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2025/09/30/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        );
        set("AWS_LAMBDA_LOG_LEVEL", "INFO");
        set(env::PLANS_TABLE, &self.resources.plans.name);
        set(env::EXECUTIONS_TABLE, &self.resources.executions.name);
        set(env::LEDGER_TABLE, &self.resources.ledger.name);
        for (queue, url, dead_letter_url) in [
            (QueueName::Start, env::START_QUEUE_URL, env::START_DLQ_URL),
            (QueueName::Check, env::CHECK_QUEUE_URL, env::CHECK_DLQ_URL),
            (
                QueueName::Advance,
                env::ADVANCE_QUEUE_URL,
                env::ADVANCE_DLQ_URL,
            ),
        ] {
            let endpoints = &self.created.queues[&queue];
            set(url, &endpoints.url);
            set(dead_letter_url, &endpoints.dead_letter_url);
        }
        set(env::NOTIFICATION_TOPIC_ARN, &self.created.topic_arn);
        vars
    }

    pub fn queues(&self) -> SqsQueues {
        SqsQueues::new(self.config.sqs(), self.created.queues.clone()).unwrap()
    }

    pub fn queue_arn(&self, queue: QueueName) -> String {
        self.created.queue_arns[&queue].clone()
    }

    pub fn plans(&self) -> PlanTable {
        PlanTable::new(self.config.dynamodb(), &self.resources.plans.name)
    }

    pub fn executions(&self) -> ExecutionTable {
        ExecutionTable::new(self.config.dynamodb(), &self.resources.executions.name)
    }

    /// Stores `examples/plans/NAME.yaml`.
    pub async fn store_plan(&self, name: &str) -> plan::Plan {
        let text =
            std::fs::read_to_string(repo().join(format!("examples/plans/{name}.yaml"))).unwrap();
        let plan = plan::parse(&text).unwrap();
        self.plans()
            .put(&plan, jiff::Timestamp::now(), "test")
            .await
            .unwrap();
        plan
    }

    pub async fn execution(&self, id: &str) -> Option<(Execution, u64)> {
        self.executions().load(&ExecutionId::new(id)).await.unwrap()
    }

    /// Every message that arrives on `queue` within `wait` (each received once and
    /// deleted).
    pub async fn drain(&self, queue: QueueRef, wait: Duration) -> Vec<ReceivedMessage> {
        let queues = self.queues();
        let deadline = Instant::now() + wait;
        let mut all = Vec::new();
        while Instant::now() < deadline {
            let options = ReceiveOptions {
                max_messages: 10,
                wait_seconds: 1,
                visibility_timeout_seconds: None,
            };
            let batch = queues.receive(queue, options).await.unwrap();
            for message in &batch {
                queues.delete(queue, &message.receipt_handle).await.unwrap();
            }
            all.extend(batch);
        }
        all
    }

    /// The jobs drs-sim holds (its `/_sim/jobs` overview).
    pub fn sim_jobs(&self) -> Vec<serde_json::Value> {
        self.sim.control().jobs()["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// Where to take the binaries from instead of this build's (e.g. `target/release`, to
/// measure optimised binaries with these tests).
pub const BIN_DIR_VARIABLE: &str = "LAMBDA_FUNCTIONS_BIN_DIR";

/// The binary of `role`: this build's, or the one in [`BIN_DIR_VARIABLE`].
pub fn binary(role: Role) -> PathBuf {
    binary_named(role.as_str())
}

/// The function binary `name` (`starter`, `checker`, `advancer`, `api`): this build's, or the
/// one in [`BIN_DIR_VARIABLE`].
pub fn binary_named(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os(BIN_DIR_VARIABLE) {
        return PathBuf::from(dir).join(name);
    }
    PathBuf::from(match name {
        "starter" => env!("CARGO_BIN_EXE_starter"),
        "checker" => env!("CARGO_BIN_EXE_checker"),
        "advancer" => env!("CARGO_BIN_EXE_advancer"),
        "api" => env!("CARGO_BIN_EXE_api"),
        other => panic!("no function binary {other}"),
    })
}

/// A function binary running against a [`RuntimeApi`]; killed when dropped.
pub struct Function {
    /// The binary's name (`starter`, …, `api`).
    pub name: &'static str,
    pub api: RuntimeApi,
    child: Child,
    log: PathBuf,
    spawned_at: Instant,
    /// How long the first invocation took, from handing out the event to the answer.
    first_invocation: Option<Duration>,
}

impl Function {
    /// Starts `role`'s binary with exactly `vars` (plus `AWS_LAMBDA_RUNTIME_API`).
    pub async fn spawn(role: Role, vars: &BTreeMap<String, String>) -> Self {
        Self::spawn_named(role.as_str(), vars).await
    }

    /// Starts the binary `binary` (`api`, or a role's) with exactly `vars` (plus
    /// `AWS_LAMBDA_RUNTIME_API`).
    pub async fn spawn_named(binary: &'static str, vars: &BTreeMap<String, String>) -> Self {
        let name = vars
            .get(env::AWS_LAMBDA_FUNCTION_NAME)
            .cloned()
            .unwrap_or_else(|| format!("drs-orchestrator-{binary}"));
        let api = RuntimeApi::start(&name).await;
        let log = std::env::temp_dir().join(format!("{name}-{}.log", uuid_like()));
        let output = File::create(&log).unwrap();
        let spawned_at = Instant::now();
        let child = Command::new(binary_named(binary))
            .env_clear()
            .envs(vars)
            .env(env::AWS_LAMBDA_RUNTIME_API, api.address())
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        Self {
            name: binary,
            api,
            child,
            log,
            spawned_at,
            first_invocation: None,
        }
    }

    /// Invokes the function with `event`; its answer.
    pub async fn invoke(&mut self, event: &serde_json::Value) -> Outcome {
        let handed_out = Instant::now();
        let outcome = self.api.invoke(event).await;
        self.first_invocation
            .get_or_insert_with(|| handed_out.elapsed());
        outcome
    }

    /// Invokes and expects a batch response; its failures.
    pub async fn invoke_batch(&mut self, event: &serde_json::Value) -> Vec<String> {
        let outcome = self.invoke(event).await;
        if !matches!(outcome, Outcome::Response(_)) {
            panic!(
                "{} answered {outcome:?}; its log:\n{}",
                self.name,
                self.log_text()
            );
        }
        batch_item_failures(&outcome)
    }

    /// What it wrote on stdout and stderr.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `wait` for the process to exit.
    pub fn wait_exit(&mut self, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `spawn → first /next` (init), the first invocation (event handed out → answer) and
    /// the peak RSS, for the performance notes.
    pub fn startup_report(&self) -> String {
        let init = self.api.first_next_at().map_or_else(
            || "-".to_owned(),
            |at| format!("{} ms", at.duration_since(self.spawned_at).as_millis()),
        );
        let first = self
            .first_invocation
            .map_or_else(|| "-".to_owned(), |d| format!("{} ms", d.as_millis()));
        let peak_rss = self.peak_rss_kib().map_or_else(
            || "-".to_owned(),
            |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
        );
        format!(
            "{}: process spawn → first /invocation/next {init}; first invocation answered in \
             {first}; peak RSS so far {peak_rss}",
            self.name,
        )
    }

    /// The process's peak resident set (`VmHWM` of /proc/PID/status), on Linux.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- log of the {} ---\n{}", self.name, self.log_text());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}
