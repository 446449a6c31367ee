//! Hostile scenarios posted to `POST /_sim/scenario`: each gets a 400 with a positioned error,
//! and the emulator keeps answering. A 10,000-deep list used to overflow a worker's stack and
//! abort the whole process (and so this test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use drs_sim::{RunningSim, Scenario, SimConfig, http_client};
use serde_json::Value;

async fn post(sim: &RunningSim, path: &str, body: &str) -> (u16, Value) {
    let reply = http_client::request(
        "POST",
        &format!("{}{path}", sim.endpoint_url()),
        &[("content-type", "application/yaml".to_owned())],
        body.as_bytes().to_vec(),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, json)
}

fn hostile_scenarios() -> Vec<(&'static str, String, &'static str)> {
    let deep = 100_000;
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    let mut deep_aliases = String::from("a0: &a0 x\n");
    for i in 1..1000 {
        let (open, close) = ("[".repeat(40), "]".repeat(40));
        deep_aliases.push_str(&format!("a{i}: &a{i} {open}*a{}{close}\n", i - 1));
    }
    vec![
        (
            "deep block lists",
            format!("servers:\n{}x\n", "- ".repeat(10_000)),
            "scenario:2:127: (yaml): lists and mappings are nested more than 64 levels deep here",
        ),
        (
            "deep flow lists",
            format!("servers: {}{}\n", "[".repeat(deep), "]".repeat(deep)),
            "scenario:1:265: (yaml): invalid YAML: brackets are nested more than 255 levels deep",
        ),
        (
            "deep flow mappings",
            format!("servers: {}\n", "{a: ".repeat(deep)),
            "scenario:1:262: (yaml): lists and mappings are nested more than 64 levels deep here",
        ),
        (
            "billion laughs",
            laughs,
            "(yaml): invalid YAML: alias expansion exceeded the maximum node budget",
        ),
        (
            "deep aliases",
            deep_aliases,
            "scenario:3:49: (yaml): this alias puts its anchor's lists and mappings more than 64 \
             levels deep",
        ),
    ]
}

#[tokio::test]
async fn hostile_scenarios_get_a_clean_400_and_the_emulator_stays_up() {
    let sim = drs_sim::serve(SimConfig::local(Scenario::default()))
        .await
        .unwrap();
    for (name, text, expected) in hostile_scenarios() {
        let started = Instant::now();
        let (status, body) = post(&sim, "/_sim/scenario", &text).await;
        println!(
            "{name}: {} bytes in, {status}, {} ms",
            text.len(),
            started.elapsed().as_millis()
        );
        assert_eq!(status, 400, "{name}: {body}");
        let line = body["lines"][0].as_str().unwrap_or_default();
        assert!(line.starts_with("scenario:"), "{name}: {body}");
        assert!(line.contains(expected), "{name}: {line}");

        // Still up, and still loading scenarios.
        let (status, body) = post(&sim, "/_sim/scenario", "servers:\n  - { count: 2 }\n").await;
        assert_eq!((status, &body["servers"]), (200, &Value::from(2)), "{name}");
    }
    sim.shutdown().await.unwrap();
}
