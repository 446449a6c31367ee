//! The `drs-sim` binary: first stdout line, clean stop on SIGTERM, bad scenarios rejected
//! with `FILE:LINE:COL: path: message` and exit code 2; every example scenario is valid.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios")
}

#[test]
fn every_example_scenario_is_valid() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            drs_sim::Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
            names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    names.sort();
    for expected in [
        "large.yaml",
        "three-tier.yaml",
        "failing-server.yaml",
        "throttled.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let large = drs_sim::Scenario::from_file(&examples().join("large.yaml")).unwrap();
    assert_eq!(large.servers.len(), 1000);
}

#[test]
fn binary_announces_its_address_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drs-sim"))
        .args(["--listen", "127.0.0.1:0", "--scenario"])
        .arg(examples().join("three-tier.yaml"))
        .args(["--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim_end()
        .strip_prefix("drs-sim listening on http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    assert!(url.rsplit(':').next().unwrap().parse::<u16>().unwrap() > 0);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime
        .block_on(drs_sim::http_client::request(
            "GET",
            &format!("{url}/_sim/clock"),
            &[],
            Vec::new(),
            Duration::from_secs(5),
        ))
        .unwrap();
    assert_eq!(reply.status, 200);

    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let request_log = stderr
        .lines()
        .find(|l| l.contains("/_sim/clock"))
        .unwrap_or_else(|| panic!("no request log in {stderr}"));
    let parsed: serde_json::Value = serde_json::from_str(request_log).unwrap();
    assert_eq!(parsed["fields"]["status"], 200);
}

#[test]
fn bad_scenario_exits_2_with_positions() {
    let dir = std::env::temp_dir().join(format!("drs-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(
        &file,
        "clock: { time_scale: fast }\nservers:\n  - { id: s-1234567890abcdef0, tags: [a] }\n  - { count: 0 }\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_drs-sim"))
        .arg("--scenario")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let name = file.display().to_string();
    assert_eq!(
        lines,
        vec![
            format!("{name}:1:22: clock.time_scale: expected a number, found a string"),
            format!(
                "{name}:3:38: servers[0].tags: expected a mapping of tag keys to values, found a list"
            ),
            format!("{name}:4:14: servers[1].count: must be between 1 and 100000, found 0"),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
