//! drs-sim throughput and memory benchmark (`make bench`, or
//! `cargo bench -p drs-sim --bench throughput`).
//!
//! Starts the `drs-sim` binary (bench profile = release, `RUST_LOG=warn`) on
//! `benches/scenario.yaml` (1,000 servers), creates 20 active jobs of 10 servers, then drives
//! it with N keep-alive HTTP/1.1 connections on loopback (a one-thread client), each sending
//! one request at a time, for a fixed time per phase:
//!
//! 1. `DescribeJobs` filtered by one job ID (how an orchestrator polls its job);
//! 2. `DescribeJobs` without filters (the page of all 20 active jobs);
//! 3. `StartRecovery` of one server (drill), each connection cycling through its own share of
//!    the 800 fast-launching servers, so requests take the accepting path (202); any 409
//!    (server still in an active job) is counted separately. Every job is kept, so this
//!    phase runs in rounds of at most `DRS_SIM_BENCH_MAX_JOBS` requests, resetting the
//!    emulator and re-creating the 20 active jobs between rounds (untimed).
//!
//! It samples the server's VmRSS from /proc/PID/status during each phase and reports VmHWM
//! at the end. Environment: `DRS_SIM_BENCH_CONNECTIONS` (default 16),
//! `DRS_SIM_BENCH_SECONDS` per phase (default 5), `DRS_SIM_BENCH_MAX_JOBS` (default 10000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

