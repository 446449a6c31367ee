//! Shared helpers: start an in-process emulator, build SDK clients, call the admin API, and
//! a tiny HTTP receiver that records what is POSTed to it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_drs::Client;
use aws_sdk_drs::config::retry::RetryConfig;
use aws_sdk_drs::config::{BehaviorVersion, Credentials, Region};
use axum::body::Bytes;
use axum::http::HeaderMap;
use drs_sim::{RunningSim, Scenario, SimConfig, http_client};
use serde_json::Value;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";

/// The emulator running `yaml`.
pub async fn start(yaml: &str) -> RunningSim {
    let scenario = Scenario::from_yaml_str(yaml, "test-scenario.yaml")
        .unwrap_or_else(|e| panic!("test scenario is invalid:\n{e}"));
    drs_sim::serve(SimConfig::local(scenario)).await.unwrap()
}

/// The emulator running an example scenario of the repository.
pub async fn start_example(name: &str) -> RunningSim {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/scenarios")
        .join(name);
    let scenario = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    drs_sim::serve(SimConfig::local(scenario)).await.unwrap()
}

/// An SDK client with static credentials, no retries.
pub async fn client(sim: &RunningSim) -> Client {
    client_as(sim, "AKIATESTDEFAULT", REGION).await
}

/// An SDK client for `access_key` in `region`, no retries.
pub async fn client_as(sim: &RunningSim, access_key: &str, region: &str) -> Client {
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new(
            access_key,
            "test-secret",
            None,
            None,
            "static",
        ))
        .region(Region::new(region.to_owned()))
        .endpoint_url(sim.endpoint_url())
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&shared)
}

/// A GET or POST to the admin API; the status and the JSON body.
pub async fn admin(sim: &RunningSim, method: &str, path: &str, body: &str) -> (u16, Value) {
    let reply = http_client::request(
        method,
        &format!("{}{path}", sim.endpoint_url()),
        &[("content-type", "application/json".to_owned())],
        body.as_bytes().to_vec(),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, json)
}

/// Advances the manual clock through the admin API.
pub async fn advance(sim: &RunningSim, seconds: f64) {
    let (status, body) = admin(
        sim,
        "POST",
        "/_sim/clock/advance",
        &format!(r#"{{"seconds": {seconds}}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// One recorded request: headers and body.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An HTTP endpoint that answers every request with `answer` and records it.
pub struct Receiver {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(answer: &'static str) -> Receiver {
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let store = Arc::clone(&requests);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let store = Arc::clone(&store);
            async move {
                store.lock().unwrap().push(Recorded { headers, body });
                answer
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            requests,
            task,
        }
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `check` every 10 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
