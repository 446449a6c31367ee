//! What the drsctl integration tests share: the binary run as a user runs it, scratch files,
//! and stacks of their own in one moto server per test binary.

// Each test binary uses only part of this module.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use aws_adapters::resources::CreatedResources;
use aws_adapters::{AwsConfig, AwsSettings, MotoServer, Resources, StaticCredentials, create_all};

pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY: &str = StaticCredentials::LOCAL_ACCESS_KEY_ID;
pub const SECRET: &str = "local-test-secret";

/// The repository's root: the tests' relative paths start there.
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The path of `examples/plans/NAME`.
pub fn example(name: &str) -> String {
    format!("{}/examples/plans/{name}", repository().display())
}

/// `examples/plans/NAME`, parsed.
pub fn example_plan(name: &str) -> plan::Plan {
    plan::parse(&fs::read_to_string(example(name)).unwrap()).unwrap()
}

/// How a drsctl run ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `output` of a finished drsctl (-1 for a process killed by a signal).
    pub fn of(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Standard output read as JSON; a test fails here, showing both outputs, if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// drsctl, to be given its arguments: run in the repository, without RUST_LOG (its log
/// would mix with what the tests read).
pub fn drsctl_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drsctl"));
    command.current_dir(repository()).env_remove("RUST_LOG");
    command
}

/// Runs `command` to its end.
pub fn run(command: &mut Command) -> Run {
    Run::of(command.output().unwrap())
}

/// drsctl with `args`, to its end.
pub fn drsctl(args: &[&str]) -> Run {
    run(drsctl_command().args(args))
}

/// Runs `command` with `input` as its standard input, to its end.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Dropped at the end of the statement, so that the child sees the end of its input.
    child.stdin.take().unwrap().write_all(input).unwrap();
    Run::of(child.wait_with_output().unwrap())
}

/// drsctl with the test credentials (and `secret`) and nothing else from this machine's AWS
/// setup or the orchestrator's environment variables.
pub fn drsctl_with_aws(secret: &str) -> Command {
    let mut command = drsctl_command();
    for variable in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "DRSCTL_API_URL",
        "PLANS_TABLE",
        "EXECUTIONS_TABLE",
        "START_QUEUE_URL",
        "ADVANCE_QUEUE_URL",
    ] {
        command.env_remove(variable);
    }
    command
        .env("AWS_CONFIG_FILE", "/nonexistent/drsctl-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/drsctl-test/credentials",
        )
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("USER", "tester");
    command
}

/// drsctl with `args`, then the options that point it at the stack under `prefix` behind
/// `endpoint`, with the test credentials.
pub fn drsctl_at(prefix: &str, endpoint: &str, args: &[&str]) -> Run {
    run(drsctl_with_aws(SECRET).args(args).args([
        "--prefix",
        prefix,
        "--region",
        REGION,
        "--endpoint-url",
        endpoint,
    ]))
}

/// A process-unique suffix.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{:05}{:03}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh directory for one test's files (under cargo's scratch space for integration
/// tests, not the system's /tmp), removed when the test ends.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Self {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("drsctl-{test}-{}", unique()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes `content` to the file `name` in the directory; its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The moto server of this test binary, started at first use.
pub fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start().unwrap_or_else(|e| panic!("{e}")))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The SDK configuration for moto, with the test credentials.
pub async fn config() -> AwsConfig {
    AwsSettings {
        region: Some(REGION.to_owned()),
        endpoint_url: Some(moto().endpoint_url()),
        drs_endpoint_url: None,
        credentials: Some(StaticCredentials::new(ACCESS_KEY, SECRET)),
    }
    .load()
    .await
    .unwrap()
}

/// A stack of its own in moto (queues, tables, topic).
pub struct Stack {
    pub prefix: String,
    pub resources: Resources,
    pub created: CreatedResources,
}

impl Stack {
    /// Creates the stack under `PREFIX-TEST-<unique>`.
    pub fn create(prefix: &str, test: &str) -> Self {
        let prefix = format!("{prefix}-{test}-{}", unique());
        let resources = Resources::with_prefix(&prefix);
        let created =
            runtime().block_on(async { create_all(&config().await, &resources).await.unwrap() });
        Self {
            prefix,
            resources,
            created,
        }
    }

    /// drsctl with `args` on this stack in moto.
    pub fn drsctl(&self, args: &[&str]) -> Run {
        drsctl_at(&self.prefix, &moto().endpoint_url(), args)
    }
}
