//! Conformance with two independent clients, boto3 and the AWS CLI: starts the `drs-sim`
//! binary and runs the Python suites of `tests/conformance/` against it. boto3's suite
//! validates every raw response against the botocore `drs` model. Missing python3, boto3
//! or `aws` is a failure (run `make deps-python`), never a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const PYTHON: &str = "python3";
const AWS_CLI: &str = "aws";
/// A suite that runs longer than this is killed and fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(120);

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn scratch_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("drs-sim-conformance-{}-{name}", std::process::id()))
}

/// The `drs-sim` binary on a free port, killed on drop; its log goes to a file.
struct SimProcess {
    child: Child,
    url: String,
    log: PathBuf,
}

impl SimProcess {
    fn start(name: &str) -> SimProcess {
        let log = scratch_file(&format!("{name}-sim.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_drs-sim"))
            .args(["--listen", "127.0.0.1:0", "--scenario"])
            .arg(conformance_dir().join("scenario.yaml"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start drs-sim: {e}"));
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .trim_end()
            .strip_prefix("drs-sim listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "drs-sim's first line is {first:?}; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_owned();
        SimProcess { child, url, log }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Fails with the fix when a tool of the suites is missing.
fn require(program: &str, args: &[&str], what: &str) {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match found {
        Ok(status) if status.success() => {}
        Ok(status) => panic!(
            "{what} is missing (`{program} {}` exited {status}): run `make deps-python` to install boto3 and the AWS CLI",
            args.join(" ")
        ),
        Err(err) => panic!(
            "{what} is missing (cannot run `{program}`: {err}): run `make deps-python` to install boto3 and the AWS CLI"
        ),
    }
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs a suite script against `url`, with a deadline.
fn run_suite(script: &str, url: &str) -> Finished {
    let out_path = scratch_file(&format!("{script}.out"));
    let err_path = scratch_file(&format!("{script}.err"));
    let started = Instant::now();
    let mut child = Command::new(PYTHON)
        .arg(conformance_dir().join(script))
        .args(["--endpoint", url])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON} {script}: {e}: run `make deps-python`"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{script} did not finish in {SUITE_TIMEOUT:?}; its output so far:\n{}",
                read_and_remove(&out_path)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Finished {
        status,
        stdout: read_and_remove(&out_path),
        stderr: read_and_remove(&err_path),
        elapsed: started.elapsed(),
    }
}

fn read_and_remove(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let _ = std::fs::remove_file(path);
    text
}

fn assert_passed(script: &str, sim: &SimProcess, finished: &Finished) {
    if !finished.status.success() {
        let log = std::fs::read_to_string(&sim.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "{script} failed ({}) after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- last drs-sim log lines ---\n{}",
            finished.status,
            finished.elapsed,
            finished.stdout,
            finished.stderr,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    println!(
        "{script} passed in {:.1?}\n{}",
        finished.elapsed, finished.stdout
    );
}

#[test]
fn boto3_parses_every_response_and_each_matches_the_model() {
    require(
        PYTHON,
        &["-c", "import boto3, botocore"],
        "boto3 (python3 with boto3 and botocore)",
    );
    let sim = SimProcess::start("boto3");
    let finished = run_suite("boto3_conformance.py", &sim.url);
    assert_passed("boto3_conformance.py", &sim, &finished);
    // The suite prints its verdict last; a run that exits 0 without it did not run.
    assert!(
        finished.stdout.contains("PASS: ") && finished.stdout.contains("responses validated"),
        "no PASS line in:\n{}",
        finished.stdout
    );
}

#[test]
fn aws_cli_drives_a_drill_and_reports_errors() {
    require(PYTHON, &["--version"], "python3");
    require(AWS_CLI, &["--version"], "the AWS CLI (`aws`)");
    let sim = SimProcess::start("cli");
    let finished = run_suite("cli_conformance.py", &sim.url);
    assert_passed("cli_conformance.py", &sim, &finished);
    assert!(
        finished.stdout.contains("PASS: "),
        "no PASS line in:\n{}",
        finished.stdout
    );
}