const TARGET_RPS: f64 = 5_000.0;
const TARGET_RSS_MIB: f64 = 50.0;
const ACTIVE_JOBS: usize = 20;
const SERVERS_PER_ACTIVE_JOB: usize = 10;
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIABENCHMARK000001/20250101/us-east-1/drs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The emulator process, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start() -> Server {
        let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scenario.yaml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_drs-sim"))
            .args(["--listen", "127.0.0.1:0", "--scenario", scenario])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start drs-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim_end()
            .strip_prefix("drs-sim listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    /// (VmRSS, VmHWM) in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc/PID/status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive connection.
struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    async fn open(addr: &str) -> Connection {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        Connection {
            sender,
            host: addr.to_owned(),
        }
    }

    /// POSTs a DRS operation; the status and the body.
    async fn post(&mut self, path: &str, body: Bytes) -> (u16, Bytes) {
        self.sender.ready().await.expect("connection ready");
        let request = hyper::Request::post(path)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .header("authorization", AUTHORIZATION)
            .header("x-amz-date", "20250101T000000Z")
            .body(Full::new(body))
            .unwrap();
        let response = self.sender.send_request(request).await.expect("request");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.expect("body");
        (status, body.to_bytes())
    }
}

/// What one phase measured.
struct PhaseResult {
    name: String,
    requests: u64,
    statuses: Vec<(u16, u64)>,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    peak_rss_kib: u64,
    rss_after_kib: u64,
}

impl PhaseResult {
    fn count(&self, status: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// Two runs of the same phase as one.
    fn merge(mut self, other: PhaseResult) -> PhaseResult {
        for (status, count) in other.statuses {
            match self.statuses.iter_mut().find(|(s, _)| *s == status) {
                Some((_, total)) => *total += count,
                None => self.statuses.push((status, count)),
            }
        }
        self.statuses.sort_unstable();
        self.requests += other.requests;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
        self.rss_after_kib = other.rss_after_kib;
        self
    }

    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Runs `connections` workers until `duration` has passed or `max_requests` were sent,
/// whichever comes first; `body(worker, n)` is the n-th request body of a worker.
async fn phase<F>(
    server: &Server,
    name: &str,
    path: &'static str,
    limits: (usize, Duration, u64),
    body: F,
) -> PhaseResult
where
    F: Fn(usize, u64) -> Bytes + Send + Sync + 'static,
{
    let (connections, duration, max_requests) = limits;
    let body = Arc::new(body);
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut peak_rss = 0;
    let mut workers = Vec::new();
    for worker in 0..connections {
        workers.push((worker, Connection::open(&server.addr).await));
    }
    let started = Instant::now();
    let workers: Vec<_> = workers
        .into_iter()
        .map(|(worker, mut connection)| {
            let body = Arc::clone(&body);
            let sent = Arc::clone(&sent);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut statuses: Vec<(u16, u64)> = Vec::new();
                let mut latencies = Vec::with_capacity(65_536);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed)
                    && sent.fetch_add(1, Ordering::Relaxed) < max_requests
                {
                    let started = Instant::now();
                    let (status, _) = connection.post(path, body(worker, n)).await;
                    n += 1;
                    latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    match statuses.iter_mut().find(|(s, _)| *s == status) {
                        Some((_, count)) => *count += 1,
                        None => statuses.push((status, 1)),
                    }
                }
                (statuses, latencies, Instant::now())
            })
        })
        .collect();
    while started.elapsed() < duration && sent.load(Ordering::Relaxed) < max_requests {
        tokio::time::sleep(Duration::from_millis(50)).await;
        peak_rss = peak_rss.max(server.memory_kib().0);
    }
    stop.store(true, Ordering::Relaxed);
    let mut finished = started;
    let mut statuses: Vec<(u16, u64)> = Vec::new();
    let mut latencies_us = Vec::new();
    for worker in workers {
        let (worker_statuses, worker_latencies, done) = worker.await.expect("worker");
        finished = finished.max(done);
        for (status, count) in worker_statuses {
            match statuses.iter_mut().find(|(s, _)| *s == status) {
                Some((_, total)) => *total += count,
                None => statuses.push((status, count)),
            }
        }
        latencies_us.extend(worker_latencies);
    }
    statuses.sort_unstable();
    latencies_us.sort_unstable();
    let elapsed = finished - started;
    let rss_after_kib = server.memory_kib().0;
    PhaseResult {
        name: name.to_owned(),
        requests: statuses.iter().map(|(_, n)| n).sum(),
        statuses,
        elapsed,
        latencies_us,
        peak_rss_kib: peak_rss.max(rss_after_kib),
        rss_after_kib,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn setup(server: &Server) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut connection = Connection::open(&server.addr).await;
    let (status, body) = connection
        .post("/DescribeSourceServers", Bytes::from_static(b"{}"))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let servers: Value = serde_json::from_slice(&body).unwrap();
    let pool = |name: &str| -> Vec<String> {
        servers["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["tags"]["Pool"] == name)
            .map(|s| s["sourceServerID"].as_str().unwrap().to_owned())
            .collect()
    };
    let (steady, churn) = (pool("steady"), pool("churn"));
    assert_eq!(
        steady.len() + churn.len(),
        1000,
        "the bench scenario has 1,000 servers"
    );
    let mut jobs = Vec::new();
    for chunk in steady.chunks(SERVERS_PER_ACTIVE_JOB).take(ACTIVE_JOBS) {
        let request = json!({
            "isDrill": true,
            "sourceServers": chunk.iter().map(|id| json!({"sourceServerID": id})).collect::<Vec<_>>(),
        });
        let (status, body) = connection
            .post("/StartRecovery", Bytes::from(request.to_string()))
            .await;
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        let reply: Value = serde_json::from_slice(&body).unwrap();
        jobs.push(reply["job"]["jobID"].as_str().unwrap().to_owned());
    }
    (steady, churn, jobs)
}

/// `POST /_sim/reset`: no jobs, clock restarted.
async fn reset(server: &Server) {
    let mut connection = Connection::open(&server.addr).await;
    let (status, body) = connection.post("/_sim/reset", Bytes::new()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

/// How many of `jobs` are not `COMPLETED`.
async fn still_active(server: &Server, jobs: &[String]) -> usize {
    let mut connection = Connection::open(&server.addr).await;
    let request = json!({ "filters": { "jobIDs": jobs } });
    let (status, body) = connection
        .post("/DescribeJobs", Bytes::from(request.to_string()))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let reply: Value = serde_json::from_slice(&body).unwrap();
    let items = reply["items"].as_array().unwrap();
    assert_eq!(items.len(), jobs.len(), "every setup job is listed");
    items.iter().filter(|j| j["status"] != "COMPLETED").count()
}

fn main() {
    let connections = env_number("DRS_SIM_BENCH_CONNECTIONS", 16).clamp(1, 256) as usize;
    let seconds = env_number("DRS_SIM_BENCH_SECONDS", 5).clamp(1, 120);
    let max_jobs = env_number("DRS_SIM_BENCH_MAX_JOBS", 10_000).max(1);
    let duration = Duration::from_secs(seconds);
    let server = Server::start();
    let (rss_start, _) = server.memory_kib();
    // The client gets one thread; the server is its own process (multi-threaded runtime).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (results, rss_ready, (rounds, (growth_kib, created)), active_after) = runtime.block_on(async {
        let (_, churn, jobs) = setup(&server).await;
        assert_eq!(
            still_active(&server, &jobs).await,
            ACTIVE_JOBS,
            "the setup jobs must be active"
        );
        let (rss_ready, _) = server.memory_kib();
        println!(
            "drs-sim (release, RUST_LOG=warn) at {}: 1,000 source servers, {ACTIVE_JOBS} active jobs of {SERVERS_PER_ACTIVE_JOB} servers; {connections} connections; each phase {seconds} s or its request limit",
            server.addr
        );

        let mut results = Vec::new();
        let polled = jobs.clone();
        results.push(
            phase(
                &server,
                "DescribeJobs (jobIDs: 1 job)",
                "/DescribeJobs",
                (connections, duration, 1_000_000),
                move |worker, n| {
                    let job = &polled[(worker + n as usize) % polled.len()];
                    Bytes::from(format!(r#"{{"filters":{{"jobIDs":["{job}"]}}}}"#))
                },
            )
            .await,
        );
        results.push(
            phase(
                &server,
                "DescribeJobs (all 20 jobs)",
                "/DescribeJobs",
                (connections, duration, 1_000_000),
                |_, _| Bytes::from_static(b"{}"),
            )
            .await,
        );
        // Every accepted StartRecovery adds a job that the emulator keeps (as DRS keeps its
        // job history). To measure for `duration` with bounded memory, the phase runs in
        // rounds of at most `max_jobs` requests, each (after the first) on a freshly reset
        // emulator with its 20 active jobs set up again; resets are not timed.
        let share = (churn.len() / connections).max(1);
        let churn = Arc::new(churn);
        let mut jobs = jobs;
        let mut merged: Option<PhaseResult> = None;
        let mut rounds = 0u32;
        let mut first_round = (0u64, 0u64);
        let mut active_after = ACTIVE_JOBS;
        loop {
            let used = merged.as_ref().map_or(Duration::ZERO, |r| r.elapsed);
            if used >= duration {
                break;
            }
            if rounds > 0 {
                reset(&server).await;
                jobs = setup(&server).await.2;
            }
            let before = server.memory_kib().0;
            let pool = Arc::clone(&churn);
            let round = phase(
                &server,
                "StartRecovery (1 server)",
                "/StartRecovery",
                (connections, duration - used, max_jobs),
                move |worker, n| {
                    let index = (worker * share + n as usize % share) % pool.len();
                    Bytes::from(format!(
                        r#"{{"isDrill":true,"sourceServers":[{{"sourceServerID":"{}"}}]}}"#,
                        pool[index]
                    ))
                },
            )
            .await;
            if rounds == 0 {
                let created = round.count(202);
                first_round = (round.rss_after_kib.saturating_sub(before), created);
            }
            active_after = active_after.min(still_active(&server, &jobs).await);
            rounds += 1;
            merged = Some(match merged {
                None => round,
                Some(total) => total.merge(round),
            });
        }
        results.extend(merged);
        (results, rss_ready, (rounds, first_round), active_after)
    });
    let (rss_end, hwm_end) = server.memory_kib();

    println!();
    println!(
        "| {:<28} | {:>9} | {:>8} | {:>14} | {:>7} | {:>7} | {:>13} |",
        "phase", "requests", "req/s", "statuses", "p50 ms", "p99 ms", "peak RSS MiB"
    );
    println!(
        "|{:-<30}|{:->11}|{:->10}|{:->16}|{:->9}|{:->9}|{:->15}|",
        "", "", "", "", "", "", ""
    );
    for r in &results {
        let statuses = r
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}:{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "| {:<28} | {:>9} | {:>8.0} | {:>14} | {:>7.2} | {:>7.2} | {:>13.1} |",
            r.name,
            r.requests,
            r.rate(),
            statuses,
            r.percentile_ms(0.5),
            r.percentile_ms(0.99),
            mib(r.peak_rss_kib)
        );
    }
    println!();
    let before_start = results[1].rss_after_kib;
    let per_job =
        (results[2].rss_after_kib.saturating_sub(before_start)) as f64 / created.max(1) as f64;
    println!(
        "server memory: VmRSS {:.1} MiB after start-up, {:.1} MiB with the 20 active jobs, {:.1} MiB at the end; VmHWM {:.1} MiB",
        mib(rss_start),
        mib(rss_ready),
        mib(rss_end),
        mib(hwm_end)
    );
    println!(
        "StartRecovery: {rounds} round(s) of at most {max_jobs} jobs; the first round's {created} jobs added {:.1} MiB, about {per_job:.1} KiB per job kept; setup jobs still active after each round: {active_after}/{ACTIVE_JOBS}",
        mib(growth_kib)
    );
    for r in &results {
        let refused = r.statuses.iter().any(|(s, _)| *s != 200 && *s != 202);
        println!(
            "{:<28} {:>6.0} req/s: {} (target >= {TARGET_RPS:.0}){}",
            r.name,
            r.rate(),
            if r.rate() >= TARGET_RPS {
                "meets"
            } else {
                "BELOW"
            },
            if refused {
                "; some requests were refused, see statuses"
            } else {
                ""
            },
        );
    }
    println!(
        "peak resident memory (VmHWM) {:.1} MiB: {} (target < {TARGET_RSS_MIB:.0} MiB)",
        mib(hwm_end),
        if mib(hwm_end) < TARGET_RSS_MIB {
            "meets"
        } else {
            "ABOVE"
        }
    );
}
